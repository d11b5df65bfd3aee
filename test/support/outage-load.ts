import { randomUUID } from 'node:crypto';
import { callApi, type ApiResponse, type CallOptions } from './api';

/**
 * The load of the outage tests: loops that each start a generation (with an Idempotency-Key), complete
 * it and read the credits, the way a well-behaved partner does during an outage: a 503 is retried
 * (with the same key) until it succeeds. Every answer is recorded, so the test can assert that none was
 * anything but 2xx or 503 and that each 503 said why and when to retry.
 */
export interface LoadOrg {
  projectId: string;
  apiKey: string;
}

export interface Answer {
  at: number;
  route: string;
  /** 0: no HTTP answer at all (connection refused or reset: the API process is gone or going). */
  status: number;
  code?: string;
  retryAfter?: string | null;
  error?: string;
}

export interface LoadResult {
  answers: Answer[];
  /** Generation ids that got 201, and those whose completion got 200. */
  created: string[];
  completed: string[];
  /** Operations that were still failing when their retry deadline passed. */
  gaveUp: string[];
}

export interface LoadOptions {
  concurrency: number;
  /** Extra loops that only read GET /v1/credits back to back: many short requests keep the pool busy. */
  readers?: number;
  /** Loops start no new generation after this (epoch ms); those started are still finished. */
  until: number;
  /** How long one operation is retried before the load gives up on it. */
  retryForMs?: number;
  /** Pause between retries of a 503; shorter than Retry-After so recovery is measured finely. */
  retryPauseMs?: number;
  actualCredits?: number;
  /** Ends the load early (an operation then counts as given up), e.g. once the API process has exited. */
  abandon?: () => boolean;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runGenerationLoad(
  baseUrl: string,
  org: LoadOrg,
  opts: LoadOptions,
): Promise<LoadResult> {
  const result: LoadResult = { answers: [], created: [], completed: [], gaveUp: [] };
  const retryForMs = opts.retryForMs ?? 30_000;
  const retryPauseMs = opts.retryPauseMs ?? 100;

  /** Calls until the answer is not a 503 (or nothing answered), for at most retryForMs. */
  async function untilAnswered(
    route: string,
    method: string,
    path: string,
    call: CallOptions,
  ): Promise<ApiResponse | undefined> {
    const deadline = Date.now() + retryForMs;
    while (Date.now() < deadline && !opts.abandon?.()) {
      let res: ApiResponse;
      try {
        res = await callApi(baseUrl, method, path, { key: org.apiKey, ...call });
      } catch (err) {
        const cause = (err as { cause?: { code?: string } }).cause;
        result.answers.push({ at: Date.now(), route, status: 0, error: cause?.code ?? String(err) });
        await pause(retryPauseMs);
        continue;
      }
      const code = typeof res.body === 'object' ? res.body?.error?.code : undefined;
      result.answers.push({
        at: Date.now(),
        route,
        status: res.status,
        code,
        retryAfter: res.status === 503 ? res.headers.get('retry-after') : undefined,
      });
      if (res.status !== 503) return res;
      await pause(retryPauseMs);
    }
    result.gaveUp.push(`${method} ${path}`);
    return undefined;
  }

  async function loop(): Promise<void> {
    while (Date.now() < opts.until && !opts.abandon?.()) {
      const created = await untilAnswered('POST /v1/generations', 'POST', '/v1/generations', {
        json: { projectId: org.projectId, format: 'auto' },
        headers: { 'idempotency-key': randomUUID() },
      });
      if (created?.status !== 201) continue;
      const id = created.body.generationId as string;
      result.created.push(id);
      const done = await untilAnswered(
        'POST /v1/generations/:id/complete',
        'POST',
        `/v1/generations/${id}/complete`,
        { json: { actualCredits: opts.actualCredits ?? 100 } },
      );
      if (done?.status === 200) result.completed.push(id);
      await untilAnswered('GET /v1/credits', 'GET', '/v1/credits', {});
    }
  }

  async function read(): Promise<void> {
    while (Date.now() < opts.until && !opts.abandon?.())
      await untilAnswered('GET /v1/credits', 'GET', '/v1/credits', {});
  }

  await Promise.all([
    ...Array.from({ length: opts.concurrency }, loop),
    ...Array.from({ length: opts.readers ?? 0 }, read),
  ]);
  return result;
}

/** Answers that break the contract: anything but 2xx and 503, and 503s without a code or Retry-After. */
export function contractBreaches(answers: Answer[], allowedCodes: string[]): Answer[] {
  return answers.filter((a) => {
    if (a.status >= 200 && a.status < 300) return false;
    if (a.status !== 503) return true;
    return !a.code || !allowedCodes.includes(a.code) || !a.retryAfter;
  });
}

export function countByStatus(answers: Answer[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const a of answers) {
    const key =
      a.status === 503 ? `503 ${a.code}` : a.status === 0 ? `no answer (${a.error})` : `${a.status}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}
