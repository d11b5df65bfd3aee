import { Type, type Static } from 'typebox';
import { IDEMPOTENCY_KEY_MAX_LENGTH, IDEMPOTENCY_KEY_PATTERN } from '../../credits/amounts';
import { USAGE_METRICS } from '../../invoices/usage-metrics';
import type { UsageSummary } from '../../invoices/usage-queries';
import { MAX_USAGE_EVENTS_PER_BATCH, MAX_USAGE_QUANTITY } from '../../invoices/usage-rules';
import { closed, dateTime, int, nullable, oneOf, type Assignable } from '../schemas';

/** The schemas of /v1/usage (src/api/routes/usage.ts). */

/**
 * The largest batch body read, 1 MiB: a thousand events fit in it with room to spare (about 115 bytes
 * each plus a key of at most 255 characters, 510 bytes if every one is escaped).
 */
export const USAGE_BODY_LIMIT_BYTES = 1024 * 1024;

const usageEvent = closed({
  metric: oneOf(USAGE_METRICS),
  /** Runs, events, or whole GB of storage held (media_storage_gb). */
  quantity: Type.Integer({ minimum: 1, maximum: MAX_USAGE_QUANTITY }),
  occurredAt: dateTime(),
  /** The caller's id of the event: recorded once per org; a repeat is a duplicate. */
  idempotencyKey: Type.String({
    minLength: 1,
    maxLength: IDEMPOTENCY_KEY_MAX_LENGTH,
    pattern: IDEMPOTENCY_KEY_PATTERN,
  }),
});

export const usageBatchBody = closed({
  events: Type.Array(usageEvent, { minItems: 1, maxItems: MAX_USAGE_EVENTS_PER_BATCH }),
});

export const usageRecordedSchema = closed({
  /** Events recorded by this request. */
  recorded: int(),
  /** Events whose key was already recorded with the same metric, quantity and occurredAt. */
  duplicates: int(),
});

export const usageQuery = closed({
  from: Type.Optional(dateTime()),
  to: Type.Optional(dateTime()),
});

const usageLineSchema = closed({
  metric: oneOf(USAGE_METRICS),
  aggregation: oneOf(['sum', 'peak']),
  used: int(),
  allowance: int(),
  overQuantity: int(),
  unitSize: int(1),
  unitCents: nullable('integer'),
  amountCents: int(),
});

export const usageSummarySchema = closed({
  organizationId: Type.String(),
  tier: Type.String(),
  periodStart: dateTime(),
  periodEnd: dateTime(),
  lines: Type.Array(usageLineSchema),
  totalCents: int(),
});

// Each response is serialized through its closed schema, which would drop a field the domain gains
// without a word: tsc holds the two together, both ways.
type _SummarySchemaFitsDomain = Assignable<Static<typeof usageSummarySchema>, UsageSummary>;
type _SummaryDomainFitsSchema = Assignable<UsageSummary, Static<typeof usageSummarySchema>>;
