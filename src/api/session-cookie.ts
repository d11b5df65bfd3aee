import type {} from '@fastify/cookie'; // reply.setCookie, reply.clearCookie
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SESSION_COOKIE, type OpenedSession } from '../auth/sessions';

/**
 * The dashboard session's cookie: HttpOnly (no script reads it, so a script injected into a page cannot
 * carry it away), SameSite=Strict (no other site's page or link makes the browser send it), for the
 * whole origin (the app under /dashboard/ calls /v1), Secure when the request came over https (directly,
 * or through a trusted proxy's X-Forwarded-Proto). It lasts as long as the session does.
 */
export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, session: OpenedSession): void {
  reply.setCookie(SESSION_COOKIE, session.token, {
    httpOnly: true,
    sameSite: 'strict',
    path: '/',
    secure: request.protocol === 'https',
    expires: session.expiresAt,
  });
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, {
    httpOnly: true,
    sameSite: 'strict',
    path: '/',
    secure: request.protocol === 'https',
  });
}
