import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../../src/errors';
import { recordUsage } from '../../src/invoices/usage';
import {
  usageAllowancesOf,
  usageOverAllowance,
  usageSummary,
  usedInPeriod,
} from '../../src/invoices/usage-queries';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { makeOrg } from '../support/fixtures';

/**
 * Recording usage and reading a period's usage on real PostgreSQL: batches applied once per key, all or
 * nothing, concurrent duplicates, the gauge's peak, the allowance lines an invoice bills, org isolation.
 */
let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase({ max: 20 });
});
afterAll(() => t.close());

const NOW = new Date('2026-03-10T12:00:00Z');
const MAR_1 = new Date('2026-03-01T00:00:00Z');
const APR_1 = new Date('2026-04-01T00:00:00Z');
const minutesAgo = (n: number) => new Date(NOW.getTime() - n * 60_000);

type Metric = 'workflow_runs' | 'sdk_events' | 'media_storage_gb';
const ev = (idempotencyKey: string, metric: Metric, quantity: number, occurredAt = minutesAgo(1)) => ({
  metric,
  quantity,
  occurredAt,
  idempotencyKey,
});

const eventsOf = async (orgId: string) =>
  t.db
    .selectFrom('usage_events')
    .select(['idempotency_key', 'metric', 'quantity', 'occurred_at'])
    .where('org_id', '=', orgId)
    .orderBy('idempotency_key')
    .execute();

async function refusal(p: Promise<unknown>): Promise<DomainError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('recordUsage', () => {
  it('records a batch once per key: a repeat, whole or in part, counts as duplicates', async () => {
    const { orgId } = await makeOrg(t.db, { tier: 'plus' });
    const batch = [ev('a', 'workflow_runs', 3), ev('b', 'sdk_events', 1_000), ev('c', 'media_storage_gb', 7)];
    expect(await recordUsage(t.db, orgId, batch, NOW)).toEqual({ recorded: 3, duplicates: 0 });
    expect(await recordUsage(t.db, orgId, batch, NOW)).toEqual({ recorded: 0, duplicates: 3 });
    // Overlapping: two seen, one new; the same event twice in one batch is one event.
    const next = [batch[2]!, ev('d', 'sdk_events', 5), batch[0]!, ev('d', 'sdk_events', 5)];
    expect(await recordUsage(t.db, orgId, next, NOW)).toEqual({ recorded: 1, duplicates: 3 });
    expect((await eventsOf(orgId)).map((e) => [e.idempotency_key, e.metric, e.quantity])).toEqual([
      ['a', 'workflow_runs', 3],
      ['b', 'sdk_events', 1_000],
      ['c', 'media_storage_gb', 7],
      ['d', 'sdk_events', 5],
    ]);
  });

  it('treats the same instant written another way as the same event', async () => {
    const { orgId } = await makeOrg(t.db);
    await recordUsage(t.db, orgId, [ev('x', 'sdk_events', 1, new Date('2026-03-10T10:00:00Z'))], NOW);
    const again = [ev('x', 'sdk_events', 1, new Date(Date.parse('2026-03-10T11:00:00+01:00')))];
    expect(await recordUsage(t.db, orgId, again, NOW)).toEqual({ recorded: 0, duplicates: 1 });
  });

  it.each([
    ['another quantity', { quantity: 4 }],
    ['another metric', { metric: 'sdk_events' }],
    ['another occurredAt', { occurredAt: minutesAgo(2) }],
  ])(
    'refuses a recorded key with %s as IDEMPOTENCY_KEY_REUSED, and records nothing of the batch',
    async (_n, change) => {
      const { orgId } = await makeOrg(t.db);
      const first = ev('k1', 'workflow_runs', 3);
      await recordUsage(t.db, orgId, [first], NOW);
      const before = await eventsOf(orgId);
      const err = await refusal(
        recordUsage(
          t.db,
          orgId,
          [ev('new-1', 'sdk_events', 9), { ...first, ...change }, ev('new-2', 'sdk_events', 1)],
          NOW,
          'body.events',
        ),
      );
      expect(err.code).toBe('IDEMPOTENCY_KEY_REUSED');
      expect(err.details).toEqual({ field: 'body.events[1].idempotencyKey', idempotencyKey: 'k1' });
      expect(await eventsOf(orgId)).toEqual(before);
    },
  );

  it('refuses one key with two bodies in the same batch, recording nothing', async () => {
    const { orgId } = await makeOrg(t.db);
    const err = await refusal(
      recordUsage(
        t.db,
        orgId,
        [ev('z', 'sdk_events', 1), ev('y', 'sdk_events', 1), ev('z', 'sdk_events', 2)],
        NOW,
      ),
    );
    expect(err.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await eventsOf(orgId)).toEqual([]);
  });

  it('refuses the whole batch when one event is invalid', async () => {
    const { orgId } = await makeOrg(t.db);
    const tooOld = new Date(NOW.getTime() - 36 * 24 * 60 * 60 * 1000);
    const err = await refusal(
      recordUsage(t.db, orgId, [ev('ok', 'sdk_events', 1), ev('old', 'sdk_events', 1, tooOld)], NOW),
    );
    expect(err.code).toBe('OCCURRED_AT_OUT_OF_RANGE');
    expect(await eventsOf(orgId)).toEqual([]);
  });

  it('records each event once when 8 clients send the same batches at once, in different orders', async () => {
    const { orgId } = await makeOrg(t.db, { tier: 'team' });
    const batch = Array.from({ length: 500 }, (_, i) => ev(`evt-${i}`, 'sdk_events', 1 + (i % 7)));
    // Each client sends the batch in its own order, and also half of a second, overlapping batch.
    const overlap = Array.from({ length: 200 }, (_, i) =>
      ev(`evt-${400 + i}`, 'sdk_events', 1 + ((400 + i) % 7)),
    );
    const shuffled = (n: number) =>
      [...batch].sort((a, b) => ((a.quantity * 31 + n) % 11) - ((b.quantity * 31 + n) % 11));
    const results = await Promise.all(
      Array.from({ length: 8 }, async (_, c) => [
        await recordUsage(t.db, orgId, shuffled(c), NOW),
        await recordUsage(t.db, orgId, c % 2 ? overlap : [...overlap].reverse(), NOW),
      ]),
    );
    const all = results.flat();
    for (const [i, r] of all.entries()) expect(r.recorded + r.duplicates).toBe(i % 2 ? 200 : 500);
    expect(all.reduce((sum, r) => sum + r.recorded, 0)).toBe(600);
    const rows = await eventsOf(orgId);
    expect(rows).toHaveLength(600);
    const expected = [...batch, ...overlap.slice(100)].reduce((sum, e) => sum + e.quantity, 0);
    expect((await usedInPeriod(t.db, orgId, MAR_1, APR_1)).sdk_events).toBe(expected);
  });

  it('refuses every concurrent batch but one when they send one key with different bodies', async () => {
    const { orgId } = await makeOrg(t.db);
    // Each batch also carries events of its own: a refused batch must record none of them.
    const outcomes = await Promise.allSettled(
      Array.from({ length: 8 }, (_, c) =>
        recordUsage(
          t.db,
          orgId,
          [ev(`own-${c}`, 'sdk_events', 1), ev('contested', 'sdk_events', 10 + c)],
          NOW,
        ),
      ),
    );
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const o of outcomes) {
      if (o.status === 'rejected') expect((o.reason as DomainError).code).toBe('IDEMPOTENCY_KEY_REUSED');
    }
    const rows = await eventsOf(orgId);
    expect(rows).toHaveLength(2);
    const winner = outcomes.indexOf(won[0]!);
    expect(rows.map((r) => [r.idempotency_key, r.quantity])).toEqual([
      ['contested', 10 + winner],
      [`own-${winner}`, 1],
    ]);
  });

  it('keeps one org’s keys and events apart from another’s', async () => {
    const a = await makeOrg(t.db, { tier: 'plus' });
    const b = await makeOrg(t.db, { tier: 'plus' });
    // The same key in two orgs is two events, with their own bodies.
    expect(await recordUsage(t.db, a.orgId, [ev('shared', 'workflow_runs', 5)], NOW)).toEqual({
      recorded: 1,
      duplicates: 0,
    });
    expect(await recordUsage(t.db, b.orgId, [ev('shared', 'workflow_runs', 9)], NOW)).toEqual({
      recorded: 1,
      duplicates: 0,
    });
    expect((await usedInPeriod(t.db, a.orgId, MAR_1, APR_1)).workflow_runs).toBe(5);
    expect((await usedInPeriod(t.db, b.orgId, MAR_1, APR_1)).workflow_runs).toBe(9);
  });

  it('never updates or deletes a recorded event', async () => {
    const { orgId } = await makeOrg(t.db);
    await recordUsage(t.db, orgId, [ev('kept', 'sdk_events', 1)], NOW);
    await expect(
      sql`UPDATE usage_events SET quantity = 2 WHERE org_id = ${orgId}`.execute(t.db),
    ).rejects.toThrow(/append-only/);
    await expect(sql`DELETE FROM usage_events WHERE org_id = ${orgId}`.execute(t.db)).rejects.toThrow(
      /append-only/,
    );
    expect(await eventsOf(orgId)).toHaveLength(1);
  });
});

describe('usedInPeriod', () => {
  it('sums counters over [start, end): an event at the start counts, one at the end does not', async () => {
    const { orgId } = await makeOrg(t.db);
    await recordUsage(
      t.db,
      orgId,
      [
        ev('before', 'workflow_runs', 100, new Date(MAR_1.getTime() - 1)),
        ev('start', 'workflow_runs', 1, MAR_1),
        ev('mid', 'workflow_runs', 2, new Date('2026-03-05T00:00:00Z')),
        ev('last', 'workflow_runs', 4, new Date(NOW.getTime() - 1)),
        ev('end', 'workflow_runs', 1_000, NOW),
      ],
      NOW,
    );
    expect(await usedInPeriod(t.db, orgId, MAR_1, NOW)).toEqual({
      workflow_runs: 7,
      sdk_events: 0,
      media_storage_gb: 0,
    });
  });

  it('takes storage at its peak in the period, the level reported before the period began included', async () => {
    const { orgId } = await makeOrg(t.db);
    const at = (iso: string) => new Date(iso);
    await recordUsage(
      t.db,
      orgId,
      [
        ev('s1', 'media_storage_gb', 10, at('2026-03-02T00:00:00Z')),
        ev('s2', 'media_storage_gb', 130, at('2026-03-04T00:00:00Z')),
        ev('s3', 'media_storage_gb', 40, at('2026-03-06T00:00:00Z')),
      ],
      NOW,
    );
    expect((await usedInPeriod(t.db, orgId, MAR_1, APR_1)).media_storage_gb).toBe(130);
    // From the 5th, the 130 GB reported on the 4th was still held when the period began.
    expect((await usedInPeriod(t.db, orgId, at('2026-03-05T00:00:00Z'), APR_1)).media_storage_gb).toBe(130);
    // From the 7th: the last report before it (40) is the level in force; nothing higher after it.
    expect((await usedInPeriod(t.db, orgId, at('2026-03-07T00:00:00Z'), APR_1)).media_storage_gb).toBe(40);
    // Before anything was reported: nothing held.
    expect((await usedInPeriod(t.db, orgId, at('2026-02-01T00:00:00Z'), MAR_1)).media_storage_gb).toBe(0);
    // Storage is not summed: two reports of 10 GB are 10 GB.
    await recordUsage(t.db, orgId, [ev('s4', 'media_storage_gb', 10, at('2026-03-08T00:00:00Z'))], NOW);
    expect((await usedInPeriod(t.db, orgId, at('2026-03-08T00:00:00Z'), APR_1)).media_storage_gb).toBe(40);
  });
});

describe('usageOverAllowance', () => {
  it('bills each metric over the tier’s allowance at its unit price, with the documented rounding', async () => {
    const { orgId } = await makeOrg(t.db, { tier: 'plus' });
    await recordUsage(
      t.db,
      orgId,
      [
        ev('r1', 'workflow_runs', 600),
        ev('r2', 'workflow_runs', 401), // 1,001 runs: one over the plus tier's 1,000, at 2¢
        ev('e1', 'sdk_events', 101_500), // 1,500 over 100,000, at 10¢ per 1,000: 15¢
        ev('g1', 'media_storage_gb', 12, minutesAgo(30)), // peak 12 GB, 2 over 10, at 25¢: 50¢
        ev('g2', 'media_storage_gb', 11, minutesAgo(20)),
      ],
      NOW,
    );
    expect(await usageOverAllowance(t.db, orgId, 'plus', MAR_1, APR_1)).toEqual([
      {
        metric: 'workflow_runs',
        aggregation: 'sum',
        used: 1_001,
        allowance: 1_000,
        overQuantity: 1,
        unitSize: 1,
        unitCents: 2,
        amountCents: 2,
      },
      {
        metric: 'sdk_events',
        aggregation: 'sum',
        used: 101_500,
        allowance: 100_000,
        overQuantity: 1_500,
        unitSize: 1_000,
        unitCents: 10,
        amountCents: 15,
      },
      {
        metric: 'media_storage_gb',
        aggregation: 'peak',
        used: 12,
        allowance: 10,
        overQuantity: 2,
        unitSize: 1,
        unitCents: 25,
        amountCents: 50,
      },
    ]);
    // On the team tier the same usage is within every allowance.
    const team = await usageOverAllowance(t.db, orgId, 'team', MAR_1, APR_1);
    expect(team.map((l) => l.amountCents)).toEqual([0, 0, 0]);
  });

  it('bills nothing over the free tier’s allowance, and says how much it was over', async () => {
    const { orgId } = await makeOrg(t.db, { tier: 'free' });
    await recordUsage(t.db, orgId, [ev('f', 'workflow_runs', 150)], NOW);
    const [runs] = await usageOverAllowance(t.db, orgId, 'free', MAR_1, APR_1);
    expect(runs).toMatchObject({
      used: 150,
      allowance: 100,
      overQuantity: 50,
      unitCents: null,
      amountCents: 0,
    });
  });

  it('reads the allowances the catalog wrote, and refuses a tier that has none', async () => {
    expect((await usageAllowancesOf(t.db, 'pro')).sdk_events).toEqual({
      metric: 'sdk_events',
      included: 1_000_000,
      unitSize: 1_000,
      unitCents: 8,
    });
    await expect(usageAllowancesOf(t.db, 'legacy')).rejects.toThrow(/no row for tier legacy/);
    await expect(usageOverAllowance(t.db, 'org_x', 'pro', APR_1, MAR_1)).rejects.toThrow(RangeError);
  });
});

describe('usageSummary', () => {
  it('reads the org’s current credit period and tier, or the range asked for', async () => {
    const { orgId } = await makeOrg(t.db, { tier: 'max', anchor: new Date('2026-02-15T00:00:00Z') });
    await recordUsage(t.db, orgId, [ev('m', 'workflow_runs', 5_010)], NOW);
    const balance = await t.db
      .selectFrom('credit_balances')
      .selectAll()
      .where('org_id', '=', orgId)
      .executeTakeFirstOrThrow();
    const current = await usageSummary(t.db, orgId);
    expect(current).toMatchObject({
      organizationId: orgId,
      tier: 'max',
      periodStart: balance.period_start.toISOString(),
      periodEnd: balance.period_end.toISOString(),
    });
    const ranged = await usageSummary(t.db, orgId, { from: MAR_1, to: APR_1 });
    expect(ranged.lines[0]).toMatchObject({
      used: 5_010,
      allowance: 5_000,
      overQuantity: 10,
      amountCents: 20,
    });
    expect(ranged.totalCents).toBe(20);
    const err = await refusal(usageSummary(t.db, orgId, { from: APR_1, to: MAR_1 }));
    expect(err.code).toBe('VALIDATION_FAILED');
  });
});
