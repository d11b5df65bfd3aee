import type { Db } from '../db/pool';
import { invalid } from '../errors';
import { requireNonEmpty } from '../credits/amounts';
import { localDay, nextLocalDayStart } from './days';
import type { WalletReview } from './next-step';
import { autoTopUpDay, getWallet } from './wallets';
import type { TopUpMethod, TopUpTrigger } from './statuses';

/**
 * The wallet workflow's one read (src/wallet/next-step.ts decides on it): the wallet, today's auto
 * top-ups in the org's time zone, and what is in flight. Read at business time `at`, never the clock.
 */
export async function reviewWallet(db: Db, orgId: string, at: Date): Promise<WalletReview> {
  requireNonEmpty('orgId', orgId);
  const wallet = await getWallet(db, orgId);
  const today = localDay(at, wallet.timeZone);
  const [day, topUps, legs] = await Promise.all([
    autoTopUpDay(db, orgId, today),
    db
      .selectFrom('wallet_top_ups')
      .select(['business_key', 'method', 'trigger', 'payment_intent_id'])
      .where('org_id', '=', orgId)
      .where('status', '=', 'pending')
      .where('method', '<>', 'wire')
      .orderBy('id')
      .execute(),
    db
      .selectFrom('wallet_withdrawal_legs')
      .select('business_key')
      .where('org_id', '=', orgId)
      .where('status', '=', 'pending')
      .orderBy('id')
      .execute(),
  ]);
  return {
    balanceCents: wallet.balanceCents,
    pendingCents: wallet.pendingCents,
    floorCents: wallet.floorCents,
    adsPaused: wallet.adsPaused,
    autoTopUp: {
      enabled: wallet.autoTopUp.enabled,
      thresholdCents: wallet.autoTopUp.thresholdCents,
      amountCents: wallet.autoTopUp.amountCents,
      dailyCapCents: wallet.autoTopUp.dailyCapCents,
    },
    disabledReason: wallet.autoTopUp.disabledReason,
    consecutiveDeclines: wallet.autoTopUp.consecutiveDeclines,
    lastDeclineAt: wallet.autoTopUp.lastDeclineAt,
    today,
    nextDayStartsAt: nextLocalDayStart(at, wallet.timeZone).toISOString(),
    usedTodayCents: day.usedCents,
    autoTopUpInFlight: day.inFlight,
    toCharge: topUps
      .filter((t) => t.payment_intent_id === null)
      .map((t) => ({
        key: t.business_key,
        method: t.method as TopUpMethod,
        trigger: t.trigger as TopUpTrigger,
      })),
    awaitingStripe: topUps.filter((t) => t.payment_intent_id !== null).map((t) => t.business_key),
    legsToRefund: legs.map((l) => l.business_key),
  };
}

/**
 * Records that Stripe has the top-up's PaymentIntent and is processing it (ACH): no longer to be
 * charged, now to be looked up. Not a balance change, so no ledger row: the settle writes that.
 */
export async function markProcessing(
  db: Db,
  orgId: string,
  key: string,
  paymentIntentId: string,
): Promise<void> {
  const { numUpdatedRows } = await db
    .updateTable('wallet_top_ups')
    .set({ payment_intent_id: paymentIntentId })
    .where('org_id', '=', orgId)
    .where('business_key', '=', key)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  if (numUpdatedRows === 0n) throw invalid('topUpKey', `top-up ${key} is not pending`);
}
