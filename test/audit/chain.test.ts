import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminActor, apiKeyActor, workflowActor } from '../../src/audit/actors';
import { chainHash, GENESIS_HASH } from '../../src/audit/hash';
import { audited, recordAuditEvent, type AuditEntry } from '../../src/audit/trail';
import { verifyAuditChains } from '../../src/audit/verify';
import type { Db } from '../../src/db/pool';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { makeOrg } from '../support/fixtures';

/**
 * The audit chain on real PostgreSQL: appends link each row to the one before it, every kind of edit made
 * behind the application's back (with the append-only trigger switched off, as someone with the database's
 * credentials could) is found by verify at the right seq, and concurrent appends keep one gapless chain.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase({ max: 12 });
});

afterAll(async () => {
  await t?.close();
});

const admin = adminActor('ops@example.com', {});
const entry = (n: number, over: Partial<AuditEntry> = {}): AuditEntry => ({
  actor: admin,
  action: 'wallet.floor_updated',
  key: `req:${n}`,
  before: { floorCents: n * 100 },
  after: { floorCents: (n + 1) * 100 },
  ...over,
});

async function chainOf(db: Db, orgId: string) {
  return db.selectFrom('audit_events').selectAll().where('org_id', '=', orgId).orderBy('seq').execute();
}

/** An edit as an attacker with database access would make it: past the append-only trigger. */
async function tamper(db: Db, statement: ReturnType<typeof sql>) {
  await db.transaction().execute(async (trx) => {
    await sql`ALTER TABLE audit_events DISABLE TRIGGER USER`.execute(trx);
    await statement.execute(trx);
    await sql`ALTER TABLE audit_events ENABLE TRIGGER USER`.execute(trx);
  });
}

function auditVerify(url: string, args: string[] = []) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      'npm',
      ['run', '--silent', 'audit:verify', '--', ...args],
      { cwd: ROOT, env: { ...process.env, DATABASE_URL: url } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr: stderr.replace(/^npm warn .*\n?/gm, '') });
      },
    );
  });
}

describe('appending', () => {
  it('links each row to the one before it, per org, and verifies', async () => {
    const a = await makeOrg(t.db);
    const b = await makeOrg(t.db);
    for (let n = 1; n <= 3; n++) await recordAuditEvent(t.db, a.orgId, entry(n));
    await recordAuditEvent(t.db, b.orgId, entry(1, { actor: apiKeyActor('lb_live_0123456789abcdef') }));
    const rows = await chainOf(t.db, a.orgId);
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(rows[0]!.prev_hash).toBe(GENESIS_HASH);
    expect(rows[1]!.prev_hash).toBe(rows[0]!.hash);
    expect(rows[2]!.prev_hash).toBe(rows[1]!.hash);
    expect(rows[1]).toMatchObject({
      actor_type: 'admin',
      actor_id: 'ops@example.com',
      action: 'wallet.floor_updated',
      key: 'req:2',
      before: { floorCents: 200 },
      after: { floorCents: 300 },
    });
    // The hash is the published rule over what the row holds.
    const r = rows[2]!;
    expect(
      chainHash({
        orgId: a.orgId,
        seq: 3,
        occurredAt: r.occurred_at.toISOString(),
        actor: { type: 'admin', id: 'ops@example.com' },
        action: r.action,
        key: r.key,
        before: r.before,
        after: r.after,
        prevHash: r.prev_hash,
      }),
    ).toBe(r.hash);
    const other = await chainOf(t.db, b.orgId);
    expect(other.map((r) => [r.seq, r.prev_hash])).toEqual([[1, GENESIS_HASH]]);
    const head = await t.db
      .selectFrom('audit_chain_heads')
      .selectAll()
      .where('org_id', '=', a.orgId)
      .executeTakeFirstOrThrow();
    expect(head).toEqual({ org_id: a.orgId, seq: 3, hash: rows[2]!.hash });
    expect(await verifyAuditChains(t.db, { orgId: a.orgId })).toMatchObject({ ok: true, events: 3 });
  });

  it('records an action once per key: a retry appends nothing', async () => {
    const { orgId } = await makeOrg(t.db);
    const first = await recordAuditEvent(t.db, orgId, entry(1));
    const again = await recordAuditEvent(t.db, orgId, entry(1, { after: { floorCents: 999 } }));
    expect(again).toEqual({ duplicate: true, event: first.event });
    // The same key under another action is another event.
    await recordAuditEvent(t.db, orgId, entry(1, { action: 'wallet.auto_top_up_updated' }));
    expect((await chainOf(t.db, orgId)).map((r) => r.action)).toEqual([
      'wallet.floor_updated',
      'wallet.auto_top_up_updated',
    ]);
  });

  it('keeps JSON values as they come back from jsonb: dates as ISO text, undefined dropped, key order free', async () => {
    const { orgId } = await makeOrg(t.db);
    const at = new Date('2026-03-08T12:00:00.123Z');
    const r = await recordAuditEvent(t.db, orgId, {
      actor: workflowActor(`wallet:${orgId}`),
      action: 'wallet.top_up_succeeded',
      key: 'k',
      after: { z: 1, a: { y: at, x: undefined }, list: [3, 'é', null] },
      occurredAt: at,
    });
    expect(r.event.after).toEqual({ z: 1, a: { y: at.toISOString() }, list: [3, 'é', null] });
    expect(r.event.occurredAt).toBe(at.toISOString());
    expect(r.event.before).toBeNull();
    expect(await verifyAuditChains(t.db, { orgId })).toMatchObject({ ok: true, events: 1 });
  });

  it('refuses an org that does not exist, writing nothing', async () => {
    await expect(recordAuditEvent(t.db, 'org_missing', entry(1))).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    const heads = await t.db.selectFrom('audit_chain_heads').select('org_id').execute();
    expect(heads.map((h) => h.org_id)).not.toContain('org_missing');
  });
});

describe('audited changes', () => {
  it('commits the change and its row together; a change that throws leaves neither', async () => {
    const { orgId } = await makeOrg(t.db);
    await audited(
      t.db,
      orgId,
      (trx) => sql`UPDATE organizations SET name = 'Renamed' WHERE id = ${orgId}`.execute(trx),
      () => entry(1),
    );
    await expect(
      audited(
        t.db,
        orgId,
        async (trx) => {
          await sql`UPDATE organizations SET name = 'Never' WHERE id = ${orgId}`.execute(trx);
          throw new Error('refused');
        },
        () => entry(2),
      ),
    ).rejects.toThrow('refused');
    const org = await t.db
      .selectFrom('organizations')
      .select('name')
      .where('id', '=', orgId)
      .executeTakeFirst();
    expect(org?.name).toBe('Renamed');
    expect((await chainOf(t.db, orgId)).map((r) => r.key)).toEqual(['req:1']);
  });

  it('records nothing when describe says there is nothing to record', async () => {
    const { orgId } = await makeOrg(t.db);
    const r = await audited(
      t.db,
      orgId,
      async () => 42,
      () => null,
    );
    expect(r).toBe(42);
    expect(await chainOf(t.db, orgId)).toEqual([]);
  });
});

describe('the append-only trigger', () => {
  it('refuses UPDATE, DELETE and TRUNCATE', async () => {
    const { orgId } = await makeOrg(t.db);
    await recordAuditEvent(t.db, orgId, entry(1));
    for (const statement of [
      sql`UPDATE audit_events SET key = 'x' WHERE org_id = ${orgId}`,
      sql`DELETE FROM audit_events WHERE org_id = ${orgId}`,
      sql`TRUNCATE audit_events`,
    ]) {
      await expect(statement.execute(t.db)).rejects.toThrow(/audit_events is append-only/);
    }
    expect(await chainOf(t.db, orgId)).toHaveLength(1);
  });
});

describe('verify finds edits made behind the application', () => {
  async function chainOfFive() {
    const { orgId } = await makeOrg(t.db);
    for (let n = 1; n <= 5; n++) await recordAuditEvent(t.db, orgId, entry(n));
    return orgId;
  }

  it('a row edited in place: its seq, hash_mismatch; npm run audit:verify exits 1 naming org and seq', async () => {
    const orgId = await chainOfFive();
    const clean = await auditVerify(t.url, ['--org', orgId]);
    expect(clean).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(clean.stdout)).toEqual({ ok: true, orgs: 1, events: 5, breaks: [] });

    await tamper(
      t.db,
      sql`UPDATE audit_events SET after = '{"floorCents": 1}' WHERE org_id = ${orgId} AND seq = 3`,
    );
    const r = await verifyAuditChains(t.db, { orgId });
    expect(r.ok).toBe(false);
    expect(r.breaks.map(({ seq, problem }) => ({ seq, problem }))).toEqual([
      { seq: 3, problem: 'hash_mismatch' },
    ]);

    const cli = await auditVerify(t.url);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain(`audit chain broken: org ${orgId} seq 3:`);
    expect(JSON.parse(cli.stdout)).toMatchObject({
      ok: false,
      breaks: [{ orgId, seq: 3, problem: 'hash_mismatch' }],
    });
  });

  it('an edited row whose hash was recomputed: the next row no longer follows it', async () => {
    const orgId = await chainOfFive();
    const rows = await chainOf(t.db, orgId);
    const r = rows[1]!;
    const forged = chainHash({
      orgId,
      seq: 2,
      occurredAt: r.occurred_at.toISOString(),
      actor: { type: r.actor_type, id: 'someone-else' },
      action: r.action,
      key: r.key,
      before: r.before,
      after: r.after,
      prevHash: r.prev_hash,
    });
    await tamper(
      t.db,
      sql`UPDATE audit_events SET actor_id = 'someone-else', hash = ${forged} WHERE org_id = ${orgId} AND seq = 2`,
    );
    const { breaks } = await verifyAuditChains(t.db, { orgId });
    expect(breaks.map(({ seq, problem }) => ({ seq, problem }))).toEqual([
      { seq: 3, problem: 'prev_hash_mismatch' },
    ]);
  });

  it('a row deleted from the middle: a gap at its seq', async () => {
    const orgId = await chainOfFive();
    await tamper(t.db, sql`DELETE FROM audit_events WHERE org_id = ${orgId} AND seq = 4`);
    const { breaks } = await verifyAuditChains(t.db, { orgId });
    expect(breaks.map(({ seq, problem }) => ({ seq, problem }))).toEqual([
      { seq: 4, problem: 'seq_gap' },
      { seq: 5, problem: 'prev_hash_mismatch' },
    ]);
  });

  it('rows deleted from the end: the chain stops short of its head', async () => {
    const orgId = await chainOfFive();
    await tamper(t.db, sql`DELETE FROM audit_events WHERE org_id = ${orgId} AND seq >= 4`);
    const { breaks } = await verifyAuditChains(t.db, { orgId });
    expect(breaks.map(({ seq, problem }) => ({ seq, problem }))).toEqual([
      { seq: 4, problem: 'head_mismatch' },
    ]);
  });

  it('a whole chain deleted with its head still set, and rows whose head was deleted', async () => {
    const gone = await chainOfFive();
    await tamper(t.db, sql`DELETE FROM audit_events WHERE org_id = ${gone}`);
    expect((await verifyAuditChains(t.db, { orgId: gone })).breaks).toMatchObject([
      { seq: 1, problem: 'head_mismatch' },
    ]);
    const headless = await chainOfFive();
    await sql`DELETE FROM audit_chain_heads WHERE org_id = ${headless}`.execute(t.db);
    expect((await verifyAuditChains(t.db, { orgId: headless })).breaks).toMatchObject([
      { seq: 5, problem: 'head_missing' },
    ]);
  });
});

describe('concurrent appends', () => {
  it('to one org keep one gapless valid chain; the same key raced is recorded once', async () => {
    const { orgId } = await makeOrg(t.db);
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => recordAuditEvent(t.db, orgId, entry(i % 40))),
    );
    expect(results.filter((r) => !r.duplicate)).toHaveLength(40);
    const rows = await chainOf(t.db, orgId);
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(new Set(rows.map((r) => r.key)).size).toBe(40);
    expect(await verifyAuditChains(t.db, { orgId })).toMatchObject({ ok: true, events: 40 });
  });
});
