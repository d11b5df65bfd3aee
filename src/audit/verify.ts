import type { Db } from '../db/pool';
import { chainHash, GENESIS_HASH } from './hash';
import { eventOfRow, type AuditEvent } from './trail';

/**
 * Walks every org's audit chain (or one org's) and reports each place it breaks:
 * - `hash_mismatch`: the row's content (or its hash) is not what was appended: edited in place;
 * - `prev_hash_mismatch`: the row does not follow the one before it (a row removed, inserted or rehashed);
 * - `seq_gap`: rows are missing (`seq` is the first missing one);
 * - `head_mismatch` / `head_missing`: the chain ends elsewhere than its head says (rows removed from the
 *   end, or the head edited).
 * Rows are read a page at a time, so memory does not grow with the chain.
 */

export type ChainProblem =
  'hash_mismatch' | 'prev_hash_mismatch' | 'seq_gap' | 'head_mismatch' | 'head_missing';

export interface ChainBreak {
  orgId: string;
  seq: number;
  problem: ChainProblem;
  message: string;
}

export interface VerifyResult {
  ok: boolean;
  orgs: number;
  events: number;
  breaks: ChainBreak[];
}

const PAGE = 5000;

/** The row's hash as appending computed it, from what the row holds now. */
export const recomputedHash = (e: AuditEvent): string => chainHash({ ...e });

async function verifyOrg(
  db: Db,
  orgId: string,
  head: { seq: number; hash: string } | undefined,
): Promise<{ events: number; breaks: ChainBreak[] }> {
  const breaks: ChainBreak[] = [];
  const problem = (seq: number, p: ChainProblem, message: string) =>
    breaks.push({ orgId, seq, problem: p, message: `org ${orgId} seq ${seq}: ${message}` });
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let events = 0;
  let after = 0;
  for (;;) {
    const rows = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('seq', '>', after)
      .orderBy('seq')
      .limit(PAGE)
      .execute();
    for (const row of rows) {
      const e = eventOfRow(row);
      events += 1;
      if (e.seq !== expectedSeq) {
        problem(expectedSeq, 'seq_gap', `missing (the next row is seq ${e.seq})`);
      }
      if (e.prevHash !== prevHash) {
        problem(e.seq, 'prev_hash_mismatch', `prev_hash ${e.prevHash} is not the previous row's ${prevHash}`);
      } else if (recomputedHash(e) !== e.hash) {
        problem(e.seq, 'hash_mismatch', `content does not match its hash ${e.hash}`);
      }
      // Follow the stored hashes, so that one edited row is reported once, not as every row after it.
      prevHash = e.hash;
      expectedSeq = e.seq + 1;
    }
    if (rows.length < PAGE) break;
    after = rows[rows.length - 1]!.seq;
  }
  const lastSeq = expectedSeq - 1;
  if (!head) {
    if (events > 0) problem(lastSeq, 'head_missing', 'the chain has rows but no head');
  } else if (head.seq !== lastSeq || head.hash !== (lastSeq === 0 ? GENESIS_HASH : prevHash)) {
    const at = Math.min(head.seq, lastSeq) + 1;
    problem(at, 'head_mismatch', `the head is seq ${head.seq} but the chain ends at seq ${lastSeq}`);
  }
  return { events, breaks };
}

export async function verifyAuditChains(db: Db, opts: { orgId?: string } = {}): Promise<VerifyResult> {
  let heads = db.selectFrom('audit_chain_heads').select(['org_id', 'seq', 'hash']);
  // Orgs with rows but no head are checked too: a deleted head must not hide a chain.
  let orphans = db.selectFrom('audit_events').select('org_id').distinct();
  if (opts.orgId !== undefined) {
    heads = heads.where('org_id', '=', opts.orgId);
    orphans = orphans.where('org_id', '=', opts.orgId);
  }
  const headRows = await heads.orderBy('org_id').execute();
  const byOrg = new Map(headRows.map((h) => [h.org_id, { seq: h.seq, hash: h.hash }]));
  const orgIds = new Set([...byOrg.keys()]);
  for (const { org_id } of await orphans.execute()) orgIds.add(org_id);
  const result: VerifyResult = { ok: true, orgs: orgIds.size, events: 0, breaks: [] };
  for (const orgId of [...orgIds].sort()) {
    const r = await verifyOrg(db, orgId, byOrg.get(orgId));
    result.events += r.events;
    result.breaks.push(...r.breaks);
  }
  result.ok = result.breaks.length === 0;
  return result;
}
