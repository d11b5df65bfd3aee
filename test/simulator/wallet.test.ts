import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runSimulation } from '../../src/simulator/runner';
import { parseScenario } from '../../src/simulator/scenario';
import type { Timeline } from '../../src/simulator/timeline';
import { DECLINE_BACKOFF_MS } from '../../src/wallet/auto-top-up';
import { localDay } from '../../src/wallet/days';
import { platformFeeCents } from '../../src/wallet/fees';
import { adminUrl } from '../support/postgres';
import '../support/temporal';

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

const simulate = (scenario: unknown): Promise<Timeline> =>
  runSimulation(parseScenario(scenario), {
    serverUrl: adminUrl(),
    settleTimeoutMs: 30_000,
    trace: (line) => trace.push(`${Math.round(performance.now() - startedAt)} ms: ${line}`),
  });

const ms = (s: string): number => Date.parse(s);
const HOUR = 60 * 60 * 1000;
/** The default platform fee: 5% (seed 001's platform_fee_percent). */
const fee = (spendCents: number) => platformFeeCents(spendCents, 500);
const hourly = (first: string, count: number, event: object) =>
  Array.from({ length: count }, (_, i) => ({ at: new Date(ms(first) + i * HOUR).toISOString(), ...event }));

describe('layers-billing simulate: the agency wallet', { timeout: 120_000 }, () => {
  it('tops up automatically until the daily cap, notifies once, and starts again on the next local day (DST)', async () => {
    const zone = 'America/New_York';
    // 8 March 2026 is the day New York moves its clocks forward: 23 hours, and the next day starts at
    // 04:00Z where this one started at 05:00Z.
    const t = await simulate({
      start: '2026-03-07T12:00:00Z',
      until: '2026-03-09T12:00:00Z',
      org: {
        tier: 'pro',
        mode: 'agency',
        wallet: {
          autoTopUp: { enabled: true, thresholdCents: 5_000, amountCents: 10_000, dailyCapCents: 30_000 },
          timeZone: zone,
        },
      },
      // Nine bills of $40 (+$2 fee), one an hour, from 08:00 to 16:00 in New York on the 8th.
      events: hourly('2026-03-08T12:00:00Z', 9, { adSpend: { platform: 'meta', amountCents: 4_000 } }),
    });
    const w = t.wallet!;
    expect(w).toBeDefined();
    const spend = 4_000 + fee(4_000);
    expect(spend).toBe(4_200);
    expect(w.debits).toHaveLength(9);
    // Bills that name no project go to the org's first.
    expect(new Set(w.debits.map((d) => d.projectId)).size).toBe(1);
    expect(w.debits[0]).toEqual({
      at: '2026-03-08T12:00:00.000Z',
      platform: 'meta',
      projectId: expect.any(String),
      spendCents: 4_000,
      feeCents: 200,
    });

    // The empty wallet tops itself up at the start (the 7th), then on the 8th: from $100, bills 2, 4 and
    // 6 cross the $50 threshold and each is topped up; that spends the $300 cap, so bill 9's crossing
    // charges nothing. The next local day starts at 04:00Z (EDT) and the first thing it does is top up.
    const day = (at: string) => localDay(new Date(at), zone);
    const auto = w.topUps.filter((u) => u.trigger === 'auto');
    expect(w.topUps).toEqual(auto);
    expect(auto.map((u) => [day(u.at), u.amountCents, u.method, u.status])).toEqual([
      ['2026-03-07', 10_000, 'card', 'succeeded'],
      ['2026-03-08', 10_000, 'card', 'succeeded'],
      ['2026-03-08', 10_000, 'card', 'succeeded'],
      ['2026-03-08', 10_000, 'card', 'succeeded'],
      ['2026-03-09', 10_000, 'card', 'succeeded'],
    ]);
    // Each top-up of the 8th follows the bill that crossed the threshold, within the same second.
    for (const [i, bill] of [
      [1, 1],
      [2, 3],
      [3, 5],
    ] as const) {
      expect(ms(auto[i]!.at) - ms(w.debits[bill]!.at)).toBeGreaterThanOrEqual(0);
      expect(ms(auto[i]!.at) - ms(w.debits[bill]!.at)).toBeLessThan(1000);
    }
    const nextDay = ms('2026-03-09T04:00:00Z');
    expect(ms(auto[4]!.at)).toBeGreaterThanOrEqual(nextDay);
    expect(ms(auto[4]!.at) - nextDay).toBeLessThan(60_000);
    const capped = auto.filter((u) => day(u.at) === '2026-03-08');
    expect(capped.reduce((s, u) => s + u.amountCents, 0)).toBe(30_000);

    expect(w.capReachedDays).toEqual(['2026-03-08']);
    // The balance never fell below the $0 floor: no pause.
    expect(w.pauses).toEqual([]);
    expect(w.finalBalanceCents).toBe(50_000 - 9 * spend);
    expect(t.events.map((e) => e.outcome)).toEqual(Array(9).fill('recorded'));
    expect(t.ledgerDrift).toBe(0);
  });

  it('a declining card: one attempt per back-off, auto-top-up off after three, back on with a new card', async () => {
    const t = await simulate({
      start: '2026-05-04T12:00:00Z',
      until: '2026-05-05T12:00:00Z',
      org: {
        tier: 'pro',
        mode: 'agency',
        wallet: {
          autoTopUp: { enabled: true, thresholdCents: 5_000, amountCents: 10_000, dailyCapCents: 100_000 },
        },
      },
      events: [
        { at: '2026-05-04T13:00:00Z', card: 'declines' },
        { at: '2026-05-04T14:00:00Z', adSpend: { platform: 'tiktok', amountCents: 8_000 } },
        { at: '2026-05-04T22:00:00Z', card: 'works' },
      ],
    });
    const w = t.wallet!;
    const declined = ms('2026-05-04T14:00:00Z');
    expect(w.topUps.map((u) => [u.trigger, u.method, u.amountCents, u.status])).toEqual([
      ['auto', 'card', 10_000, 'succeeded'],
      ['auto', 'card', 10_000, 'failed'],
      ['auto', 'card', 10_000, 'failed'],
      ['auto', 'card', 10_000, 'failed'],
      ['auto', 'card', 10_000, 'succeeded'],
    ]);
    // The first decline follows the bill; each retry waits out the back-off; after the third, nothing
    // until the new card of 22:00.
    const attempts = w.topUps.slice(1).map((u) => ms(u.at));
    expect(attempts[0]! - declined).toBeLessThan(1000);
    expect(attempts[1]! - attempts[0]!).toBeGreaterThanOrEqual(DECLINE_BACKOFF_MS);
    expect(attempts[1]! - attempts[0]!).toBeLessThan(DECLINE_BACKOFF_MS + 60_000);
    expect(attempts[2]! - attempts[1]!).toBeGreaterThanOrEqual(DECLINE_BACKOFF_MS);
    expect(attempts[2]! - attempts[1]!).toBeLessThan(DECLINE_BACKOFF_MS + 60_000);
    expect(attempts[3]! - ms('2026-05-04T22:00:00Z')).toBeGreaterThanOrEqual(0);
    expect(attempts[3]! - ms('2026-05-04T22:00:00Z')).toBeLessThan(1000);
    expect(w.finalBalanceCents).toBe(20_000 - 8_000 - fee(8_000));
    expect(w.capReachedDays).toEqual([]);
    expect(t.events.map((e) => [e.kind, e.outcome])).toEqual([
      ['card', 'attached'],
      ['adSpend', 'recorded'],
      ['card', 'attached'],
    ]);
    expect(t.ledgerDrift).toBe(0);
  });

  it('pauses ads below the floor and resumes them after a top-up (ACH, then card)', async () => {
    const t = await simulate({
      start: '2026-04-06T12:00:00Z',
      until: '2026-04-07T18:00:00Z',
      org: { tier: 'pro', mode: 'agency' },
      events: [
        { at: '2026-04-06T12:30:00Z', topUp: { method: 'wire', amountCents: 20_000 } },
        { at: '2026-04-06T13:00:00Z', wallet: { floorCents: 5_000 } },
        { at: '2026-04-06T14:00:00Z', adSpend: { platform: 'meta', amountCents: 18_000 } },
        { at: '2026-04-06T15:00:00Z', topUp: { method: 'ach', amountCents: 10_000 } },
        { at: '2026-04-07T10:00:00Z', adSpend: { platform: 'google', amountCents: 7_000 } },
        { at: '2026-04-07T11:00:00Z', topUp: { method: 'card', amountCents: 5_000 } },
      ],
    });
    const w = t.wallet!;
    expect(w.topUps.map((u) => [u.at, u.trigger, u.method, u.amountCents, u.status])).toEqual([
      ['2026-04-06T12:30:00.000Z', 'manual', 'wire', 20_000, 'succeeded'],
      ['2026-04-06T15:00:00.000Z', 'manual', 'ach', 10_000, 'succeeded'],
      ['2026-04-07T11:00:00.000Z', 'manual', 'card', 5_000, 'succeeded'],
    ]);
    expect(w.pauses.map((p) => [p.action, p.reason])).toEqual([
      ['pause', 'below_floor'],
      ['resume', 'funded'],
      ['pause', 'below_floor'],
      ['resume', 'funded'],
    ]);
    // $200 - $180 - $9 = $11 < $50: paused by the bill. The ACH debit (localstripe settles a SEPA debit,
    // its stand-in, at once) makes $111: resumed. $111 - $73.50 = $37.50: paused; a card top-up of $50
    // makes $87.50, above $50 + the margin: resumed. Each within a second of the event that caused it.
    const causes = [
      '2026-04-06T14:00:00Z',
      '2026-04-06T15:00:00Z',
      '2026-04-07T10:00:00Z',
      '2026-04-07T11:00:00Z',
    ];
    w.pauses.forEach((p, i) => {
      expect(ms(p.at) - ms(causes[i]!)).toBeGreaterThanOrEqual(0);
      expect(ms(p.at) - ms(causes[i]!)).toBeLessThan(1000);
    });
    expect(t.events.map((e) => [e.kind, e.outcome])).toEqual([
      ['topUp', 'succeeded'],
      ['wallet', 'updated'],
      ['adSpend', 'recorded'],
      ['topUp', 'succeeded'],
      ['adSpend', 'recorded'],
      ['topUp', 'succeeded'],
    ]);
    expect(w.debits.map((d) => [d.at, d.platform, d.spendCents, d.feeCents])).toEqual([
      ['2026-04-06T14:00:00.000Z', 'meta', 18_000, fee(18_000)],
      ['2026-04-07T10:00:00.000Z', 'google', 7_000, fee(7_000)],
    ]);
    expect(w.finalBalanceCents).toBe(20_000 + 10_000 + 5_000 - 18_000 - 900 - 7_000 - 350);
    expect(t.ledgerDrift).toBe(0);
  });

  it('refuses a bill for a project that is not the org’s, in the timeline, and writes nothing', async () => {
    const t = await simulate({
      start: '2026-04-06T12:00:00Z',
      until: '2026-04-06T14:00:00Z',
      org: { tier: 'pro', mode: 'agency' },
      events: [
        {
          at: '2026-04-06T13:00:00Z',
          adSpend: { platform: 'meta', projectId: 'prj_nope', amountCents: 100 },
        },
      ],
    });
    expect(t.events).toEqual([
      expect.objectContaining({ kind: 'adSpend', outcome: 'refused', code: 'NOT_FOUND' }),
    ]);
    expect(t.wallet).toEqual({
      topUps: [],
      debits: [],
      pauses: [],
      capReachedDays: [],
      finalBalanceCents: 0,
    });
  });
});
