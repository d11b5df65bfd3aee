import { Type, type Static } from 'typebox';
import { ID_MAX_LENGTH } from '../../credits/amounts';
import { MAX_CENTS_PER_OPERATION } from '../../wallet/amounts';
import { MINIMUM_TOP_UP_CENTS } from '../../wallet/auto-top-up';
import type { WalletEntry } from '../../wallet/queries';
import type { SpendSummary } from '../../wallet/spend-summary';
import {
  AD_PLATFORMS,
  AUTO_TOP_UP_DISABLED_REASONS,
  TOP_UP_METHODS,
  TOP_UP_STATUSES,
  TOP_UP_TRIGGERS,
  WALLET_ENTRY_TYPES,
  WITHDRAWAL_LEG_STATUSES,
} from '../../wallet/statuses';
import type { DebitView, TopUpView, WalletView, WithdrawalLegView } from '../../wallet/views';
import {
  cursorPage,
  anyObject,
  closed,
  dateTime,
  day,
  int,
  ledgerPageQuery,
  nullable,
  nullableDateTime,
  oneOf,
  text,
  type Assignable,
} from '../schemas';

/** The schemas of /v1/wallet (src/api/routes/wallet.ts). */

// ---- requests ----

/** Whole cents, bounded like every wallet operation (src/wallet/amounts.ts). */
const cents = (minimum: number) => Type.Integer({ minimum, maximum: MAX_CENTS_PER_OPERATION });

export const topUpBody = closed({
  amountCents: cents(MINIMUM_TOP_UP_CENTS),
  method: oneOf(['card', 'ach']),
});

export const autoTopUpBody = closed({
  enabled: Type.Boolean(),
  thresholdCents: cents(0),
  amountCents: cents(0),
  dailyCapCents: cents(0),
  /** The IANA zone whose days the daily cap counts in; unchanged when absent. */
  timeZone: Type.Optional(text(64)),
});

export const floorBody = closed({ floorCents: cents(0) });

/** `{}` withdraws the whole settled balance. */
export const withdrawalBody = closed({ amountCents: Type.Optional(cents(1)) });

export const spendBody = closed({
  platform: oneOf(AD_PLATFORMS),
  projectId: text(ID_MAX_LENGTH),
  amountCents: cents(1),
  occurredAt: dateTime(),
  /** The platform's id of the bill: a repeat is a no-op. */
  externalId: text(ID_MAX_LENGTH),
});

export { ENTRY_LIMIT_DEFAULT } from '../schemas';

export const transactionsQuery = closed({
  projectId: Type.Optional(text(ID_MAX_LENGTH)),
  platform: Type.Optional(oneOf(AD_PLATFORMS)),
  entryType: Type.Optional(oneOf(WALLET_ENTRY_TYPES)),
  from: Type.Optional(dateTime()),
  to: Type.Optional(dateTime()),
  ...ledgerPageQuery,
});

// ---- responses ----

const signedCents = () => Type.Integer();
const nullableDay = () => Type.Unsafe<string | null>({ type: ['string', 'null'], format: 'date' });

const runwaySchema = closed({
  windowDays: Type.Union([Type.Literal(7), Type.Literal(30)]),
  averageDailyCents: int(),
  daysUntilFloor: nullable('integer'),
  floorDate: nullableDay(),
  autoTopUpCovers: Type.Boolean(),
});

export const walletSchema = closed({
  organizationId: Type.String(),
  balanceCents: signedCents(),
  pendingCents: int(),
  floorCents: int(),
  resumeAtCents: int(),
  autoTopUp: closed({
    enabled: Type.Boolean(),
    thresholdCents: int(),
    amountCents: int(),
    dailyCapCents: int(),
    disabledReason: Type.Union([oneOf(AUTO_TOP_UP_DISABLED_REASONS), Type.Null()]),
    consecutiveDeclines: int(),
    usedTodayCents: int(),
    remainingTodayCents: int(),
    today: day(),
  }),
  timeZone: Type.String(),
  platformFeeBps: int(),
  adsPaused: closed({ paused: Type.Boolean(), reason: nullable('string'), since: nullableDateTime() }),
  pendingTopUps: Type.Array(
    closed({
      id: int(1),
      method: oneOf(TOP_UP_METHODS),
      trigger: oneOf(TOP_UP_TRIGGERS),
      amountCents: int(1),
      startedAt: dateTime(),
      expectedSettlement: nullableDay(),
    }),
  ),
  forecast: closed({ trailing7: runwaySchema, trailing30: runwaySchema }),
});

const topUpSchema = closed({
  id: int(1),
  method: oneOf(TOP_UP_METHODS),
  trigger: oneOf(TOP_UP_TRIGGERS),
  amountCents: int(1),
  status: oneOf(TOP_UP_STATUSES),
  failureReason: nullable('string'),
  startedAt: dateTime(),
  expectedSettlement: nullableDay(),
  settledAt: nullableDateTime(),
});

const balances = { balanceCents: signedCents(), pendingCents: int() };

export const topUpResultSchema = closed({ topUp: topUpSchema, ...balances });

const withdrawalLegSchema = closed({
  topUpId: int(1),
  refundCents: int(1),
  feeCents: int(),
  status: oneOf(WITHDRAWAL_LEG_STATUSES),
  requestedAt: dateTime(),
});

export const withdrawalSchema = closed({
  withdrawalId: Type.String(),
  requestedCents: int(),
  legs: Type.Array(withdrawalLegSchema),
  debitedCents: int(),
  refundedCents: int(),
  feeCents: int(),
  unrefundedCents: int(),
  ...balances,
});

const debitSchema = closed({
  platform: oneOf(AD_PLATFORMS),
  externalId: Type.String(),
  projectId: Type.String(),
  spendCents: int(1),
  feeCents: int(),
  feeBps: int(),
  occurredAt: dateTime(),
  balanceAfterCents: signedCents(),
  crossedThreshold: Type.Boolean(),
  crossedFloor: Type.Boolean(),
});

export const spendResultSchema = closed({
  /** The bill was already recorded under its externalId: nothing new was debited. */
  duplicate: Type.Boolean(),
  debit: debitSchema,
  ...balances,
});

const entrySchema = closed({
  id: int(1),
  entryType: oneOf(WALLET_ENTRY_TYPES),
  key: Type.String(),
  balanceDeltaCents: signedCents(),
  pendingDeltaCents: signedCents(),
  balanceAfterCents: signedCents(),
  pendingAfterCents: int(),
  projectId: nullable('string'),
  platform: Type.Union([oneOf(AD_PLATFORMS), Type.Null()]),
  externalId: nullable('string'),
  topUpId: nullable('integer'),
  withdrawalLegId: nullable('integer'),
  effectiveAt: dateTime(),
  recordedAt: dateTime(),
  detail: Type.Union([anyObject(), Type.Null()]),
});

export const transactionsPageSchema = cursorPage(entrySchema);

// Each response is serialized through its closed schema, which would drop a field the view gains without
// a word: tsc holds the two together, both ways.
type _WalletSchemaFitsView = Assignable<Static<typeof walletSchema>, WalletView>;
type _WalletViewFitsSchema = Assignable<WalletView, Static<typeof walletSchema>>;
type _TopUpSchemaFitsView = Assignable<Static<typeof topUpSchema>, TopUpView>;
type _TopUpViewFitsSchema = Assignable<TopUpView, Static<typeof topUpSchema>>;
type _LegSchemaFitsView = Assignable<Static<typeof withdrawalLegSchema>, WithdrawalLegView>;
type _LegViewFitsSchema = Assignable<WithdrawalLegView, Static<typeof withdrawalLegSchema>>;
type _DebitSchemaFitsView = Assignable<Static<typeof debitSchema>, DebitView>;
type _DebitViewFitsSchema = Assignable<DebitView, Static<typeof debitSchema>>;
type _EntrySchemaFitsDomain = Assignable<Static<typeof entrySchema>, WalletEntry>;
type _EntryDomainFitsSchema = Assignable<WalletEntry, Static<typeof entrySchema>>;

// ---- GET /v1/wallet/spend-summary ----

export const spendSummaryQuery = closed({
  from: Type.Optional(dateTime()),
  to: Type.Optional(dateTime()),
});

const spendAndFee = { spendCents: int(), feeCents: int() };

export const spendSummarySchema = closed({
  from: dateTime(),
  to: dateTime(),
  timeZone: Type.String(),
  totals: closed(spendAndFee),
  byPlatform: Type.Array(closed({ platform: oneOf(AD_PLATFORMS), ...spendAndFee })),
  byProject: Type.Array(closed({ projectId: Type.String(), projectName: Type.String(), ...spendAndFee })),
  byDay: Type.Array(closed({ date: day(), ...spendAndFee })),
});

type _SpendSchemaFitsDomain = Assignable<Static<typeof spendSummarySchema>, SpendSummary>;
type _SpendDomainFitsSchema = Assignable<SpendSummary, Static<typeof spendSummarySchema>>;
