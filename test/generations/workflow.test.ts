import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getCreditsSnapshot } from '../../src/credits/ledger';
import { findDrift } from '../../src/credits/reconcile';
import { DomainError } from '../../src/errors';
import { createGenerationClient, type GenerationClient } from '../../src/generations/client';
import { generationWorkflowId } from '../../src/generations/ids';
import { newId } from '../../src/ids';
import { createBillingWorker } from '../../src/temporal/worker';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { fingerprint, makeOrg } from '../support/fixtures';
import { createTimeSkippingEnv } from '../support/temporal';

const HOLD_MS = 60 * 60 * 1000;
let t: TestDatabase;
let env: TestWorkflowEnvironment;
let generations: GenerationClient;
let taskQueue: string;

beforeAll(async () => {
  [t, env] = await Promise.all([createTestDatabase(), createTimeSkippingEnv()]);
});
afterAll(async () => {
  await env?.teardown();
  await t?.close();
});
afterEach(async () => {
  expect(await findDrift(t.db)).toEqual([]);
});

/** Each test gets its own task queue, so a worker of one test never picks up another's tasks. */
function freshQueue() {
  taskQueue = `billing-${newId('gen')}`;
  generations = createGenerationClient(env.client, { taskQueue, holdTimeoutMs: HOLD_MS });
}

async function withWorker<T>(fn: () => Promise<T>, tuning?: { maxCachedWorkflows: number }): Promise<T> {
  const worker = await createBillingWorker({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue,
    db: t.db,
    tuning,
  });
  return worker.runUntil(fn);
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(
    () => undefined,
    (e: unknown) => (e instanceof DomainError ? e.code : `not a DomainError: ${String(e)}`),
  );
}

const handleOf = (orgId: string, generationId: string) =>
  env.client.workflow.getHandle(generationWorkflowId(orgId, generationId));

describe('generation workflow', () => {
  it('reserves synchronously, charges the actual cost and releases the rest', async () => {
    freshQueue();
    const { orgId, projectId } = await makeOrg(t.db, { tier: 'pro' });
    const generationId = newId('gen');
    await withWorker(async () => {
      const r = await generations.start({ orgId, projectId, generationId, format: 'video_remix' });
      expect(r).toMatchObject({
        status: 'reserved',
        reservedCredits: 120,
        credits: { reservedCredits: 120, available: 880 },
      });
      const c = await generations.complete(orgId, generationId, { actualCredits: 90, model: 'kling-2' });
      expect(c.charge).toMatchObject({ actual: 90, fromIncluded: 90, released: 30 });
      const final = await handleOf(orgId, generationId).result();
      expect(final.phase).toBe('completed');
    });
    expect(await getCreditsSnapshot(t.db, orgId)).toMatchObject({
      balance: 910,
      reservedCredits: 0,
      usedThisPeriod: 90,
    });
  });

  it('answers BILLING_EXHAUSTED synchronously and writes nothing', async () => {
    freshQueue();
    const { orgId, projectId } = await makeOrg(t.db, { prepaid: 100 });
    const before = await fingerprint(t.db);
    await withWorker(async () => {
      const r = await generations.start({ orgId, projectId, generationId: newId('gen'), format: 'auto' });
      expect(r).toMatchObject({
        status: 'rejected',
        code: 'BILLING_EXHAUSTED',
        required: 120,
        available: 100,
      });
    });
    expect(await fingerprint(t.db)).toEqual(before);
  });

  it('releases the hold when the timeout fires, by skipping time rather than waiting', async () => {
    freshQueue();
    const { orgId, projectId } = await makeOrg(t.db, { prepaid: 500 });
    const generationId = newId('gen');
    const startedAt = Date.now();
    await withWorker(async () => {
      await generations.start({ orgId, projectId, generationId, format: 'auto' });
      const final = await handleOf(orgId, generationId).result();
      expect(final).toMatchObject({ phase: 'expired', release: { status: 'expired', releasedCredits: 120 } });
      expect(await codeOf(generations.complete(orgId, generationId, { actualCredits: 10 }))).toBe(
        'GENERATION_ALREADY_ENDED',
      );
    });
    expect(Date.now() - startedAt).toBeLessThan(HOLD_MS / 60);
    expect(await getCreditsSnapshot(t.db, orgId)).toMatchObject({
      balance: 500,
      available: 500,
      reservedCredits: 0,
    });
    const gen = await t.db
      .selectFrom('generations')
      .selectAll()
      .where('id', '=', generationId)
      .executeTakeFirstOrThrow();
    expect(gen.status).toBe('expired');
  });

  it('releases everything when the generation fails', async () => {
    freshQueue();
    const { orgId, projectId } = await makeOrg(t.db, { prepaid: 500 });
    const generationId = newId('gen');
    await withWorker(async () => {
      await generations.start({ orgId, projectId, generationId, format: 'video_remix' });
      const r = await generations.fail(orgId, generationId, 'provider timeout');
      expect(r).toMatchObject({ status: 'released', releasedCredits: 120, credits: { available: 500 } });
      expect(await codeOf(generations.complete(orgId, generationId, { actualCredits: 10 }))).toBe(
        'GENERATION_ALREADY_ENDED',
      );
      // The same failure reported again (a retry whose answer was lost) gets the same answer.
      expect(await generations.fail(orgId, generationId, 'provider timeout')).toMatchObject({
        releasedCredits: 120,
      });
    });
    const gen = await t.db
      .selectFrom('generations')
      .selectAll()
      .where('id', '=', generationId)
      .executeTakeFirstOrThrow();
    expect(gen).toMatchObject({ status: 'failed', failure_reason: 'provider timeout' });
  });

  it('is idempotent: starting or completing the same generation twice moves credits once', async () => {
    freshQueue();
    const { orgId, projectId } = await makeOrg(t.db, { prepaid: 500 });
    const generationId = newId('gen');
    const input = { orgId, projectId, generationId, format: 'slideshow_builder' };
    await withWorker(async () => {
      const [a, b] = await Promise.all([generations.start(input), generations.start(input)]);
      expect(a).toMatchObject({ status: 'reserved', reservedCredits: 50 });
      expect(b).toMatchObject({ status: 'reserved', reservedCredits: 50 });
      const first = await generations.complete(orgId, generationId, { actualCredits: 40 });
      const again = await generations.complete(orgId, generationId, { actualCredits: 40 });
      expect(again.charge).toEqual(first.charge);
      expect(await codeOf(generations.complete(orgId, generationId, { actualCredits: 41 }))).toBe(
        'GENERATION_ALREADY_ENDED',
      );
      await handleOf(orgId, generationId).result();
      // After the workflow closed, a repeated start returns the original reservation instead of a new one.
      expect(await generations.start(input)).toMatchObject({ status: 'reserved', reservedCredits: 50 });
    });
    expect(await getCreditsSnapshot(t.db, orgId)).toMatchObject({ balance: 460, reservedCredits: 0 });
    const rows = await t.db
      .selectFrom('credit_ledger')
      .select('entry_type')
      .where('generation_id', '=', generationId)
      .execute();
    expect(rows.map((r) => r.entry_type).sort()).toEqual(['capture', 'reserve']);
  });

  it('refuses bad input with a stable code and writes nothing', async () => {
    freshQueue();
    const a = await makeOrg(t.db, { prepaid: 500 });
    const b = await makeOrg(t.db, { prepaid: 500 });
    const generationId = newId('gen');
    await withWorker(async () => {
      await generations.start({ orgId: a.orgId, projectId: a.projectId, generationId, format: 'auto' });
      const before = await fingerprint(t.db);
      const start = (over: Record<string, string>) =>
        codeOf(
          generations.start({
            orgId: a.orgId,
            projectId: a.projectId,
            generationId: newId('gen'),
            format: 'auto',
            ...over,
          }),
        );
      expect(await start({ format: 'hologram' })).toBe('UNKNOWN_FORMAT');
      expect(await start({ projectId: b.projectId })).toBe('NOT_FOUND');
      expect(await start({ projectId: '' })).toBe('VALIDATION_FAILED');
      for (const actualCredits of [-1, 1.5, Number.NaN, 1e15, '7' as unknown as number]) {
        expect(await codeOf(generations.complete(a.orgId, generationId, { actualCredits }))).toBe(
          'VALIDATION_FAILED',
        );
      }
      expect(await codeOf(generations.fail(a.orgId, generationId, ''))).toBe('VALIDATION_FAILED');
      expect(await codeOf(generations.complete(b.orgId, generationId, { actualCredits: 1 }))).toBe(
        'NOT_FOUND',
      );
      expect(await fingerprint(t.db)).toEqual(before);
      // The generation is still running and can end normally after all that.
      expect((await generations.complete(a.orgId, generationId, { actualCredits: 5 })).charge.actual).toBe(5);
    });
  });

  it('finishes the lifecycle with exact balances after its worker is shut down mid-way', async () => {
    freshQueue();
    const { orgId, projectId } = await makeOrg(t.db, { tier: 'plus', prepaid: 200 });
    const generationId = newId('gen');
    // A crashed worker's workflow cache is gone; running this one without a cache also keeps the test
    // server (which never times out a dead worker's sticky queue) from waiting on it forever.
    await withWorker(() => generations.start({ orgId, projectId, generationId, format: 'video_remix' }), {
      maxCachedWorkflows: 0,
    });
    // No worker now: the completion waits in Temporal until a new worker picks the workflow up.
    const completion = generations.complete(orgId, generationId, { actualCredits: 150 });
    const result = await withWorker(() => completion);
    expect(result.charge).toMatchObject({ fromIncluded: 100, fromPrepaid: 50, overage: 0 });
    expect(await getCreditsSnapshot(t.db, orgId)).toMatchObject({
      balance: 150,
      reservedCredits: 0,
      usedThisPeriod: 150,
    });
  });
});
