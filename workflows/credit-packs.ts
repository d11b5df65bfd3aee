import { allHandlersFinished, condition, proxyActivities, setHandler } from '@temporalio/workflow';
import type { CreditPackActivities } from '../activities/credit-packs';
import { DomainError, fromErrorData } from '../src/errors';
import type { PaymentOutcome } from '../src/stripe/outcome';
import { NON_RETRYABLE_CODES, domainErrorFrom, toApplicationFailure } from '../src/temporal/failures';
import {
  paymentEventSignal,
  purchaseOutcomeUpdate,
  purchaseStateQuery,
  type CreditPackPurchaseInput,
  type PurchaseState,
} from './credit-packs.messages';

const retry = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '1m',
  nonRetryableErrorTypes: NON_RETRYABLE_CODES,
};

// Stripe writes give up after an hour, well inside Stripe's 24 h idempotency-key window (guarantee 4).
// After that the workflow only ever looks the payment up, so a key Stripe has forgotten cannot charge twice.
const { ensureStripeCustomer, chargeCreditPack } = proxyActivities<CreditPackActivities>({
  startToCloseTimeout: '3m',
  scheduleToCloseTimeout: '1h',
  retry,
});

// Look-ups and our own idempotent database writes are never given up: a paid purchase must be granted.
const { findCreditPackPayment, completeCreditPackPurchase, failCreditPackPurchase } =
  proxyActivities<CreditPackActivities>({
    startToCloseTimeout: '1m',
    retry: { ...retry, maximumInterval: '5m' },
  });

/** How long to wait for Stripe's webhook before looking the payment up; doubled each time, capped. */
const FIRST_RECHECK_MS = 10 * 60 * 1000;
const MAX_RECHECK_MS = 6 * 60 * 60 * 1000;

const SETTLED: PurchaseState['phase'][] = ['succeeded', 'declined', 'failed'];

/**
 * One credit-pack purchase: make sure the org is a Stripe customer, charge its default card once under
 * the business key `credit-pack:<purchaseId>`, and once Stripe says the money is in, grant the pack's
 * prepaid credits under the same key. A decline marks the purchase failed and grants nothing.
 */
export async function creditPackPurchaseWorkflow(input: CreditPackPurchaseInput): Promise<PurchaseState> {
  const { orgId, purchaseId } = input;
  const state: PurchaseState = { orgId, purchaseId, phase: 'charging', paymentEvents: [] };
  let nudged = false;

  setHandler(purchaseStateQuery, () => state);

  setHandler(paymentEventSignal, ({ eventId }) => {
    // Stripe may deliver an event more than once; the first delivery is the one that counts.
    if (state.paymentEvents.includes(eventId)) return;
    state.paymentEvents.push(eventId);
    nudged = true;
  });

  setHandler(purchaseOutcomeUpdate, async () => {
    await condition(() => SETTLED.includes(state.phase));
    if (state.result) return state.result;
    throw toApplicationFailure(fromErrorData(state.error!));
  });

  let payment: PaymentOutcome | undefined;
  try {
    await ensureStripeCustomer({ orgId });
    state.charge = await chargeCreditPack({ orgId, purchaseId });
    payment = state.charge;
  } catch (err) {
    const domain = domainErrorFrom(err);
    if (domain) return fail(domain);
    // Otherwise the charge's outcome is unknown: Stripe may or may not have taken the money.
  }

  let recheckMs = FIRST_RECHECK_MS;
  while (payment?.outcome !== 'succeeded') {
    if (payment?.outcome === 'declined') {
      return fail(declined(payment.declineCode, payment.paymentIntentId, 'the card was declined'));
    }
    state.phase = 'confirming';
    // Wait before looking: an attempt that timed out on our side may still reach Stripe. A webhook about
    // this payment cuts the wait short.
    await condition(() => nudged, recheckMs);
    nudged = false;
    recheckMs = Math.min(recheckMs * 2, MAX_RECHECK_MS);
    state.lookup = await findCreditPackPayment({ orgId, purchaseId });
    if (state.lookup.outcome !== 'absent') {
      payment = state.lookup;
    } else if (payment === undefined) {
      // Stripe's lists are read-after-write consistent: no PaymentIntent means no charge, and none will come.
      return fail(declined('processing_error', null, 'the charge could not be made; nothing was charged'));
    }
  }

  state.phase = 'granting';
  state.result = await completeCreditPackPurchase({
    orgId,
    purchaseId,
    paymentIntentId: payment.paymentIntentId,
  });
  state.phase = 'succeeded';
  return finish();

  async function fail(error: DomainError): Promise<PurchaseState> {
    const isDecline = error.code === 'PAYMENT_DECLINED';
    const declineCode = isDecline ? String(error.details?.declineCode ?? 'payment_failed') : null;
    const paymentIntentId =
      typeof error.details?.paymentIntentId === 'string' ? error.details.paymentIntentId : null;
    await failCreditPackPurchase({
      orgId,
      purchaseId,
      declineCode,
      paymentIntentId,
      reason: `${error.code}: ${error.message}`,
    }).catch(ignoreNotFound);
    state.error = {
      code: error.code,
      message: error.message,
      details: isDecline ? { purchaseId, declineCode, paymentIntentId } : { purchaseId, ...error.details },
    };
    state.phase = isDecline ? 'declined' : 'failed';
    return finish();
  }

  async function finish(): Promise<PurchaseState> {
    await condition(allHandlersFinished);
    return state;
  }
}

function declined(declineCode: string, paymentIntentId: string | null, message: string): DomainError {
  return new DomainError('PAYMENT_DECLINED', message, { declineCode, paymentIntentId });
}

/** A purchase that does not exist (for this org) has no row to mark. */
function ignoreNotFound(err: unknown): void {
  if (domainErrorFrom(err)?.code !== 'NOT_FOUND') throw err;
}
