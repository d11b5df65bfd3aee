import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildApi, type ApiDeps } from '../../src/api/server';
import type { Db } from '../../src/db/pool';
import { callApi, type ApiResponse, type CallOptions } from './api';
import { NO_RATE_LIMITS } from './fixtures';

export interface DbApi {
  app: FastifyInstance;
  baseUrl: string;
  call(method: string, path: string, opts?: CallOptions): Promise<ApiResponse>;
  close(): Promise<void>;
}

/**
 * A real listening API over `db` alone, for routes that only read and write PostgreSQL (usage, the
 * credit history): no Temporal, so the routes that need it must not be called. Rate limits are lifted
 * unless `config` sets them.
 */
export async function startDbApi(
  db: Db,
  opts: { config?: ApiDeps['config']; clock?: () => Date; dashboardDir?: string } = {},
): Promise<DbApi> {
  const app = buildApi({
    db,
    generations: undefined as never,
    config: opts.config ?? NO_RATE_LIMITS,
    clock: opts.clock,
    dashboardDir: opts.dashboardDir,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    app,
    baseUrl,
    call: (method, path, callOpts) => callApi(baseUrl, method, path, callOpts),
    close: () => app.close(),
  };
}
