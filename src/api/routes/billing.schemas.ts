import { Type, type Static, type TSchema } from 'typebox';
import { EFFECTIVE } from '../../billing/changes';
import type { CreditAlertSetting } from '../../billing/credit-alerts';
import { INTERVALS, MAX_SEATS } from '../../billing/subscription';
import { TIER_IDS } from '../../billing/tiers';
import {
  CHANGE_OUTCOMES,
  type ChangeResultView,
  type PreviewView,
  type SubscriptionView,
} from '../../billing/views';
import { MAX_CREDITS_PER_OPERATION } from '../../credits/amounts';
import { BILLING_STATUSES } from '../../orgs/statuses';
import { closed, dateTime, int, nullable, oneOf, type Assignable } from '../schemas';

/** The schemas of /v1/subscription and /v1/credits/alerts (src/api/routes/billing.ts). */

// ---- requests ----

const tier = oneOf(TIER_IDS);
const interval = oneOf(INTERVALS);
const seats = Type.Integer({ minimum: 1, maximum: MAX_SEATS });

/**
 * A plan change: what to move to (fields left out keep their current value) and when. It must name at
 * least one of tier, interval and seats, said in the schema (anyOf) so that no valid body is refused
 * later; each branch repeats its property, as Ajv's strict mode wants `required` names defined beside it.
 */
export const changeBody = Type.Object(
  {
    tier: Type.Optional(tier),
    interval: Type.Optional(interval),
    seats: Type.Optional(seats),
    effective: Type.Optional(oneOf(EFFECTIVE)),
  },
  {
    additionalProperties: false,
    anyOf: [
      { required: ['tier'], properties: { tier } },
      { required: ['interval'], properties: { interval } },
      { required: ['seats'], properties: { seats } },
    ],
  },
);

/** `{}` to resume; a canceled subscription may name the plan it subscribes again with. */
export const resumeBody = closed({
  tier: Type.Optional(tier),
  interval: Type.Optional(interval),
  seats: Type.Optional(seats),
});

export const creditAlertBody = closed({
  thresholdCredits: Type.Unsafe<number | null>({
    type: ['integer', 'null'],
    minimum: 1,
    maximum: MAX_CREDITS_PER_OPERATION,
  }),
});

// ---- responses ----

const plan = closed({ tier, interval, seats: int(1) });

const orNull = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const subscriptionSchema = closed({
  organizationId: Type.String(),
  tier,
  interval,
  seats: int(1),
  status: oneOf(BILLING_STATUSES),
  anchor: dateTime(),
  currentPeriod: closed({ start: dateTime(), end: dateTime() }),
  nextRenewalAt: Type.Unsafe<string | null>({ type: ['string', 'null'], format: 'date-time' }),
  cancelAtPeriodEnd: Type.Boolean(),
  scheduledChange: orNull(
    closed({ tier, interval, seats: int(1), effectiveAt: dateTime(), intervalCents: int() }),
  ),
  price: closed({ baseCents: int(), extraSeats: int(), extraSeatCents: int(), totalCents: int() }),
  tierPrices: closed({
    monthCents: int(),
    yearCents: int(),
    overageCentsPerCredit: nullable('integer'),
    extraSeatCents: nullable('integer'),
    extraSeatYearCents: nullable('integer'),
    includedSeats: int(1),
    projectLimit: nullable('integer'),
  }),
});

/** Signed: a charge is positive, a refund negative. */
const line = { description: Type.String(), amountCents: Type.Integer() };

export const changeResultSchema = closed({
  outcome: oneOf(CHANGE_OUTCOMES),
  lines: Type.Array(closed(line)),
  totalCents: Type.Integer(),
  subscription: subscriptionSchema,
});

export const previewSchema = closed({
  at: dateTime(),
  outcome: oneOf(['applied_now', 'scheduled', 'unscheduled']),
  direction: orNull(oneOf(['upgrade', 'downgrade', 'interval_change'])),
  from: plan,
  to: plan,
  effectiveAt: dateTime(),
  lines: Type.Array(closed({ ...line, kind: oneOf(['unused_time', 'remaining_time', 'new_period']) })),
  totalCents: Type.Integer(),
  settlement: oneOf(['charge', 'refund', 'none']),
  scheduledChange: orNull(plan),
});

export const creditAlertSchema = closed({
  organizationId: Type.String(),
  thresholdCredits: nullable('integer'),
});

// Each response is serialized through its closed schema, which would drop a field the domain type gains
// without a word: tsc holds the two together, both ways.
type _SubscriptionSchemaFitsView = Assignable<Static<typeof subscriptionSchema>, SubscriptionView>;
type _SubscriptionViewFitsSchema = Assignable<SubscriptionView, Static<typeof subscriptionSchema>>;
type _ChangeSchemaFitsView = Assignable<Static<typeof changeResultSchema>, ChangeResultView>;
type _ChangeViewFitsSchema = Assignable<ChangeResultView, Static<typeof changeResultSchema>>;
type _PreviewSchemaFitsView = Assignable<Static<typeof previewSchema>, PreviewView>;
type _PreviewViewFitsSchema = Assignable<PreviewView, Static<typeof previewSchema>>;
type _AlertSchemaFitsSetting = Assignable<Static<typeof creditAlertSchema>, CreditAlertSetting>;
type _AlertSettingFitsSchema = Assignable<CreditAlertSetting, Static<typeof creditAlertSchema>>;
