import { MAX_CREDITS_PER_OPERATION } from '../credits/amounts';
import { GENERATION_FORMATS } from '../credits/formats';
import { ERROR_STATUS } from '../errors';

/**
 * Every JSON Schema of the API, written once: Fastify validates requests and serializes responses with
 * them, and /v1/openapi.json is built from the same objects (src/api/openapi.ts). Request schemas are
 * closed (`additionalProperties: false`) and are validated without type coercion, so `"100"` is not a
 * number and an unknown field is an error rather than silently dropped.
 */
export type JsonSchema = Record<string, unknown>;

const GENERATION_STATUSES = ['running', 'completed', 'failed', 'expired'] as const;
const RESERVATION_STATUSES = ['held', 'captured', 'released', 'expired'] as const;

const int = (minimum = 0): JsonSchema => ({ type: 'integer', minimum });
const str = (maxLength = 200): JsonSchema => ({ type: 'string', minLength: 1, maxLength });
const nullable = (type: 'string' | 'integer'): JsonSchema => ({ type: [type, 'null'] });
const dateTime: JsonSchema = { type: 'string', format: 'date-time' };

function object(
  properties: Record<string, JsonSchema>,
  required: string[] = Object.keys(properties),
): JsonSchema {
  return { type: 'object', additionalProperties: false, required, properties };
}

/** A whole number of credits, bounded like every ledger operation (src/credits/amounts.ts). */
const creditAmount: JsonSchema = { type: 'integer', minimum: 0, maximum: MAX_CREDITS_PER_OPERATION };

// ---- shared response parts ----

export const errorSchema = object({
  error: object(
    {
      code: { type: 'string', enum: Object.keys(ERROR_STATUS) },
      message: { type: 'string' },
      details: { type: 'object', additionalProperties: true },
    },
    ['code', 'message'],
  ),
});

/** GET /v1/credits (seeds/004_*), field for field; mirrors CreditsSnapshot in src/credits/snapshot.ts. */
export const creditsSnapshotSchema = object({
  organizationId: { type: 'string' },
  balance: int(),
  available: int(),
  includedRemaining: int(),
  prepaidBalance: int(),
  reservedCredits: int(),
  includedThisPeriod: int(),
  usedThisPeriod: int(),
  currentPeriod: object({ start: dateTime, end: dateTime, usedCredits: int() }),
  subscriptionTier: { type: 'string' },
  billingStatus: { type: 'string' },
  estimatedCreditsPerFormat: object(Object.fromEntries(GENERATION_FORMATS.map((f) => [f, int(1)]))),
  ingestCostsBilled: object({
    github: { type: 'boolean' },
    website: { type: 'boolean' },
    appstore: { type: 'boolean' },
  }),
});

export const generationSchema = object({
  generationId: { type: 'string' },
  projectId: { type: 'string' },
  format: { type: 'string', enum: [...GENERATION_FORMATS] },
  status: { type: 'string', enum: [...GENERATION_STATUSES] },
  estimatedCredits: int(),
  actualCredits: nullable('integer'),
  model: nullable('string'),
  failureReason: nullable('string'),
  reservation: object({
    status: { type: 'string', enum: [...RESERVATION_STATUSES] },
    amount: int(),
    capturedCredits: nullable('integer'),
    settledAt: { type: ['string', 'null'], format: 'date-time' },
  }),
  createdAt: dateTime,
  endedAt: { type: ['string', 'null'], format: 'date-time' },
});

// ---- requests ----

export const generationParams = object({ id: str() });

export const idempotencyHeaders: JsonSchema = {
  type: 'object',
  required: ['idempotency-key'],
  properties: {
    // Visible ASCII only, like Stripe's keys: no whitespace that a proxy might trim or fold.
    'idempotency-key': { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$' },
  },
};

export const createGenerationBody = object({
  projectId: str(),
  format: { type: 'string', enum: [...GENERATION_FORMATS] },
});
export interface CreateGenerationBody {
  projectId: string;
  format: string;
}

export const completeGenerationBody = object({ actualCredits: creditAmount, model: str() }, [
  'actualCredits',
]);
export interface CompleteGenerationBody {
  actualCredits: number;
  model?: string;
}

export const failGenerationBody = object({ reason: str(1000) });
export interface FailGenerationBody {
  reason: string;
}

export const LIST_LIMIT_DEFAULT = 20;
export const LIST_LIMIT_MAX = 100;

export const listGenerationsQuery = object(
  {
    status: { type: 'string', enum: [...GENERATION_STATUSES] },
    limit: { type: 'integer', minimum: 1, maximum: LIST_LIMIT_MAX, default: LIST_LIMIT_DEFAULT },
    cursor: str(500),
  },
  [],
);
export interface ListGenerationsQuery {
  status?: (typeof GENERATION_STATUSES)[number];
  limit: number;
  cursor?: string;
}

// ---- responses ----

export const createdGenerationSchema = object({
  generationId: { type: 'string' },
  reservedCredits: int(1),
  credits: creditsSnapshotSchema,
});

/** The 402 of POST /v1/generations, stored and replayed like a success, so it has a fixed shape. */
export const billingExhaustedSchema = object({
  error: object({
    code: { type: 'string', enum: ['BILLING_EXHAUSTED'] },
    message: { type: 'string' },
    details: object({ required: int(1), available: int(), credits: creditsSnapshotSchema }),
  }),
});

export const completedGenerationSchema = object({
  generationId: { type: 'string' },
  status: { type: 'string', enum: ['completed'] },
  charge: object({
    hold: int(),
    actual: int(),
    fromIncluded: int(),
    fromPrepaid: int(),
    overage: int(),
    writtenOff: int(),
    released: int(),
  }),
  credits: creditsSnapshotSchema,
});

export const failedGenerationSchema = object({
  generationId: { type: 'string' },
  status: { type: 'string', enum: ['failed'] },
  releasedCredits: int(),
  credits: creditsSnapshotSchema,
});

export const generationPageSchema = object({
  data: { type: 'array', items: generationSchema },
  nextCursor: { type: ['string', 'null'] },
});

export const whoamiSchema = object({
  organization: object({ id: { type: 'string' }, name: { type: 'string' } }),
  key: object({ prefix: { type: 'string' } }),
  tier: { type: 'string' },
  creditBalance: int(),
});

export const healthSchema = object({ status: { type: 'string', enum: ['ok'] } });

export const readySchema = object({
  status: { type: 'string', enum: ['ready'] },
  checks: object({
    postgres: { type: 'string', enum: ['ok'] },
    temporal: { type: 'string', enum: ['ok', 'not_configured'] },
  }),
});

/** The OpenAPI document is served as is; the serializer must not filter it. */
export const openApiDocumentSchema: JsonSchema = { type: 'object', additionalProperties: true };

// ---- credit packs and webhooks ----

export const creditPackBody = object({ packId: str() });
export const creditPackParams = object({ id: str() });

const priceFields = {
  packId: { type: 'string' },
  amountCents: int(),
  listPriceCents: int(),
  discountBps: int(),
};

export const creditPackPurchaseSchema = object({
  purchaseId: { type: 'string' },
  ...priceFields,
  status: { type: 'string', enum: ['succeeded'] },
  creditsGranted: int(1),
  paymentIntentId: { type: 'string' },
  credits: creditsSnapshotSchema,
});

export const creditPackViewSchema = object({
  purchaseId: { type: 'string' },
  ...priceFields,
  credits: int(1),
  status: { type: 'string', enum: ['pending', 'succeeded', 'failed'] },
  paymentIntentId: nullable('string'),
  declineCode: nullable('string'),
  createdAt: dateTime,
  settledAt: { type: ['string', 'null'], format: 'date-time' },
});

/** Whatever the handler tells Stripe; Stripe reads only the status. */
export const webhookAckSchema: JsonSchema = { type: 'object', additionalProperties: true };
