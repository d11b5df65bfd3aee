import { authenticateApiKey } from '../../auth/api-keys';
import { closeSession, csrfTokenOf, openSession, SESSION_COOKIE } from '../../auth/sessions';
import type { Db } from '../../db/pool';
import { DomainError } from '../../errors';
import { identityOf, rateLimited, sessionOf, type AuthLimits } from '../auth';
import { defineRoute, type ApiRoute } from '../route';
import { closed } from '../schemas';
import { clearSessionCookie, setSessionCookie } from '../session-cookie';
import { dashboardSessionSchema, sessionCookieHeader, signInBody } from './dashboard-session.schemas';

/**
 * The dashboard's sign-in: an API key with the `dashboard` scope is exchanged once for a session cookie
 * (src/auth/sessions.ts), which every /v1 route then accepts as that key. The key itself never stays in
 * the browser.
 */
export function dashboardSessionRoutes({
  db,
  limits,
  sessionTtlMs,
}: {
  db: Db;
  limits: AuthLimits;
  sessionTtlMs?: number;
}): ApiRoute[] {
  return [
    defineRoute({
      method: 'POST',
      url: '/v1/dashboard/session',
      operationId: 'signInToDashboard',
      summary:
        'Signs in to the dashboard with an API key that carries the dashboard scope: sets the lb_session ' +
        'cookie (HttpOnly, SameSite=Strict) and answers the org and the CSRF token the session sends with ' +
        'its changes. A session already in the cookie is ended.',
      tag: 'dashboard',
      auth: false,
      schema: { body: signInBody, response: { 201: dashboardSessionSchema } },
      responseHeaders: { 201: sessionCookieHeader },
      errors: ['UNAUTHENTICATED', 'SCOPE_REQUIRED', 'KILL_SWITCH', 'RATE_LIMITED', 'DATABASE_UNAVAILABLE'],
      handler: async (request, reply) => {
        // The same budget of failed attempts per client as a bearer key has: this is a key check too.
        const client = limits.failuresPerClient.check(request.ip);
        if (!client.allowed) {
          throw rateLimited('too many failed authentications from this client', client.retryAfterSeconds);
        }
        const auth = await authenticateApiKey(db, request.body.apiKey);
        if (!auth.ok && auth.reason === 'invalid') {
          limits.failuresPerClient.take(request.ip);
          throw new DomainError('UNAUTHENTICATED', 'invalid API key');
        }
        if (!auth.ok) {
          const what =
            auth.reason === 'key_disabled' ? 'this API key is disabled' : 'this organization is disabled';
          throw new DomainError('KILL_SWITCH', what, { reason: auth.reason });
        }
        if (!auth.identity.scopes.includes('dashboard')) {
          throw new DomainError(
            'SCOPE_REQUIRED',
            'signing in to the dashboard needs a key with the dashboard scope',
            {
              scope: 'dashboard',
            },
          );
        }
        const previous = request.cookies[SESSION_COOKIE];
        if (previous !== undefined) await closeSession(db, previous);
        const session = await openSession(db, auth.identity, sessionTtlMs);
        setSessionCookie(request, reply, session);
        return reply.code(201).send({
          orgId: auth.identity.orgId,
          orgName: auth.identity.orgName,
          csrfToken: session.csrfToken,
          expiresAt: session.expiresAt.toISOString(),
        });
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/dashboard/session',
      operationId: 'getDashboardSession',
      summary:
        'The session in the lb_session cookie: its org, its CSRF token (for a page that was reloaded) and ' +
        'when it expires. 401 without a live session.',
      tag: 'dashboard',
      auth: 'session',
      schema: { response: { 200: dashboardSessionSchema } },
      errors: [],
      handler: async (request) => {
        const { orgId, orgName } = identityOf(request);
        const session = sessionOf(request)!;
        return {
          orgId,
          orgName,
          csrfToken: csrfTokenOf(session.token),
          expiresAt: session.expiresAt.toISOString(),
        };
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/v1/dashboard/session',
      operationId: 'signOutOfDashboard',
      summary:
        'Signs out: ends the session in the lb_session cookie and clears the cookie (needs x-csrf-token).',
      tag: 'dashboard',
      auth: 'session',
      schema: { response: { 204: closed({}) } },
      responseHeaders: { 204: sessionCookieHeader },
      errors: [],
      handler: async (request, reply) => {
        await closeSession(db, sessionOf(request)!.token);
        clearSessionCookie(request, reply);
        return reply.code(204).send();
      },
    }),
  ];
}
