import type { Db } from '../db/pool';
import type { AdActionRecord } from '../wallet/ad-actions';
import { walletWorkflowId } from '../wallet/ids';
import {
  creditWire,
  settleTopUp,
  startTopUp,
  type CreditWireInput,
  type SettleTopUpInput,
  type SettleTopUpResult,
  type StartTopUpInput,
  type TopUpResult,
} from '../wallet/ledger';
import type { TopUp, WalletSnapshot, WithdrawalLegRecord } from '../wallet/records';
import {
  getWallet,
  resetAutoTopUpBreaker,
  setPlatformFeeBps,
  updateWalletSettings,
  type WalletSettingsPatch,
} from '../wallet/wallets';
import type { WithdrawalOutcome } from '../wallet/withdraw';
import { workflowActor, type AuditActor, type AuditedBy } from './actors';
import { sameJson } from './hash';
import { audited, recordAuditEvent, type AuditEntry } from './trail';

/**
 * The wallet's audited actions: each is the wallet operation itself with its audit row, in one
 * transaction where the operation is one (./trail.ts audited), else recorded right after under the
 * operation's business key. Callers (routes, the CLI, the wallet activities) call these instead of the
 * operation.
 */

const topUpView = (t: TopUp) => ({
  key: t.key,
  amountCents: t.amountCents,
  method: t.method,
  trigger: t.trigger,
  status: t.status,
  paymentIntentId: t.paymentIntentId,
  failureReason: t.failureReason,
  ...(t.wireReference === null ? {} : { wireReference: t.wireReference }),
});

const autoTopUpOf = (w: WalletSnapshot) => ({
  enabled: w.autoTopUp.enabled,
  thresholdCents: w.autoTopUp.thresholdCents,
  amountCents: w.autoTopUp.amountCents,
  dailyCapCents: w.autoTopUp.dailyCapCents,
  timeZone: w.timeZone,
});

const breakerOf = (w: WalletSnapshot) => ({
  disabledReason: w.autoTopUp.disabledReason,
  consecutiveDeclines: w.autoTopUp.consecutiveDeclines,
});

/** A change of settings, or null when the values are what they were. */
function settingsChange(
  by: AuditedBy,
  action: AuditEntry['action'],
  before: unknown,
  after: unknown,
): AuditEntry | null {
  return sameJson(before, after) ? null : { ...by, action, before, after };
}

/** POST /v1/wallet/top-ups: the top-up as asked for (its repeat records nothing). */
export function startTopUpAudited(db: Db, by: AuditActor, input: StartTopUpInput): Promise<TopUpResult> {
  return audited(
    db,
    input.orgId,
    (trx) => startTopUp(trx, input),
    (r) =>
      r.duplicate
        ? null
        : { actor: by, action: 'wallet.top_up_requested', key: r.topUp.key, after: topUpView(r.topUp) },
  );
}

/** PUT /v1/wallet/auto-top-up and /floor: one event per group of settings that changed. */
export async function updateWalletSettingsAudited(
  db: Db,
  by: AuditedBy,
  orgId: string,
  patch: WalletSettingsPatch,
): Promise<WalletSnapshot> {
  let before: WalletSnapshot | undefined;
  return audited(
    db,
    orgId,
    async (trx) => {
      before = await getWallet(trx, orgId);
      return updateWalletSettings(trx, orgId, patch);
    },
    (after) =>
      [
        settingsChange(by, 'wallet.auto_top_up_updated', autoTopUpOf(before!), autoTopUpOf(after)),
        settingsChange(
          by,
          'wallet.floor_updated',
          { floorCents: before!.floorCents },
          { floorCents: after.floorCents },
        ),
      ].filter((c): c is AuditEntry => c !== null),
  );
}

/** `wallet fee` (admin CLI). */
export function setPlatformFeeBpsAudited(
  db: Db,
  by: AuditedBy,
  orgId: string,
  feeBps: number,
): Promise<WalletSnapshot> {
  let before: number | undefined;
  return audited(
    db,
    orgId,
    async (trx) => {
      before = (await getWallet(trx, orgId)).platformFeeBps;
      return setPlatformFeeBps(trx, orgId, feeBps);
    },
    (w) =>
      settingsChange(
        by,
        'wallet.platform_fee_updated',
        { platformFeeBps: before },
        { platformFeeBps: w.platformFeeBps },
      ),
  );
}

/** `wallet credit --wire` (admin CLI): once per reference, as the credit itself. */
export function creditWireAudited(db: Db, by: AuditActor, input: CreditWireInput): Promise<TopUpResult> {
  return audited(
    db,
    input.orgId,
    (trx) => creditWire(trx, input),
    (r) =>
      r.duplicate
        ? null
        : {
            actor: by,
            action: 'wallet.wire_credited',
            key: r.topUp.key,
            after: { amountCents: r.topUp.amountCents, reference: r.topUp.wireReference },
            occurredAt: new Date(input.at),
          },
  );
}

/** POST /v1/wallet/withdrawals: after its legs were debited (several transactions), once per withdrawal. */
export async function recordWithdrawalRequested(
  db: Db,
  by: AuditActor,
  orgId: string,
  key: string,
  w: WithdrawalOutcome,
): Promise<void> {
  await recordAuditEvent(db, orgId, {
    actor: by,
    action: 'wallet.withdrawal_requested',
    key,
    after: {
      requestedCents: w.requestedCents,
      debitedCents: w.debitedCents,
      refundedCents: w.refundedCents,
      feeCents: w.feeCents,
      unrefundedCents: w.unrefundedCents,
      legs: w.legs.map((l) => ({
        key: l.key,
        topUpId: l.topUpId,
        refundCents: l.refundCents,
        feeCents: l.feeCents,
      })),
    },
  });
}

// ---- The wallet workflow's decisions (its activities) ----

/**
 * A top-up's charge settled: succeeded, or declined/failed; a decline that trips the breaker also
 * switches auto-top-up off. Same transaction as the settlement.
 */
export function settleTopUpAudited(db: Db, input: SettleTopUpInput): Promise<SettleTopUpResult> {
  const actor = workflowActor(walletWorkflowId(input.orgId));
  const occurredAt = new Date(input.at);
  let before: WalletSnapshot | undefined;
  return audited(
    db,
    input.orgId,
    async (trx) => {
      before = await getWallet(trx, input.orgId);
      return settleTopUp(trx, input);
    },
    (r): AuditEntry[] => {
      if (r.duplicate) return [];
      const settled: AuditEntry = {
        actor,
        action: r.topUp.status === 'succeeded' ? 'wallet.top_up_succeeded' : 'wallet.top_up_failed',
        key: r.topUp.key,
        after: topUpView(r.topUp),
        occurredAt,
      };
      if (!r.breakerTripped) return [settled];
      const switchedOff: AuditEntry = {
        actor,
        action: 'wallet.auto_top_up_switched_off',
        key: r.topUp.key,
        before: breakerOf(before!),
        after: breakerOf(r.wallet),
        occurredAt,
      };
      return [settled, switchedOff];
    },
  );
}

/**
 * A new card: the breaker and the decline count start over. Recorded only when they were set, under the
 * last decline it forgives (so a second card after the same decline adds nothing).
 */
export function resetAutoTopUpBreakerAudited(db: Db, orgId: string): Promise<WalletSnapshot> {
  let before: WalletSnapshot | undefined;
  return audited(
    db,
    orgId,
    async (trx) => {
      before = await getWallet(trx, orgId);
      return resetAutoTopUpBreaker(trx, orgId);
    },
    (after) =>
      settingsChange(
        {
          actor: workflowActor(walletWorkflowId(orgId)),
          key: `declines-until:${before!.autoTopUp.lastDeclineAt ?? 'none'}`,
        },
        'wallet.auto_top_up_breaker_reset',
        breakerOf(before!),
        breakerOf(after),
      ),
  );
}

/** Ads paused or resumed (the platforms are asked first, outside any transaction): once per decision. */
export async function recordAdAction(db: Db, orgId: string, a: AdActionRecord): Promise<void> {
  await recordAuditEvent(db, orgId, {
    actor: workflowActor(walletWorkflowId(orgId)),
    action: a.action === 'pause' ? 'wallet.ads_paused' : 'wallet.ads_resumed',
    key: a.key,
    after: { reason: a.reason, balanceCents: a.balanceCents, floorCents: a.floorCents, projects: a.projects },
    occurredAt: new Date(a.decidedAt),
  });
}

/** A withdrawal's refund leg settled by Stripe's answer (a failed one was credited back). */
export async function recordWithdrawalLegSettled(
  db: Db,
  orgId: string,
  leg: WithdrawalLegRecord,
  at: Date,
): Promise<void> {
  await recordAuditEvent(db, orgId, {
    actor: workflowActor(walletWorkflowId(orgId)),
    action: leg.status === 'succeeded' ? 'wallet.withdrawal_refunded' : 'wallet.withdrawal_refund_failed',
    key: leg.key,
    after: {
      withdrawalKey: leg.withdrawalKey,
      topUpId: leg.topUpId,
      refundCents: leg.refundCents,
      feeCents: leg.feeCents,
      status: leg.status,
      stripeRefundId: leg.stripeRefundId,
      failureReason: leg.failureReason,
    },
    occurredAt: at,
  });
}
