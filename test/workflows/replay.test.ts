import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { describe, expect, it } from 'vitest';
import { WORKFLOWS_PATH } from '../../src/temporal/worker';
import { SCENARIOS, fixture, type Scenario } from './record-histories';

/**
 * Histories recorded from earlier versions of the generation workflow (`npm run record:histories`),
 * replayed against today's code: a change that would break workflows already running in production
 * fails here.
 */
// Decoded by the proto package's own message class: the SDK's historyFromJSON/historyToJSON trip over
// the separate protobufjs copies npm installs for @temporalio/common and @temporalio/proto.
const load = (s: Scenario) =>
  temporal.api.history.v1.History.fromObject(JSON.parse(readFileSync(fixture(s), 'utf8')));

describe('generation workflow replay', () => {
  it.each(SCENARIOS)('replays the recorded "%s" history deterministically', async (scenario) => {
    expect(existsSync(fixture(scenario))).toBe(true);
    await Worker.runReplayHistory({ workflowsPath: WORKFLOWS_PATH }, load(scenario));
  });

  it('fails when the workflow changes non-deterministically', async () => {
    const reordered = fileURLToPath(new URL('./fixtures/reordered-generation.ts', import.meta.url));
    await expect(
      Worker.runReplayHistory({ workflowsPath: reordered }, load('completed')),
    ).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
