/**
 * The metered usage of seed 000 ("Usage allowances — workflow runs, SDK events, media storage"), spelled
 * once; migration 0010's CHECKs hold the same list in the same order (test/db/status-checks.test.ts
 * compares them). To add a metric: append it here, give every tier an allowance for it in the catalog
 * (src/db/seed/catalog.ts, which does not compile until it does), and ship a migration that widens both
 * CHECKs.
 */
export const USAGE_METRICS = ['workflow_runs', 'sdk_events', 'media_storage_gb'] as const;
export type UsageMetric = (typeof USAGE_METRICS)[number];

export const isUsageMetric = (value: unknown): value is UsageMetric =>
  typeof value === 'string' && (USAGE_METRICS as readonly string[]).includes(value);

/**
 * How a period's events become the quantity compared with the allowance:
 * - `sum`: counters (a run, an event happened): the quantities of the period's events added up;
 * - `peak`: a gauge (storage held, in whole GB): the most reported at any moment of the period, the level
 *   in force when it began (the last report before it) included. A peak is what an invoice can explain
 *   in one line ("the most you stored this period was 130 GB") and what no well-timed deletion before a
 *   period's last day can dodge; an average would need every level's duration.
 */
export const METRIC_AGGREGATION: Readonly<Record<UsageMetric, 'sum' | 'peak'>> = Object.freeze({
  workflow_runs: 'sum',
  sdk_events: 'sum',
  media_storage_gb: 'peak',
});
