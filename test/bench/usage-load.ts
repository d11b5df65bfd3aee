/**
 * The HTTP side of bench:usage (usage.bench.ts), in a process of its own so that building batches and
 * reading answers takes no CPU from the API's event loop: each client posts its next batch to
 * POST /v1/usage when the last one is answered, for `seconds`. The options arrive by IPC and the
 * latencies go back the same way.
 */
export interface UsageLoadOptions {
  baseUrl: string;
  /** One API key per client (each client is one org's SDK). */
  apiKeys: string[];
  batch: number;
  seconds: number;
  /** Makes this run's idempotency keys its own. */
  label: string;
}

export interface UsageLoadResult {
  latenciesMs: number[];
  events: number;
  elapsedSeconds: number;
  /** Answers other than 201 with every event recorded. */
  failures: number;
  firstFailure?: string;
}

/** A batch's JSON, written by hand: JSON.stringify of a thousand objects costs more than the string. */
export function batchBody(label: string, client: number, seq: number, size: number, at: string): string {
  const metrics = ['sdk_events', 'sdk_events', 'sdk_events', 'workflow_runs'];
  const parts: string[] = [];
  for (let i = 0; i < size; i++) {
    parts.push(
      `{"metric":"${metrics[i % metrics.length]}","quantity":${1 + (i % 5)},"occurredAt":"${at}",` +
        `"idempotencyKey":"${label}-${client}-${seq}-${i}"}`,
    );
  }
  return `{"events":[${parts.join(',')}]}`;
}

async function run(o: UsageLoadOptions): Promise<UsageLoadResult> {
  const latenciesMs: number[] = [];
  let events = 0;
  let failures = 0;
  let firstFailure: string | undefined;
  const started = performance.now();
  const deadline = started + o.seconds * 1000;
  await Promise.all(
    o.apiKeys.map(async (apiKey, client) => {
      const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
      for (let seq = 0; performance.now() < deadline; seq++) {
        const body = batchBody(o.label, client, seq, o.batch, new Date().toISOString());
        const from = performance.now();
        const res = await fetch(`${o.baseUrl}/v1/usage`, { method: 'POST', headers, body });
        const text = await res.text();
        latenciesMs.push(performance.now() - from);
        if (res.status === 201 && text === `{"recorded":${o.batch},"duplicates":0}`) events += o.batch;
        else {
          failures++;
          firstFailure ??= `${res.status} ${text.slice(0, 300)}`;
        }
      }
    }),
  );
  // The loops stop at the deadline but finish the batch in flight: the rate counts the time they took.
  return {
    latenciesMs,
    events,
    elapsedSeconds: (performance.now() - started) / 1000,
    failures,
    firstFailure,
  };
}

if (process.send) {
  process.once('message', (options: UsageLoadOptions) => {
    run(options).then(
      (result) => process.send!(result, () => process.exit(0)),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
}
