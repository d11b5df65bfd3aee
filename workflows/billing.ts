import {
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { BillingActivities } from '../activities/billing';
import type { InvoiceActivities } from '../activities/invoices';
import { planChange, type ChangeRequest } from '../src/billing/changes';
import { creditPeriodContaining, nextEvent } from '../src/billing/clock';
import { afterFailedCharge } from '../src/billing/dunning';
import type { ChargeLine } from '../src/billing/charges';
import { changeKey, overageKey, renewalKey } from '../src/billing/ids';
import { invoiceCollectionKey } from '../src/invoices/ids';
import { cancel, pause, resubscribe, resume } from '../src/billing/lifecycle';
import { overageCharge } from '../src/billing/overage';
import type { Period } from '../src/billing/period';
import { planPrice, type SubscriptionPrice } from '../src/billing/prices';
import type { Proration } from '../src/billing/proration';
import { refusalAt } from '../src/billing/refusals';
import { renew } from '../src/billing/renewal';
import { rolloverPolicy } from '../src/billing/rollover';
import { describePlan, type Subscription } from '../src/billing/subscription';
import { tierFacts } from '../src/billing/tiers';
import type { ChangeOutcome } from '../src/billing/statuses';
import { DomainError } from '../src/errors';
import { NON_RETRYABLE_CODES, toApplicationFailure } from '../src/temporal/failures';
import {
  billingStateQuery,
  cancelUpdate,
  changePlanUpdate,
  pauseUpdate,
  paymentEventSignal,
  resumeUpdate,
  type BillingState,
  type BillingWorkflowInput,
  type DueCharge,
  type Json,
  type SubscriptionChangeResult,
} from './billing.messages';

const retry = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '1m',
  nonRetryableErrorTypes: NON_RETRYABLE_CODES,
};

// Stripe writes give up after an hour, well inside Stripe's 24 h idempotency window (guarantee 4); the
// charge activity looks its PaymentIntent up by business key before creating one.
const { chargeSubscription, refundSubscription } = proxyActivities<BillingActivities>({
  startToCloseTimeout: '3m',
  scheduleToCloseTimeout: '1h',
  retry,
});

// Our own idempotent ledger and database writes are never given up: a period must close.
const { closeCreditPeriod, expireRolledOver, setAllowance, revokeIncluded, saveSubscription } =
  proxyActivities<BillingActivities>({
    startToCloseTimeout: '1m',
    retry: { ...retry, maximumInterval: '5m' },
  });
const { issueInvoice } = proxyActivities<InvoiceActivities>({
  startToCloseTimeout: '1m',
  retry: { ...retry, maximumInterval: '5m' },
});

/**
 * One org's subscription for its whole life (`org-billing:<orgId>`), continued as new at every credit
 * period close. Two clocks run off one anchor: renewals (monthly or yearly) charge the card, credit
 * periods (always monthly) close the ledger's period and grant the next allowance. Every change to the
 * subscription is an Update, applied one at a time with the boundaries, so none is lost or applied twice.
 * The workflow decides when and what; the rules are the pure functions of src/billing, and every money
 * movement is an activity keyed by business time, never by run id.
 */
export async function orgBillingWorkflow(input: BillingWorkflowInput): Promise<void> {
  const state = revive(input);
  const { orgId } = state;
  /** Bumped by every change a handler makes, so the main loop re-reads the schedule. */
  let version = 0;
  let busy = false;
  let nudged = false;
  /** The main loop is waiting for a boundary, a change or a nudge (with !busy: nothing under way). */
  let waiting = false;

  const now = (): Date => new Date(Date.now() + state.clockOffsetMs);

  /** Updates and boundaries take turns: each sees the state the previous one left. */
  async function exclusive<T>(fn: () => Promise<T>): Promise<T> {
    await condition(() => !busy);
    busy = true;
    try {
      return await fn();
    } finally {
      busy = false;
      version += 1;
    }
  }

  /** An Update's turn: a refusal reached under the lock (validated against an earlier state) fails it. */
  const asUpdate = <T>(fn: () => Promise<T>): Promise<T> =>
    exclusive(fn).catch((err: unknown) => {
      throw err instanceof DomainError ? toApplicationFailure(err) : err;
    });

  /**
   * A boundary's turn. It must never fail the workflow, which is the org's subscription for life: what
   * it cannot do fails the workflow task instead, retried (and visible) until a fix is deployed.
   */
  const asBoundary = <T>(fn: () => Promise<T>): Promise<T> =>
    exclusive(fn).catch((err: unknown) => {
      throw new Error(`billing boundary failed: ${err instanceof Error ? err.message : String(err)}`);
    });

  /**
   * An Update's validator: the rule at the workflow's now, its refusal rejecting the Update. Asked past
   * the period's end before the boundary ran (a moment's race), it answers "retry" (renewalPending).
   */
  const validate = (rule: (at: Date) => unknown): void => {
    const at = now();
    refusing(() => refusalAt(state.subscription.period, at, () => rule(at)));
  };

  setHandler(billingStateQuery, () => ({ ...serialize(state), idle: waiting && !busy }));

  setHandler(paymentEventSignal, () => {
    nudged = true;
  });

  setHandler(
    changePlanUpdate,
    (request) =>
      asUpdate(async () => {
        const at = now();
        const change = planChange(state.subscription, request, at);
        if (change.kind !== 'applied_now') {
          state.subscription = change.subscription;
          await save(at);
          return result(change.kind, state.subscription, null);
        }
        await settle(change.proration, changeKey(orgId, at), at);
        if (change.allowance.kind === 'adjust') {
          await setAllowance({
            orgId,
            allowance: change.allowance.toAllowance,
            changeId: iso(at),
            at: iso(at),
          });
        }
        const closing = state.subscription;
        state.subscription = change.subscription;
        if (change.allowance.kind === 'new_period') await restartCreditPeriod(at, closing);
        await save(at);
        return result('applied_now', state.subscription, change.proration);
      }),
    { validator: (request) => validate((at) => planChange(state.subscription, request, at)) },
  );

  setHandler(
    cancelUpdate,
    () =>
      asUpdate(async () => {
        const at = now();
        const canceled = cancel(state.subscription, at);
        state.subscription = canceled.subscription;
        if (canceled.kind === 'immediate') {
          state.dunning = null;
          await stopIncluded(at);
        }
        await save(at);
        return result(
          canceled.kind === 'immediate' ? 'canceled' : 'cancel_at_period_end',
          state.subscription,
          null,
        );
      }),
    { validator: () => validate((at) => cancel(state.subscription, at)) },
  );

  setHandler(
    pauseUpdate,
    () =>
      asUpdate(async () => {
        const at = now();
        const paused = pause(state.subscription, at);
        await settle(paused.proration, changeKey(orgId, at), at);
        state.subscription = paused.subscription;
        state.dunning = null;
        await stopIncluded(at);
        await save(at);
        return result('paused', state.subscription, paused.proration);
      }),
    { validator: () => validate((at) => pause(state.subscription, at)) },
  );

  setHandler(
    resumeUpdate,
    (request: ChangeRequest) =>
      asUpdate(async () => {
        const at = now();
        const sub = state.subscription;
        const resumed =
          sub.status === 'canceled'
            ? { kind: 'resubscribed' as const, ...resubscribe(sub, request, at) }
            : resume(sub, at);
        if (resumed.kind === 'cancel_undone') {
          state.subscription = resumed.subscription;
          await save(at);
          return result('cancel_undone', state.subscription, null);
        }
        // A new anchor at `at`: the first interval is paid before its credits are granted.
        // A new first period, paid in advance like any renewal and named like one.
        await settle(resumed.proration, renewalKey(orgId, resumed.subscription.period.start), at, 'renewal');
        state.subscription = resumed.subscription;
        await restartCreditPeriod(at, sub);
        await save(at);
        return result(resumed.kind, state.subscription, resumed.proration);
      }),
    {
      validator: (request: ChangeRequest) =>
        validate((at) =>
          state.subscription.status === 'canceled'
            ? resubscribe(state.subscription, request, at)
            : resume(state.subscription, at),
        ),
    },
  );

  if (input.chargeFirstPeriod) {
    await asBoundary(async () => {
      const sub = state.subscription;
      const price = planPrice(sub);
      await chargeOrDun([renewalCharge(orgId, sub.period, price)], sub.period.start);
      await save(sub.period.start);
    });
  }

  for (;;) {
    const event = nextEvent(
      {
        anchor: state.subscription.anchor,
        interval: state.subscription.interval,
        status: state.subscription.status,
        rolloverExpiresAt: state.rolloverExpiresAt,
        nextRetryAt: state.dunning?.nextRetryAt ?? null,
      },
      state.handledUpTo,
    );
    const seen = version;
    const waitMs = event ? Math.max(0, event.at.getTime() - now().getTime()) : undefined;
    // A change or a payment event re-reads the schedule; otherwise sleep until the next boundary.
    waiting = true;
    const interrupted = await condition(() => version !== seen || nudged, waitMs);
    waiting = false;
    if (interrupted) {
      if (nudged) {
        nudged = false;
        // Saved like every other change: a retry that succeeds (or pauses) moves the status readers see.
        if (state.dunning)
          await asBoundary(async () => {
            const at = now();
            await retryDue(at);
            await save(at);
          });
      }
      continue;
    }
    if (!event) continue;
    const closedPeriod = await asBoundary(() => onBoundary(event.at, event.kinds));
    if (closedPeriod) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof orgBillingWorkflow>(serialize(state));
    }
  }

  /** Handles everything due at `at`; true when a credit period closed (the run's natural end). */
  async function onBoundary(at: Date, kinds: string[]): Promise<boolean> {
    let closed = false;
    if (kinds.includes('rollover_expiry')) {
      const r = await expireRolledOver({ orgId, at: iso(at) });
      state.rolloverExpiresAt = r.rolloverExpiresAt ? new Date(r.rolloverExpiresAt) : null;
    }
    const closing = state.subscription;
    const due: DueCharge[] = [];
    if (kinds.includes('renewal')) {
      const renewal = renew(closing, at);
      state.subscription = renewal.subscription;
      if (renewal.kind === 'renewed') due.push(renewalCharge(orgId, renewal.period, renewal.price));
    }
    if (kinds.includes('credit_period_end') || kinds.includes('renewal')) {
      const overage = await closePeriod(at, closing);
      if (overage) due.unshift(overage);
      closed = true;
    }
    if (due.length > 0) await chargeOrDun(due, at);
    else if (kinds.includes('payment_retry')) await retryDue(at);
    await save(at);
    state.handledUpTo = at;
    return closed;
  }

  /**
   * Closes the ledger's open credit period at `at` under the tier it ran on, and opens the next one with
   * the allowance of the subscription as it now stands (none when it is paused or canceled). Returns the
   * closed period's overage as a charge, if it has any.
   */
  async function closePeriod(at: Date, closing: Subscription): Promise<DueCharge | null> {
    const open = state.creditPeriod;
    const sub = state.subscription;
    const running = sub.status === 'active' || sub.status === 'past_due';
    const allowance = running ? tierFacts(sub.tier).includedCredits : 0;
    if (at.getTime() <= open.start.getTime()) {
      // Nothing has run in the period yet (a change at its very first instant): set its allowance instead.
      await setAllowance({ orgId, allowance, changeId: iso(at), at: iso(at) });
      return null;
    }
    const next = creditPeriodContaining(sub.anchor, at);
    // A subscription that stopped keeps no included credits, rolled over or not (its prepaid stay).
    const policy = running ? rolloverPolicy(closing.tier) : { rolloverDays: 0, rolloverCap: 0 };
    const closed = await closeCreditPeriod({
      orgId,
      periodStart: iso(open.start),
      at: iso(at),
      nextPeriodEnd: iso(next.end),
      allowance,
      rollover: { days: policy.rolloverDays, cap: policy.rolloverCap },
    });
    state.creditPeriod = next;
    state.rolloverExpiresAt = closed.rolloverExpiresAt ? new Date(closed.rolloverExpiresAt) : null;
    if (!running && state.rolloverExpiresAt) await stopIncluded(at);
    // Since invoices: the period's invoice is issued at its close and collects the overage with the
    // usage over allowance, as one charge keyed by its number. Runs from before charge overage alone.
    if (patched('invoice-at-close')) {
      const invoice = await issueInvoice({
        orgId,
        periodStart: iso(open.start),
        periodEnd: iso(at),
        at: iso(at),
      });
      if (invoice.dueCents === 0) return null;
      return {
        businessKey: invoiceCollectionKey(invoice.number),
        kind: 'invoice',
        amountCents: invoice.dueCents,
        lines: [
          { description: `Invoice ${invoice.number}: overage and usage`, amountCents: invoice.dueCents },
        ],
      };
    }
    if (closed.overageCredits === 0) return null;
    const overage = overageCharge(closing.tier, closed.overageCredits);
    return {
      businessKey: overageKey(orgId, open.start),
      kind: 'overage',
      amountCents: overage.amountCents,
      lines: [
        {
          description: `${overage.credits} overage credits at ${overage.centsPerCredit} ¢ (${tierFacts(closing.tier).name})`,
          amountCents: overage.amountCents,
        },
      ],
    };
  }

  /** The anchor moved to `at` (interval change, resume, subscribing again): a new credit period starts. */
  async function restartCreditPeriod(at: Date, closing: Subscription): Promise<void> {
    const overage = await closePeriod(at, closing);
    if (overage) await chargeOrDun([overage], at);
    state.handledUpTo = at;
  }

  /** Paused or canceled now: the included credits go (never those running generations hold). */
  async function stopIncluded(at: Date): Promise<void> {
    const r = await revokeIncluded({ orgId, changeId: iso(at), at: iso(at) });
    state.rolloverExpiresAt = r.rolloverExpiresAt ? new Date(r.rolloverExpiresAt) : null;
  }

  /** Charges what is due; a decline makes the org past_due and schedules the retries. */
  async function chargeOrDun(charges: DueCharge[], at: Date): Promise<void> {
    const failed: DueCharge[] = [];
    for (const c of charges) {
      if (c.amountCents <= 0) continue;
      const outcome = await chargeSubscription({ orgId, ...c, attempt: 1, at: iso(at) });
      if (outcome.outcome !== 'succeeded') failed.push(c);
    }
    if (failed.length === 0) return;
    const dunning = afterFailedCharge(at, 1);
    if (dunning.status === 'paused') return pauseForNonPayment(at);
    state.dunning = { charges: failed, firstFailedAt: at, failures: 1, nextRetryAt: dunning.nextRetryAt };
    state.subscription = { ...state.subscription, status: 'past_due' };
  }

  /** Retries the charges a decline left due; success restores active, the last failure pauses. */
  async function retryDue(at: Date): Promise<void> {
    const dunning = state.dunning;
    if (!dunning) return;
    const attempt = dunning.failures + 1;
    const failed: DueCharge[] = [];
    for (const c of dunning.charges) {
      const outcome = await chargeSubscription({ orgId, ...c, attempt, at: iso(at) });
      if (outcome.outcome !== 'succeeded') failed.push(c);
    }
    if (failed.length === 0) {
      state.dunning = null;
      if (state.subscription.status === 'past_due')
        state.subscription = { ...state.subscription, status: 'active' };
      return;
    }
    const next = afterFailedCharge(dunning.firstFailedAt, attempt);
    if (next.status === 'paused') return pauseForNonPayment(at);
    state.dunning = { ...dunning, charges: failed, failures: attempt, nextRetryAt: next.nextRetryAt };
  }

  async function pauseForNonPayment(at: Date): Promise<void> {
    state.dunning = null;
    // Never paid, so nothing to refund: pause's own proration is for an active period only.
    state.subscription = pause({ ...state.subscription, status: 'past_due' }, at).subscription;
    await stopIncluded(at);
  }

  /** Charges a positive proration, refunds a negative one; a declined charge refuses the change. */
  async function settle(
    proration: Proration,
    businessKey: string,
    at: Date,
    kind: 'upgrade' | 'renewal' = 'upgrade',
  ): Promise<void> {
    const lines = chargeLines(proration);
    if (proration.totalCents > 0) {
      const outcome = await chargeSubscription({
        orgId,
        businessKey,
        kind,
        amountCents: proration.totalCents,
        lines,
        attempt: 1,
        at: iso(at),
      });
      if (outcome.outcome !== 'succeeded') {
        throw toApplicationFailure(
          new DomainError('PAYMENT_DECLINED', 'the card was declined; the subscription is unchanged', {
            declineCode: outcome.declineCode ?? 'payment_failed',
            paymentIntentId: outcome.paymentIntentId ?? null,
          }),
        );
      }
    } else if (proration.totalCents < 0) {
      await refundSubscription({
        orgId,
        businessKey,
        amountCents: -proration.totalCents,
        lines,
        at: iso(at),
      });
    }
  }

  async function save(at: Date): Promise<void> {
    await saveSubscription({ orgId, subscription: serialize(state).subscription, at: iso(at) });
  }
}

const iso = (d: Date): string => d.toISOString();

/** A proration's lines as charged or refunded (without the rule's kind of line). */
const chargeLines = (proration: Proration): ChargeLine[] =>
  proration.lines.map(({ description, amountCents }) => ({ description, amountCents }));

/** A validator's refusal, with its code: the update is rejected and nothing reaches the history. */
function refusing(check: () => unknown): void {
  try {
    check();
  } catch (err) {
    if (err instanceof DomainError) throw toApplicationFailure(err);
    throw err;
  }
}

/** One interval of a plan, paid in advance: the tier's price and, on its own line, the extra seats. */
function renewalCharge(orgId: string, period: Period, price: SubscriptionPrice): DueCharge {
  const span = `${iso(period.start).slice(0, 10)} to ${iso(period.end).slice(0, 10)}`;
  const lines = [{ description: `${describePlan(price)}, ${span}`, amountCents: price.baseCents }];
  if (price.extraSeats > 0) {
    lines.push({
      description: `${price.extraSeats} extra seats at ${price.extraSeatCents} ¢, ${span}`,
      amountCents: price.extraSeats * price.extraSeatCents,
    });
  }
  return {
    businessKey: renewalKey(orgId, period.start),
    kind: 'renewal',
    amountCents: price.totalCents,
    lines,
  };
}

function result(
  outcome: ChangeOutcome,
  subscription: Subscription,
  proration: Proration | null,
): SubscriptionChangeResult {
  const lines = proration ? chargeLines(proration) : [];
  return {
    outcome,
    subscription: serializeSubscription(subscription),
    lines,
    totalCents: proration?.totalCents ?? 0,
    scheduledChange: subscription.scheduledChange,
  };
}

const period = (p: Json<Period>): Period => ({ start: new Date(p.start), end: new Date(p.end) });
const periodJson = (p: Period): Json<Period> => ({ start: iso(p.start), end: iso(p.end) });

function serializeSubscription(s: Subscription): Json<Subscription> {
  return { ...s, anchor: iso(s.anchor), period: periodJson(s.period) };
}

function serialize(state: BillingState): Json<BillingState> {
  return {
    orgId: state.orgId,
    subscription: serializeSubscription(state.subscription),
    creditPeriod: periodJson(state.creditPeriod),
    rolloverExpiresAt: state.rolloverExpiresAt ? iso(state.rolloverExpiresAt) : null,
    dunning: state.dunning
      ? {
          ...state.dunning,
          firstFailedAt: iso(state.dunning.firstFailedAt),
          nextRetryAt: iso(state.dunning.nextRetryAt),
        }
      : null,
    clockOffsetMs: state.clockOffsetMs,
    handledUpTo: iso(state.handledUpTo),
  };
}

function revive(input: Json<BillingState>): BillingState {
  return {
    orgId: input.orgId,
    subscription: {
      ...input.subscription,
      anchor: new Date(input.subscription.anchor),
      period: period(input.subscription.period),
    },
    creditPeriod: period(input.creditPeriod),
    rolloverExpiresAt: input.rolloverExpiresAt ? new Date(input.rolloverExpiresAt) : null,
    dunning: input.dunning
      ? {
          ...input.dunning,
          firstFailedAt: new Date(input.dunning.firstFailedAt),
          nextRetryAt: new Date(input.dunning.nextRetryAt),
        }
      : null,
    clockOffsetMs: input.clockOffsetMs,
    handledUpTo: new Date(input.handledUpTo),
  };
}
