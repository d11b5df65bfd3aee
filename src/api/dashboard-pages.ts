import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { redeemSignInLink, SIGN_IN_PATH } from '../auth/sign-in-links';
import type { Db } from '../db/pool';
import { setSessionCookie } from './session-cookie';

/**
 * The dashboard's web app (dashboard/, built by `npm run build` into dashboard/dist) served by the API
 * process under /dashboard/, so that its calls to /v1 are same-origin and its session cookie can be
 * SameSite=Strict. These are pages, not API operations: they are not in the OpenAPI document.
 *
 * - A path under /dashboard/ that is a file of the build is that file; any other is index.html (the
 *   app routes on the client). Hashed assets are cached for a year, index.html never.
 * - The build is looked for on every request, so building while the API runs needs no restart; without
 *   one every page answers 503 with one sentence saying how to build it.
 * - Every page carries a strict Content-Security-Policy: everything from this origin, no inline script
 *   or style, no framing. Vite's build emits no inline script, so the app needs nothing looser.
 */
export const DASHBOARD_PREFIX = '/dashboard';
export const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../../dashboard/dist/', import.meta.url));

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const NOT_BUILT_MESSAGE =
  'The dashboard is not built: run `npm run build` (npm install also builds it), then reload this page.\n';

/** Whether a registered route is one of the dashboard's pages (not an API operation). */
export const isDashboardPage = (url: string): boolean =>
  url === DASHBOARD_PREFIX || url.startsWith(`${DASHBOARD_PREFIX}/`);

function pageHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CONTENT_SECURITY_POLICY)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'same-origin')
    .header('x-frame-options', 'DENY');
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

export interface DashboardPagesOptions {
  db: Db;
  /** The built app (default dashboard/dist of this repository). */
  dir?: string;
  sessionTtlMs?: number;
}

export function installDashboardPages(app: FastifyInstance, opts: DashboardPagesOptions): void {
  const root = path.resolve(opts.dir ?? DEFAULT_DASHBOARD_DIR);
  // Only reply.sendFile: the routes below decide what is served. The root may not exist yet.
  void app.register(fastifyStatic, {
    root,
    serve: false,
    index: false,
    dotfiles: 'ignore',
    suppressWarning: true,
  });

  app.get(DASHBOARD_PREFIX, async (_request, reply) =>
    pageHeaders(reply).redirect(`${DASHBOARD_PREFIX}/`, 301),
  );

  // A one-time link (src/auth/sign-in-links.ts): sets the session cookie and opens the app.
  app.get(SIGN_IN_PATH, async (request: FastifyRequest<{ Querystring: Record<string, unknown> }>, reply) => {
    pageHeaders(reply).header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
    const token = request.query.token;
    const session =
      typeof token === 'string' ? await redeemSignInLink(opts.db, token, opts.sessionTtlMs) : undefined;
    if (!session) return reply.redirect(`${DASHBOARD_PREFIX}/?signin=expired`, 303);
    setSessionCookie(request, reply, session);
    return reply.redirect(`${DASHBOARD_PREFIX}/`, 303);
  });

  const page = async (request: FastifyRequest<{ Params: { '*'?: string } }>, reply: FastifyReply) => {
    pageHeaders(reply);
    if (!(await isFile(path.join(root, 'index.html')))) {
      return reply
        .code(503)
        .header('retry-after', '5')
        .type('text/plain; charset=utf-8')
        .send(NOT_BUILT_MESSAGE);
    }
    const wanted = request.params['*'] ?? '';
    const file = path.resolve(root, wanted);
    // A path that leaves the build (../) or names no file of it is the app's own route.
    if (wanted !== '' && file.startsWith(`${root}${path.sep}`) && (await isFile(file))) {
      const hashed = wanted.startsWith('assets/');
      return reply.sendFile(path.relative(root, file), hashed ? { maxAge: '365d', immutable: true } : {});
    }
    return reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false });
  };
  app.get(`${DASHBOARD_PREFIX}/*`, page);
}
