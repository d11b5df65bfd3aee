import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate } from '../../src/api/auth';
import { authLimitsOf, buildApi } from '../../src/api/server';
import { DEFAULT_LOG_LEVEL, DEV_LOG_LEVEL, loadConfig, type LogLevel } from '../../src/config';
import { findDrift } from '../../src/credits/reconcile';
import { createDb, type Db } from '../../src/db/pool';
import { callApi, startApiHarness, type ApiHarness, type ApiResponse, type TestOrg } from '../support/api';
import { freePort } from '../support/ports';

/**
 * Every refused (4xx) and failed (5xx) request leaves one structured line: request id, route pattern,
 * status, org and error code, and for a 5xx the error with its stack. Secrets and bodies never appear.
 * The lines are captured from Fastify's own logger through its destination stream.
 */
interface LogLine {
  level: number;
  msg: string;
  reqId?: string;
  route?: string | null;
  method?: string;
  statusCode?: number;
  orgId?: string | null;
  code?: string | null;
  err?: { type?: string; message?: string; stack?: string; code?: string };
  [field: string]: unknown;
}

class Capture {
  readonly raw: string[] = [];
  write(line: string): void {
    this.raw.push(line);
  }
  get lines(): LogLine[] {
    return this.raw.map((l) => JSON.parse(l) as LogLine);
  }
  /** The one failure line of the request whose x-request-id is `id`. */
  failureOf(res: ApiResponse): LogLine {
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const found = this.lines.filter(
      (l) => l.reqId === id && l.statusCode !== undefined && l.route !== undefined,
    );
    expect(found).toHaveLength(1);
    return found[0]!;
  }
}

const WARN = 40;
const ERROR = 50;

let h: ApiHarness;
let org: TestOrg;
let broke: TestOrg;
const servers: FastifyInstance[] = [];
let downDb: Db;

async function serve(app: FastifyInstance): Promise<string> {
  servers.push(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
}

/** The production API at `level`, plus one authenticated route that fails the way a bug does. */
async function loggedApi(level: LogLevel, capture: Capture, db: Db = h.t.db): Promise<string> {
  const app = buildApi({
    db,
    generations: h.generations,
    temporalClient: h.client,
    config: { logLevel: level, rateLimitPerSecond: 10_000, rateLimitBurst: 10_000 },
    logStream: capture,
  });
  app.get('/v1/test/broken/:id', { onRequest: [authenticate(db, authLimitsOf())] }, async () => {
    throw new Error('a bug in a handler');
  });
  return serve(app);
}

beforeAll(async () => {
  h = await startApiHarness();
  [org, broke] = await Promise.all([h.newOrg({ tier: 'pro' }), h.newOrg({ tier: 'free' })]);
  downDb = createDb(`postgres://postgres@127.0.0.1:${await freePort()}/down`, { max: 1 });
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await downDb?.destroy();
  if (!h) return;
  expect(await findDrift(h.t.db)).toEqual([]);
  await h.close();
});

describe('the failure line of a request', () => {
  it('carries request id, route pattern, status, org and code for each 4xx, at warn', async () => {
    const capture = new Capture();
    const base = await loggedApi('warn', capture);
    const marker = `model-${randomUUID()}`;

    const unknownFormat = await callApi(base, 'POST', '/v1/generations', {
      key: org.apiKey,
      json: { projectId: org.projectId, format: 'hologram' },
      headers: { 'idempotency-key': randomUUID() },
    });
    expect(unknownFormat.status).toBe(400);
    expect(capture.failureOf(unknownFormat)).toMatchObject({
      level: WARN,
      route: '/v1/generations',
      method: 'POST',
      statusCode: 400,
      orgId: org.orgId,
      code: 'UNKNOWN_FORMAT',
    });

    const missingId = `gen_${randomUUID()}`;
    const notFound = await callApi(base, 'POST', `/v1/generations/${missingId}/complete`, {
      key: org.apiKey,
      json: { actualCredits: 10, model: marker },
    });
    expect(notFound.status).toBe(404);
    const line = capture.failureOf(notFound);
    expect(line).toMatchObject({
      level: WARN,
      route: '/v1/generations/:id/complete',
      statusCode: 404,
      orgId: org.orgId,
      code: 'NOT_FOUND',
    });
    expect(JSON.stringify(line)).not.toContain(missingId);

    // Not thrown but sent as a stored outcome: still logged with its code.
    const exhausted = await callApi(base, 'POST', '/v1/generations', {
      key: broke.apiKey,
      json: { projectId: broke.projectId, format: 'auto' },
      headers: { 'idempotency-key': randomUUID() },
    });
    expect(exhausted.status).toBe(402);
    expect(capture.failureOf(exhausted)).toMatchObject({
      statusCode: 402,
      orgId: broke.orgId,
      code: 'BILLING_EXHAUSTED',
    });

    const anonymous = await callApi(base, 'GET', '/v1/credits', { key: 'lb_live_0000000000000000_nope' });
    expect(capture.failureOf(anonymous)).toMatchObject({
      level: WARN,
      route: '/v1/credits',
      statusCode: 401,
      orgId: null,
      code: 'UNAUTHENTICATED',
    });

    // A success leaves no line at warn.
    const ok = await callApi(base, 'GET', '/v1/credits', { key: org.apiKey });
    expect(ok.status).toBe(200);
    expect(capture.lines.filter((l) => l.reqId === ok.headers.get('x-request-id'))).toEqual([]);

    const all = capture.raw.join('\n');
    expect(all).not.toContain(org.apiKey);
    expect(all).not.toContain(org.apiKey.split('_').at(-1));
    expect(all).not.toContain(marker);
  });

  it('carries the error and its stack for a 500, at error', async () => {
    const capture = new Capture();
    const base = await loggedApi('warn', capture);
    const res = await callApi(base, 'GET', '/v1/test/broken/123', { key: org.apiKey });
    expect(res.status).toBe(500);
    expect(res.body.error.code).toBe('INTERNAL_ERROR');
    const line = capture.failureOf(res);
    expect(line).toMatchObject({
      level: ERROR,
      route: '/v1/test/broken/:id',
      statusCode: 500,
      orgId: org.orgId,
      code: 'INTERNAL_ERROR',
      err: { message: 'a bug in a handler' },
    });
    expect(line.err?.stack).toContain('logging.test.ts');
    expect(capture.raw.join('\n')).not.toContain(org.apiKey);
  });

  it('carries the database error of a 503 DATABASE_UNAVAILABLE, at error', async () => {
    const capture = new Capture();
    const base = await loggedApi('warn', capture, downDb);
    const res = await callApi(base, 'GET', '/v1/credits', { key: org.apiKey });
    expect(res.status).toBe(503);
    const line = capture.failureOf(res);
    expect(line).toMatchObject({
      level: ERROR,
      route: '/v1/credits',
      statusCode: 503,
      code: 'DATABASE_UNAVAILABLE',
      err: { code: 'ECONNREFUSED' },
    });
    expect(line.err?.stack).toEqual(expect.any(String));
    expect(capture.raw.join('\n')).not.toContain(org.apiKey);
  });

  it('adds a line per request at info (dev), still without secrets or bodies', async () => {
    const capture = new Capture();
    const base = await loggedApi('info', capture);
    const marker = `project-${randomUUID()}`;
    const ok = await callApi(base, 'GET', '/v1/credits', { key: org.apiKey });
    const refused = await callApi(base, 'POST', '/v1/generations', {
      key: org.apiKey,
      json: { projectId: marker, format: 'auto' },
      headers: { 'idempotency-key': randomUUID() },
    });
    expect(refused.status).toBe(404);
    const okLines = capture.lines.filter((l) => l.reqId === ok.headers.get('x-request-id'));
    expect(okLines.map((l) => l.msg)).toEqual(['incoming request', 'request completed']);
    const all = capture.raw.join('\n');
    expect(all).not.toContain(org.apiKey);
    expect(all).not.toContain(marker);
  });
});

describe('LOG_LEVEL', () => {
  it('defaults to warn in production and info in dev, and accepts any pino level', () => {
    expect(DEFAULT_LOG_LEVEL).toBe('warn');
    expect(loadConfig({}).logLevel).toBe('warn');
    expect(loadConfig({}, { logLevel: DEV_LOG_LEVEL }).logLevel).toBe('info');
    expect(loadConfig({ LOG_LEVEL: 'DEBUG' }, { logLevel: DEV_LOG_LEVEL }).logLevel).toBe('debug');
    expect(loadConfig({ LOG_LEVEL: 'silent' }).logLevel).toBe('silent');
  });

  it('refuses a level that does not exist', () => {
    expect(() => loadConfig({ LOG_LEVEL: 'verbose' })).toThrow(/LOG_LEVEL must be one of/);
  });
});
