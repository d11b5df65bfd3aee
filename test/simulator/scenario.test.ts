import { describe, expect, it } from 'vitest';
import { TIER_IDS } from '../../src/billing/tiers';
import { parseScenario, ScenarioError } from '../../src/simulator/scenario';
import { planAt } from '../../src/simulator/timeline';
import type { SubscriptionSave } from '../../src/simulator/history';

const GOOD = {
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
    { at: '2026-07-01T00:00:00Z', pause: {} },
    { at: '2026-07-15T00:00:00Z', resume: {} },
    { at: '2026-09-01T00:00:00Z', cancel: {} },
    { at: '2026-10-01T00:00:00Z', resume: { tier: 'max', interval: 'year', seats: 2 } },
  ],
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- an edit reaches anywhere, wrong types included
type Draft = any;

/** GOOD with one change made by `edit`. */
function variant(edit: (s: Draft) => void): unknown {
  const s = structuredClone(GOOD);
  edit(s);
  return s;
}

function refusal(scenario: unknown): { message: string; path: string; eventIndex?: number } {
  try {
    parseScenario(scenario);
  } catch (err) {
    if (err instanceof ScenarioError)
      return { message: err.message, path: err.path, eventIndex: err.eventIndex };
    throw err;
  }
  throw new Error('the scenario was accepted');
}

describe('scenario v1', () => {
  it('accepts every event kind and fills the defaults', () => {
    const s = parseScenario(GOOD);
    expect(s.start.toISOString()).toBe('2026-01-31T10:00:00.000Z');
    expect(s.events.map((e) => e.kind)).toEqual([
      'generation',
      'buyPack',
      'changePlan',
      'changePlan',
      'card',
      'card',
      'pause',
      'resume',
      'cancel',
      'resume',
    ]);
    expect(s.events.map((e) => e.index)).toEqual([...s.events.keys()]);
    expect(parseScenario({ ...GOOD, org: { tier: 'free' }, events: undefined })).toMatchObject({
      org: { tier: 'free', interval: 'month', seats: 1, mode: 'byo', card: 'works' },
      events: [],
    });
  });

  it.each([
    [
      'an unknown tier',
      (s: Draft) => (s.events[2].changePlan.tier = 'gold'),
      'events[2].changePlan.tier',
      /must be one of "free".*"team"; got "gold"/,
      2,
    ],
    [
      'zero seats',
      (s: Draft) => (s.events[2].changePlan.seats = 0),
      'events[2].changePlan.seats',
      /must be >= 1; got 0/,
      2,
    ],
    [
      'an unknown field',
      (s: Draft) => (s.events[3].changePlan.when = 'soon'),
      'events[3].changePlan.when',
      /is not a field/,
      3,
    ],
    [
      'a plan change naming nothing',
      (s: Draft) => (s.events[3].changePlan = { effective: 'now' }),
      'events[3].changePlan',
      /needs tier, interval or seats/,
      3,
    ],
    [
      'an unknown effective',
      (s: Draft) => (s.events[3].changePlan.effective = 'later'),
      'events[3].changePlan.effective',
      /must be one of "now", "renewal"/,
      3,
    ],
    [
      'fractional credits',
      (s: Draft) => (s.events[0].generation.actualCredits = 1.5),
      'events[0].generation.actualCredits',
      /integer; got 1.5/,
      0,
    ],
    [
      'negative credits',
      (s: Draft) => (s.events[0].generation.actualCredits = -1),
      'events[0].generation.actualCredits',
      />= 0; got -1/,
      0,
    ],
    [
      'credits above the format ceiling',
      (s: Draft) => (s.events[0].generation.actualCredits = 5000),
      'events[0].generation.actualCredits',
      /at most 1200 for video_remix/,
      0,
    ],
    [
      'an unknown format',
      (s: Draft) => (s.events[0].generation.format = 'opera'),
      'events[0].generation.format',
      /must be one of "slideshow_builder"/,
      0,
    ],
    [
      'a missing field',
      (s: Draft) => delete s.events[0].generation.format,
      'events[0].generation.format',
      /is required/,
      0,
    ],
    [
      'an unknown pack',
      (s: Draft) => (s.events[1].buyPack.packId = 'pack_7'),
      'events[1].buyPack.packId',
      /must be one of "pack_100"/,
      1,
    ],
    [
      'an event of no kind',
      (s: Draft) => (s.events[1] = { at: '2026-02-10T00:00:00Z' }),
      'events[1]',
      /needs one of generation, buyPack, changePlan, card, cancel, pause, resume/,
      1,
    ],
    [
      'an event of two kinds',
      (s: Draft) => (s.events[1] = { at: '2026-02-10T00:00:00Z', cancel: {}, pause: {} }),
      'events[1]',
      /has cancel and pause/,
      1,
    ],
    [
      'an unknown card',
      (s: Draft) => (s.events[4].card = 'maybe'),
      'events[4].card',
      /must be one of "declines", "works"/,
      4,
    ],
    [
      'a malformed time',
      (s: Draft) => (s.events[1].at = 'next tuesday'),
      'events[1].at',
      /ISO 8601 date-time/,
      1,
    ],
    [
      'a time without its zone',
      (s: Draft) => (s.events[1].at = '2026-02-10T00:00:00'),
      'events[1].at',
      /ISO 8601 date-time/,
      1,
    ],
    [
      'an event before start',
      (s: Draft) => (s.events[0].at = '2026-01-01T00:00:00Z'),
      'events[0].at',
      /between start and until/,
      0,
    ],
    [
      'an event after until',
      (s: Draft) => (s.events[9].at = '2027-02-01T00:00:00Z'),
      'events[9].at',
      /between start and until/,
      9,
    ],
    [
      'events out of order',
      (s: Draft) => (s.events[3].at = '2026-03-01T00:00:00Z'),
      'events[3].at',
      /must not be before events\[2\]\.at/,
      3,
    ],
    ['an event that is not an object', (s: Draft) => (s.events[3] = 5), 'events[3]', /must be object/, 3],
    [
      'options on cancel',
      (s: Draft) => (s.events[8].cancel = { now: true }),
      'events[8].cancel.now',
      /is not a field/,
      8,
    ],
  ])('refuses %s, naming the event and the field', (_name, edit, path, message, index) => {
    const r = refusal(variant(edit));
    expect(r.path).toBe(path);
    expect(r.message).toMatch(new RegExp(`^${path.replace(/[[\].]/g, '\\$&')}: `));
    expect(r.message).toMatch(message);
    expect(r.eventIndex).toBe(index);
  });

  it.each([
    ['an unknown org tier', (s: Draft) => (s.org.tier = 'gold'), 'org.tier', /must be one of/],
    [
      'seats a tier cannot have',
      (s: Draft) => (s.org = { tier: 'free', seats: 2 }),
      'org.seats',
      /allows at most 1 seat/,
    ],
    [
      'an unknown mode',
      (s: Draft) => (s.org.mode = 'reseller'),
      'org.mode',
      /must be one of "agency", "byo"/,
    ],
    ['until before start', (s: Draft) => (s.until = s.start), 'until', /must be after start/],
    ['a run of decades', (s: Draft) => (s.until = '2207-01-31T10:00:00Z'), 'until', /at most 10 years/],
    ['a missing start', (s: Draft) => delete s.start, 'start', /is required/],
    ['an unknown version', (s: Draft) => (s.version = 2), 'version', /must be 1; got 2/],
    ['an unknown top-level field', (s: Draft) => (s.wallet = {}), 'wallet', /is not a field/],
    ['events that are not a list', (s: Draft) => (s.events = {}), 'events', /must be array/],
  ])('refuses %s, naming the field', (_name, edit, path, message) => {
    const r = refusal(variant(edit));
    expect(r).toMatchObject({ path, eventIndex: undefined });
    expect(r.message).toMatch(message);
  });

  it('refuses what is not a scenario at all', () => {
    expect(refusal(null).message).toMatch(/must be object/);
    expect(refusal([]).message).toMatch(/must be object/);
  });

  it('builds its tier list from the catalog', () => {
    for (const tier of TIER_IDS) expect(() => parseScenario({ ...GOOD, org: { tier } })).not.toThrow();
  });
});

/** An agency org with a wallet and every wallet event. */
const AGENCY = {
  start: '2026-03-07T12:00:00Z',
  until: '2026-03-10T12:00:00Z',
  org: {
    tier: 'pro',
    mode: 'agency',
    wallet: {
      floorCents: 2_000,
      autoTopUp: { enabled: true, thresholdCents: 5_000, amountCents: 10_000, dailyCapCents: 30_000 },
      timeZone: 'America/New_York',
    },
  },
  events: [
    { at: '2026-03-07T13:00:00Z', topUp: { method: 'wire', amountCents: 500 } },
    { at: '2026-03-07T14:00:00Z', topUp: { method: 'ach', amountCents: 10_000 } },
    { at: '2026-03-07T15:00:00Z', adSpend: { platform: 'meta', amountCents: 4_000 } },
    { at: '2026-03-07T16:00:00Z', adSpend: { platform: 'google', projectId: 'prj_1', amountCents: 1 } },
    { at: '2026-03-07T17:00:00Z', card: 'declines' },
    { at: '2026-03-07T18:00:00Z', wallet: { floorCents: 5_000 } },
    { at: '2026-03-07T19:00:00Z', topUp: { method: 'card', amountCents: 1_000 } },
  ],
};

describe('scenario v1: the wallet', () => {
  it('accepts the wallet events and settings of an agency org', () => {
    const s = parseScenario(AGENCY);
    expect(s.org.wallet).toEqual(AGENCY.org.wallet);
    expect(s.events.map((e) => e.kind)).toEqual([
      'topUp',
      'topUp',
      'adSpend',
      'adSpend',
      'card',
      'wallet',
      'topUp',
    ]);
    expect(parseScenario({ ...AGENCY, org: { tier: 'pro', mode: 'agency' }, events: [] }).org.wallet).toBe(
      undefined,
    );
  });

  const agencyVariant = (edit: (s: Draft) => void): unknown => {
    const s = structuredClone(AGENCY);
    edit(s);
    return s;
  };

  it.each([
    [
      'a top-up for a BYO org',
      (s: Draft) => {
        s.org = { tier: 'pro' };
      },
      'events[0].topUp',
      /needs org.mode "agency": a BYO org has no wallet \(WALLET_NOT_AVAILABLE\)/,
      0,
    ],
    [
      'ad spend for a BYO org',
      (s: Draft) => {
        s.org = { tier: 'pro', mode: 'byo' };
        s.events = [s.events[2]];
      },
      'events[0].adSpend',
      /a BYO org has no wallet/,
      0,
    ],
    [
      'an unknown platform',
      (s: Draft) => (s.events[2].adSpend.platform = 'myspace'),
      'events[2].adSpend.platform',
      /must be one of "meta", "tiktok", "google"; got "myspace"/,
      2,
    ],
    [
      'an unknown top-up method',
      (s: Draft) => (s.events[1].topUp.method = 'cheque'),
      'events[1].topUp.method',
      /must be one of "card", "ach", "wire"/,
      1,
    ],
    [
      'fractional cents',
      (s: Draft) => (s.events[2].adSpend.amountCents = 12.5),
      'events[2].adSpend.amountCents',
      /integer; got 12.5/,
      2,
    ],
    [
      'zero cents of spend',
      (s: Draft) => (s.events[2].adSpend.amountCents = 0),
      'events[2].adSpend.amountCents',
      />= 1; got 0/,
      2,
    ],
    [
      'absurd cents',
      (s: Draft) => (s.events[0].topUp.amountCents = 1e12),
      'events[0].topUp.amountCents',
      /<= 1000000000/,
      0,
    ],
    [
      'cents as a string',
      (s: Draft) => (s.events[0].topUp.amountCents = '500'),
      'events[0].topUp.amountCents',
      /integer/,
      0,
    ],
    [
      'a card top-up below the minimum',
      (s: Draft) => (s.events[6].topUp.amountCents = 999),
      'events[6].topUp.amountCents',
      /at least the minimum top-up of 1000 cents; got 999/,
      6,
    ],
    [
      'an empty project',
      (s: Draft) => (s.events[3].adSpend.projectId = ''),
      'events[3].adSpend.projectId',
      /must not have fewer than 1 characters/,
      3,
    ],
    [
      'settings that name nothing',
      (s: Draft) => (s.events[5].wallet = {}),
      'events[5].wallet',
      /needs floorCents, autoTopUp or timeZone/,
      5,
    ],
    [
      'a floor raised above the threshold in force',
      (s: Draft) => (s.events[5].wallet.floorCents = 6_000),
      'events[5].wallet.autoTopUp.thresholdCents',
      /must be at least the floor/,
      5,
    ],
    [
      'an unknown time zone in an event',
      (s: Draft) => (s.events[5].wallet.timeZone = 'Mars/Olympus'),
      'events[5].wallet.timeZone',
      /IANA time zone/,
      5,
    ],
    [
      'an unknown field of auto-top-up',
      (s: Draft) => (s.events[5].wallet.autoTopUp = { ...s.org.wallet.autoTopUp, weekly: true }),
      'events[5].wallet.autoTopUp.weekly',
      /is not a field/,
      5,
    ],
  ])('refuses %s, naming the event and the field', (_name, edit, path, message, index) => {
    const r = refusal(agencyVariant(edit));
    expect(r.path).toBe(path);
    expect(r.message).toMatch(new RegExp(`^${path.replace(/[[\].]/g, '\\$&')}: `));
    expect(r.message).toMatch(message);
    expect(r.eventIndex).toBe(index);
  });

  it.each([
    ['a wallet for a BYO org', (s: Draft) => (s.org.mode = 'byo'), 'org.wallet', /a BYO org has no wallet/],
    [
      'a daily cap below the amount',
      (s: Draft) => (s.org.wallet.autoTopUp.dailyCapCents = 9_999),
      'org.wallet.autoTopUp.dailyCapCents',
      /must be at least autoTopUp.amountCents/,
    ],
    [
      'an auto top-up below the minimum',
      (s: Draft) => (s.org.wallet.autoTopUp.amountCents = 500),
      'org.wallet.autoTopUp.amountCents',
      /at least the minimum top-up of 1000 cents/,
    ],
    [
      'a threshold below the floor',
      (s: Draft) => (s.org.wallet.floorCents = 5_001),
      'org.wallet.autoTopUp.thresholdCents',
      /must be at least the floor/,
    ],
    [
      'a negative floor',
      (s: Draft) => (s.org.wallet.floorCents = -1),
      'org.wallet.floorCents',
      />= 0; got -1/,
    ],
    [
      'a bare UTC offset for a time zone',
      (s: Draft) => (s.org.wallet.timeZone = '+05:00'),
      'org.wallet.timeZone',
      /IANA time zone/,
    ],
    [
      'auto-top-up without its switch',
      (s: Draft) => delete s.org.wallet.autoTopUp.enabled,
      'org.wallet.autoTopUp.enabled',
      /is required/,
    ],
  ])('refuses %s, naming the field', (_name, edit, path, message) => {
    const r = refusal(agencyVariant(edit));
    expect(r).toMatchObject({ path, eventIndex: undefined });
    expect(r.message).toMatch(message);
  });

  it('accepts disabled auto-top-up settings as given, and a wire below the card minimum', () => {
    const s = parseScenario(
      agencyVariant((d) => {
        d.org.wallet = { autoTopUp: { enabled: false, thresholdCents: 0, amountCents: 0, dailyCapCents: 0 } };
        d.events[5].wallet = { floorCents: 6_000 };
      }),
    );
    expect(s.events[0]!.event).toEqual({
      at: '2026-03-07T13:00:00Z',
      topUp: { method: 'wire', amountCents: 500 },
    });
  });
});

describe('planAt', () => {
  const save = (at: string, status: SubscriptionSave['status']): SubscriptionSave => ({
    at: new Date(at),
    tier: 'pro',
    interval: 'month',
    seats: 1,
    status,
  });
  const saves = [
    save('2026-01-31T10:00:00Z', 'active'),
    save('2026-02-28T10:00:00Z', 'past_due'),
    save('2026-03-05T10:00:00Z', 'paused'),
  ];

  it('is the plan in force just before a time: a save at the time itself belongs to what follows', () => {
    expect(planAt(saves, new Date('2026-02-28T10:00:00Z'))?.status).toBe('active');
    expect(planAt(saves, new Date('2026-02-28T10:00:00.001Z'))?.status).toBe('past_due');
    expect(planAt(saves, new Date('2027-01-01T00:00:00Z'))?.status).toBe('paused');
    // Before the first save, the first one (the subscription as it started).
    expect(planAt(saves, new Date('2026-01-31T10:00:00Z'))?.status).toBe('active');
    expect(planAt([], new Date())).toBeUndefined();
  });
});
