import { attemptKey, billingWorkflowId } from '../billing/ids';
import { getCreditAlert, setCreditAlert, type CreditAlertSetting } from '../billing/credit-alerts';
import { settleCharge, type SettleChargeInput } from '../billing/charges';
import { findSubscription, saveSubscription, type SavedSubscription } from '../billing/subscriptions';
import { periodCloseKey } from '../credits/ids';
import { closeCreditPeriod, type ClosePeriodInput, type ClosePeriodResult } from '../credits/periods';
import type { Db } from '../db/pool';
import type { SubscriptionChangeResult } from '../../workflows/billing.messages';
import { workflowActor, type AuditedBy } from './actors';
import { sameJson } from './hash';
import { audited, recordAuditEvent, type AuditEntry } from './trail';

/**
 * Credits and subscriptions, audited: the alert threshold; subscription changes as asked for (the API,
 * the CLI) and as the org-billing workflow applied them; its period closes, charges and refunds.
 */

/** PUT /v1/credits/alerts and `credits alerts set`: recorded when the threshold changes. */
export function setCreditAlertAudited(
  db: Db,
  by: AuditedBy,
  orgId: string,
  thresholdCredits: unknown,
): Promise<CreditAlertSetting> {
  let before: CreditAlertSetting | undefined;
  return audited(
    db,
    orgId,
    async (trx) => {
      before = await getCreditAlert(trx, orgId);
      return setCreditAlert(trx, orgId, thresholdCredits);
    },
    (after) =>
      before!.thresholdCredits === after.thresholdCredits
        ? null
        : {
            ...by,
            action: 'credits.alert_updated',
            before: { thresholdCredits: before!.thresholdCredits },
            after: { thresholdCredits: after.thresholdCredits },
          },
  );
}

export type SubscriptionRequest = 'change' | 'cancel' | 'pause' | 'resume';

/**
 * A subscription change the org-billing workflow accepted (a Temporal Update: not a transaction this can
 * join), recorded right after under the request's key. What it did to the subscription, before and after,
 * is the workflow's own subscription.updated event.
 */
export async function recordSubscriptionRequest(
  db: Db,
  by: AuditedBy,
  orgId: string,
  kind: SubscriptionRequest,
  request: unknown,
  result: SubscriptionChangeResult,
): Promise<void> {
  const s = result.subscription;
  await recordAuditEvent(db, orgId, {
    ...by,
    action: `subscription.${kind}_requested`,
    after: {
      request: request ?? null,
      outcome: result.outcome,
      lines: result.lines,
      totalCents: result.totalCents,
      subscription: { tier: s.tier, interval: s.interval, seats: s.seats, status: s.status },
      scheduledChange: result.scheduledChange,
      cancelAtPeriodEnd: s.cancelAtPeriodEnd,
    },
  });
}

// ---- The org-billing workflow's decisions (its activities) ----

const subscriptionState = (s: SavedSubscription | undefined) =>
  s && {
    tier: s.tier,
    interval: s.interval,
    seats: s.seats,
    status: s.status,
    anchor: s.anchor,
    period: s.period,
    scheduledChange: s.scheduledChange,
    cancelAtPeriodEnd: s.cancelAtPeriodEnd,
  };

/**
 * The workflow saving the subscription after a change it made (a plan change, a renewal, dunning, a
 * pause): recorded when the state differs from what was saved, named by the change's business time. A
 * retried save of an older change, which saveSubscription leaves alone, records nothing.
 */
export function saveSubscriptionAudited(db: Db, s: SavedSubscription): Promise<void> {
  let before: ReturnType<typeof subscriptionState>;
  let after: ReturnType<typeof subscriptionState>;
  return audited(
    db,
    s.orgId,
    async (trx) => {
      before = subscriptionState(await findSubscription(trx, s.orgId));
      await saveSubscription(trx, s);
      after = subscriptionState(await findSubscription(trx, s.orgId));
    },
    () =>
      sameJson(before, after)
        ? null
        : {
            actor: workflowActor(billingWorkflowId(s.orgId)),
            action: 'subscription.updated',
            key: `subscription:${s.changedAt.toISOString()}`,
            before: before ?? null,
            after,
            occurredAt: s.changedAt,
          },
  );
}

/** A credit period closed by the workflow: once per period, with the ledger's close. */
export function closeCreditPeriodAudited(db: Db, input: ClosePeriodInput): Promise<ClosePeriodResult> {
  return audited(
    db,
    input.orgId,
    (trx) => closeCreditPeriod(trx, input),
    (r) =>
      r.duplicate
        ? null
        : {
            actor: workflowActor(billingWorkflowId(input.orgId)),
            action: 'billing.period_closed',
            key: periodCloseKey(input.orgId, new Date(input.periodStart)),
            after: r.period,
            occurredAt: new Date(input.at),
          },
  );
}

/**
 * Stripe's answer for a subscription charge or refund, recorded with it when it applied: a success once
 * per charge, a decline once per attempt; pending answers and a late retry's answer that settleCharge
 * leaves alone record nothing.
 */
export async function settleChargeAudited(db: Db, businessKey: string, s: SettleChargeInput): Promise<void> {
  const opened = await db
    .selectFrom('billing_charges')
    .select('org_id')
    .where('business_key', '=', businessKey)
    .executeTakeFirst();
  if (!opened) return settleCharge(db, businessKey, s);
  const orgId = opened.org_id;
  await audited(
    db,
    orgId,
    async (trx) => {
      await settleCharge(trx, businessKey, s);
      return trx
        .selectFrom('billing_charges')
        .selectAll()
        .where('business_key', '=', businessKey)
        .executeTakeFirstOrThrow();
    },
    (row): AuditEntry | null => {
      if (s.status === 'pending' || row.status !== s.status || row.attempts !== s.attempts) return null;
      const common = {
        actor: workflowActor(billingWorkflowId(orgId)),
        occurredAt: row.charged_at,
      };
      const charge = { kind: row.kind, amountCents: row.amount_cents, lines: row.lines };
      if (row.kind === 'refund') {
        return {
          ...common,
          action: 'billing.refund_issued',
          key: businessKey,
          after: { ...charge, paymentIntentId: row.payment_intent_id, refundId: row.refund_id },
        };
      }
      return row.status === 'succeeded'
        ? {
            ...common,
            action: 'billing.charge_succeeded',
            key: businessKey,
            after: { ...charge, attempt: row.attempts, paymentIntentId: row.payment_intent_id },
          }
        : {
            ...common,
            action: 'billing.charge_declined',
            key: attemptKey(businessKey, row.attempts),
            after: { ...charge, attempt: row.attempts, declineCode: row.decline_code },
          };
    },
  );
}
