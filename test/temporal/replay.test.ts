import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { describe, expect, it } from 'vitest';
import { HISTORIES, WORKFLOW_HISTORIES, fixture, type WorkflowName } from '../../scripts/record-histories';
import { WORKFLOWS_PATH } from '../../src/temporal/worker';

/**
 * Histories recorded from earlier versions of every workflow (`npm run record:histories`), replayed
 * against today's code: a change that would break workflows already running in production fails here.
 */
// Decoded by the proto package's own message class: the SDK's historyFromJSON/historyToJSON trip over
// the separate protobufjs copies npm installs for @temporalio/common and @temporalio/proto.
const load = (path: string) =>
  temporal.api.history.v1.History.fromObject(JSON.parse(readFileSync(path, 'utf8')));

const WORKFLOWS = Object.keys(WORKFLOW_HISTORIES) as WorkflowName[];

/** Every recorded history, as `<workflow>/<version>/<scenario>.json` and its path. */
const recorded = readdirSync(HISTORIES).flatMap((workflow) =>
  readdirSync(`${HISTORIES}${workflow}`).flatMap((version) =>
    readdirSync(`${HISTORIES}${workflow}/${version}`).map((file) => [
      `${workflow}/${version}/${file}`,
      `${HISTORIES}${workflow}/${version}/${file}`,
    ]),
  ),
);

describe('workflow replay', () => {
  it('has histories only of the workflows the recorder knows', () => {
    expect(readdirSync(HISTORIES).sort()).toEqual([...WORKFLOWS].sort());
  });

  it.each(WORKFLOWS)('has a history of every scenario recorded by the current %s version', (workflow) => {
    const { currentVersion, scenarios } = WORKFLOW_HISTORIES[workflow];
    const prefix = `${workflow}/${currentVersion}/`;
    const current = recorded.filter(([name]) => name!.startsWith(prefix)).map(([name]) => name);
    expect(current.sort()).toEqual(scenarios.map((s) => `${prefix}${s}.json`).sort());
  });

  it.each(recorded)('replays the recorded history %s deterministically', async (_name, path) => {
    await Worker.runReplayHistory({ workflowsPath: WORKFLOWS_PATH }, load(path!));
  });

  it('fails when the workflow changes non-deterministically', async () => {
    const reordered = fileURLToPath(new URL('./reordered-generation.ts', import.meta.url));
    const history = fixture('generations', 'completed', 'v1-activities');
    expect(existsSync(history)).toBe(true);
    await expect(Worker.runReplayHistory({ workflowsPath: reordered }, load(history))).rejects.toBeInstanceOf(
      DeterminismViolationError,
    );
  });
});
