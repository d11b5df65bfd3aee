/**
 * The closed-loop clients of bench:generations, in a process of their own (forked by
 * generations.bench.ts): the options arrive by IPC and the latencies go back the same way. Out of the
 * process that runs the workers and the API, the clients take none of their event loop, as a real
 * pipeline would not; they still share the machine's cores.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection, WithStartWorkflowOperation } from '@temporalio/client';
import { DEFAULT_ENGINE_TIMEOUT_MS, reservationWindowMs } from '../../src/generations/deadline';
import { generationWorkflowId } from '../../src/generations/ids';
import type { generationLifecycle } from '../../workflows/generations';
import {
  completeUpdate as completeGenerationUpdate,
  reserveUpdate,
} from '../../workflows/generations.messages';
import { completeUpdate, startUpdate } from './floor-workflows';

export type LoadTarget =
  | { kind: 'floor'; temporalAddress: string; taskQueue: string; workflowType: string }
  | {
      kind: 'workflow';
      temporalAddress: string;
      taskQueue: string;
      orgId: string;
      projectId: string;
      holdTimeoutMs: number;
    }
  | { kind: 'engine'; baseUrl: string; apiKey: string; projectId: string };

export interface LoadOptions {
  target: LoadTarget;
  clients: number;
  seconds: number;
  warmup: number;
}

export interface LoadResult {
  starts: number[];
  completes: number[];
  errors: number;
  elapsedSeconds: number;
  /** The workflow id of the last lifecycle, for its history. */
  lastId?: string;
  /** CPU this process spent in the measured window (after the warm-up). */
  cpuMs: number;
}

/** Sent once the warm-up is over, so that the parent starts its CPU readings with the measured window. */
export interface WindowBegan {
  began: true;
}

type Lifecycle = () => Promise<{ startMs: number; completeMs: number; id: string }>;

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const r = await fn();
  return [performance.now() - t0, r];
}

async function post(url: string, headers: Record<string, string>, body: unknown) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (res.status >= 300) throw new Error(`${url}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function lifecycleOf(target: LoadTarget): Promise<Lifecycle> {
  if (target.kind === 'engine') {
    const auth = { authorization: `Bearer ${target.apiKey}` };
    return async () => {
      const [startMs, created] = await timed(() =>
        post(
          `${target.baseUrl}/v1/generations`,
          { ...auth, 'idempotency-key': randomUUID() },
          { projectId: target.projectId, format: 'slideshow_builder' },
        ),
      );
      const id = created.generationId as string;
      const [completeMs] = await timed(() =>
        post(`${target.baseUrl}/v1/generations/${id}/complete`, auth, { actualCredits: 40 }),
      );
      return { startMs, completeMs, id };
    };
  }
  const client = new Client({ connection: await Connection.connect({ address: target.temporalAddress }) });
  if (target.kind === 'workflow') {
    // What the API's generation client sends (src/generations/client.ts), sent by the clients themselves.
    return async () => {
      const generationId = `gen_${randomUUID()}`;
      const startWorkflowOperation = new WithStartWorkflowOperation<typeof generationLifecycle>(
        'generationLifecycle',
        {
          workflowId: generationWorkflowId(target.orgId, generationId),
          taskQueue: target.taskQueue,
          args: [
            {
              orgId: target.orgId,
              projectId: target.projectId,
              generationId,
              format: 'slideshow_builder',
              holdTimeoutMs: target.holdTimeoutMs,
              reserveWithinMs: reservationWindowMs(DEFAULT_ENGINE_TIMEOUT_MS),
            },
          ],
          workflowIdConflictPolicy: 'FAIL',
        },
      );
      const [startMs] = await timed(() =>
        client.workflow.executeUpdateWithStart(reserveUpdate, { startWorkflowOperation }),
      );
      const handle = await startWorkflowOperation.workflowHandle();
      const [completeMs] = await timed(() =>
        handle.executeUpdate(completeGenerationUpdate, { args: [{ actualCredits: 40, model: null }] }),
      );
      return { startMs, completeMs, id: generationId };
    };
  }
  return async () => {
    const workflowId = `floor-${randomUUID()}`;
    const startWorkflowOperation = new WithStartWorkflowOperation(target.workflowType, {
      workflowId,
      taskQueue: target.taskQueue,
      workflowIdConflictPolicy: 'FAIL',
    });
    const [startMs] = await timed(() =>
      client.workflow.executeUpdateWithStart(startUpdate, { startWorkflowOperation }),
    );
    const handle = await startWorkflowOperation.workflowHandle();
    const [completeMs] = await timed(() => handle.executeUpdate(completeUpdate, { args: [1] }));
    return { startMs, completeMs, id: workflowId };
  };
}

async function run(options: LoadOptions): Promise<LoadResult> {
  const lifecycle = await lifecycleOf(options.target);
  // Warm-up: JIT, pools, the sandbox's first workflow tasks.
  for (let i = 0; i < options.warmup; i++) await lifecycle();
  await new Promise<void>((resolve) => process.send!({ began: true } satisfies WindowBegan, () => resolve()));
  const result: LoadResult = { starts: [], completes: [], errors: 0, elapsedSeconds: 0, cpuMs: 0 };
  const cpu = process.cpuUsage();
  const began = Date.now();
  const until = began + options.seconds * 1000;
  await Promise.all(
    Array.from({ length: options.clients }, async () => {
      while (Date.now() < until) {
        try {
          const r = await lifecycle();
          result.starts.push(r.startMs);
          result.completes.push(r.completeMs);
          result.lastId = r.id;
        } catch {
          result.errors++;
        }
      }
    }),
  );
  result.elapsedSeconds = (Date.now() - began) / 1000;
  const { user, system } = process.cpuUsage(cpu);
  result.cpuMs = Math.round((user + system) / 1000);
  return result;
}

process.once('message', (options: LoadOptions) => {
  run(options).then(
    (result) => process.send!(result, () => process.exit(0)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
});
