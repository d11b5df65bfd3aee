import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { unknownFormat } from '../credits/formats';
import { unknownMetric } from '../invoices/usage-rules';
import { unknownPlatform } from '../wallet/platforms';
import { databaseUnavailable, isDatabaseOutage } from '../db/outage';
import { DomainError, ERROR_STATUS, errorSpec, type ErrorCode } from '../errors';
import { noteFailure } from './request-log';

/** The one error shape of the API: `{"error": {"code", "message", "details"?}}`. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
}

export function errorBody(err: DomainError): ErrorBody {
  return {
    error: { code: err.code, message: err.message, ...(err.details ? { details: withFieldPaths(err) } : {}) },
  };
}

/**
 * Validation failures always list `details.fields` ({path, message}); the domain's own checks name a
 * single `field`, which becomes that list.
 */
function withFieldPaths(err: DomainError): Record<string, unknown> {
  const details = err.details ?? {};
  const single = err.code === 'VALIDATION_FAILED' && !('fields' in details) ? details.field : undefined;
  return typeof single === 'string'
    ? { ...details, fields: [{ path: single, message: err.message }] }
    : details;
}

interface AjvError {
  keyword: string;
  instancePath: string;
  schemaPath?: string;
  message?: string;
  params: Record<string, unknown>;
}

const IN_ANY_OF_BRANCH = /\/anyOf\/\d+\//;

/**
 * An object that must name at least one of some fields (`anyOf` of `required`, e.g. a plan change) is
 * told so in one line, not once per branch as if each field were required. A branch that failed on
 * anything else failed on a field that is present, and that field's own error says what is wrong.
 */
function collapseAnyOf(errors: AjvError[]): AjvError[] {
  const branch = (e: AjvError) => IN_ANY_OF_BRANCH.test(e.schemaPath ?? '');
  const out: AjvError[] = [];
  for (const e of errors) {
    if (branch(e)) continue;
    if (e.keyword !== 'anyOf') {
      out.push(e);
      continue;
    }
    const own = errors.filter((b) => branch(b) && (b.schemaPath ?? '').startsWith(`${e.schemaPath}/`));
    if (own.length === 0 || !own.every((b) => b.keyword === 'required')) continue;
    const names = own.map((b) => String(b.params.missingProperty));
    out.push({ ...e, message: `must name at least one of ${names.join(', ')}` });
  }
  return out;
}

/** JSON pointer `/a/0/b` of an Ajv error, as `body.a[0].b`, naming the missing or unknown field itself. */
function fieldPath(context: string, e: AjvError): string {
  let path = context;
  for (const part of e.instancePath.split('/').slice(1)) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    path += /^\d+$/.test(key) ? `[${key}]` : `.${key}`;
  }
  if (e.keyword === 'required') path += `.${String(e.params.missingProperty)}`;
  if (e.keyword === 'additionalProperties') path += `.${String(e.params.additionalProperty)}`;
  return path;
}

function fieldMessage(e: AjvError): string {
  if (e.keyword === 'additionalProperties') return 'is not a known field';
  if (e.keyword === 'required') return 'is required';
  if (e.keyword === 'enum') return `must be one of ${(e.params.allowedValues as unknown[]).join(', ')}`;
  return e.message ?? e.keyword;
}

function validationError(context: string, errors: AjvError[]): DomainError {
  // An unknown format keeps the domain's own code (guarantee 7), as the ledger would have answered.
  if (
    context === 'body' &&
    errors.length > 0 &&
    errors.every((e) => e.instancePath === '/format' && e.keyword === 'enum')
  ) {
    return unknownFormat();
  }
  // Likewise an ad platform the wallet does not pay, in a bill or a filter (the wallet's own code).
  if (
    (context === 'body' || context === 'querystring') &&
    errors.length > 0 &&
    errors.every((e) => e.instancePath === '/platform' && e.keyword === 'enum')
  ) {
    return unknownPlatform();
  }
  // Likewise a usage event's metric that is not metered, in any event of a batch (usage's own code).
  if (
    context === 'body' &&
    errors.length > 0 &&
    errors.every((e) => /^\/events\/\d+\/metric$/.test(e.instancePath) && e.keyword === 'enum')
  ) {
    return unknownMetric(errors.map((e) => fieldPath(context, e)));
  }
  // A delivery without a (well-formed) signature is answered like one with a forged signature.
  if (context === 'headers' && errors.length > 0 && errors.every(isAboutStripeSignature)) {
    return new DomainError('INVALID_SIGNATURE', 'missing Stripe-Signature header', {
      reason: 'missing_header',
    });
  }
  const fields = collapseAnyOf(errors).map((e) => ({
    path: fieldPath(context, e),
    message: fieldMessage(e),
  }));
  const summary = fields.map((f) => `${f.path} ${f.message}`).join('; ');
  return new DomainError('VALIDATION_FAILED', summary || `invalid ${context}`, { fields });
}

const isAboutStripeSignature = (e: AjvError): boolean =>
  e.instancePath === '/stripe-signature' ||
  (e.keyword === 'required' && e.params.missingProperty === 'stripe-signature');

const BY_FASTIFY_CODE: Partial<Record<string, (err: FastifyError, bodyLimit: number) => DomainError>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: () =>
    new DomainError('MALFORMED_JSON', 'the request body is not valid JSON'),
  FST_ERR_CTP_EMPTY_JSON_BODY: () =>
    new DomainError('MALFORMED_JSON', 'the request body is empty but its content-type is application/json'),
  FST_ERR_CTP_BODY_TOO_LARGE: (_err, limitBytes) =>
    new DomainError('PAYLOAD_TOO_LARGE', `the request body exceeds ${limitBytes} bytes`, { limitBytes }),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () =>
    new DomainError('UNSUPPORTED_MEDIA_TYPE', 'request bodies must be sent as application/json'),
};

const BY_STATUS: Partial<Record<number, ErrorCode>> = {
  400: 'VALIDATION_FAILED',
  404: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
};

/** Maps anything a route or Fastify itself can throw to a DomainError, or undefined for a real fault. */
export function toDomainError(err: unknown, bodyLimit: number): DomainError | undefined {
  if (err instanceof DomainError) return err;
  if (isDatabaseOutage(err)) return databaseUnavailable();
  const fe = err as Partial<FastifyError> & { validation?: AjvError[]; validationContext?: string };
  if (Array.isArray(fe.validation)) return validationError(fe.validationContext ?? 'request', fe.validation);
  const mapped = fe.code ? BY_FASTIFY_CODE[fe.code] : undefined;
  if (mapped) return mapped(fe as FastifyError, bodyLimit);
  const code = fe.statusCode !== undefined ? BY_STATUS[fe.statusCode] : undefined;
  if (code) return new DomainError(code, fe.message ?? code);
  if (fe.statusCode !== undefined && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new DomainError('VALIDATION_FAILED', fe.message ?? 'bad request');
  }
  return undefined;
}

/** Installs the single error handler and the 404 handler; both answer in the one error shape. */
export function installErrorHandling(app: FastifyInstance, bodyLimit: number): void {
  app.setErrorHandler((err, request, reply) => {
    // A route may read larger bodies than the server's default (a usage batch): name its own limit.
    const domain = toDomainError(err, request.routeOptions.bodyLimit ?? bodyLimit);
    noteFailure(request, err);
    if (!domain) {
      const internal = new DomainError('INTERNAL_ERROR', 'internal error');
      return reply.code(ERROR_STATUS.INTERNAL_ERROR).send(errorBody(internal));
    }
    const retryAfter = domain.details?.retryAfterSeconds;
    if (errorSpec(domain.code).retryAfter && typeof retryAfter === 'number') {
      reply.header('retry-after', String(retryAfter));
    }
    if (domain.code === 'UNAUTHENTICATED') reply.header('www-authenticate', 'Bearer');
    return reply.code(domain.httpStatus).send(errorBody(domain));
  });
  app.setNotFoundHandler((request, reply) => {
    const err = new DomainError('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`);
    return reply.code(404).send(errorBody(err));
  });
}

/**
 * Errors Fastify raises before a route is chosen (the `frameworkErrors` server option): a path that is
 * not valid percent-encoded UTF-8 (`%zz`, an encoded surrogate), or a path parameter longer than the
 * router's limit. Both are a bad path parameter, 400 like any other.
 */
export function frameworkErrorHandler(
  err: FastifyError,
  _request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const domain =
    err.code === 'FST_ERR_BAD_URL'
      ? new DomainError('VALIDATION_FAILED', 'the path is not valid percent-encoded UTF-8', {
          fields: [{ path: 'params', message: 'is not valid percent-encoded UTF-8' }],
        })
      : err.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? new DomainError('VALIDATION_FAILED', 'a path parameter is too long', {
            fields: [{ path: 'params', message: 'is too long' }],
          })
        : new DomainError('INTERNAL_ERROR', 'internal error');
  return reply.code(domain.httpStatus).send(errorBody(domain));
}

const CLIENT_ERRORS: Partial<Record<string, () => DomainError>> = {
  HPE_HEADER_OVERFLOW: () =>
    new DomainError('HEADERS_TOO_LARGE', 'the request headers exceed the server limit'),
  ERR_HTTP_REQUEST_TIMEOUT: () => new DomainError('REQUEST_TIMEOUT', 'the request was not received in time'),
};

/**
 * Node's `clientError`: the request could not even be parsed (headers over Node's limit, not valid
 * HTTP, too slow), so no route or reply exists and the answer is written to the socket by hand, still in
 * the one error shape (Fastify's `clientErrorHandler` server option).
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const domain =
    CLIENT_ERRORS[err.code ?? '']?.() ??
    new DomainError('VALIDATION_FAILED', 'the request is not valid HTTP/1.1');
  const body = JSON.stringify(errorBody(domain));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${domain.httpStatus} ${STATUS_CODES[domain.httpStatus]}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  }
  socket.destroy(err);
}

/**
 * `/v1/generations/:id/complete` as a matcher of request paths (any non-empty segment for a param, and
 * anything at all for a wildcard segment: the dashboard's `/dashboard/*`).
 */
function pathMatcher(url: string): RegExp {
  const escaped = url
    .split('/')
    .map((segment) =>
      segment.startsWith(':')
        ? '[^/]+'
        : segment === '*'
          ? '.*'
          : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('/');
  return new RegExp(`^${escaped}$`);
}

/**
 * A path the API has but not for this method is 405 with the methods it has in `Allow` (RFC 9110),
 * whatever the method (TRACE, QUERY, a made-up one); a path it does not have is 404. Runs as the first
 * onRequest hook of the not-found route, so no body is parsed for such a request.
 */
export function methodNotAllowed(routes: () => { method: string; url: string }[]) {
  let matchers: { method: string; matches: RegExp }[] | undefined;
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (!request.is404) return;
    matchers ??= routes().map((r) => ({ method: r.method, matches: pathMatcher(r.url) }));
    const path = request.url.split('?')[0]!;
    const allowed = [...new Set(matchers.filter((m) => m.matches.test(path)).map((m) => m.method))];
    if (allowed.length === 0) return;
    reply.header('allow', allowed.join(', '));
    throw new DomainError('METHOD_NOT_ALLOWED', `${request.method} is not allowed on ${path}`, {
      allowed,
    });
  };
}
