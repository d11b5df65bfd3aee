import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getCreditsSnapshot } from '../../src/credits/ledger';
import { findDrift } from '../../src/credits/reconcile';
import { DomainError } from '../../src/errors';
import { createGenerationClient } from '../../src/generations/client';
import { generationWorkflowId } from '../../src/generations/ids';
import { newId } from '../../src/ids';
import { createBillingWorker } from '../../src/temporal/worker';
import type { GenerationState } from '../../workflows/generations.messages';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { fingerprint, makeOrg } from '../support/fixtures';
import { createTimeSkippingEnv } from '../support/temporal';

/**
 * What the generation workflow does when its caller, its input or the database misbehaves: no hold is
 * made for a caller who gave up, no input can keep a hold from ending, and no implausible cost is billed.
 */
const HOLD_MS = 60 * 60 * 1000;
let t: TestDatabase;
let env: TestWorkflowEnvironment;

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

function setup(engineTimeoutMs?: number) {
  const taskQueue = `hardening-${randomUUID()}`;
  const generations = createGenerationClient(env.client, {
    taskQueue,
    holdTimeoutMs: HOLD_MS,
    engineTimeoutMs,
  });
  const withWorker = async <T>(fn: () => Promise<T>): Promise<T> => {
    const worker = await createBillingWorker({
      connection: env.nativeConnection,
      namespace: 'default',
      taskQueue,
      db: t.db,
    });
    return worker.runUntil(fn);
  };
  return { generations, withWorker };
}

const stateOf = (orgId: string, generationId: string): Promise<GenerationState> =>
  env.client.workflow.getHandle(generationWorkflowId(orgId, generationId)).result();

async function errorOf(p: Promise<unknown>): Promise<DomainError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof DomainError)) throw new Error(`expected a DomainError, got ${String(err)}`);
  return err;
}

describe('the caller’s deadline', () => {
  it('answers ENGINE_UNAVAILABLE in bounded time with no worker, and never reserves afterwards', async () => {
    const { generations, withWorker } = setup(1500);
    const { orgId, projectId } = await makeOrg(t.db, { prepaid: 500 });
    const generationId = newId('gen');
    const before = await fingerprint(t.db);

    const startedAt = Date.now();
    const err = await errorOf(generations.start({ orgId, projectId, generationId, format: 'auto' }));
    const waited = Date.now() - startedAt;
    expect(err.code).toBe('ENGINE_UNAVAILABLE');
    expect(err.details).toMatchObject({ reason: 'timeout' });
    expect(waited).toBeGreaterThanOrEqual(1400);
    expect(waited).toBeLessThan(6000);

    // A worker arrives after the caller gave up: the generation ends rejected and the ledger is untouched.
    const final = await withWorker(() => stateOf(orgId, generationId));
    expect(final).toMatchObject({ phase: 'rejected', rejectionReason: 'deadline_passed' });
    expect(final.reservation).toBeUndefined();
    expect(await fingerprint(t.db)).toEqual(before);

    // The same generation asked for again is told its id is spent, not handed a stale hold.
    const again = await errorOf(
      withWorker(() => generations.start({ orgId, projectId, generationId, format: 'auto' })),
    );
    expect(again.code).toBe('ENGINE_UNAVAILABLE');
    expect(again.details).toMatchObject({ reason: 'deadline_passed' });
    // Nothing was reserved, so there is nothing to complete or fail.
    const ending = await errorOf(generations.complete(orgId, generationId, { actualCredits: 1 }));
    expect(ending.code).toBe('NOT_FOUND');
    expect((await errorOf(generations.fail(orgId, generationId, 'x'))).code).toBe('NOT_FOUND');
    expect(await fingerprint(t.db)).toEqual(before);
  });

  it('reserves as usual when a worker reaches the generation within the deadline', async () => {
    // Long enough for a cold worker to load the workflow bundle into its first sandbox.
    const { generations, withWorker } = setup(8000);
    const { orgId, projectId } = await makeOrg(t.db, { prepaid: 500 });
    const generationId = newId('gen');
    await withWorker(async () => {
      const r = await generations.start({ orgId, projectId, generationId, format: 'auto' });
      expect(r).toMatchObject({ status: 'reserved', reservedCredits: 120, maxActualCredits: 1200 });
      await generations.fail(orgId, generationId, 'done with the test');
    });
  });
});

describe('input the database refuses', () => {
  it('ends the hold when the ledger will not store a completion, and records why', async () => {
    const { generations, withWorker } = setup();
    const { orgId, projectId } = await makeOrg(t.db, { prepaid: 500 });
    const generationId = newId('gen');
    await withWorker(async () => {
      await generations.start({ orgId, projectId, generationId, format: 'video_remix' });
      // PostgreSQL refuses NUL in text; retrying it forever used to keep these credits held.
      const err = await errorOf(
        generations.complete(orgId, generationId, { actualCredits: 10, model: 'gpt\u0000x' }),
      );
      expect(err.code).toBe('VALIDATION_FAILED');
      expect(await stateOf(orgId, generationId)).toMatchObject({
        phase: 'failed',
        release: { status: 'released', releasedCredits: 120 },
      });
    });
    expect(await getCreditsSnapshot(t.db, orgId)).toMatchObject({ balance: 500, reservedCredits: 0 });
    const gen = await t.db
      .selectFrom('generations')
      .select(['status', 'failure_reason'])
      .where('id', '=', generationId)
      .executeTakeFirstOrThrow();
    expect(gen).toEqual({ status: 'failed', failure_reason: 'completion refused by the ledger: 22021' });
  });

  it('ends the hold when the ledger will not store a failure reason', async () => {
    const { generations, withWorker } = setup();
    const { orgId, projectId } = await makeOrg(t.db, { prepaid: 500 });
    const generationId = newId('gen');
    await withWorker(async () => {
      await generations.start({ orgId, projectId, generationId, format: 'auto' });
      const r = await generations.fail(orgId, generationId, 'provider\u0000down');
      expect(r).toMatchObject({ status: 'released', releasedCredits: 120 });
    });
    const gen = await t.db
      .selectFrom('generations')
      .select(['status', 'failure_reason'])
      .where('id', '=', generationId)
      .executeTakeFirstOrThrow();
    expect(gen).toEqual({ status: 'failed', failure_reason: 'reason refused by the ledger: 22021' });
    expect(await getCreditsSnapshot(t.db, orgId)).toMatchObject({ reservedCredits: 0 });
  });
});

describe('implausible costs', () => {
  it('refuses a cost above the format ceiling and keeps the hold for a valid ending', async () => {
    const { generations, withWorker } = setup();
    const { orgId, projectId } = await makeOrg(t.db, { tier: 'pro' });
    const generationId = newId('gen');
    await withWorker(async () => {
      await generations.start({ orgId, projectId, generationId, format: 'video_remix' });
      const before = await fingerprint(t.db);
      for (const actualCredits of [1201, 1_000_000_000]) {
        const err = await errorOf(generations.complete(orgId, generationId, { actualCredits }));
        expect(err.code).toBe('ACTUAL_COST_IMPLAUSIBLE');
        expect(err.details).toMatchObject({ actualCredits, maxActualCredits: 1200, format: 'video_remix' });
      }
      expect(await fingerprint(t.db)).toEqual(before);
      // Exactly at the ceiling is plausible: charged in full, above the estimate, overage recorded.
      const c = await generations.complete(orgId, generationId, { actualCredits: 1200 });
      expect(c.charge).toMatchObject({ hold: 120, actual: 1200, fromIncluded: 1000, overage: 200 });
    });
  });
});
