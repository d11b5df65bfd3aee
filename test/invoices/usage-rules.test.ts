import { describe, expect, it } from 'vitest';
import { TIER_IDS } from '../../src/billing/tiers';
import { USAGE_ALLOWANCES } from '../../src/db/seed/catalog';
import { DomainError } from '../../src/errors';
import { METRIC_AGGREGATION, USAGE_METRICS } from '../../src/invoices/usage-metrics';
import {
  MAX_USAGE_EVENTS_PER_BATCH,
  MAX_USAGE_QUANTITY,
  requireUsageEvents,
  usageLine,
  usageLines,
  usageOverageCents,
  usageWindow,
  type UsageAllowance,
} from '../../src/invoices/usage-rules';

/** Usage's pure rules, directly: the window at its edges, the checks of a batch, the overage's rounding. */
const NOW = new Date('2026-03-10T12:00:00.000Z');
const DAY = 24 * 60 * 60 * 1000;

const event = (over: Record<string, unknown> = {}) => ({
  metric: 'sdk_events',
  quantity: 10,
  occurredAt: new Date(NOW.getTime() - 60_000),
  idempotencyKey: 'evt-1',
  ...over,
});

function refusal(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('usageWindow', () => {
  it('accepts events from 35 days ago to 5 minutes ahead, both ends included', () => {
    const { earliest, latest } = usageWindow(NOW);
    expect(earliest.toISOString()).toBe(new Date(NOW.getTime() - 35 * DAY).toISOString());
    expect(latest.toISOString()).toBe('2026-03-10T12:05:00.000Z');
    expect(requireUsageEvents([event({ occurredAt: earliest })], NOW)).toHaveLength(1);
    expect(requireUsageEvents([event({ occurredAt: latest })], NOW)).toHaveLength(1);
  });

  it.each([
    ['a millisecond older than 35 days', -35 * DAY - 1],
    ['a millisecond beyond the skew', 5 * 60_000 + 1],
    ['a year ahead', 365 * DAY],
  ])('refuses an event %s with OCCURRED_AT_OUT_OF_RANGE naming it and the window', (_n, offset) => {
    const err = refusal(() =>
      requireUsageEvents(
        [event(), event({ idempotencyKey: 'b', occurredAt: new Date(NOW.getTime() + offset) })],
        NOW,
        'body.events',
      ),
    );
    expect(err.code).toBe('OCCURRED_AT_OUT_OF_RANGE');
    expect(err.details).toMatchObject({
      field: 'body.events[1].occurredAt',
      earliest: '2026-02-03T12:00:00.000Z',
      latest: '2026-03-10T12:05:00.000Z',
    });
  });
});

describe('requireUsageEvents', () => {
  it('returns the events as recorded', () => {
    const at = new Date('2026-03-10T11:00:00Z');
    expect(
      requireUsageEvents(
        [{ metric: 'media_storage_gb', quantity: 3, occurredAt: at, idempotencyKey: 'k' }],
        NOW,
      ),
    ).toEqual([{ metric: 'media_storage_gb', quantity: 3, occurredAt: at, idempotencyKey: 'k' }]);
  });

  it.each([
    ['no events', [], 'VALIDATION_FAILED', 'events'],
    [
      'more than the batch maximum',
      Array.from({ length: MAX_USAGE_EVENTS_PER_BATCH + 1 }, (_, i) => event({ idempotencyKey: `k${i}` })),
      'VALIDATION_FAILED',
      'events',
    ],
    ['an unknown metric', [event(), event({ metric: 'api_calls' })], 'UNKNOWN_METRIC', 'events[1].metric'],
    ['a quantity of 0', [event({ quantity: 0 })], 'VALIDATION_FAILED', 'events[0].quantity'],
    ['a negative quantity', [event({ quantity: -5 })], 'VALIDATION_FAILED', 'events[0].quantity'],
    ['a fractional quantity', [event({ quantity: 1.5 })], 'VALIDATION_FAILED', 'events[0].quantity'],
    ['a quantity as text', [event({ quantity: '10' })], 'VALIDATION_FAILED', 'events[0].quantity'],
    [
      'a quantity past the maximum',
      [event({ quantity: MAX_USAGE_QUANTITY + 1 })],
      'VALIDATION_FAILED',
      'events[0].quantity',
    ],
    [
      'an invalid date',
      [event({ occurredAt: new Date('nope') })],
      'VALIDATION_FAILED',
      'events[0].occurredAt',
    ],
    [
      'a key with a space',
      [event({ idempotencyKey: 'a b' })],
      'VALIDATION_FAILED',
      'events[0].idempotencyKey',
    ],
    ['an empty key', [event({ idempotencyKey: '' })], 'VALIDATION_FAILED', 'events[0].idempotencyKey'],
    [
      'a key of 256 characters',
      [event({ idempotencyKey: 'k'.repeat(256) })],
      'VALIDATION_FAILED',
      'events[0].idempotencyKey',
    ],
  ])('refuses %s (%s at %s)', (_n, events, code, field) => {
    const err = refusal(() => requireUsageEvents(events, NOW));
    expect(err.code).toBe(code);
    expect(err.details?.field).toBe(field);
  });

  it('accepts the maximum batch, a key of 255 characters and the maximum quantity', () => {
    const batch = Array.from({ length: MAX_USAGE_EVENTS_PER_BATCH }, (_, i) =>
      event({ idempotencyKey: `${i}`.padStart(255, 'k'), quantity: MAX_USAGE_QUANTITY }),
    );
    expect(requireUsageEvents(batch, NOW)).toHaveLength(MAX_USAGE_EVENTS_PER_BATCH);
  });
});

describe('usageOverageCents', () => {
  it('bills pro rata, rounded to the cent with halves away from zero', () => {
    // 8¢ per 1,000 SDK events.
    expect(usageOverageCents(1_500, 1_000, 8)).toBe(12);
    expect(usageOverageCents(6, 1_000, 8)).toBe(0); // 0.048¢
    expect(usageOverageCents(62, 1_000, 8)).toBe(0); // 0.496¢
    expect(usageOverageCents(63, 1_000, 8)).toBe(1); // 0.504¢
    // 5¢ per 1,000: exactly half a cent rounds up, just under it down.
    expect(usageOverageCents(100, 1_000, 5)).toBe(1);
    expect(usageOverageCents(99, 1_000, 5)).toBe(0);
    expect(usageOverageCents(0, 1_000, 5)).toBe(0);
    // Per unit: exact.
    expect(usageOverageCents(7, 1, 25)).toBe(175);
    // A billion over at 2¢ stays exact.
    expect(usageOverageCents(MAX_USAGE_QUANTITY, 1, 2)).toBe(2_000_000_000);
  });

  it('bills nothing on a tier that does not bill the metric', () => {
    expect(usageOverageCents(1_000_000, 1, null)).toBe(0);
  });

  it.each([
    ['a negative quantity', () => usageOverageCents(-1, 1, 1)],
    ['a fractional quantity', () => usageOverageCents(0.5, 1, 1)],
    ['a unit size of 0', () => usageOverageCents(1, 0, 1)],
    ['a negative price', () => usageOverageCents(1, 1, -1)],
  ])('refuses %s', (_n, fn) => {
    expect(fn).toThrow(RangeError);
  });
});

describe('usageLine', () => {
  const runs: UsageAllowance = { metric: 'workflow_runs', included: 1_000, unitSize: 1, unitCents: 2 };

  it('is over by nothing up to the allowance and by each unit past it', () => {
    expect(usageLine(0, runs)).toEqual({
      metric: 'workflow_runs',
      aggregation: 'sum',
      used: 0,
      allowance: 1_000,
      overQuantity: 0,
      unitSize: 1,
      unitCents: 2,
      amountCents: 0,
    });
    expect(usageLine(999, runs)).toMatchObject({ overQuantity: 0, amountCents: 0 });
    expect(usageLine(1_000, runs)).toMatchObject({ overQuantity: 0, amountCents: 0 });
    expect(usageLine(1_001, runs)).toMatchObject({ overQuantity: 1, amountCents: 2 });
    expect(usageLine(1_500, runs)).toMatchObject({ overQuantity: 500, amountCents: 1_000 });
  });

  it('gives every metric a line, in order, with 0 for a metric nobody reported', () => {
    const allowances = {
      workflow_runs: runs,
      sdk_events: { metric: 'sdk_events', included: 100, unitSize: 1_000, unitCents: 10 },
      media_storage_gb: { metric: 'media_storage_gb', included: 10, unitSize: 1, unitCents: null },
    } as const;
    const lines = usageLines({ sdk_events: 2_100, media_storage_gb: 12 }, allowances);
    expect(lines.map((l) => [l.metric, l.aggregation, l.used, l.overQuantity, l.amountCents])).toEqual([
      ['workflow_runs', 'sum', 0, 0, 0],
      ['sdk_events', 'sum', 2_100, 2_000, 20],
      ['media_storage_gb', 'peak', 12, 2, 0],
    ]);
  });
});

describe('the catalog of usage allowances', () => {
  it('gives every tier every metric; storage is the one gauge', () => {
    for (const tier of TIER_IDS)
      expect(Object.keys(USAGE_ALLOWANCES[tier]).sort()).toEqual([...USAGE_METRICS].sort());
    expect(USAGE_METRICS.filter((m) => METRIC_AGGREGATION[m] === 'peak')).toEqual(['media_storage_gb']);
  });

  it('includes more along the tiers’ rank and never charges more per unit; free bills nothing', () => {
    for (const metric of USAGE_METRICS) {
      const rows = TIER_IDS.map((tier) => USAGE_ALLOWANCES[tier][metric]);
      for (let i = 1; i < rows.length; i++) {
        expect(rows[i]!.included).toBeGreaterThanOrEqual(rows[i - 1]!.included);
        expect(rows[i]!.unit_size).toBe(rows[i - 1]!.unit_size);
        if (i > 1) expect(rows[i]!.unit_cents!).toBeLessThanOrEqual(rows[i - 1]!.unit_cents!);
      }
      expect(USAGE_ALLOWANCES.free[metric].unit_cents).toBeNull();
      for (const tier of TIER_IDS.slice(1))
        expect(USAGE_ALLOWANCES[tier][metric].unit_cents).toBeGreaterThan(0);
    }
  });
});
