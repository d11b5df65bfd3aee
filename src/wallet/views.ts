import type { Db } from '../db/pool';
import { addDays, localDay, type LocalDay } from './days';
import { resumeAtCents } from './floor';
import { forecastRunway, type DailyTotal, type Forecast } from './forecast';
import { pendingTopUps } from './queries';
import type { Debit, TopUp, WalletSnapshot, WithdrawalLegRecord } from './records';
import type { AutoTopUpDisabledReason, TopUpMethod, TopUpStatus, TopUpTrigger } from './statuses';
import { autoTopUpDay, dailySpendTotals, getWallet } from './wallets';

/**
 * The wallet as the org sees it (GET /v1/wallet, `layers-billing wallet show`, the dashboard later):
 * built by pure functions from what ./queries.ts and ./wallets.ts read, so each caller shows the same
 * numbers. Keys and Stripe ids stay out; cents are integers, instants ISO strings, days 'YYYY-MM-DD'.
 */

export interface PendingTopUpView {
  id: number;
  method: TopUpMethod;
  trigger: TopUpTrigger;
  amountCents: number;
  startedAt: string;
  /** ACH: the last of its 1–3 business days; null for a card charge in flight. */
  expectedSettlement: LocalDay | null;
}

export interface WalletView {
  organizationId: string;
  /** Settled: spendable, what the floor and the threshold compare; negative when spend is owed. */
  balanceCents: number;
  /** Top-ups in flight: shown, never spendable. */
  pendingCents: number;
  floorCents: number;
  /** Paused ads resume once the settled balance is back here (the floor plus its margin). */
  resumeAtCents: number;
  autoTopUp: {
    enabled: boolean;
    thresholdCents: number;
    amountCents: number;
    dailyCapCents: number;
    /** Set when three declines in a row switched it off; a card update or a manual top-up clears it. */
    disabledReason: AutoTopUpDisabledReason | null;
    consecutiveDeclines: number;
    /** Auto top-ups started on the org's local day `today`, pending and succeeded. */
    usedTodayCents: number;
    remainingTodayCents: number;
    today: LocalDay;
  };
  timeZone: string;
  platformFeeBps: number;
  adsPaused: { paused: boolean; reason: string | null; since: string | null };
  pendingTopUps: PendingTopUpView[];
  forecast: Forecast;
}

export interface WalletViewInput {
  wallet: WalletSnapshot;
  /** The org's local day now. */
  today: LocalDay;
  usedTodayCents: number;
  pendingTopUps: readonly TopUp[];
  /** Spend + fee per local day over (at least) the 30 days before today. */
  dailyTotals: readonly DailyTotal[];
}

export function walletView({
  wallet,
  today,
  usedTodayCents,
  pendingTopUps,
  dailyTotals,
}: WalletViewInput): WalletView {
  const { autoTopUp } = wallet;
  return {
    organizationId: wallet.organizationId,
    balanceCents: wallet.balanceCents,
    pendingCents: wallet.pendingCents,
    floorCents: wallet.floorCents,
    resumeAtCents: resumeAtCents(wallet.floorCents),
    autoTopUp: {
      enabled: autoTopUp.enabled,
      thresholdCents: autoTopUp.thresholdCents,
      amountCents: autoTopUp.amountCents,
      dailyCapCents: autoTopUp.dailyCapCents,
      disabledReason: autoTopUp.disabledReason,
      consecutiveDeclines: autoTopUp.consecutiveDeclines,
      usedTodayCents,
      remainingTodayCents: Math.max(0, autoTopUp.dailyCapCents - usedTodayCents),
      today,
    },
    timeZone: wallet.timeZone,
    platformFeeBps: wallet.platformFeeBps,
    adsPaused: { paused: wallet.adsPaused, reason: wallet.adsPausedReason, since: wallet.adsPausedAt },
    pendingTopUps: pendingTopUps.map((t) => ({
      id: t.id,
      method: t.method,
      trigger: t.trigger,
      amountCents: t.amountCents,
      startedAt: t.startedAt,
      expectedSettlement: t.expectedSettlement,
    })),
    forecast: forecastRunway({
      today,
      dailyTotals,
      balanceCents: wallet.balanceCents,
      floorCents: wallet.floorCents,
      autoTopUp: {
        active: autoTopUp.enabled && autoTopUp.disabledReason === null,
        dailyCapCents: autoTopUp.dailyCapCents,
        usedTodayCents,
      },
    }),
  };
}

/**
 * Reads and builds the view at business time `now`, in one REPEATABLE READ snapshot so that the balance,
 * the pending top-ups and today's cap agree with each other. 409 WALLET_NOT_AVAILABLE for a BYO org.
 */
export function readWalletView(db: Db, orgId: string, now: Date): Promise<WalletView> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      const wallet = await getWallet(trx, orgId);
      const today = localDay(now, wallet.timeZone);
      const [day, pending, dailyTotals] = await Promise.all([
        autoTopUpDay(trx, orgId, today),
        pendingTopUps(trx, orgId),
        dailySpendTotals(trx, orgId, addDays(today, -30), today),
      ]);
      return walletView({
        wallet,
        today,
        usedTodayCents: day.usedCents,
        pendingTopUps: pending,
        dailyTotals,
      });
    });
}

// ---- What the writes answer with ----

export interface TopUpView {
  id: number;
  method: TopUpMethod;
  trigger: TopUpTrigger;
  amountCents: number;
  status: TopUpStatus;
  failureReason: string | null;
  startedAt: string;
  expectedSettlement: LocalDay | null;
  settledAt: string | null;
}

export const topUpView = (t: TopUp): TopUpView => ({
  id: t.id,
  method: t.method,
  trigger: t.trigger,
  amountCents: t.amountCents,
  status: t.status,
  failureReason: t.failureReason,
  startedAt: t.startedAt,
  expectedSettlement: t.expectedSettlement,
  settledAt: t.settledAt,
});

export interface BalancesView {
  balanceCents: number;
  pendingCents: number;
}

export const balancesView = (w: WalletSnapshot): BalancesView => ({
  balanceCents: w.balanceCents,
  pendingCents: w.pendingCents,
});

export interface DebitView {
  platform: Debit['platform'];
  externalId: string;
  projectId: string;
  spendCents: number;
  feeCents: number;
  feeBps: number;
  occurredAt: string;
  balanceAfterCents: number;
  crossedThreshold: boolean;
  crossedFloor: boolean;
}

export const debitView = (d: Debit): DebitView => ({ ...d });

export interface WithdrawalLegView {
  topUpId: number;
  refundCents: number;
  feeCents: number;
  status: WithdrawalLegRecord['status'];
  requestedAt: string;
}

export const withdrawalLegView = (l: WithdrawalLegRecord): WithdrawalLegView => ({
  topUpId: l.topUpId,
  refundCents: l.refundCents,
  feeCents: l.feeCents,
  status: l.status,
  requestedAt: l.requestedAt,
});
