import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type { LedgerEntryType } from '../credits/entry-types';
import type { GenerationStatus, ReservationStatus } from '../generations/statuses';
import type { BillingMode, BillingStatus } from '../orgs/statuses';
import type { PurchaseStatus } from '../credit-packs/statuses';
import type { BillingInterval, ChargeKind, ChargeStatus } from '../billing/statuses';
import type { UsageDatabase } from '../invoices/usage-tables';
import type { InvoicesDatabase } from '../invoices/tables';
import type { WalletDatabase } from '../wallet/tables';
import type { AuditDatabase } from '../audit/tables';
import type { AuthDatabase } from '../auth/tables';

/**
 * int8 columns arrive as JS numbers: the pool's parser (src/db/pool.ts) refuses any value that is not a
 * safe integer, so a number here is always exact.
 */
type Int8 = number;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;

// Each column's allowed values are spelled once, near their domain; re-exported here for the columns.
export type { BillingMode, BillingStatus } from '../orgs/statuses';
export type { GenerationStatus, ReservationStatus } from '../generations/statuses';
export type { LedgerEntryType } from '../credits/entry-types';
export type { PurchaseStatus } from '../credit-packs/statuses';

export interface TiersTable {
  id: string;
  name: string;
  included_credits_per_period: Int8;
  overage_allowed: boolean;
  pack_discount_bps: number;
  rollover_days: number;
  /** The most a period close carries over as a rollover grant (0 with rollover_days 0). */
  rollover_cap: Int8;
}

export interface GenerationFormatsTable {
  format: string;
  estimated_credits: Int8;
  /** NULL: DEFAULT_CEILING_MULTIPLE × estimated_credits (src/credits/ceiling.ts). */
  max_actual_credits: Int8 | null;
}

export interface OrganizationsTable {
  id: string;
  name: string;
  tier_id: string;
  billing_mode: BillingMode;
  billing_status: ColumnType<BillingStatus, BillingStatus | undefined, BillingStatus>;
  disabled: ColumnType<boolean, boolean | undefined, boolean>;
  billing_anchor: Date;
  created_at: CreatedAt;
}

export interface ProjectsTable {
  id: string;
  org_id: string;
  name: string;
  created_at: CreatedAt;
}

export interface CreditBalancesTable {
  org_id: string;
  included_remaining: Generated<Int8>;
  prepaid_balance: Generated<Int8>;
  reserved_credits: Generated<Int8>;
  included_this_period: Generated<Int8>;
  used_this_period: Generated<Int8>;
  overage_this_period: Generated<Int8>;
  written_off_this_period: Generated<Int8>;
  /** Sum of credit_grants.remaining: rolled-over credits, spent before this period's included ones. */
  rolled_over_remaining: Generated<Int8>;
  /** Earliest expires_at among the grants with credits left; NULL exactly when rolled_over_remaining is 0. */
  rollover_expires_at: Generated<Date | null>;
  /** Credits whose expiry came while generations held them; always <= reserved_credits. */
  pending_expiry: Generated<Int8>;
  rolled_over_in_this_period: Generated<Int8>;
  rollover_expired_this_period: Generated<Int8>;
  expired_this_period: Generated<Int8>;
  period_start: Date;
  period_end: Date;
  updated_at: Generated<Date>;
}

export interface GenerationsTable {
  id: string;
  org_id: string;
  project_id: string;
  format: string;
  status: GenerationStatus;
  estimated_credits: Int8;
  actual_credits: Int8 | null;
  model: string | null;
  failure_reason: string | null;
  created_at: CreatedAt;
  ended_at: Date | null;
}

export interface ReservationsTable {
  generation_id: string;
  org_id: string;
  amount: Int8;
  status: ReservationStatus;
  captured_credits: Int8 | null;
  created_at: CreatedAt;
  settled_at: Date | null;
}

export interface CreditLedgerTable {
  id: Generated<Int8>;
  org_id: string;
  entry_type: LedgerEntryType;
  idempotency_key: string;
  generation_id: string | null;
  project_id: string | null;
  included_delta: Generated<Int8>;
  prepaid_delta: Generated<Int8>;
  reserved_delta: Generated<Int8>;
  allowance_delta: Generated<Int8>;
  used_delta: Generated<Int8>;
  overage_delta: Generated<Int8>;
  written_off_delta: Generated<Int8>;
  rolled_over_delta: Generated<Int8>;
  pending_expiry_delta: Generated<Int8>;
  rolled_over_in_delta: Generated<Int8>;
  rollover_expired_delta: Generated<Int8>;
  expired_delta: Generated<Int8>;
  reason: string | null;
  /** Business time, for the rows of operations that have one (periods, allowance changes, expiries). */
  effective_at: Date | null;
  /** jsonb: what the operation did in its own terms, and the arguments a repeat must match. */
  detail: ColumnType<unknown, string | null | undefined, never>;
  created_at: CreatedAt;
}

/** Rolled-over credits: one grant per period close that carried some over. */
export interface CreditGrantsTable {
  id: Generated<Int8>;
  org_id: string;
  idempotency_key: string;
  granted: Int8;
  remaining: Int8;
  granted_at: Date;
  expires_at: Date;
  expired_at: Date | null;
  expired_credits: Int8 | null;
  created_at: CreatedAt;
}

/** The summary of a closed credit period, one row per close. */
export interface CreditPeriodsTable {
  org_id: string;
  period_start: Date;
  period_end: Date;
  tier_id: string;
  included_granted: Int8;
  used: Int8;
  overage: Int8;
  written_off: Int8;
  rolled_over_in: Int8;
  rollover_expired: Int8;
  expired: Int8;
  rolled_over_out: Int8;
  held_at_close: Int8;
  next_period_end: Date;
  next_allowance: Int8;
  rollover_days: number;
  rollover_cap: Int8;
  idempotency_key: string;
  created_at: CreatedAt;
}

export interface ApiKeysTable {
  prefix: string;
  org_id: string;
  secret_hash: Buffer;
  disabled: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: CreatedAt;
  disabled_at: Date | null;
  /** What the key may do beyond the partner API (API_KEY_SCOPES of src/auth/scopes.ts). */
  scopes: ColumnType<string[], string[] | undefined, string[]>;
}

/** Only the API's idempotency records (src/api/idempotency.ts) have these; migration 0002 checks them. */
export const IDEMPOTENCY_STATUSES = ['pending', 'completed'] as const;
export type IdempotencyStatus = (typeof IDEMPOTENCY_STATUSES)[number];

export interface IdempotencyKeysTable {
  org_id: string;
  key: string;
  request_hash: string;
  generation_id: string;
  status: IdempotencyStatus;
  response_status: number | null;
  /** jsonb: written as a JSON string, read back parsed. */
  response_body: ColumnType<unknown, string | null | undefined, string | null>;
  created_at: CreatedAt;
  completed_at: Date | null;
}

export interface StripeCustomersTable {
  org_id: string;
  stripe_customer_id: string;
  created_at: CreatedAt;
  updated_at: Generated<Date>;
}

export interface CreditPackPurchasesTable {
  id: string;
  org_id: string;
  idempotency_key: string;
  pack_id: string;
  credits: Int8;
  list_price_cents: Int8;
  discount_bps: number;
  amount_cents: Int8;
  status: Generated<PurchaseStatus>;
  payment_intent_id: string | null;
  decline_code: string | null;
  failure_reason: string | null;
  created_at: CreatedAt;
  updated_at: Generated<Date>;
  settled_at: Date | null;
}

export interface StripeEventsTable {
  id: string;
  type: string;
  received_at: Generated<Date>;
  processed_at: Date | null;
  outcome: string | null;
}

/** Every table; the wallet's, the audit trail's, usage's, invoices' and the dashboard sign-in's are declared
 * by their domains (src/wallet/tables.ts, src/audit/tables.ts, src/invoices/usage-tables.ts,
 * src/invoices/tables.ts, src/auth/tables.ts). */
export interface Database
  extends WalletDatabase, AuditDatabase, UsageDatabase, InvoicesDatabase, AuthDatabase {
  tiers: TiersTable;
  generation_formats: GenerationFormatsTable;
  organizations: OrganizationsTable;
  projects: ProjectsTable;
  credit_balances: CreditBalancesTable;
  generations: GenerationsTable;
  reservations: ReservationsTable;
  credit_ledger: CreditLedgerTable;
  credit_grants: CreditGrantsTable;
  credit_periods: CreditPeriodsTable;
  api_keys: ApiKeysTable;
  idempotency_keys: IdempotencyKeysTable;
  stripe_customers: StripeCustomersTable;
  credit_pack_purchases: CreditPackPurchasesTable;
  stripe_events: StripeEventsTable;
  subscriptions: SubscriptionsTable;
  billing_charges: BillingChargesTable;
  credit_alerts: CreditAlertsTable;
  notifications: NotificationsTable;
}

/** jsonb columns: written as a JSON string, read back parsed. */
type Jsonb<T> = ColumnType<T, string, string>;

export interface SubscriptionsTable {
  org_id: string;
  billing_interval: BillingInterval;
  seats: number;
  renewal_anchor: Date;
  period_start: Date;
  period_end: Date;
  cancel_at_period_end: boolean;
  scheduled_change: ColumnType<unknown, string | null, string | null>;
  changed_at: Date;
  updated_at: Generated<Date>;
}

export interface BillingChargesTable {
  business_key: string;
  org_id: string;
  kind: ChargeKind;
  amount_cents: Int8;
  lines: Jsonb<unknown>;
  status: ChargeStatus;
  payment_intent_id: string | null;
  refund_id: string | null;
  decline_code: string | null;
  attempts: Generated<number>;
  charged_at: Date;
  created_at: CreatedAt;
  updated_at: Generated<Date>;
}

export interface CreditAlertsTable {
  org_id: string;
  threshold_credits: Int8;
  fired_for_period: Date | null;
  updated_at: Generated<Date>;
}

export interface NotificationsTable {
  id: Generated<Int8>;
  org_id: string;
  kind: string;
  business_key: string;
  payload: Jsonb<unknown>;
  created_at: Date;
  delivered_at: Date | null;
}

export type Organization = Selectable<OrganizationsTable>;
export type NewOrganization = Insertable<OrganizationsTable>;
export type Project = Selectable<ProjectsTable>;
export type CreditBalance = Selectable<CreditBalancesTable>;
export type Generation = Selectable<GenerationsTable>;
export type LedgerEntry = Selectable<CreditLedgerTable>;
export type CreditGrant = Selectable<CreditGrantsTable>;
export type CreditPeriod = Selectable<CreditPeriodsTable>;
export type ApiKey = Selectable<ApiKeysTable>;
export type CreditPackPurchase = Selectable<CreditPackPurchasesTable>;
