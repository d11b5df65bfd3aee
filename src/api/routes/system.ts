import type { Client } from '@temporalio/client';
import { sql } from 'kysely';
import type { Db } from '../../db/pool';
import { DomainError } from '../../errors';
import { defineRoute, type ApiRoute } from '../route';
import { anyObject, closed, oneOf } from '../schemas';

export const healthSchema = closed({ status: oneOf(['ok']) });

export const readySchema = closed({
  status: oneOf(['ready']),
  checks: closed({ postgres: oneOf(['ok']), temporal: oneOf(['ok', 'not_configured']) }),
});

/** The OpenAPI document is served as is; the serializer must not filter it. */
export const openApiDocumentSchema = anyObject();

export interface SystemDeps {
  db: Db;
  temporalClient?: Client;
  /** Built on first request, from the complete route table (this route included). */
  openApiDocument: () => Record<string, unknown>;
}

const READY_TIMEOUT_MS = 2000;

async function check(name: string, probe: () => Promise<unknown>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
  });
  try {
    await Promise.race([probe(), timeout]);
    return 'ok';
  } catch (err) {
    return `${name} unreachable: ${err instanceof Error ? err.message : String(err)}`;
  } finally {
    clearTimeout(timer);
  }
}

export function systemRoutes(deps: SystemDeps): ApiRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/healthz',
      operationId: 'health',
      summary: 'Liveness: the process is up (checks nothing else).',
      tag: 'system',
      auth: false,
      schema: { response: { 200: healthSchema } },
      errors: [],
      handler: async () => ({ status: 'ok' }),
    }),
    defineRoute({
      method: 'GET',
      url: '/readyz',
      operationId: 'ready',
      summary: 'Readiness: PostgreSQL answers `select 1` and the Temporal frontend answers GetSystemInfo.',
      tag: 'system',
      auth: false,
      schema: { response: { 200: readySchema } },
      errors: ['NOT_READY'],
      handler: async () => {
        const { db, temporalClient } = deps;
        const [postgres, temporal] = await Promise.all([
          check('postgres', () => sql`select 1`.execute(db)),
          temporalClient
            ? check('temporal', () =>
                temporalClient.withDeadline(Date.now() + READY_TIMEOUT_MS, () =>
                  temporalClient.workflowService.getSystemInfo({}),
                ),
              )
            : Promise.resolve('not_configured'),
        ]);
        const checks = { postgres, temporal };
        if (postgres !== 'ok' || (temporal !== 'ok' && temporal !== 'not_configured')) {
          throw new DomainError('NOT_READY', 'a dependency is not reachable', { checks });
        }
        return { status: 'ready', checks };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/openapi.json',
      operationId: 'openapi',
      summary: 'This API as an OpenAPI 3.1 document, generated from the schemas the routes validate with.',
      tag: 'system',
      auth: false,
      schema: { response: { 200: openApiDocumentSchema } },
      errors: [],
      handler: async () => deps.openApiDocument(),
    }),
  ];
}
