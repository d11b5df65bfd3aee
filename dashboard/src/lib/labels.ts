import type { TIER_IDS } from '../../../src/billing/tiers';
import type { Subscription } from '../api/types';

/** Words for the API's enumerations, one place for every page. */

/**
 * The tiers in rank order, lowest first, as the engine has them (src/billing/tiers.ts): typed by that
 * very list, so a tier added, removed or moved there fails `npm run typecheck` here. Written out rather
 * than imported: the dashboard bundles nothing of the engine.
 */
export const TIER_ORDER = [
  'free',
  'plus',
  'max',
  'generative',
  'pro',
  'team',
] as const satisfies typeof TIER_IDS;

/** The catalog's names of the tiers (src/db/seed/catalog.ts). */
const TIER_NAMES: Record<Subscription['tier'], string> = {
  free: 'Free',
  plus: 'Plus',
  max: 'Max',
  generative: 'Generative',
  pro: 'Pro',
  team: 'Team',
};
export const tierName = (tier: string): string => TIER_NAMES[tier as Subscription['tier']] ?? tier;

export const intervalName = (interval: string): string =>
  interval === 'year' ? 'Yearly' : interval === 'month' ? 'Monthly' : interval;

export const perInterval = (interval: string): string => (interval === 'year' ? 'per year' : 'per month');

export const seatsText = (seats: number): string => `${seats} ${seats === 1 ? 'seat' : 'seats'}`;

export const planText = (plan: { tier: string; interval: string; seats: number }): string =>
  `${tierName(plan.tier)}, ${intervalName(plan.interval).toLowerCase()}, ${seatsText(plan.seats)}`;

export const STATUS_TEXT: Record<Subscription['status'], string> = {
  active: 'Active',
  past_due: 'Past due',
  paused: 'Paused',
  canceled: 'Canceled',
};

export const statusTone = (status: Subscription['status']) =>
  status === 'active' ? 'good' : status === 'past_due' ? 'warning' : status === 'paused' ? 'info' : 'danger';

const CREDIT_ENTRY_TEXT: Record<string, string> = {
  grant_included: 'Included allowance',
  grant_prepaid: 'Prepaid credits',
  reserve: 'Hold',
  capture: 'Generation charged',
  release: 'Hold released',
  expire: 'Expired',
  period_close: 'Period closed',
  expire_rollover: 'Rollover expired',
  expire_pending: 'Held credits expired',
  allowance_change: 'Allowance changed',
  revoke_included: 'Included revoked',
};
export const creditEntryName = (type: string): string => CREDIT_ENTRY_TEXT[type] ?? type;

const WALLET_ENTRY_TEXT: Record<string, string> = {
  spend: 'Ad spend',
  fee: 'Platform fee',
  top_up_started: 'Top-up started',
  top_up_succeeded: 'Top-up settled',
  top_up_failed: 'Top-up failed',
  wire_credit: 'Wire credited',
  withdrawal: 'Withdrawal',
  withdrawal_reversed: 'Withdrawal reversed',
};
export const walletEntryName = (type: string): string => WALLET_ENTRY_TEXT[type] ?? type;

const PLATFORM_TEXT: Record<string, string> = { meta: 'Meta', tiktok: 'TikTok', google: 'Google' };
export const platformName = (platform: string): string => PLATFORM_TEXT[platform] ?? platform;

const METHOD_TEXT: Record<string, string> = { card: 'Card', ach: 'ACH', wire: 'Wire' };
export const methodName = (method: string): string => METHOD_TEXT[method] ?? method;

const COLLECTION_TEXT: Record<string, string> = {
  nothing_due: 'Nothing due',
  pending: 'Collecting',
  paid: 'Paid',
  failed: 'Collection failed',
};
export const collectionName = (c: string): string => COLLECTION_TEXT[c] ?? c;
export const collectionTone = (c: string) =>
  c === 'paid' ? 'good' : c === 'failed' ? 'danger' : c === 'pending' ? 'warning' : 'neutral';

const LINE_KIND_TEXT: Record<string, string> = {
  subscription: 'Subscription',
  proration: 'Plan change',
  credits_rolled_over: 'Rolled-over credits',
  credits_included: 'Included credits',
  credits_prepaid: 'Prepaid credits',
  credits_overage: 'Credit overage',
  credit_pack: 'Credit pack',
  ad_spend: 'Ad spend',
  platform_fee: 'Platform fee',
  usage_overage: 'Usage over allowance',
};
export const lineKindName = (kind: string): string => LINE_KIND_TEXT[kind] ?? kind.replace(/_/g, ' ');

const PAID_BY_TEXT: Record<string, string> = { stripe: 'Card', wallet: 'Wallet', none: '—' };
export const paidByName = (p: string): string => PAID_BY_TEXT[p] ?? p;
