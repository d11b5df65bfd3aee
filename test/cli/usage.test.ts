import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/commands';
import { createDb } from '../../src/db/pool';
import { recordUsage } from '../../src/invoices/usage';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { makeOrg } from '../support/fixtures';

/** `layers-billing usage show`: the org's usage against its tier's allowances, as GET /v1/usage. */
let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.close());

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    env: { DATABASE_URL: t.url },
    openDb: (url) => createDb(url, { max: 1 }),
    connectTemporal: () => Promise.reject(new Error('usage commands need no Temporal')),
  });
  return { code, stdout, stderr, json: stdout ? JSON.parse(stdout) : undefined };
}

describe('usage show', () => {
  it('prints each metric’s use, allowance and what is over it, for the current period or a range', async () => {
    const anchor = new Date(Date.now() - 60 * 60 * 1000);
    const { orgId } = await makeOrg(t.db, { tier: 'plus', anchor });
    const at = new Date(Date.now() - 60_000);
    await recordUsage(
      t.db,
      orgId,
      [
        { metric: 'sdk_events', quantity: 102_000, occurredAt: at, idempotencyKey: 'e' },
        { metric: 'media_storage_gb', quantity: 11, occurredAt: at, idempotencyKey: 'g' },
      ],
      new Date(),
    );
    const current = await cli(['usage', 'show', '--org', orgId]);
    expect(current).toMatchObject({ code: 0, stderr: '' });
    expect(current.json).toMatchObject({ organizationId: orgId, tier: 'plus', totalCents: 20 + 25 });
    expect(
      current.json.lines.map((l: { metric: string; overQuantity: number }) => [l.metric, l.overQuantity]),
    ).toEqual([
      ['workflow_runs', 0],
      ['sdk_events', 2_000],
      ['media_storage_gb', 1],
    ]);
    const before = await cli([
      'usage',
      'show',
      '--org',
      orgId,
      '--from',
      '2026-01-01T00:00:00Z',
      '--to',
      anchor.toISOString(),
    ]);
    expect(before.json).toMatchObject({ periodStart: '2026-01-01T00:00:00.000Z', totalCents: 0 });
  });

  it('exits 2 for a date that is not one, and 1 for an org that does not exist', async () => {
    const bad = await cli(['usage', 'show', '--org', 'org_x', '--from', 'yesterday']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--from must be an RFC 3339 date-time/);
    const missing = await cli(['usage', 'show', '--org', 'org_nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/NOT_FOUND/);
  });
});
