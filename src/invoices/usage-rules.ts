import { mulDivRound } from '../billing/rounding';
import { IDEMPOTENCY_KEY_MAX_LENGTH } from '../credits/amounts';
import { DomainError, invalid } from '../errors';
import { isUsageMetric, METRIC_AGGREGATION, USAGE_METRICS, type UsageMetric } from './usage-metrics';

/**
 * Usage's pure rules: what an event may say, which events are accepted when, and what a period's usage
 * over the allowance costs. No I/O and no clock: `now` is always the caller's.
 */

/** The most events one POST /v1/usage carries; they are written in one statement. */
export const MAX_USAGE_EVENTS_PER_BATCH = 1_000;

/**
 * The largest quantity one event may report: a billion runs, events or GB. Far above a real batch, and
 * small enough that a period's sum of events stays exact in a JS number (< 2^53) for millions of them.
 */
export const MAX_USAGE_QUANTITY = 1_000_000_000;

/** How far ahead of our clock an occurredAt may be: the clock skew of a reasonable host. */
export const USAGE_FUTURE_SKEW_MS = 5 * 60 * 1000;

/**
 * How old an event may be: a period is at most 31 days, plus a few for a pipeline to catch up after an
 * outage. Older usage belongs to a period whose invoice is long built, so it is refused rather than
 * recorded where no invoice will ever read it.
 */
export const USAGE_MAX_AGE_DAYS = 35;

const DAY_MS = 24 * 60 * 60 * 1000;

/** The occurredAt an event may have when it arrives at `now`: [earliest, latest], both included. */
export function usageWindow(now: Date): { earliest: Date; latest: Date } {
  return {
    earliest: new Date(now.getTime() - USAGE_MAX_AGE_DAYS * DAY_MS),
    latest: new Date(now.getTime() + USAGE_FUTURE_SKEW_MS),
  };
}

/** One metered event as recorded: its key makes a retry of it a no-op. */
export interface UsageEvent {
  metric: UsageMetric;
  /** A positive whole number: runs, events, or GB (media_storage_gb is reported in whole GB). */
  quantity: number;
  occurredAt: Date;
  /** The caller's id of the event, unique within the org (visible ASCII, at most 255 characters). */
  idempotencyKey: string;
}

const KEY = /^[\x21-\x7e]+$/;

/** 400 UNKNOWN_METRIC, naming the events' fields (USAGE_METRICS says how to add a metric). */
export function unknownMetric(fields: string[]): DomainError {
  const message = `must be one of ${USAGE_METRICS.join(', ')}`;
  return new DomainError('UNKNOWN_METRIC', `${fields.join(', ')}: ${message}`, {
    field: fields[0],
    fields: fields.map((path) => ({ path, message })),
    metrics: [...USAGE_METRICS],
  });
}

/**
 * Checks a batch as a whole: any event that is not valid refuses all of them, so a batch is recorded
 * entirely or not at all. `field` names the list in errors (`body.events` for the API). The API's
 * schema has already checked shapes; this holds every other caller to the same rules, and adds the one
 * no schema can state, occurredAt against the clock (400 OCCURRED_AT_OUT_OF_RANGE).
 */
export function requireUsageEvents(events: readonly unknown[], now: Date, field = 'events'): UsageEvent[] {
  if (!Array.isArray(events) || events.length === 0) throw invalid(field, 'must list at least one event');
  if (events.length > MAX_USAGE_EVENTS_PER_BATCH) {
    throw invalid(field, `must list at most ${MAX_USAGE_EVENTS_PER_BATCH} events`);
  }
  const { earliest, latest } = usageWindow(now);
  return events.map((raw, i) => {
    const at = `${field}[${i}]`;
    const e = (raw ?? {}) as Record<string, unknown>;
    if (!isUsageMetric(e.metric)) throw unknownMetric([`${at}.metric`]);
    const { quantity, occurredAt, idempotencyKey } = e;
    if (typeof quantity !== 'number' || !Number.isInteger(quantity) || quantity < 1) {
      throw invalid(`${at}.quantity`, 'must be a positive whole number');
    }
    if (quantity > MAX_USAGE_QUANTITY)
      throw invalid(`${at}.quantity`, `must be at most ${MAX_USAGE_QUANTITY}`);
    if (!(occurredAt instanceof Date) || Number.isNaN(occurredAt.getTime())) {
      throw invalid(`${at}.occurredAt`, 'must be a date-time');
    }
    if (
      typeof idempotencyKey !== 'string' ||
      idempotencyKey.length > IDEMPOTENCY_KEY_MAX_LENGTH ||
      !KEY.test(idempotencyKey)
    ) {
      throw invalid(
        `${at}.idempotencyKey`,
        `must be 1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} visible ASCII characters`,
      );
    }
    if (occurredAt < earliest || occurredAt > latest) {
      const message = `must be between ${earliest.toISOString()} and ${latest.toISOString()}`;
      throw new DomainError('OCCURRED_AT_OUT_OF_RANGE', `${at}.occurredAt: ${message}`, {
        field: `${at}.occurredAt`,
        fields: [{ path: `${at}.occurredAt`, message }],
        earliest: earliest.toISOString(),
        latest: latest.toISOString(),
      });
    }
    return { metric: e.metric, quantity, occurredAt, idempotencyKey };
  });
}

// ---- What usage over the allowance costs ----

/** A tier's allowance of one metric and the price of what goes over it (the `usage_allowances` table). */
export interface UsageAllowance {
  metric: UsageMetric;
  /** Included per credit period: runs, events, or GB of peak storage. */
  included: number;
  /** How many units unitCents buys: 1 for runs and GB, 1,000 for SDK events. */
  unitSize: number;
  /** Cents per unitSize units over the allowance; null: the tier does not bill it (free). */
  unitCents: number | null;
}

/** One metric of one period: what was used, against what was included, and what the rest costs. */
export interface UsageLine {
  metric: UsageMetric;
  aggregation: 'sum' | 'peak';
  used: number;
  allowance: number;
  overQuantity: number;
  unitSize: number;
  /** null: not billed on this tier, so amountCents is 0 whatever overQuantity says. */
  unitCents: number | null;
  amountCents: number;
}

/**
 * The charge for `overQuantity` units at `unitCents` per `unitSize`: overQuantity × unitCents / unitSize
 * rounded to the nearest cent, halves away from zero (src/billing/rounding.ts, billing's one rule). Usage
 * is billed pro rata, not by started block: 1,500 SDK events over at 8¢ per 1,000 cost 12¢, and 6 events
 * over cost 0¢ (0.048¢ rounds down), which never bills a customer a whole block for one event.
 */
export function usageOverageCents(overQuantity: number, unitSize: number, unitCents: number | null): number {
  if (!Number.isSafeInteger(overQuantity) || overQuantity < 0) {
    throw new RangeError('overQuantity: must be a non-negative integer');
  }
  if (!Number.isSafeInteger(unitSize) || unitSize < 1) throw new RangeError('unitSize: must be at least 1');
  if (unitCents === null) return 0;
  if (!Number.isSafeInteger(unitCents) || unitCents < 0) {
    throw new RangeError('unitCents: must be a non-negative integer or null');
  }
  return mulDivRound(overQuantity, unitCents, unitSize);
}

/** A metric's line: the usage beyond the allowance (never negative) and its charge. */
export function usageLine(used: number, allowance: UsageAllowance): UsageLine {
  if (!Number.isSafeInteger(used) || used < 0) throw new RangeError('used: must be a non-negative integer');
  if (!Number.isSafeInteger(allowance.included) || allowance.included < 0) {
    throw new RangeError('included: must be a non-negative integer');
  }
  const overQuantity = Math.max(0, used - allowance.included);
  return {
    metric: allowance.metric,
    aggregation: METRIC_AGGREGATION[allowance.metric],
    used,
    allowance: allowance.included,
    overQuantity,
    unitSize: allowance.unitSize,
    unitCents: allowance.unitCents,
    amountCents: usageOverageCents(overQuantity, allowance.unitSize, allowance.unitCents),
  };
}

/** Every metric's line, in USAGE_METRICS order; a metric nobody reported was used 0 times. */
export function usageLines(
  used: Partial<Record<UsageMetric, number>>,
  allowances: Readonly<Record<UsageMetric, UsageAllowance>>,
): UsageLine[] {
  return USAGE_METRICS.map((metric) => usageLine(used[metric] ?? 0, allowances[metric]));
}
