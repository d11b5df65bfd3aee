import { Type, type Static } from 'typebox';
import { ID_MAX_LENGTH, MAX_CREDITS_PER_OPERATION } from '../../credits/amounts';
import type { CaptureResult } from '../../credits/ledger';
import { GENERATION_FORMATS } from '../../credits/formats';
import type { GenerationView } from '../../generations/queries';
import { GENERATION_STATUSES, RESERVATION_STATUSES } from '../../generations/statuses';
import { CURSOR_MAX_LENGTH, CURSOR_PATTERN } from '../cursor';
import {
  cursorPage,
  closed,
  creditsSnapshotSchema,
  dateTime,
  int,
  nullable,
  nullableDateTime,
  oneOf,
  text,
  type Assignable,
} from '../schemas';

/** The schemas of /v1/generations (src/api/routes/generations.ts). */

// ---- requests ----

export const generationParams = closed({ id: text(ID_MAX_LENGTH) });

export const createGenerationBody = closed({
  projectId: text(ID_MAX_LENGTH),
  format: oneOf(GENERATION_FORMATS),
});

/** A whole number of credits, bounded like every ledger operation (src/credits/amounts.ts). */
const creditAmount = Type.Integer({ minimum: 0, maximum: MAX_CREDITS_PER_OPERATION });

export const completeGenerationBody = closed({
  actualCredits: creditAmount,
  model: Type.Optional(text(ID_MAX_LENGTH)),
});

export const failGenerationBody = closed({ reason: text(1000) });

export const LIST_LIMIT_DEFAULT = 20;
export const LIST_LIMIT_MAX = 100;

export const listGenerationsQuery = closed({
  status: Type.Optional(oneOf(GENERATION_STATUSES)),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: LIST_LIMIT_MAX, default: LIST_LIMIT_DEFAULT })),
  cursor: Type.Optional(Type.String({ maxLength: CURSOR_MAX_LENGTH, pattern: CURSOR_PATTERN })),
});

// ---- responses ----

export const generationSchema = closed({
  generationId: Type.String(),
  projectId: Type.String(),
  format: oneOf(GENERATION_FORMATS),
  status: oneOf(GENERATION_STATUSES),
  estimatedCredits: int(),
  actualCredits: nullable('integer'),
  model: nullable('string'),
  failureReason: nullable('string'),
  reservation: closed({
    status: oneOf(RESERVATION_STATUSES),
    amount: int(),
    capturedCredits: nullable('integer'),
    settledAt: nullableDateTime(),
  }),
  createdAt: dateTime(),
  endedAt: nullableDateTime(),
});

export const createdGenerationSchema = closed({
  generationId: Type.String(),
  reservedCredits: int(1),
  credits: creditsSnapshotSchema,
});

/** The 402 of POST /v1/generations, stored and replayed like a success, so it has a fixed shape. */
export const billingExhaustedSchema = closed({
  error: closed({
    code: oneOf(['BILLING_EXHAUSTED']),
    message: Type.String(),
    details: closed({ required: int(1), available: int(), credits: creditsSnapshotSchema }),
  }),
});

/** The other 402 of POST /v1/generations: the org is paused or canceled (src/billing/limits.ts). */
export const subscriptionInactiveSchema = closed({
  error: closed({
    code: oneOf(['SUBSCRIPTION_INACTIVE']),
    message: Type.String(),
    details: closed({ status: oneOf(['paused', 'canceled']) }),
  }),
});

/** Both 402s of POST /v1/generations, each with its own details. */
export const generationRefusedSchema = Type.Union([billingExhaustedSchema, subscriptionInactiveSchema]);

/**
 * How a completion was paid for, in the order credits are spent (earliest expiry first): credits whose
 * time came while held (fromPendingExpiry), rolled-over credits, this period's included credits, prepaid;
 * then what the balance could not cover. pendingExpired: expired credits this hold was keeping, which
 * leave the balance as it ends.
 */
const chargeSchema = closed({
  hold: int(),
  actual: int(),
  fromPendingExpiry: int(),
  fromRolledOver: int(),
  fromIncluded: int(),
  fromPrepaid: int(),
  overage: int(),
  writtenOff: int(),
  released: int(),
  pendingExpired: int(),
});

export const completedGenerationSchema = closed({
  generationId: Type.String(),
  status: oneOf(['completed']),
  charge: chargeSchema,
  credits: creditsSnapshotSchema,
});

export const failedGenerationSchema = closed({
  generationId: Type.String(),
  status: oneOf(['failed']),
  releasedCredits: int(),
  credits: creditsSnapshotSchema,
});

export const generationPageSchema = cursorPage(generationSchema);

// The domain types these responses publish. A charge is serialized through a closed schema, so a field
// the ledger adds and the schema lacks would be dropped from the answer without a word: tsc says so.
type _ChargeSchemaFitsDomain = Assignable<Static<typeof chargeSchema>, CaptureResult['charge']>;
type _ChargeDomainFitsSchema = Assignable<CaptureResult['charge'], Static<typeof chargeSchema>>;
// One way only: GenerationView.format is a plain string (the generations row's column type), where the
// schema publishes the formats' enum.
type _GenerationSchemaFitsView = Assignable<Static<typeof generationSchema>, GenerationView>;
