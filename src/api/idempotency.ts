import { createHash } from 'node:crypto';
import { CompiledQuery } from 'kysely';
import { preparedStatement, type Db } from '../db/pool';
import { DomainError } from '../errors';

/**
 * Idempotency-Key records of POST /v1/generations and of the subscription changes, in PostgreSQL (table
 * idempotency_keys), scoped to the org.
 *
 * The record is claimed before any work: a 'pending' row carrying the id the work will use (its column
 * is named generation_id, the first user's; for a subscription change it holds the Temporal Update id,
 * which Temporal answers once per workflow run, so a retry attaches to the same Update). The generation
 * story below is the same for every user: a retry reuses the claimed id. A retry, or a concurrent duplicate, of the same request finds that row and re-runs the work with
 * the same generation id; the work (a workflow start keyed by that id, then a ledger reservation keyed
 * by it too) is itself idempotent, so it attaches to the one generation instead of starting a second.
 * Whichever attempt finishes first stores the response; every other attempt returns that stored
 * response, so all of them answer identically. That is also the crash story: a process that dies after
 * claiming leaves a 'pending' row, and the client's retry completes the same generation.
 *
 * Responses are stored for outcomes of the work (201 reserved, 402 BILLING_EXHAUSTED). A request refused
 * with a 4xx domain error releases its claim, so it leaves no row and the key can be used again. Any
 * other failure keeps the claim so the retry reuses the generation id: an unexpected error, and the
 * retryable 503s (DATABASE_UNAVAILABLE, ENGINE_UNAVAILABLE), after which the generation may well exist;
 * releasing then would let the retry start a second generation that reserves credits a second time.
 * Work may report its id spent (a generation that never reserved and never will): the claim then moves
 * to a fresh id, once, and the work runs again, so the retry gets a fresh answer instead of the dead one.
 */

export interface StoredResponse {
  status: number;
  body: unknown;
}

export interface IdempotencyScope {
  orgId: string;
  key: string;
  requestHash: string;
}

export interface IdempotentResult extends StoredResponse {
  /** True when this response was stored by an earlier (or concurrent) attempt. */
  replayed: boolean;
}

/** A stable hash of what the request asks for: same fields in any order hash the same. */
export function requestHash(method: string, route: string, body: unknown): string {
  return createHash('sha256').update(canonicalJson({ method, route, body })).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

type Claim = { kind: 'run'; workId: string } | { kind: 'done'; response: StoredResponse };

// Every POST /v1/generations runs these two: prepared, so PostgreSQL plans each once per connection.
const CLAIM = preparedStatement(
  `INSERT INTO idempotency_keys (org_id, key, request_hash, generation_id, status)
   VALUES ($1, $2, $3, $4, 'pending') ON CONFLICT (org_id, key) DO NOTHING RETURNING generation_id`,
);
const COMPLETE = preparedStatement(
  `UPDATE idempotency_keys
   SET status = 'completed', response_status = $3, response_body = $4, completed_at = now()
   WHERE org_id = $1 AND key = $2 AND status = 'pending' RETURNING key`,
);

async function claim(db: Db, scope: IdempotencyScope, newWorkId: () => string): Promise<Claim> {
  // Two tries: a competing attempt may release its claim between our insert and our read.
  for (let attempt = 0; attempt < 2; attempt++) {
    const workId = newWorkId();
    const inserted = await db.executeQuery(
      CompiledQuery.raw(CLAIM, [scope.orgId, scope.key, scope.requestHash, workId]),
    );
    if (inserted.rows.length > 0) return { kind: 'run', workId };

    const row = await db
      .selectFrom('idempotency_keys')
      .select(['request_hash', 'generation_id', 'status', 'response_status', 'response_body'])
      .where('org_id', '=', scope.orgId)
      .where('key', '=', scope.key)
      .executeTakeFirst();
    if (!row) continue;
    if (row.request_hash !== scope.requestHash) {
      const message = 'this Idempotency-Key was already used with a different request';
      throw new DomainError('IDEMPOTENCY_KEY_REUSED', message, { idempotencyKey: scope.key });
    }
    if (row.status === 'pending') return { kind: 'run', workId: row.generation_id };
    return { kind: 'done', response: { status: row.response_status!, body: row.response_body } };
  }
  throw new Error(`idempotency key ${scope.key} could not be claimed`);
}

/** The first stored response wins; a later finisher returns it instead of its own. */
async function complete(
  db: Db,
  scope: IdempotencyScope,
  response: StoredResponse,
): Promise<IdempotentResult> {
  const updated = await db.executeQuery(
    CompiledQuery.raw(COMPLETE, [scope.orgId, scope.key, response.status, JSON.stringify(response.body)]),
  );
  if (updated.rows.length > 0) return { ...response, replayed: false };
  const row = await db
    .selectFrom('idempotency_keys')
    .select(['response_status', 'response_body'])
    .where('org_id', '=', scope.orgId)
    .where('key', '=', scope.key)
    .where('status', '=', 'completed')
    .executeTakeFirst();
  // No completed row means a competing attempt released the claim after a refusal: ours stands alone.
  return row
    ? { status: row.response_status!, body: row.response_body, replayed: true }
    : { ...response, replayed: false };
}

async function release(db: Db, scope: IdempotencyScope, workId: string): Promise<void> {
  await db
    .deleteFrom('idempotency_keys')
    .where('org_id', '=', scope.orgId)
    .where('key', '=', scope.key)
    .where('status', '=', 'pending')
    .where('generation_id', '=', workId)
    .execute();
}

/**
 * Runs `work` at most once per (org, key) in effect: see the module comment. `work` receives the id
 * to use (a generation id, an Update id) and must be idempotent on it.
 */
export async function runIdempotent(
  db: Db,
  scope: IdempotencyScope,
  newWorkId: () => string,
  work: (workId: string) => Promise<StoredResponse>,
  isSpent: (err: unknown) => boolean = () => false,
): Promise<IdempotentResult> {
  let claimed = await claim(db, scope, newWorkId);
  for (let moved = false; claimed.kind === 'run'; moved = true) {
    const workId = claimed.workId;
    let response: StoredResponse;
    try {
      response = await work(workId);
    } catch (err) {
      if (!moved && isSpent(err)) {
        await moveClaim(db, scope, workId, newWorkId());
        claimed = await claim(db, scope, newWorkId);
        continue;
      }
      if (err instanceof DomainError && err.httpStatus < 500) await release(db, scope, workId);
      throw err;
    }
    return complete(db, scope, response);
  }
  return { ...claimed.response, replayed: true };
}

/** Points a pending claim at a fresh id; a concurrent attempt that moved it first wins (claim re-reads). */
async function moveClaim(db: Db, scope: IdempotencyScope, spentId: string, freshId: string): Promise<void> {
  await db
    .updateTable('idempotency_keys')
    .set({ generation_id: freshId })
    .where('org_id', '=', scope.orgId)
    .where('key', '=', scope.key)
    .where('status', '=', 'pending')
    .where('generation_id', '=', spentId)
    .execute();
}
