import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { migrateToLatest } from '../../src/db/migrate';
import { createDb } from '../../src/db/pool';
import { createGenerationClient } from '../../src/generations/client';
import { generationWorkflowId } from '../../src/generations/ids';
import { newId } from '../../src/ids';
import { createBillingWorker } from '../../src/temporal/worker';
import { makeOrg } from '../support/fixtures';
import { databaseUrl, withAdmin } from '../support/postgres';
import { createTimeSkippingEnv } from '../support/temporal';

/** One recorded history per way a generation ends; replay.test.ts replays them all. */
export const SCENARIOS = ['completed', 'failed', 'expired', 'rejected'] as const;
export type Scenario = (typeof SCENARIOS)[number];
const DIR = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));
export const fixture = (s: Scenario): string => `${DIR}generation-${s}.json`;

/**
 * `npm run record:histories`: run after an intentional, versioned change to the generation workflow,
 * and commit the new histories next to the old ones' replacements only once no old run can be alive.
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
    await worker.runUntil(async () => {
      for (const scenario of SCENARIOS) {
        const { orgId, projectId } = await makeOrg(db, { prepaid: scenario === 'rejected' ? 10 : 500 });
        const generationId = newId('gen');
        await client.start({ orgId, projectId, generationId, format: 'video_remix' });
        if (scenario === 'completed')
          await client.complete(orgId, generationId, { actualCredits: 80, model: 'veo-3' });
        if (scenario === 'failed') await client.fail(orgId, generationId, 'provider error');
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

if (process.argv[1] === fileURLToPath(import.meta.url)) await record();
