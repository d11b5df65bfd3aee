import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runIdempotent } from '../../src/api/idempotency';
import { buildApi } from '../../src/api/server';
import { createApiKey } from '../../src/auth/api-keys';
import { findDrift } from '../../src/credits/reconcile';
import { DomainError } from '../../src/errors';
import { createGenerationClient } from '../../src/generations/client';
import { deadlinePassed, isDeadlinePassed } from '../../src/generations/deadline';
import { generationWorkflowId } from '../../src/generations/ids';
import { newId } from '../../src/ids';
import { createBillingWorker } from '../../src/temporal/worker';
import { callApi } from '../support/api';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { makeOrg } from '../support/fixtures';
import { createTimeSkippingEnv } from '../support/temporal';

/**
 * The API while no worker serves generations: it answers 503 ENGINE_UNAVAILABLE within its bound
 * instead of hanging, reserves nothing for the caller who gave up, and a retry with the same
 * Idempotency-Key gets a fresh, correct answer once a worker is back.
 */
const ENGINE_TIMEOUT_MS = 1500;
let t: TestDatabase;
let env: TestWorkflowEnvironment;
let app: FastifyInstance;
let baseUrl: string;
let taskQueue: string;

beforeAll(async () => {
  [t, env] = await Promise.all([createTestDatabase({ max: 20 }), createTimeSkippingEnv()]);
  taskQueue = `outage-${randomUUID()}`;
  const generations = createGenerationClient(env.client, {
    taskQueue,
    holdTimeoutMs: 60 * 60 * 1000,
    engineTimeoutMs: ENGINE_TIMEOUT_MS,
  });
  app = buildApi({ db: t.db, generations, config: { rateLimitPerSecond: 1000, rateLimitBurst: 1000 } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await app?.close();
  await env?.teardown();
  await t?.close();
});
afterEach(async () => {
  expect(await findDrift(t.db)).toEqual([]);
});

async function newOrg() {
  const org = await makeOrg(t.db, { prepaid: 500 });
  return { ...org, apiKey: (await createApiKey(t.db, org.orgId)).apiKey };
}

const startWorker = async (): Promise<{ worker: Worker; running: Promise<void> }> => {
  // No workflow cache: a stopped worker's sticky queue is never timed out by the test server.
  const worker = await createBillingWorker({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue,
    db: t.db,
    tuning: { maxCachedWorkflows: 0 },
  });
  return { worker, running: worker.run() };
};

const claimedId = async (orgId: string, key: string) =>
  (
    await t.db
      .selectFrom('idempotency_keys')
      .select(['generation_id', 'status'])
      .where('org_id', '=', orgId)
      .where('key', '=', key)
      .executeTakeFirstOrThrow()
  ).generation_id;

/** The org's generation ledger rows (its prepaid grant aside). */
const ledgerRows = (orgId: string) =>
  t.db
    .selectFrom('credit_ledger')
    .select(['entry_type', 'generation_id'])
    .where('org_id', '=', orgId)
    .where('generation_id', 'is not', null)
    .execute();

describe('POST /v1/generations without a worker', () => {
  it('answers 503 ENGINE_UNAVAILABLE in bounded time; the retry after the worker is back reserves once', async () => {
    const org = await newOrg();
    const key = randomUUID();
    const create = () =>
      callApi(baseUrl, 'POST', '/v1/generations', {
        key: org.apiKey,
        json: { projectId: org.projectId, format: 'auto' },
        headers: { 'idempotency-key': key },
      });

    const startedAt = Date.now();
    const first = await create();
    expect(Date.now() - startedAt).toBeLessThan(ENGINE_TIMEOUT_MS + 3000);
    expect(first.status).toBe(503);
    expect(first.body.error).toMatchObject({ code: 'ENGINE_UNAVAILABLE', details: { reason: 'timeout' } });
    expect(Number(first.headers.get('retry-after'))).toBeGreaterThan(0);
    const spentId = await claimedId(org.orgId, key);

    // Retried while still no worker: the same generation, still no answer, still nothing reserved.
    expect((await create()).status).toBe(503);
    expect(await claimedId(org.orgId, key)).toBe(spentId);
    expect(await ledgerRows(org.orgId)).toEqual([]);

    // A worker arrives long after the caller gave up: the first generation reserves nothing.
    const { worker, running } = await startWorker();
    try {
      const late = await env.client.workflow.getHandle(generationWorkflowId(org.orgId, spentId)).result();
      expect(late).toMatchObject({ phase: 'rejected', rejectionReason: 'deadline_passed' });
      expect(await ledgerRows(org.orgId)).toEqual([]);

      // The retry gets a fresh generation and a real answer; a further retry replays it.
      const retry = await create();
      expect(retry.status).toBe(201);
      expect(retry.body.generationId).not.toBe(spentId);
      expect(retry.body.credits).toMatchObject({ reservedCredits: 120, available: 380 });
      const replay = await create();
      expect(replay.status).toBe(201);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(replay.body.generationId).toBe(retry.body.generationId);
      expect(await ledgerRows(org.orgId)).toEqual([
        { entry_type: 'reserve', generation_id: retry.body.generationId },
      ]);
      const done = await callApi(baseUrl, 'POST', `/v1/generations/${retry.body.generationId}/fail`, {
        key: org.apiKey,
        json: { reason: 'test over' },
      });
      expect(done.status).toBe(200);
    } finally {
      worker.shutdown();
      await running;
    }
  });

  it('answers complete with 503 while the worker is stopped, and the same complete succeeds after', async () => {
    const org = await newOrg();
    let { worker, running } = await startWorker();
    const created = await callApi(baseUrl, 'POST', '/v1/generations', {
      key: org.apiKey,
      json: { projectId: org.projectId, format: 'video_remix' },
      headers: { 'idempotency-key': randomUUID() },
    });
    expect(created.status).toBe(201);
    worker.shutdown();
    await running;

    const id = created.body.generationId as string;
    const complete = () =>
      callApi(baseUrl, 'POST', `/v1/generations/${id}/complete`, {
        key: org.apiKey,
        json: { actualCredits: 90 },
      });
    const stopped = await complete();
    expect(stopped.status).toBe(503);
    expect(stopped.body.error.code).toBe('ENGINE_UNAVAILABLE');

    ({ worker, running } = await startWorker());
    try {
      const after = await complete();
      expect(after.status).toBe(200);
      expect(after.body.charge).toMatchObject({ actual: 90, released: 30 });
    } finally {
      worker.shutdown();
      await running;
    }
  });
});

describe('the idempotency claim through an outage', () => {
  const scope = async () => ({ orgId: (await makeOrg(t.db)).orgId, key: randomUUID(), requestHash: 'h' });
  const ok = { status: 201, body: { ok: true } };

  it('keeps the claim on a 503, so the retry works on the same generation id', async () => {
    const s = await scope();
    const seen: string[] = [];
    const outage = new DomainError('ENGINE_UNAVAILABLE', 'no answer');
    await expect(
      runIdempotent(
        t.db,
        s,
        () => newId('gen'),
        async (id) => {
          seen.push(id);
          throw outage;
        },
      ),
    ).rejects.toBe(outage);
    const r = await runIdempotent(
      t.db,
      s,
      () => newId('gen'),
      async (id) => {
        seen.push(id);
        return ok;
      },
    );
    expect(r).toMatchObject({ ...ok, replayed: false });
    expect(seen[1]).toBe(seen[0]);
  });

  it('releases the claim on a refusal, so the key can be used again', async () => {
    const s = await scope();
    const refusal = new DomainError('NOT_FOUND', 'no such project');
    await expect(
      runIdempotent(
        t.db,
        s,
        () => newId('gen'),
        () => Promise.reject(refusal),
      ),
    ).rejects.toBe(refusal);
    const rows = await t.db.selectFrom('idempotency_keys').selectAll().where('key', '=', s.key).execute();
    expect(rows).toEqual([]);
  });

  it('moves a spent claim to a fresh id once and answers from the fresh one', async () => {
    const s = await scope();
    const seen: string[] = [];
    const r = await runIdempotent(
      t.db,
      s,
      () => newId('gen'),
      async (id) => {
        seen.push(id);
        if (seen.length === 1) throw deadlinePassed(id);
        return ok;
      },
      isDeadlinePassed,
    );
    expect(r).toMatchObject({ ...ok, replayed: false });
    expect(seen).toHaveLength(2);
    expect(seen[1]).not.toBe(seen[0]);
    expect(await claimedId(s.orgId, s.key)).toBe(seen[1]);
  });

  it('does not loop when the fresh id is spent too', async () => {
    const s = await scope();
    let calls = 0;
    const work = async (id: string) => {
      calls++;
      throw deadlinePassed(id);
    };
    await expect(runIdempotent(t.db, s, () => newId('gen'), work, isDeadlinePassed)).rejects.toMatchObject({
      code: 'ENGINE_UNAVAILABLE',
    });
    expect(calls).toBe(2);
  });
});
