import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  FastifyReply,
  FastifyRequest,
  RawRequestDefaultExpression,
  RawServerDefault,
  RouteGenericInterface,
} from 'fastify';
import type { TObject, TSchema } from 'typebox';
import type { ApiKeyScope } from '../auth/scopes';
import type { ErrorCode } from '../errors';

export interface RouteSchemas {
  params?: TObject;
  querystring?: TObject;
  headers?: TObject;
  body?: TSchema;
  /** Success responses (and any error response with a shape of its own), by status. */
  response: Record<number, TSchema>;
}

/**
 * A success answered with a file instead of JSON (an invoice's PDF or CSV). The OpenAPI document
 * publishes it under its own media type with the headers that come with it; Fastify sends the bytes as
 * they are, so this status has no entry in `schema.response` (there is nothing to serialize).
 */
export interface FileResponse {
  status: number;
  /** What Content-Type names, parameters such as charset aside: `application/pdf`, `text/csv`. */
  mediaType: string;
  description: string;
  /** What the body is, where a schema can say it; a binary file has none (OpenAPI 3.1 leaves it out). */
  schema?: TSchema;
  /** Headers every such answer carries (`Content-Disposition`), each published as required. */
  headers: Record<string, { description: string; schema: TSchema }>;
}

/**
 * The request a route's handler receives, typed by Fastify's TypeBox type provider from the route's own
 * schemas: `body`, `params`, `query` and `headers` are what those schemas let through. A raw-body route
 * (`rawBody`) gets the exact bytes.
 */
export type RouteRequest<
  S extends RouteSchemas,
  Raw extends TSchema | undefined = undefined,
> = FastifyRequest<
  Raw extends TSchema ? { Body: Buffer } : RouteGenericInterface,
  RawServerDefault,
  RawRequestDefaultExpression,
  S,
  TypeBoxTypeProvider
>;

/**
 * One entry of the API's route table. Fastify registers it and /v1/openapi.json documents it, so the
 * schema a request is validated with is the schema that is published, and the type its handler reads
 * the request as.
 */
export interface ApiRoute<
  S extends RouteSchemas = RouteSchemas,
  Raw extends TSchema | undefined = TSchema | undefined,
> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Fastify syntax (`/v1/generations/:id`). */
  url: string;
  operationId: string;
  summary: string;
  tag: string;
  /**
   * Bearer API key or dashboard session cookie required (then 401/429/503 apply, and 403
   * CSRF_TOKEN_INVALID to a session's change without its token). 'with-credits': the org's credit
   * snapshot is read in the same statement as the key, and the handler takes it with creditsOf(request).
   * 'session': the dashboard session cookie only (the session's own routes).
   */
  auth: boolean | 'with-credits' | 'session';
  /**
   * The scope the key must carry besides being valid (src/auth/scopes.ts); others get 403
   * SCOPE_REQUIRED before the body is read. Only with `auth`.
   */
  scope?: ApiKeyScope;
  /**
   * The handler receives the body as the exact bytes sent (a Buffer), e.g. to verify a signature over
   * them; the schema given here is what the document publishes as the body, not what Fastify checks.
   */
  rawBody?: Raw;
  /**
   * The largest body this route reads, in bytes, when it is not the server's (DEFAULT_BODY_LIMIT_BYTES):
   * a usage batch of a thousand events is larger than any other request.
   */
  bodyLimit?: number;
  schema: S;
  /**
   * The media types a success body is sent as when it is not JSON (the handler streams it); the 2xx
   * schemas then describe each of them in the document.
   */
  produces?: string[];
  /** Headers a success carries besides Content-Type (a session's Set-Cookie), by status; each required. */
  responseHeaders?: Record<number, Record<string, { description: string; schema: TSchema }>>;
  /** The success that is a file rather than JSON, if this route answers one. */
  file?: FileResponse;
  /**
   * OpenAPI links from this route's JSON success to the operations its answer feeds, each parameter a
   * runtime expression (`$response.body#/data/0/number`): how a client goes from a listed invoice to its
   * PDF, and how the contract test's stateful phase reaches real ones.
   */
  links?: Record<string, { operationId: string; parameters: Record<string, string> }>;
  /** The domain errors the handler itself can answer with; those implied by auth and schemas are added. */
  errors: ErrorCode[];
  // A method, not a function-typed property: its parameter is then compared both ways, which is what
  // lets a route typed by its own schemas join the table as a plain ApiRoute (defineRoute).
  handler(request: RouteRequest<S, Raw>, reply: FastifyReply): Promise<unknown>;
}

/**
 * A route whose handler is typed from its own schemas. It joins the table as a plain ApiRoute: the table
 * is heterogeneous, and Fastify validates every request against the same schemas before the handler
 * runs, which is what makes the handler's types true.
 */
export function defineRoute<S extends RouteSchemas, Raw extends TSchema | undefined = undefined>(
  route: ApiRoute<S, Raw>,
): ApiRoute {
  return route;
}

/**
 * What any request may be answered with, whatever its route: a request that is not valid HTTP (400),
 * too slow (408) or whose headers are too large (431) is answered by the server before any route is
 * known (src/api/errors.ts), a fault is 500, and a process shutting down answers 503 NOT_READY.
 */
const ANY_REQUEST_ERRORS: ErrorCode[] = [
  'VALIDATION_FAILED',
  'REQUEST_TIMEOUT',
  'HEADERS_TOO_LARGE',
  'INTERNAL_ERROR',
  'NOT_READY',
];
/** Authentication reads the key from PostgreSQL, so every authenticated route depends on it. */
const AUTH_ERRORS: ErrorCode[] = ['UNAUTHENTICATED', 'RATE_LIMITED', 'KILL_SWITCH', 'DATABASE_UNAVAILABLE'];
const BODY_ERRORS: ErrorCode[] = ['MALFORMED_JSON', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'];
/** A raw body is not parsed as JSON by Fastify, only limited in size and content type. */
const RAW_BODY_ERRORS: ErrorCode[] = ['PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'];

/**
 * Every error code a route can answer with: its own, those its auth and request schemas imply, and those
 * any request can get. The OpenAPI document lists exactly these, so a code added to a route's `errors`
 * is documented with nothing else to do.
 */
export function errorsOf(route: ApiRoute): ErrorCode[] {
  const { body } = route.schema;
  const codes = new Set<ErrorCode>(ANY_REQUEST_ERRORS);
  if (route.auth) AUTH_ERRORS.forEach((c) => codes.add(c));
  if (route.auth && route.method !== 'GET') codes.add('CSRF_TOKEN_INVALID');
  if (route.scope) codes.add('SCOPE_REQUIRED');
  if (body) BODY_ERRORS.forEach((c) => codes.add(c));
  if (route.rawBody) RAW_BODY_ERRORS.forEach((c) => codes.add(c));
  route.errors.forEach((c) => codes.add(c));
  return [...codes];
}
