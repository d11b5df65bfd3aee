import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renewalBoundary, renewalPeriodContaining } from '../../src/billing/clock';
import { changeKey, renewalKey } from '../../src/billing/ids';
import { overageCharge } from '../../src/billing/overage';
import type { Period } from '../../src/billing/period';
import { planPrice, TIER_PRICES, yearlyCents } from '../../src/billing/prices';
import { prorate } from '../../src/billing/proration';
import { rolloverAtClose, rolloverPolicy } from '../../src/billing/rollover';
import type { Interval } from '../../src/billing/subscription';
import { TIER_IDS, tierFacts, type TierId } from '../../src/billing/tiers';
import { findPack, priceOf } from '../../src/credit-packs/catalog';
import { planCapture } from '../../src/credits/capture';
import { GENERATION_FORMAT_ROWS, TIERS } from '../../src/db/seed/catalog';
import { runSimulation } from '../../src/simulator/runner';
import { parseScenario } from '../../src/simulator/scenario';
import type { Timeline, TimelinePeriod } from '../../src/simulator/timeline';
import { adminUrl } from '../support/postgres';
import '../support/temporal';

/** The scenario of issue 9, as written there. */
const EXAMPLE_YEAR = {
  start: '2026-01-31T10:00:00Z',
  until: '2027-01-31T10:00:00Z',
  org: { tier: 'pro', interval: 'month', seats: 1, mode: 'byo' },
  events: [
    { at: '2026-02-03T00:00:00Z', generation: { format: 'video_remix', actualCredits: 150 } },
    { at: '2026-02-10T00:00:00Z', buyPack: { packId: 'pack_500' } },
    { at: '2026-03-15T12:00:00Z', changePlan: { tier: 'team', effective: 'now' } },
    { at: '2026-05-01T00:00:00Z', changePlan: { tier: 'plus' } },
    { at: '2026-06-01T00:00:00Z', card: 'declines' },
    { at: '2026-06-20T00:00:00Z', card: 'works' },
    { at: '2026-09-01T00:00:00Z', cancel: {} },
  ],
};

/** The steps of the test's run and their wall times, shown when it fails (a timeout included) or crawls. */
let trace: string[] = [];
let startedAt = 0;
beforeEach(() => {
  trace = [];
  startedAt = performance.now();
});
afterEach((ctx) => {
  const ms = performance.now() - startedAt;
  if (ctx.task.result?.state === 'fail' || ms > 30_000) {
    console.error(`the simulation's steps (${Math.round(ms)} ms in all):\n${trace.join('\n')}`);
  }
});

/** A run on the suite's PostgreSQL server. */
const simulate = (scenario: unknown): Promise<Timeline> =>
  runSimulation(parseScenario(scenario), {
    serverUrl: adminUrl(),
    settleTimeoutMs: 30_000,
    trace: (line) => trace.push(`${Math.round(performance.now() - startedAt)} ms: ${line}`),
  });

const iso = (d: Date | string): string => new Date(d).toISOString();
const d = (s: string): Date => new Date(s);
const price = (tier: TierId, interval: Interval = 'month', seats = 1) =>
  planPrice({ tier, interval, seats }).totalCents;
const packDiscountBps = (tier: TierId) => TIERS.find((t) => t.id === tier)!.pack_discount_bps;
const estimate = (format: keyof typeof GENERATION_FORMAT_ROWS) =>
  GENERATION_FORMAT_ROWS[format].estimated_credits;

interface PeriodFacts {
  start: Date;
  end: Date;
  tier: TierId;
  /** The allowance in force at the close. */
  included: number;
  used: number;
}

/**
 * What the pure rollover rule says each period carries in and loses: at each close the period's unused
 * allowance rolls over under the closing tier's policy (src/billing/rollover.ts), and a grant no one
 * spends expires in the period its time falls in (a grant due exactly at a close expires in that close).
 * The scenarios here spend nothing in a period that received a rollover, so nothing of a grant is used.
 */
function expectedRollover(periods: PeriodFacts[]) {
  const grants: Array<{ credits: number; expiresAt: Date }> = [];
  return periods.map((p, i) => {
    let rolledOverIn = 0;
    if (i > 0) {
      const prev = periods[i - 1]!;
      const r = rolloverAtClose(prev.included - prev.used, rolloverPolicy(prev.tier), p.start);
      rolledOverIn = r.rolledOver;
      if (r.expiresAt) grants.push({ credits: r.rolledOver, expiresAt: r.expiresAt });
    }
    if (rolledOverIn > 0 && p.used > 0)
      throw new Error('the model does not cover spending rolled-over credits');
    const expiring = grants.filter((g) => g.expiresAt > p.start && g.expiresAt <= p.end);
    return { rolledOverIn, rolloverExpired: expiring.reduce((s, g) => s + g.credits, 0) };
  });
}

/** The timeline's periods as the rules say they must be, given each period's bounds, tier and use. */
function expectedPeriods(facts: PeriodFacts[], interval: Interval, statuses?: string[]): TimelinePeriod[] {
  const rollover = expectedRollover(facts);
  return facts.map((p, i) => ({
    start: iso(p.start),
    end: iso(p.end),
    tier: p.tier,
    interval,
    status: (statuses?.[i] ?? 'active') as TimelinePeriod['status'],
    includedGranted: p.included,
    ...rollover[i]!,
    usedCredits: p.used,
    overageCredits: 0,
  }));
}

describe('layers-billing simulate: the engine', { timeout: 120_000 }, () => {
  it("runs issue 9's example year period by period and cent by cent", async () => {
    const t = await simulate(EXAMPLE_YEAR);
    const start = d(EXAMPLE_YEAR.start);
    const boundary = (n: number) => renewalBoundary(start, 'month', n);
    const orgId = t.finalSnapshot.organizationId;

    // The plan over the year: pro; team from the upgrade made now on 15 March; plus from the renewal
    // after 1 May (a downgrade waits for it); the cancel of 1 September takes effect at the next renewal.
    const upgradeAt = d('2026-03-15T12:00:00Z');
    const downgradeAt = renewalPeriodContaining(start, 'month', d('2026-05-01T00:00:00Z')).end;
    const canceledAt = renewalPeriodContaining(start, 'month', d('2026-09-01T00:00:00Z')).end;
    const closes = Array.from({ length: 24 }, (_, n) => boundary(n)).filter((b) => b <= canceledAt);
    const tierAt = (end: Date): TierId => (end <= upgradeAt ? 'pro' : end <= downgradeAt ? 'team' : 'plus');
    const used = planCapture({
      includedRemaining: tierFacts('pro').includedCredits,
      rolledOverRemaining: 0,
      pendingExpiry: 0,
      prepaidBalance: 0,
      reservedCredits: estimate('video_remix'),
      hold: estimate('video_remix'),
      actual: 150,
      overageAllowed: true,
    });
    expect(used).toMatchObject({ fromIncluded: 150, overage: 0 });
    const facts = closes.slice(1).map((end, i) => ({
      start: closes[i]!,
      end,
      tier: tierAt(end),
      included: tierFacts(tierAt(end)).includedCredits,
      used: i === 0 ? used.fromIncluded : 0,
    }));
    expect(facts).toHaveLength(8);
    expect(t.periods).toEqual(expectedPeriods(facts, 'month'));

    const upgrade = t.charges.find((c) => c.kind === 'upgrade');
    const pack = t.charges.find((c) => c.kind === 'pack');
    expect(upgrade && pack).toBeTruthy();
    // The engine received the event within a second of its time; prorations count whole seconds.
    expect(Date.parse(upgrade!.at) - upgradeAt.getTime()).toBeGreaterThanOrEqual(0);
    expect(Date.parse(upgrade!.at) - upgradeAt.getTime()).toBeLessThan(1000);
    const period2: Period = { start: boundary(1), end: boundary(2) };
    const pro = { tier: 'pro' as const, interval: 'month' as const, seats: 1 };
    const team = { ...pro, tier: 'team' as const };
    const proration = prorate(pro, team, period2, d(upgrade!.at));
    expect(proration.totalCents).toBe(prorate(pro, team, period2, upgradeAt).totalCents);

    // A renewal pays for the period it opens, on the plan in force from then on.
    const renewalTier = (b: Date): TierId => (b < upgradeAt ? 'pro' : b < downgradeAt ? 'team' : 'plus');
    const renewal = (n: number) => ({
      at: iso(boundary(n)),
      kind: 'renewal',
      amountCents: price(renewalTier(boundary(n))),
      status: 'succeeded',
      businessKey: renewalKey(orgId, boundary(n)),
    });
    expect(t.charges).toEqual([
      renewal(0),
      {
        at: pack!.at,
        kind: 'pack',
        amountCents: priceOf(findPack('pack_500'), packDiscountBps('pro')).amountCents,
        status: 'succeeded',
        businessKey: expect.stringMatching(/^credit-pack:cpp_/),
      },
      renewal(1),
      {
        at: upgrade!.at,
        kind: 'upgrade',
        amountCents: proration.totalCents,
        status: 'succeeded',
        businessKey: changeKey(orgId, d(upgrade!.at)),
      },
      // Canceled at the renewal of 30 September: no charge then or after.
      ...[2, 3, 4, 5, 6, 7].map(renewal),
    ]);
    expect(Date.parse(pack!.at) - Date.parse('2026-02-10T00:00:00Z')).toBeLessThan(1000);

    expect(t.events.map((e) => [e.kind, e.outcome])).toEqual([
      ['generation', 'completed'],
      ['buyPack', 'succeeded'],
      ['changePlan', 'applied_now'],
      ['changePlan', 'scheduled'],
      ['card', 'attached'],
      ['card', 'attached'],
      ['cancel', 'cancel_at_period_end'],
    ]);
    // Canceled: no included credits; the prepaid pack stays.
    expect(t.finalSnapshot).toMatchObject({
      billingStatus: 'canceled',
      subscriptionTier: 'plus',
      includedRemaining: 0,
      prepaidBalance: findPack('pack_500').credits,
      balance: findPack('pack_500').credits,
    });
    expect(t.ledgerDrift).toBe(0);
    for (const tier of TIER_IDS) {
      expect(t.prices[tier]).toEqual({
        monthCents: TIER_PRICES[tier].monthCents,
        yearCents: yearlyCents(TIER_PRICES[tier].monthCents),
        overageCentsPerCredit: TIER_PRICES[tier].overageCentsPerCredit,
        extraSeatCents: TIER_PRICES[tier].extraSeatCents,
      });
    }
  });

  it('takes a 31 January anchor through 29 February in a leap year, and bills its overage at the close', async () => {
    const t = await simulate({
      start: '2028-01-31T10:00:00Z',
      until: '2028-03-31T10:00:00Z',
      org: { tier: 'plus' },
      events: [
        { at: '2028-02-10T00:00:00Z', generation: { format: 'slideshow_builder', actualCredits: 400 } },
      ],
    });
    const orgId = t.finalSnapshot.organizationId;
    const capture = planCapture({
      includedRemaining: tierFacts('plus').includedCredits,
      rolledOverRemaining: 0,
      pendingExpiry: 0,
      prepaidBalance: 0,
      reservedCredits: estimate('slideshow_builder'),
      hold: estimate('slideshow_builder'),
      actual: 400,
      overageAllowed: tierFacts('plus').overageAllowed,
    });
    expect(capture.overage).toBeGreaterThan(0);
    expect(t.periods.map((p) => [p.start, p.end, p.usedCredits, p.overageCredits])).toEqual([
      ['2028-01-31T10:00:00.000Z', '2028-02-29T10:00:00.000Z', 400, capture.overage],
      ['2028-02-29T10:00:00.000Z', '2028-03-31T10:00:00.000Z', 0, 0],
    ]);
    const feb29 = d('2028-02-29T10:00:00Z');
    expect(t.charges.map((c) => [c.at, c.kind, c.amountCents, c.status, c.businessKey])).toEqual([
      [t.periods[0]!.start, 'renewal', price('plus'), 'succeeded', renewalKey(orgId, d(t.periods[0]!.start))],
      // The closed period's invoice collects its overage, then the next month is charged, both at the close.
      [
        iso(feb29),
        'invoice',
        overageCharge('plus', capture.overage).amountCents,
        'succeeded',
        expect.stringMatching(/^invoice:LB-2028-\d{6}$/),
      ],
      [iso(feb29), 'renewal', price('plus'), 'succeeded', renewalKey(orgId, feb29)],
      ['2028-03-31T10:00:00.000Z', 'renewal', price('plus'), 'succeeded', expect.any(String)],
    ]);
    expect(t.ledgerDrift).toBe(0);
  });

  it('renews a yearly plan started on 29 February on 28 February, with credits refreshed monthly and a downgrade refunded', async () => {
    const t = await simulate({
      start: '2028-02-29T10:00:00Z',
      until: '2029-03-01T00:00:00Z',
      org: { tier: 'pro', interval: 'year' },
      events: [{ at: '2028-08-15T00:00:00Z', changePlan: { tier: 'max', effective: 'now' } }],
    });
    const start = d('2028-02-29T10:00:00Z');
    const downgradeAt = d('2028-08-15T00:00:00Z');
    const ends = Array.from({ length: 12 }, (_, n) => renewalBoundary(start, 'month', n + 1));
    expect(iso(ends.at(-1)!)).toBe('2029-02-28T10:00:00.000Z');
    const tierAt = (end: Date): TierId => (end <= downgradeAt ? 'pro' : 'max');
    const facts = ends.map((end, i) => ({
      start: i === 0 ? start : ends[i - 1]!,
      end,
      tier: tierAt(end),
      included: tierFacts(tierAt(end)).includedCredits,
      used: 0,
    }));
    expect(t.periods).toEqual(expectedPeriods(facts, 'year'));

    const orgId = t.finalSnapshot.organizationId;
    const refund = t.charges.find((c) => c.kind === 'refund')!;
    expect(Date.parse(refund.at) - downgradeAt.getTime()).toBeLessThan(1000);
    const year: Period = { start, end: renewalBoundary(start, 'year', 1) };
    const proYear = { tier: 'pro' as const, interval: 'year' as const, seats: 1 };
    const back = prorate(proYear, { ...proYear, tier: 'max' }, year, d(refund.at));
    expect(back.totalCents).toBeLessThan(0);
    expect(t.charges).toEqual([
      {
        at: iso(start),
        kind: 'renewal',
        amountCents: price('pro', 'year'),
        status: 'succeeded',
        businessKey: renewalKey(orgId, start),
      },
      {
        at: refund.at,
        kind: 'refund',
        amountCents: -back.totalCents,
        status: 'succeeded',
        businessKey: changeKey(orgId, d(refund.at)),
      },
      {
        at: '2029-02-28T10:00:00.000Z',
        kind: 'renewal',
        amountCents: price('max', 'year'),
        status: 'succeeded',
        businessKey: renewalKey(orgId, d('2029-02-28T10:00:00Z')),
      },
    ]);
    expect(t.ledgerDrift).toBe(0);
  });

  it('declines, dunning, a new card that recovers, a pause for non-payment and a resume with a new anchor', async () => {
    const t = await simulate({
      start: '2026-01-31T10:00:00Z',
      until: '2026-05-12T12:00:00Z',
      org: { tier: 'plus' },
      events: [
        { at: '2026-02-20T00:00:00Z', card: 'declines' },
        // The renewal of 28 February fails, the retry of 1 March too; this card's retry succeeds.
        { at: '2026-03-02T00:00:00Z', card: 'works' },
        { at: '2026-03-20T00:00:00Z', card: 'declines' },
        // 31 March fails, and its retries on 1, 3 and 5 April: paused.
        { at: '2026-04-10T00:00:00Z', card: 'works' },
        { at: '2026-04-12T00:00:00Z', resume: {} },
      ],
    });
    const orgId = t.finalSnapshot.organizationId;
    expect(t.events.at(-1)!.outcome).toBe('unpaused');
    const resumedAt = d(t.charges.filter((c) => c.kind === 'renewal').at(-2)!.at);
    expect(resumedAt.getTime() - Date.parse('2026-04-12T00:00:00Z')).toBeLessThan(1000);
    const nextRenewal = renewalBoundary(resumedAt, 'month', 1);
    expect(t.periods.map((p) => [p.start, p.end, p.status, p.includedGranted])).toEqual([
      ['2026-01-31T10:00:00.000Z', '2026-02-28T10:00:00.000Z', 'active', 100],
      ['2026-02-28T10:00:00.000Z', '2026-03-31T10:00:00.000Z', 'active', 100],
      // Paused: its allowance was taken back; the resume closes it and starts a new anchor.
      ['2026-03-31T10:00:00.000Z', iso(resumedAt), 'paused', 0],
      [iso(resumedAt), iso(nextRenewal), 'active', 100],
    ]);
    expect(t.charges.map((c) => [c.at, c.kind, c.amountCents, c.status, c.businessKey])).toEqual([
      ['2026-01-31T10:00:00.000Z', 'renewal', price('plus'), 'succeeded', expect.any(String)],
      ['2026-02-28T10:00:00.000Z', 'renewal', price('plus'), 'succeeded', expect.any(String)],
      ['2026-03-31T10:00:00.000Z', 'renewal', price('plus'), 'failed', expect.any(String)],
      // The resumed period is paid in full at the resume.
      [iso(resumedAt), 'renewal', price('plus'), 'succeeded', renewalKey(orgId, resumedAt)],
      [iso(nextRenewal), 'renewal', price('plus'), 'succeeded', renewalKey(orgId, nextRenewal)],
    ]);
    expect(t.finalSnapshot.billingStatus).toBe('active');
    expect(t.ledgerDrift).toBe(0);
  });
});
