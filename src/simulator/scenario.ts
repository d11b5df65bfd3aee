import { Type, type Static, type TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { EFFECTIVE } from '../billing/changes';
import { requireSeatsWithinLimit } from '../billing/limits';
import { INTERVALS, MAX_SEATS, type Interval } from '../billing/subscription';
import { TIER_IDS, type TierId } from '../billing/tiers';
import { CREDIT_PACKS } from '../credit-packs/catalog';
import { actualCostCeiling } from '../credits/ceiling';
import { GENERATION_FORMATS, type GenerationFormat } from '../credits/formats';
import { GENERATION_FORMAT_ROWS } from '../db/seed/catalog';
import { DomainError } from '../errors';
import { USAGE_METRICS } from '../invoices/usage-metrics';
import { MAX_USAGE_QUANTITY } from '../invoices/usage-rules';
import { BILLING_MODES, type BillingMode } from '../orgs/statuses';
import { MAX_CENTS_PER_OPERATION } from '../wallet/amounts';
import { MINIMUM_TOP_UP_CENTS } from '../wallet/auto-top-up';
import { requireTimeZone } from '../wallet/days';
import { requireWalletSettings, type WalletSettings } from '../wallet/settings';
import { AD_PLATFORMS, TOP_UP_METHODS } from '../wallet/statuses';
import type { WalletSettingsPatch } from '../wallet/wallets';

/**
 * The simulator's scenario, version 1: one org from `start` to `until` and the events that happen to it.
 * Later issues (wallet, invoices) add event kinds and fields; what is valid here stays valid. The wallet
 * (issue 10) added `org.wallet` and the `topUp`, `adSpend` and `wallet` events, for agency-mode orgs only.
 *
 * Validation is TypeBox schemas built from the domain's own lists (tiers, intervals, packs, formats), so
 * a tier added to the catalog is valid here without an edit. Each event is checked against the schema of
 * its one kind, so an error names the event and the field ("events[3].changePlan.tier: …") instead of
 * the noise a union of every kind would give. What depends on the subscription's state at the time
 * (a downgrade already scheduled, a resume of an active plan) is the engine's to refuse, and the
 * timeline reports that refusal with its code.
 */

const closed = <P extends Record<string, TSchema>>(properties: P) =>
  Type.Object(properties, { additionalProperties: false });
const oneOf = <const V extends string>(values: readonly V[]) => Type.Enum([...values]);
const dateTime = () => Type.String({ format: 'date-time' });
const seats = () => Type.Integer({ minimum: 1, maximum: MAX_SEATS });
const cents = (minimum: 0 | 1) => Type.Integer({ minimum, maximum: MAX_CENTS_PER_OPERATION });

const plan = {
  tier: Type.Optional(oneOf(TIER_IDS)),
  interval: Type.Optional(oneOf(INTERVALS)),
  seats: Type.Optional(seats()),
};

function walletSettings() {
  return closed({
    floorCents: Type.Optional(cents(0)),
    autoTopUp: Type.Optional(
      closed({
        enabled: Type.Boolean(),
        thresholdCents: cents(0),
        amountCents: cents(0),
        dailyCapCents: cents(0),
      }),
    ),
    timeZone: Type.Optional(Type.String()),
  });
}

/** One schema per event kind: the key that names the kind, and its payload. */
const EVENT_KINDS = {
  generation: closed({
    format: oneOf(GENERATION_FORMATS),
    actualCredits: Type.Integer({ minimum: 0 }),
  }),
  buyPack: closed({ packId: oneOf(CREDIT_PACKS.map((p) => p.id)) }),
  changePlan: closed({ ...plan, effective: Type.Optional(oneOf(EFFECTIVE)) }),
  card: oneOf(['declines', 'works'] as const),
  cancel: closed({}),
  pause: closed({}),
  /** Resumes a pause, undoes a pending cancel, or subscribes a canceled org again (optionally to another plan). */
  resume: closed(plan),
  /** Card and ACH are charged by the wallet workflow; a wire is credited as finance would (creditWire). */
  topUp: closed({ method: oneOf(TOP_UP_METHODS), amountCents: cents(1) }),
  /** One platform bill; `projectId` defaults to the org's first project. */
  adSpend: closed({
    platform: oneOf(AD_PLATFORMS),
    projectId: Type.Optional(Type.String({ minLength: 1 })),
    amountCents: cents(1),
  }),
  /** New wallet settings, merged with the current ones as PUT /v1/wallet/* would. */
  wallet: walletSettings(),
  /** Metered usage, as POST /v1/usage records it (a batch of one): billed over the allowance at the close. */
  usage: closed({
    metric: oneOf(USAGE_METRICS),
    quantity: Type.Integer({ minimum: 1, maximum: MAX_USAGE_QUANTITY }),
  }),
} as const;

export type EventKind = keyof typeof EVENT_KINDS;
export const EVENT_KIND_NAMES = Object.keys(EVENT_KINDS) as EventKind[];

const eventSchema = <K extends EventKind>(kind: K) =>
  closed({ at: dateTime(), [kind]: EVENT_KINDS[kind] } as { at: ReturnType<typeof dateTime> } & Record<
    K,
    (typeof EVENT_KINDS)[K]
  >);

type EventOf<K extends EventKind> = { at: string } & { [P in K]: Static<(typeof EVENT_KINDS)[K]> };
export type ScenarioEvent = { [K in EventKind]: EventOf<K> }[EventKind];

const orgSchema = closed({
  tier: oneOf(TIER_IDS),
  interval: Type.Optional(oneOf(INTERVALS)),
  seats: Type.Optional(seats()),
  mode: Type.Optional(oneOf(BILLING_MODES)),
  /** The card on file at the start (default: one that works). */
  card: Type.Optional(EVENT_KINDS.card),
  /** The wallet's settings at the start (agency mode only); unset ones keep the wallet's defaults. */
  wallet: Type.Optional(EVENT_KINDS.wallet),
});

/** Everything but the events, which are checked one by one against the schema of their kind. */
const scenarioSchema = closed({
  version: Type.Optional(Type.Literal(1)),
  start: dateTime(),
  until: dateTime(),
  org: orgSchema,
  events: Type.Optional(Type.Array(Type.Object({}))),
});

export interface Scenario {
  start: Date;
  until: Date;
  org: {
    tier: TierId;
    interval: Interval;
    seats: number;
    mode: BillingMode;
    card: CardEvent;
    /** Applied when the run starts, which starts the wallet workflow. */
    wallet?: WalletSettingsPatch;
  };
  /** In order of time; `at` parsed. */
  events: Array<{ index: number; at: Date; kind: EventKind; event: ScenarioEvent }>;
}

export type CardEvent = Static<typeof EVENT_KINDS.card>;

/**
 * A year is the point of the tool; ten leave room for multi-year plans while refusing a typo such as
 * 2207 that would run for minutes.
 */
export const MAX_SCENARIO_YEARS = 10;

/** A scenario that cannot run: `path` names the field (`events[3].changePlan.tier`), `eventIndex` the event. */
export class ScenarioError extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
    readonly eventIndex?: number,
  ) {
    super(path ? `${path}: ${problem}` : problem);
  }
}

/** `/events/3/changePlan/tier` as `events[3].changePlan.tier`. */
function pathOf(instancePath: string, prefix = ''): string {
  const parts = instancePath.split('/').filter(Boolean);
  let out = prefix;
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : out === '' ? p : `.${p}`;
  return out;
}

/** The first error of `value` against `schema`, as a ScenarioError (the most specific one TypeBox gives). */
function check(schema: TSchema, value: unknown, prefix: string, eventIndex?: number): void {
  if (Value.Check(schema, value)) return;
  const errors = [...Value.Errors(schema, value)];
  // An unknown field is reported twice (as "schema is false" on the field and on its parent); the
  // parent's names it in words.
  const error =
    errors.find((e) => e.keyword === 'additionalProperties') ??
    errors.find((e) => e.keyword !== 'boolean') ??
    errors[0]!;
  const params = error.params as Record<string, unknown>;
  let path = pathOf(error.instancePath, prefix);
  let problem = error.message;
  if (error.keyword === 'additionalProperties') {
    const extra = (params.additionalProperties as string[] | undefined)?.[0];
    if (extra !== undefined) path = pathOf(`${error.instancePath}/${extra}`, prefix);
    problem = 'is not a field of this object';
  } else if (error.keyword === 'required') {
    const missing = (params.requiredProperties as string[] | undefined)?.[0];
    if (missing !== undefined) path = pathOf(`${error.instancePath}/${missing}`, prefix);
    problem = 'is required';
  } else if (error.keyword === 'enum') {
    problem = `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
  } else if (error.keyword === 'const') {
    problem = `must be ${JSON.stringify(params.allowedValue)}`;
  } else if (error.keyword === 'format') {
    problem = 'must be an ISO 8601 date-time, e.g. "2026-01-31T10:00:00Z"';
  }
  const got = valueAt(value, error.instancePath);
  if (got !== undefined && !['additionalProperties', 'required'].includes(error.keyword)) {
    problem += `; got ${JSON.stringify(got)}`;
  }
  const index = eventIndex ?? /^\/events\/(\d+)/.exec(error.instancePath)?.[1];
  throw new ScenarioError(path, problem, index === undefined ? undefined : Number(index));
}

function valueAt(root: unknown, instancePath: string): unknown {
  let v: unknown = root;
  for (const part of instancePath.split('/').filter(Boolean)) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Parses and validates a scenario (the JSON document, already parsed); throws ScenarioError. */
export function parseScenario(input: unknown): Scenario {
  check(scenarioSchema, input, '');
  const raw = input as Static<typeof scenarioSchema>;
  const start = new Date(raw.start);
  const until = new Date(raw.until);
  if (until.getTime() <= start.getTime()) throw new ScenarioError('until', 'must be after start');
  if (until.getTime() - start.getTime() > MAX_SCENARIO_YEARS * 366 * DAY_MS) {
    throw new ScenarioError('until', `must be at most ${MAX_SCENARIO_YEARS} years after start`);
  }
  const org: Scenario['org'] = {
    tier: raw.org.tier,
    interval: raw.org.interval ?? 'month',
    seats: raw.org.seats ?? 1,
    mode: raw.org.mode ?? 'byo',
    card: raw.org.card ?? 'works',
  };
  domainCheck('org.seats', () => requireSeatsWithinLimit(org.tier, org.seats));
  // The settings each wallet event leaves, so that every event's merged settings are checked here, as
  // updateWalletSettings will check them, instead of failing half-way through a run.
  let walletSettings = DEFAULT_WALLET_SETTINGS;
  if (raw.org.wallet !== undefined) {
    requireWallet(org.mode, 'org.wallet');
    walletSettings = mergedWalletSettings(walletSettings, raw.org.wallet, 'org.wallet');
    org.wallet = raw.org.wallet;
  }

  const events: Scenario['events'] = [];
  (raw.events ?? []).forEach((value, index) => {
    const prefix = `events[${index}]`;
    const kinds = EVENT_KIND_NAMES.filter((k) => Object.hasOwn(value, k));
    if (kinds.length !== 1) {
      throw new ScenarioError(
        prefix,
        kinds.length === 0
          ? `needs one of ${EVENT_KIND_NAMES.join(', ')} (besides "at")`
          : `has ${kinds.join(' and ')}: one kind per event`,
        index,
      );
    }
    const kind = kinds[0]!;
    check(eventSchema(kind), value, prefix, index);
    const event = value as ScenarioEvent;
    const at = new Date(event.at);
    if (at.getTime() < start.getTime() || at.getTime() > until.getTime()) {
      throw new ScenarioError(`${prefix}.at`, `must be between start and until; got ${event.at}`, index);
    }
    const previous = events.at(-1);
    if (previous && at.getTime() < previous.at.getTime()) {
      throw new ScenarioError(
        `${prefix}.at`,
        `must not be before events[${previous.index}].at (${previous.at.toISOString()}): events run in order of time`,
        index,
      );
    }
    if ('generation' in event) {
      const { format, actualCredits } = event.generation;
      const row = GENERATION_FORMAT_ROWS[format as GenerationFormat];
      const ceiling = actualCostCeiling(row.estimated_credits, row.max_actual_credits);
      if (actualCredits > ceiling) {
        throw new ScenarioError(
          `${prefix}.generation.actualCredits`,
          `must be at most ${ceiling} for ${format} (its ceiling); got ${actualCredits}`,
          index,
        );
      }
    }
    if ('topUp' in event || 'adSpend' in event || 'wallet' in event)
      requireWallet(org.mode, `${prefix}.${kind}`, index);
    if ('topUp' in event && event.topUp.method !== 'wire' && event.topUp.amountCents < MINIMUM_TOP_UP_CENTS) {
      throw new ScenarioError(
        `${prefix}.topUp.amountCents`,
        `must be at least the minimum top-up of ${MINIMUM_TOP_UP_CENTS} cents; got ${event.topUp.amountCents}`,
        index,
      );
    }
    if ('wallet' in event) {
      const w = event.wallet;
      if (w.floorCents === undefined && w.autoTopUp === undefined && w.timeZone === undefined) {
        throw new ScenarioError(`${prefix}.wallet`, 'needs floorCents, autoTopUp or timeZone', index);
      }
      walletSettings = mergedWalletSettings(walletSettings, w, `${prefix}.wallet`, index);
    }
    if ('changePlan' in event) {
      const c = event.changePlan;
      if (c.tier === undefined && c.interval === undefined && c.seats === undefined) {
        throw new ScenarioError(`${prefix}.changePlan`, 'needs tier, interval or seats', index);
      }
    }
    events.push({ index, at, kind, event });
  });
  return { start, until, org, events };
}

/**
 * A rule of the domain as a scenario error on `path`. A VALIDATION_FAILED names its field (relative to
 * what the rule was given, `autoTopUp.amountCents`): the path goes down to it.
 */
function domainCheck<T>(path: string, rule: () => T, eventIndex?: number): T {
  try {
    return rule();
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    const field = err.details?.field;
    if (
      err.code === 'VALIDATION_FAILED' &&
      typeof field === 'string' &&
      err.message.startsWith(`${field}: `)
    ) {
      throw new ScenarioError(`${path}.${field}`, err.message.slice(field.length + 2), eventIndex);
    }
    throw new ScenarioError(path, err.message, eventIndex);
  }
}

/** A new wallet's settings (the wallets table's defaults, migration 0007): no floor, auto-top-up off. */
const DEFAULT_WALLET_SETTINGS: WalletSettings = {
  floorCents: 0,
  autoTopUp: { enabled: false, thresholdCents: 0, amountCents: 0, dailyCapCents: 0 },
};

/**
 * A BYO org has no wallet: its wallet events are refused here (the engine would answer
 * WALLET_NOT_AVAILABLE), since no event changes an org's mode and the mistake is the scenario's.
 */
function requireWallet(mode: BillingMode, path: string, eventIndex?: number): void {
  if (mode !== 'agency') {
    throw new ScenarioError(
      path,
      'needs org.mode "agency": a BYO org has no wallet (WALLET_NOT_AVAILABLE)',
      eventIndex,
    );
  }
}

/** `patch` over `current`, as updateWalletSettings merges them, and refused by the same rules. */
function mergedWalletSettings(
  current: WalletSettings,
  patch: WalletSettingsPatch,
  path: string,
  eventIndex?: number,
): WalletSettings {
  if (patch.timeZone !== undefined) {
    const zone = patch.timeZone;
    domainCheck(path, () => requireTimeZone('timeZone', zone), eventIndex);
  }
  return domainCheck(
    path,
    () =>
      requireWalletSettings({
        floorCents: patch.floorCents ?? current.floorCents,
        autoTopUp: patch.autoTopUp ?? current.autoTopUp,
      }),
    eventIndex,
  );
}
