import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { describe, expect, it } from 'vitest';
import { WORKFLOWS_PATH } from '../../src/temporal/worker';
import { CURRENT_VERSION, HISTORIES, SCENARIOS, fixture } from './record-histories';

/**
 * Histories recorded from earlier versions of the generation workflow (`npm run record:histories`),
 * replayed against today's code: a change that would break workflows already running in production
 * fails here.
 */
// Decoded by the proto package's own message class: the SDK's historyFromJSON/historyToJSON trip over
// the separate protobufjs copies npm installs for @temporalio/common and @temporalio/proto.
const load = (path: string) =>
  temporal.api.history.v1.History.fromObject(JSON.parse(readFileSync(path, 'utf8')));

const recorded = readdirSync(HISTORIES).flatMap((version) =>
  readdirSync(`${HISTORIES}${version}`).map((file) => [
    `${version}/${file}`,
    `${HISTORIES}${version}/${file}`,
  ]),
);

describe('generation workflow replay', () => {
  it('has a history of every scenario recorded by the current version', () => {
    const current = recorded.filter(([name]) => name!.startsWith(`${CURRENT_VERSION}/`)).map(([n]) => n);
    expect(current.sort()).toEqual(SCENARIOS.map((s) => `${CURRENT_VERSION}/${s}.json`).sort());
  });

  it.each(recorded)('replays the recorded history %s deterministically', async (_name, path) => {
    await Worker.runReplayHistory({ workflowsPath: WORKFLOWS_PATH }, load(path!));
  });

  it('fails when the workflow changes non-deterministically', async () => {
    const reordered = fileURLToPath(new URL('./fixtures/reordered-generation.ts', import.meta.url));
    await expect(
      Worker.runReplayHistory({ workflowsPath: reordered }, load(fixture('completed', 'v1-activities'))),
    ).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
