import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest, FastifyServerOptions } from 'fastify';
import type { LogLevel } from '../config';
import { callerOrgId } from './auth';

/**
 * The API's logs: Fastify's own logger (pino, one JSON object per line), plus one line for every answer
 * with a status of 400 or more, because that line is what an operator searches when a partner reports a
 * failure. It carries the request id (`reqId`, also sent back as `x-request-id`), the route pattern
 * (`/v1/generations/:id`, never the URL with ids), the status, the org when the key was recognised, the
 * error code of the body, and for a 5xx the error with its stack.
 *
 * Levels: a 5xx is `error` (our fault or a dependency's: someone should look), a 4xx is `warn` (the
 * caller's; worth counting, not paging). Successful requests are logged by Fastify at `info` only.
 *
 * Never logged: request and response bodies (they carry card tokens, webhook payloads, prompts),
 * headers (Authorization carries the API key; redacted anyway should a serializer ever include them),
 * and the query string of a failed request.
 */

export interface LogDestination {
  write(line: string): void;
}

const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["stripe-signature"]',
  'headers.authorization',
];

export function apiLoggerOptions(
  level: LogLevel,
  stream?: LogDestination,
): Exclude<FastifyServerOptions['logger'], boolean | undefined> {
  return { level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, ...(stream ? { stream } : {}) };
}

/** A request id of our own: unique across processes, unlike Fastify's per-process counter. */
export const newRequestId = (): string => randomUUID();

interface Failure {
  err: unknown;
  code?: string;
}

const failures = new WeakMap<FastifyRequest, Failure>();

/** Keeps the error a failed request was answered for, so its log line can carry the cause and stack. */
export function noteFailure(request: FastifyRequest, err: unknown): void {
  failures.set(request, { ...failures.get(request), err });
}

/** The `error.code` of an error body as sent; bodies of 4xx/5xx only, which are small. */
function errorCodeOf(payload: unknown): string | undefined {
  if (typeof payload !== 'string' || !payload.startsWith('{"error"')) return undefined;
  try {
    const code = (JSON.parse(payload) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

export function installRequestLogging(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  // The code is read from the body as sent, so an answer that is not a thrown error (a stored 402 of an
  // idempotent request, a webhook's own 500) is logged with its code too.
  app.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode < 400) return payload;
    const code = errorCodeOf(payload);
    if (code) failures.set(request, { err: failures.get(request)?.err, code });
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    const status = reply.statusCode;
    if (status < 400) return;
    const failure = failures.get(request);
    const line = {
      method: request.method,
      route: request.routeOptions.url ?? null,
      statusCode: status,
      orgId: callerOrgId(request) ?? null,
      code: failure?.code ?? null,
      responseTimeMs: Math.round(reply.elapsedTime),
    };
    if (status >= 500) request.log.error({ ...line, err: failure?.err }, 'request failed');
    else request.log.warn(line, 'request refused');
  });
}
