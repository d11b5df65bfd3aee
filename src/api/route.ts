import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode } from '../errors';
import type { JsonSchema } from './schemas';

export interface RouteSchemas {
  params?: JsonSchema;
  querystring?: JsonSchema;
  headers?: JsonSchema;
  body?: JsonSchema;
  /** Success responses (and any error response with a shape of its own), by status. */
  response: Record<number, JsonSchema>;
}

/**
 * One entry of the API's route table. Fastify registers it and /v1/openapi.json documents it, so the
 * schema a request is validated with is the schema that is published.
 */
export interface ApiRoute {
  method: 'GET' | 'POST';
  /** Fastify syntax (`/v1/generations/:id`). */
  url: string;
  operationId: string;
  summary: string;
  tag: string;
  /**
   * Bearer API key required (then 401/429/503 apply). 'with-credits': the org's credit snapshot is read
   * in the same statement as the key, and the handler takes it with creditsOf(request).
   */
  auth: boolean | 'with-credits';
  /** The handler receives the body as the exact bytes sent (a Buffer), e.g. to verify a signature over them. */
  rawBody?: boolean;
  schema: RouteSchemas;
  /** The domain errors the handler itself can answer with; those implied by auth and schemas are added. */
  errors: ErrorCode[];
  handler: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
}

const AUTH_ERRORS: ErrorCode[] = ['UNAUTHENTICATED', 'RATE_LIMITED', 'KILL_SWITCH'];
const BODY_ERRORS: ErrorCode[] = ['MALFORMED_JSON', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'];

/** Every error code a route can answer with: its own plus those its auth and request schemas imply. */
export function errorsOf(route: ApiRoute): ErrorCode[] {
  const { params, querystring, headers, body } = route.schema;
  const codes = new Set<ErrorCode>(route.auth ? AUTH_ERRORS : []);
  if (params || querystring || headers || body) codes.add('VALIDATION_FAILED');
  if (body) BODY_ERRORS.forEach((c) => codes.add(c));
  route.errors.forEach((c) => codes.add(c));
  return [...codes];
}
