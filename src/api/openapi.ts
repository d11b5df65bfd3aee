import { errorSpec, type ErrorCode } from '../errors';
import type { TObject, TSchema } from 'typebox';
import { errorsOf, type ApiRoute } from './route';
import { errorSchema } from './schemas';

/** `/v1/generations/:id` -> `/v1/generations/{id}`. */
export const openApiPath = (url: string): string => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

function parameters(location: 'path' | 'query' | 'header', schema: TObject | undefined) {
  if (!schema) return [];
  // TypeBox leaves `required` out of an object whose properties are all optional.
  const required = new Set<string>(schema.required ?? []);
  return Object.entries(schema.properties).map(([name, s]) => ({
    name,
    in: location,
    required: location === 'path' || required.has(name),
    schema: s,
  }));
}

const json = (schema: TSchema | { $ref: string }) => ({ 'application/json': { schema } });

const retryAfter = {
  'Retry-After': {
    description: 'Seconds to wait before retrying, when the server can tell.',
    schema: { type: 'integer', minimum: 0 },
  },
};

function responses(route: ApiRoute) {
  const out: Record<string, unknown> = {};
  for (const [status, schema] of Object.entries(route.schema.response)) {
    if (Number(status) >= 400) continue;
    const headers = route.responseHeaders?.[Number(status)];
    const withHeaders = headers
      ? {
          headers: Object.fromEntries(
            Object.entries(headers).map(([name, h]) => [name, { ...h, required: true }]),
          ),
        }
      : {};
    // 204 has no body (RFC 9110), so no content to describe.
    if (Number(status) === 204) {
      out[status] = { description: 'No content', ...withHeaders };
      continue;
    }
    const content = route.produces
      ? Object.fromEntries(route.produces.map((type) => [type, { schema }]))
      : json(schema);
    out[status] = {
      description: 'OK',
      ...withHeaders,
      content,
      ...(route.links ? { links: route.links } : {}),
    };
  }
  if (route.file) {
    const { status, mediaType, description, schema, headers } = route.file;
    out[String(status)] = {
      description,
      headers: Object.fromEntries(
        Object.entries(headers).map(([name, h]) => [name, { ...h, required: true }]),
      ),
      content: { [mediaType]: schema ? { schema } : {} },
    };
  }
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of errorsOf(route)) {
    const { status } = errorSpec(code);
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    const own = route.schema.response[status];
    out[String(status)] = {
      description: `error.code: ${codes.join(' | ')}`,
      // Codes that tell the caller to come back later may say when.
      ...(codes.some((c) => errorSpec(c).retryAfter) ? { headers: retryAfter } : {}),
      content: json(own ?? { $ref: '#/components/schemas/Error' }),
    };
  }
  return out;
}

/**
 * Either a bearer key or a dashboard session (the cookie), except on the session's own routes. OpenAPI
 * 3.1 lets a non-OAuth scheme list the roles an operation needs: here, the key's scope.
 */
function security(route: ApiRoute): Record<string, string[]>[] {
  if (!route.auth) return [];
  if (route.auth === 'session') return [{ cookieAuth: [] }];
  const scopes = route.scope ? [route.scope] : [];
  return [{ bearerAuth: scopes }, { cookieAuth: scopes }];
}

/** The OpenAPI 3.1 document of a route table; 3.1 takes our JSON Schemas as they are. */
export function buildOpenApiDocument(routes: ApiRoute[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const { params, querystring, headers, body } = route.schema;
    const operation = {
      operationId: route.operationId,
      summary: route.summary,
      tags: [route.tag],
      security: security(route),
      parameters: [
        ...parameters('path', params),
        ...parameters('query', querystring),
        ...parameters('header', headers),
      ],
      ...(body || route.rawBody
        ? { requestBody: { required: true, content: json((body ?? route.rawBody)!) } }
        : {}),
      responses: responses(route),
    };
    (paths[openApiPath(route.url)] ??= {})[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Layers billing partner API',
      version: '1',
      description:
        'Credits and generations of the calling org. Errors are always {"error": {"code", "message", "details"?}} ' +
        'with a stable code. Rate limits are per API key and per API process.',
    },
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API key: lb_live_<16 hex>_<secret>.' },
        cookieAuth: {
          type: 'apiKey',
          in: 'cookie',
          name: 'lb_session',
          description:
            'A dashboard session (POST /v1/dashboard/session), acting as the key that opened it with that ' +
            "key's scopes. Any method but GET must also send the session's csrfToken as the x-csrf-token " +
            'header (else 403 CSRF_TOKEN_INVALID). A request with an Authorization header is judged by it ' +
            'alone.',
        },
      },
      schemas: { Error: errorSchema },
    },
    paths,
  };
}
