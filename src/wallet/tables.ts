import type { ColumnType, Generated, Selectable } from 'kysely';
import type { AdActionProject } from '../ads/platform';
import type {
  AdAction,
  AdActionReason,
  PlatformName,
  AutoTopUpDisabledReason,
  TopUpMethod,
  TopUpStatus,
  TopUpTrigger,
  WalletEntryType,
  WithdrawalLegStatus,
} from './statuses';

/**
 * The wallet's tables (migration 0007), owned by this domain; src/db/schema.ts's Database gathers them.
 * int8 columns are exact JS numbers and `date` columns 'YYYY-MM-DD' strings (src/db/pool.ts).
 */
type Int8 = number;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
/** A calendar day, 'YYYY-MM-DD' both ways. */
type CalendarDate = string;

export interface WalletsTable {
  org_id: string;
  balance_cents: Generated<Int8>;
  pending_cents: Generated<Int8>;
  floor_cents: Generated<Int8>;
  auto_top_up_enabled: Generated<boolean>;
  auto_top_up_threshold_cents: Generated<Int8>;
  auto_top_up_amount_cents: Generated<Int8>;
  auto_top_up_daily_cap_cents: Generated<Int8>;
  time_zone: Generated<string>;
  platform_fee_bps: Generated<number>;
  consecutive_declines: Generated<number>;
  last_decline_at: Date | null;
  auto_top_up_disabled_reason: AutoTopUpDisabledReason | null;
  ads_paused: Generated<boolean>;
  ads_paused_reason: string | null;
  ads_paused_at: Date | null;
  updated_at: Generated<Date>;
}

export interface WalletTopUpsTable {
  id: Generated<Int8>;
  org_id: string;
  business_key: string;
  amount_cents: Int8;
  method: TopUpMethod;
  trigger: TopUpTrigger;
  status: TopUpStatus;
  payment_intent_id: string | null;
  wire_reference: string | null;
  failure_reason: string | null;
  local_day: CalendarDate;
  started_at: Date;
  expected_settlement: CalendarDate | null;
  settled_at: Date | null;
  created_at: CreatedAt;
}

export interface WalletDebitsTable {
  org_id: string;
  platform: PlatformName;
  external_id: string;
  project_id: string;
  spend_cents: Int8;
  fee_cents: Int8;
  fee_bps: number;
  occurred_at: Date;
  balance_after_cents: Int8;
  crossed_threshold: boolean;
  crossed_floor: boolean;
  created_at: CreatedAt;
}

export interface WalletWithdrawalLegsTable {
  id: Generated<Int8>;
  org_id: string;
  business_key: string;
  withdrawal_key: string;
  top_up_id: Int8;
  refund_cents: Int8;
  fee_cents: Int8;
  status: WithdrawalLegStatus;
  stripe_refund_id: string | null;
  failure_reason: string | null;
  requested_at: Date;
  settled_at: Date | null;
  created_at: CreatedAt;
}

export interface WalletLedgerTable {
  id: Generated<Int8>;
  org_id: string;
  entry_type: WalletEntryType;
  idempotency_key: string;
  balance_delta: Generated<Int8>;
  pending_delta: Generated<Int8>;
  project_id: string | null;
  platform: PlatformName | null;
  external_id: string | null;
  top_up_id: Int8 | null;
  withdrawal_leg_id: Int8 | null;
  /** Business time of the change, never now(). */
  effective_at: Date;
  detail: ColumnType<unknown, string | null | undefined, never>;
  created_at: CreatedAt;
}

/** One pause or resume of an org's agency ads (migration 0008): the audit record with its reason. */
export interface WalletAdActionsTable {
  id: Generated<Int8>;
  org_id: string;
  business_key: string;
  action: AdAction;
  reason: AdActionReason;
  balance_cents: Int8;
  floor_cents: Int8;
  projects: ColumnType<AdActionProject[], string, never>;
  decided_at: Date;
  created_at: CreatedAt;
}

export interface WalletDatabase {
  wallets: WalletsTable;
  wallet_top_ups: WalletTopUpsTable;
  wallet_debits: WalletDebitsTable;
  wallet_withdrawal_legs: WalletWithdrawalLegsTable;
  wallet_ledger: WalletLedgerTable;
  wallet_ad_actions: WalletAdActionsTable;
}

export type WalletRow = Selectable<WalletsTable>;
export type WalletTopUpRow = Selectable<WalletTopUpsTable>;
export type WalletDebitRow = Selectable<WalletDebitsTable>;
export type WalletLedgerRow = Selectable<WalletLedgerTable>;
export type WalletAdActionRow = Selectable<WalletAdActionsTable>;
