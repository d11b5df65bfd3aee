import {
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { WalletActivities } from '../activities/wallet';
import { nextWalletStep, type WalletStep } from '../src/wallet/next-step';
import { NON_RETRYABLE_CODES } from '../src/temporal/failures';
import {
  walletNudgeSignal,
  walletStateQuery,
  walletStripeEventSignal,
  type WalletWorkflowInput,
} from './wallet.messages';

const retry = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '1m',
  nonRetryableErrorTypes: NON_RETRYABLE_CODES,
};

// Stripe writes give up after an hour, inside Stripe's 24 h idempotency window (guarantee 4); the charge
// looks its PaymentIntent up by business key before creating one, so the next round finds it.
const { chargeTopUp, refundWithdrawalLeg, checkInFlight } = proxyActivities<WalletActivities>({
  startToCloseTimeout: '3m',
  scheduleToCloseTimeout: '1h',
  retry,
});

// The ledger and the platforms are retried until they answer: a pause must reach the platforms.
const { reviewWallet, claimAutoTopUp, applyAds, notifyCapReached, cardUpdated } =
  proxyActivities<WalletActivities>({
    startToCloseTimeout: '1m',
    retry: { ...retry, maximumInterval: '5m' },
  });

/** Steps in one round before the workflow waits a minute: a guard against a step that changes nothing. */
const MAX_STEPS_PER_ROUND = 50;
const STALLED_ROUND_WAIT_MS = 60_000;
/** Continue as new well before Temporal's history limits; the database holds everything else. */
const MAX_HISTORY_EVENTS = 5_000;

/**
 * One agency org's wallet for its whole life (`wallet:<orgId>`): auto-top-up under the daily cap, the
 * pause and resume of ads around the floor, top-ups and withdrawals through Stripe. It keeps nothing of
 * its own but the day it last sent the "cap reached" notification: each round reads the wallet back
 * (reviewWallet) and takes the step src/wallet/next-step.ts decides, until the step is to wait for a
 * nudge or a timer (a decline's back-off, the next local day, the hourly look at pending ACH). Nudges are
 * flags, so a burst of them is one round.
 */
export async function walletWorkflow(input: WalletWorkflowInput): Promise<void> {
  const { orgId } = input;
  let capNotifiedDay = input.capNotifiedDay ?? null;
  let nudged = true;
  let lookAtStripe = true;
  let cardChanged = false;
  let waiting = false;
  let wakeAt: Date | null = null;

  const now = (): Date => new Date(Date.now() + input.clockOffsetMs);

  setHandler(walletNudgeSignal, ({ reason }) => {
    nudged = true;
    if (reason === 'card') cardChanged = true;
  });
  setHandler(walletStripeEventSignal, ({ type }) => {
    nudged = true;
    lookAtStripe = true;
    if (type === 'payment_method.attached') cardChanged = true;
  });
  setHandler(walletStateQuery, () => ({
    orgId,
    idle: waiting && !nudged,
    wakeAt: wakeAt?.toISOString() ?? null,
    capNotifiedDay,
  }));

  for (;;) {
    if (!nudged) {
      waiting = true;
      const timeout = wakeAt === null ? undefined : Math.max(0, wakeAt.getTime() - now().getTime());
      let woken = true;
      if (timeout === undefined) await condition(() => nudged);
      else woken = await condition(() => nudged, timeout);
      waiting = false;
      // A timer: the back-off or the day is over, or pending ACH is due a look at Stripe.
      if (!woken) lookAtStripe = true;
    }
    nudged = false;
    if (cardChanged) {
      cardChanged = false;
      await cardUpdated({ orgId });
    }
    wakeAt = await round();

    if (workflowInfo().historyLength > MAX_HISTORY_EVENTS || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      if (!nudged) await continueAsNew<typeof walletWorkflow>({ ...input, capNotifiedDay });
    }
  }

  /** Reads and steps until the step is to wait; returns when to wake by itself. */
  async function round(): Promise<Date | null> {
    for (let steps = 0; steps < MAX_STEPS_PER_ROUND; steps += 1) {
      const at = now();
      const review = await reviewWallet({ orgId, at: at.toISOString() });
      const step = nextWalletStep(review, { at, checkInFlight: lookAtStripe, capNotifiedDay });
      if (step.kind === 'wait') return step.until;
      await take(step, at.toISOString());
    }
    return new Date(now().getTime() + STALLED_ROUND_WAIT_MS);
  }

  async function take(step: Exclude<WalletStep, { kind: 'wait' }>, at: string): Promise<void> {
    switch (step.kind) {
      case 'charge_top_up':
        await chargeTopUp({ orgId, key: step.key, at });
        return;
      case 'refund_leg':
        await refundWithdrawalLeg({ orgId, key: step.key, at });
        return;
      case 'check_in_flight':
        lookAtStripe = false;
        await checkInFlight({ orgId, at });
        return;
      case 'ads':
        await applyAds({ orgId, action: step.action, reason: step.reason, at });
        return;
      case 'auto_top_up':
        await claimAutoTopUp({ orgId, localDay: step.localDay, amountCents: step.amountCents, at });
        return;
      case 'notify_cap_reached':
        await notifyCapReached({ orgId, localDay: step.localDay, at });
        capNotifiedDay = step.localDay;
        return;
    }
  }
}
