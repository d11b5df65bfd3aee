import {
  ID_MAX_LENGTH,
  IDEMPOTENCY_KEY_MAX_LENGTH,
  IDEMPOTENCY_KEY_PATTERN,
  MAX_CREDITS_PER_OPERATION,
  TEXT_PATTERN,
} from '../credits/amounts';
import { GENERATION_FORMATS } from '../credits/formats';
import { CREDIT_PACKS } from '../credit-packs/catalog';
import { ERROR_CODES } from '../errors';
import { GENERATION_STATUSES, RESERVATION_STATUSES } from '../generations/statuses';
import { PURCHASE_STATUSES } from '../credit-packs/statuses';
import { CURSOR_MAX_LENGTH, CURSOR_PATTERN } from './cursor';

/**
 * Every JSON Schema of the API, written once: Fastify validates requests and serializes responses with
 * them, and /v1/openapi.json is built from the same objects (src/api/openapi.ts). Request schemas are
 * closed (`additionalProperties: false`) and are validated without type coercion, so `"100"` is not a
 * number and an unknown field is an error rather than silently dropped.
 *
 * Every string a request carries into PostgreSQL is built by `text()` below, whose pattern refuses
 * U+0000 and lone surrogates (PostgreSQL cannot store them) and blank-only strings. Lengths count
 * characters (code points), as JSON Schema, Ajv and src/credits/amounts.ts all do.
 */
export type JsonSchema = Record<string, unknown>;

const int = (minimum = 0): JsonSchema => ({ type: 'integer', minimum });
/** Free text and ids in requests: see TEXT_PATTERN (src/credits/amounts.ts). */
const text = (maxLength: number): JsonSchema => ({
  type: 'string',
  minLength: 1,
  maxLength,
  pattern: TEXT_PATTERN,
});
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
      code: { type: 'string', enum: ERROR_CODES },
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

export const generationParams = object({ id: text(ID_MAX_LENGTH) });

export const idempotencyHeaders: JsonSchema = {
  type: 'object',
  required: ['idempotency-key'],
  properties: {
    'idempotency-key': {
      type: 'string',
      minLength: 1,
      maxLength: IDEMPOTENCY_KEY_MAX_LENGTH,
      pattern: IDEMPOTENCY_KEY_PATTERN,
    },
  },
};

export const createGenerationBody = object({
  projectId: text(ID_MAX_LENGTH),
  format: { type: 'string', enum: [...GENERATION_FORMATS] },
});
export interface CreateGenerationBody {
  projectId: string;
  format: string;
}

export const completeGenerationBody = object({ actualCredits: creditAmount, model: text(ID_MAX_LENGTH) }, [
  'actualCredits',
]);
export interface CompleteGenerationBody {
  actualCredits: number;
  model?: string;
}

export const failGenerationBody = object({ reason: text(1000) });
export interface FailGenerationBody {
  reason: string;
}

export const LIST_LIMIT_DEFAULT = 20;
export const LIST_LIMIT_MAX = 100;

export const listGenerationsQuery = object(
  {
    status: { type: 'string', enum: [...GENERATION_STATUSES] },
    limit: { type: 'integer', minimum: 1, maximum: LIST_LIMIT_MAX, default: LIST_LIMIT_DEFAULT },
    cursor: { type: 'string', maxLength: CURSOR_MAX_LENGTH, pattern: CURSOR_PATTERN },
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

export const creditPackBody = object({ packId: { type: 'string', enum: CREDIT_PACKS.map((p) => p.id) } });
export const creditPackParams = object({ id: text(ID_MAX_LENGTH) });

/**
 * Missing or malformed, it is answered like a forged one: 400 INVALID_SIGNATURE (src/api/errors.ts).
 * Not closed: every other header of the delivery is allowed.
 */
export const stripeSignatureHeaders: JsonSchema = {
  type: 'object',
  required: ['stripe-signature'],
  properties: { 'stripe-signature': { type: 'string', minLength: 1 } },
};

/**
 * What the webhook route documents as its body. It is not validated against this: the route takes the
 * exact bytes, checks the signature over them, and only then parses them (src/webhooks/stripe.ts).
 */
export const stripeEventSchema: JsonSchema = {
  type: 'object',
  required: ['id', 'type'],
  properties: { id: { type: 'string' }, type: { type: 'string' } },
  additionalProperties: true,
};

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
  status: { type: 'string', enum: [...PURCHASE_STATUSES] },
  paymentIntentId: nullable('string'),
  declineCode: nullable('string'),
  createdAt: dateTime,
  settledAt: { type: ['string', 'null'], format: 'date-time' },
});

/** Whatever the handler tells Stripe; Stripe reads only the status. */
export const webhookAckSchema: JsonSchema = { type: 'object', additionalProperties: true };
