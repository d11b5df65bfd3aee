import type { ColumnType } from 'kysely';
import type { UsageMetric } from './usage-metrics';

/**
 * Usage's tables (migration 0010), owned by this domain; src/db/schema.ts's Database gathers them. int8
 * columns are exact JS numbers (src/db/pool.ts).
 */
type Int8 = number;

/** A tier's allowance of one metric per credit period, and the price beyond it (the catalog writes them). */
export interface UsageAllowancesTable {
  tier_id: string;
  metric: UsageMetric;
  included: Int8;
  /** How many units unit_cents buys (1,000 for SDK events). */
  unit_size: number;
  /** NULL: usage beyond the allowance is not billed on this tier. */
  unit_cents: number | null;
}

/** Append-only: one row per metered event, once per (org, idempotency key). */
export interface UsageEventsTable {
  org_id: string;
  idempotency_key: string;
  metric: UsageMetric;
  quantity: Int8;
  occurred_at: Date;
  recorded_at: ColumnType<Date, Date | string | undefined, never>;
}

export interface UsageDatabase {
  usage_allowances: UsageAllowancesTable;
  usage_events: UsageEventsTable;
}
