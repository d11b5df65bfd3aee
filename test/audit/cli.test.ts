import { parse } from 'csv-parse/sync';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSV_COLUMNS } from '../../src/audit/export';
import { runCli } from '../../src/cli/commands';
import { createDb } from '../../src/db/pool';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { makeOrg } from '../support/fixtures';
import { makeAgencyOrg } from '../wallet/support';
import { auditOf } from './support';

/**
 * The admin CLI's side of the audit trail: its commands record the operator (--actor, else the OS user),
 * `audit verify` exits 1 naming the org and seq of a break, `audit export` writes what the API serves.
 * runCli in this process, as src/cli/main.ts runs it, over a real database.
 */
let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
});

afterAll(async () => {
  await t?.close();
});

async function cli(args: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    env: { DATABASE_URL: t.url, ...env },
    openDb: (url) => createDb(url, { max: 1 }),
    connectTemporal: () => Promise.reject(new Error('these commands never reach Temporal')),
  });
  return { code, stdout, stderr };
}

describe('commands that change money or settings', () => {
  it('record the operator named by --actor, else the OS user', async () => {
    const org = await makeAgencyOrg(t.db);
    expect(
      (await cli(['wallet', 'fee', '--org', org.orgId, '--bps', '250', '--actor', 'ops:alice'])).code,
    ).toBe(0);
    expect((await cli(['org', 'disable', '--org', org.orgId], { USER: 'bob' })).code).toBe(0);
    expect((await cli(['org', 'disable', '--org', org.orgId])).code).toBe(0);
    const created = await cli(['key', 'create', '--org', org.orgId, '--actor', 'ops:alice']);
    const prefix = JSON.parse(created.stdout).prefix as string;
    expect((await cli(['key', 'disable', '--key', prefix, '--actor', 'ops:alice'])).code).toBe(0);
    for (let i = 0; i < 2; i++) {
      const grant = [
        'credits',
        'grant',
        '--org',
        org.orgId,
        '--prepaid',
        '50',
        '--key',
        'INV-1',
        '--actor',
        'ops:carol',
      ];
      expect((await cli(grant)).code).toBe(0);
    }
    expect(
      (await cli(['credits', 'alerts', 'set', '--org', org.orgId, '--threshold', '20', '--actor', 'x'])).code,
    ).toBe(0);
    const events = await auditOf(t.db, org.orgId);
    expect(events.map((e) => [e.actor.split(':')[0], e.action])).toEqual([
      ['admin', 'wallet.platform_fee_updated'],
      ['admin', 'org.disabled'],
      ['admin', 'api_key.created'],
      ['admin', 'api_key.disabled'],
      ['admin', 'credits.granted'],
      ['admin', 'credits.alert_updated'],
    ]);
    expect(events[0]!.actor).toBe('admin:ops:alice');
    expect(events[1]!.actor).toMatch(/^admin:.+/);
    expect(events[4]).toMatchObject({ actor: 'admin:ops:carol', key: 'cli:grant:INV-1' });
  });

  it('a refused command records nothing', async () => {
    const org = await makeOrg(t.db);
    const r = await cli(['wallet', 'fee', '--org', org.orgId, '--bps', '100', '--actor', 'ops']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('WALLET_NOT_AVAILABLE');
    expect(await auditOf(t.db, org.orgId)).toEqual([]);
  });
});

describe('audit verify and audit export', () => {
  it('export writes the org’s events as CSV or JSON Lines; bad options exit 2', async () => {
    const org = await makeAgencyOrg(t.db);
    await cli(['wallet', 'fee', '--org', org.orgId, '--bps', '250', '--actor', 'ops']);
    await cli(['wallet', 'fee', '--org', org.orgId, '--bps', '300', '--actor', 'ops']);
    const csv = await cli(['audit', 'export', '--org', org.orgId, '--format', 'csv']);
    expect(csv.code).toBe(0);
    const rows = parse(csv.stdout, { columns: true }) as Record<(typeof CSV_COLUMNS)[number], string>[];
    expect(rows.map((r) => [r.seq, r.action, r.after])).toEqual([
      ['1', 'wallet.platform_fee_updated', '{"platformFeeBps": 250}'],
      ['2', 'wallet.platform_fee_updated', '{"platformFeeBps": 300}'],
    ]);
    const jsonl = await cli(['audit', 'export', '--org', org.orgId, '--from', '2000-01-01T00:00:00Z']);
    expect(
      jsonl.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).seq),
    ).toEqual([1, 2]);
    const none = await cli(['audit', 'export', '--org', org.orgId, '--to', '2000-01-01T00:00:00Z']);
    expect(none).toMatchObject({ code: 0, stdout: '' });

    for (const bad of [
      ['--from', 'yesterday'],
      ['--format', 'xml'],
    ]) {
      const r = await cli(['audit', 'export', '--org', org.orgId, ...bad]);
      expect(r).toMatchObject({ code: 2, stdout: '' });
      expect(r.stderr).toContain(bad[0]);
    }
    expect((await cli(['audit', 'export', '--org', 'org_missing'])).code).toBe(1);
  });

  it('verify exits 0 on clean chains and 1 naming org and seq of an edited row', async () => {
    const org = await makeAgencyOrg(t.db);
    for (const bps of ['100', '200', '300']) await cli(['wallet', 'fee', '--org', org.orgId, '--bps', bps]);
    const clean = await cli(['audit', 'verify']);
    expect(clean.code).toBe(0);
    expect(JSON.parse(clean.stdout)).toMatchObject({ ok: true, breaks: [] });

    await t.db.transaction().execute(async (trx) => {
      await sql`ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete`.execute(trx);
      await sql`UPDATE audit_events SET after = '{"platformFeeBps": 0}' WHERE org_id = ${org.orgId} AND seq = 2`.execute(
        trx,
      );
      await sql`ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_delete`.execute(trx);
    });
    const broken = await cli(['audit', 'verify']);
    expect(broken.code).toBe(1);
    expect(JSON.parse(broken.stdout)).toMatchObject({
      ok: false,
      breaks: [{ orgId: org.orgId, seq: 2, problem: 'hash_mismatch' }],
    });
    expect((await cli(['audit', 'verify', '--org', org.orgId])).code).toBe(1);
  });
});
