import { Type, type Static, type TEnum, type TProperties, type TSchema, type TUnsafe } from 'typebox';
import { IDEMPOTENCY_KEY_MAX_LENGTH, IDEMPOTENCY_KEY_PATTERN, TEXT_PATTERN } from '../credits/amounts';
import { GENERATION_FORMATS } from '../credits/formats';
import type { CreditsSnapshot } from '../credits/snapshot';
import { ERROR_CODES } from '../errors';

/**
 * The building blocks every route's schemas are made of (each route keeps its own schemas beside it, in
 * src/api/routes/). They are TypeBox schemas: plain JSON Schema objects at run time, which Fastify
 * validates requests and serializes responses with and /v1/openapi.json publishes as they are, and
 * TypeScript types at compile time, from which each handler's request is typed (src/api/route.ts).
 *
 * Request schemas are closed (`closed()`: `additionalProperties: false`) and are validated without type
 * coercion (src/api/server.ts), so `"100"` is not a number and an unknown field is an error rather than
 * silently dropped. Every string a request carries into PostgreSQL is built by `text()`, whose pattern
 * refuses U+0000 and lone surrogates (PostgreSQL cannot store them) and blank-only strings. Lengths count
 * characters (code points), as JSON Schema, Ajv and src/credits/amounts.ts all do.
 */

export const int = (minimum = 0) => Type.Integer({ minimum });

/** Free text and ids in requests: see TEXT_PATTERN (src/credits/amounts.ts). */
export const text = (maxLength: number) => Type.String({ minLength: 1, maxLength, pattern: TEXT_PATTERN });

/**
 * `{type: [type, "null"]}` rather than TypeBox's `anyOf` of two schemas: the published document keeps
 * the one-line form, and the serializer does not try two branches per field.
 */
export function nullable(type: 'string'): TUnsafe<string | null>;
export function nullable(type: 'integer'): TUnsafe<number | null>;
export function nullable(type: 'string' | 'integer'): TUnsafe<string | number | null> {
  return Type.Unsafe({ type: [type, 'null'] });
}

export const dateTime = () => Type.String({ format: 'date-time' });
/** A calendar day, 'YYYY-MM-DD' (an org's local day), in responses. */
export const day = () => Type.String({ format: 'date' });
export const nullableDateTime = () =>
  Type.Unsafe<string | null>({ type: ['string', 'null'], format: 'date-time' });

/** One of `values`, published as `{type: "string", enum: [...]}`. */
export const oneOf = <const V extends string[]>(values: readonly [...V]): TEnum<V> =>
  Type.Enum<V>([...values], { type: 'string' });

/** An object with exactly these properties; each is required unless wrapped in Type.Optional. */
export const closed = <P extends TProperties>(properties: P) =>
  Type.Object(properties, { additionalProperties: false });

/** One page of a cursor-paged list: pass `nextCursor` back as `cursor`; null on the last page. */
export const cursorPage = <T extends TSchema>(item: T) =>
  closed({ data: Type.Array(item), nextCursor: nullable('string') });

/** Any JSON object, served and documented as it is (the serializer must not filter it). */
export const anyObject = () =>
  Type.Unsafe<Record<string, unknown>>({ type: 'object', additionalProperties: true });

// ---- shared by several routes ----

export const errorSchema = closed({
  error: closed({
    code: oneOf(ERROR_CODES),
    message: Type.String(),
    details: Type.Optional(anyObject()),
  }),
});

export const idempotencyHeaders = Type.Object({
  'idempotency-key': Type.String({
    minLength: 1,
    maxLength: IDEMPOTENCY_KEY_MAX_LENGTH,
    pattern: IDEMPOTENCY_KEY_PATTERN,
  }),
});

// ---- ledger statements: GET /v1/wallet/transactions and GET /v1/credits/history ----

export const ENTRY_LIMIT_DEFAULT = 20;
export const ENTRY_LIMIT_MAX = 100;

/**
 * A position in a ledger: the id of a page's last row (rows are listed by id). At most 15 digits, so
 * always a safe integer; any such number is a position to page before.
 */
export const LEDGER_CURSOR_PATTERN = '^[1-9][0-9]{0,14}$';

/** A statement's page: its size, and where the previous page ended (its nextCursor). */
export const ledgerPageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: ENTRY_LIMIT_MAX, default: ENTRY_LIMIT_DEFAULT })),
  cursor: Type.Optional(Type.String({ pattern: LEDGER_CURSOR_PATTERN })),
};

/** GET /v1/credits (seeds/004_*), field for field, plus two extensions: CreditsSnapshot in src/credits/snapshot.ts. */
export const creditsSnapshotSchema = closed({
  organizationId: Type.String(),
  balance: int(),
  available: int(),
  includedRemaining: int(),
  prepaidBalance: int(),
  reservedCredits: int(),
  includedThisPeriod: int(),
  usedThisPeriod: int(),
  currentPeriod: closed({ start: dateTime(), end: dateTime(), usedCredits: int() }),
  subscriptionTier: Type.String(),
  billingStatus: Type.String(),
  estimatedCreditsPerFormat: Type.Record(Type.Enum([...GENERATION_FORMATS]), int(1), {
    additionalProperties: false,
  }),
  ingestCostsBilled: closed({ github: Type.Boolean(), website: Type.Boolean(), appstore: Type.Boolean() }),
  // Extensions to the seed's shape, never a change to one of its fields: the rolled-over credits that
  // includedRemaining counts, and when the earliest of them expires.
  rolledOverCredits: int(),
  rolloverExpiresAt: nullableDateTime(),
});

/**
 * Compiles only when `From` is assignable to `To`. Two of them, one each way, make a schema and the
 * domain type it publishes fail `tsc` as soon as either gains, loses or changes a field.
 */
export type Assignable<From extends To, To> = [From, To];

type _SnapshotSchemaFitsDomain = Assignable<Static<typeof creditsSnapshotSchema>, CreditsSnapshot>;
type _SnapshotDomainFitsSchema = Assignable<CreditsSnapshot, Static<typeof creditsSnapshotSchema>>;
