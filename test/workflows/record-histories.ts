import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { fileURLToPath } from 'node:url';
import { migrateToLatest } from '../../src/db/migrate';
import { createDb, type Db } from '../../src/db/pool';
import { createGenerationClient, type GenerationClient } from '../../src/generations/client';
import { generationWorkflowId } from '../../src/generations/ids';
import { newId } from '../../src/ids';
import { createBillingWorker } from '../../src/temporal/worker';
import { makeOrg } from '../support/fixtures';
import { databaseUrl, withAdmin } from '../support/postgres';
import { createTimeSkippingEnv } from '../support/temporal';

/** One recorded history per way a generation ends; replay.test.ts replays them all. */
export const SCENARIOS = [
  'completed',
  'failed',
  'expired',
  'rejected',
  'deadline-passed',
  'refused-completion',
] as const;
export type Scenario = (typeof SCENARIOS)[number];

/**
 * Histories live in one folder per version of the workflow code that recorded them
 * (test/fixtures/histories/generation/<version>/<scenario>.json). Name a new version here whenever a
 * change alters the commands the workflow issues (it must be guarded with patched()), then record.
 */
export const CURRENT_VERSION = 'v3-local-ledger';
export const HISTORIES = fileURLToPath(new URL('../fixtures/histories/generation/', import.meta.url));
export const fixture = (s: Scenario, version = CURRENT_VERSION): string => `${HISTORIES}${version}/${s}.json`;

/**
 * `npm run record:histories`: records the scenarios the current version has no history of yet. A
 * recorded history is frozen: it stands for workflows of that code still running in production, so a
 * version's folder is deleted only once no run of that code can be alive.
 */
async function record(): Promise<void> {
  const name = `layers_record_${randomBytes(4).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE ${name}`));
  const db = createDb(databaseUrl(name));
  const env = await createTimeSkippingEnv();
  try {
    await migrateToLatest(db);
    const taskQueue = 'record-histories';
    const client = createGenerationClient(env.client, { taskQueue, holdTimeoutMs: 60 * 60 * 1000 });
    const worker = await createBillingWorker({
      connection: env.nativeConnection,
      namespace: 'default',
      taskQueue,
      db,
    });
    const todo = SCENARIOS.filter((s) => !existsSync(fixture(s)));
    mkdirSync(`${HISTORIES}${CURRENT_VERSION}`, { recursive: true });
    // Started before any worker polls, with a deadline that has passed by the time one does.
    const late = todo.includes('deadline-passed') ? await startWithoutWorker(db, env, taskQueue) : undefined;
    await worker.runUntil(async () => {
      for (const scenario of todo) {
        const { orgId, generationId } =
          scenario === 'deadline-passed' ? late! : await startOne(db, client, scenario);
        if (scenario === 'completed')
          await client.complete(orgId, generationId, { actualCredits: 80, model: 'veo-3' });
        if (scenario === 'failed') await client.fail(orgId, generationId, 'provider error');
        if (scenario === 'refused-completion')
          await client
            .complete(orgId, generationId, { actualCredits: 80, model: 'veo\u0000-3' })
            .catch(() => {});
        const handle = env.client.workflow.getHandle(generationWorkflowId(orgId, generationId));
        await handle.result();
        writeFileSync(fixture(scenario), JSON.stringify(await handle.fetchHistory(), null, 1));
        console.log(`recorded ${fixture(scenario)}`);
      }
    });
  } finally {
    await env.teardown();
    await db.destroy();
    await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  }
}

async function startOne(db: Db, client: GenerationClient, scenario: Scenario) {
  const { orgId, projectId } = await makeOrg(db, { prepaid: scenario === 'rejected' ? 10 : 500 });
  const generationId = newId('gen');
  await client.start({ orgId, projectId, generationId, format: 'video_remix' });
  return { orgId, generationId };
}

async function startWithoutWorker(db: Db, env: TestWorkflowEnvironment, taskQueue: string) {
  const { orgId, projectId } = await makeOrg(db, { prepaid: 500 });
  const generationId = newId('gen');
  const impatient = createGenerationClient(env.client, {
    taskQueue,
    holdTimeoutMs: 60 * 60 * 1000,
    engineTimeoutMs: 500,
  });
  await impatient.start({ orgId, projectId, generationId, format: 'video_remix' }).catch(() => {});
  return { orgId, generationId };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await record();
