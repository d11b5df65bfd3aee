import type { Migration } from 'kysely';
import * as creditLedger from './2026_11_21_0001_credit_ledger';
import * as api from './2026_11_21_0002_api';
import * as payments from './2026_11_21_0003_payments';
import * as costCeiling from './2026_11_21_0004_cost_ceiling';
import * as creditPeriods from './2026_11_21_0005_credit_periods';
import * as billing from './2026_11_21_0006_billing';
import * as wallet from './2026_11_21_0007_wallet';
import * as walletEngine from './2026_11_22_0008_wallet_engine';
import * as audit from './2026_11_22_0009_audit';
import * as usage from './2026_11_22_0010_usage';
import * as invoices from './2026_11_22_0011_invoices';
import * as dashboard from './2026_11_22_0012_dashboard';

/**
 * Listed statically (not read from disk) so migrations run the same under tsx, vitest and the bundle.
 *
 * Schema only. The functions the first migration created now live in src/db/functions/ and are
 * re-applied by migrateToLatest whenever their file changes; the tiers and formats it inserted are the
 * catalog of src/db/seed/. That migration's own header ("a change to a function below is a new
 * migration") predates this and stays as shipped: change the .sql file instead.
 */
export const migrations: Record<string, Migration> = {
  '2026_11_21_0001_credit_ledger': creditLedger,
  '2026_11_21_0002_api': api,
  '2026_11_21_0003_payments': payments,
  '2026_11_21_0004_cost_ceiling': costCeiling,
  '2026_11_21_0005_credit_periods': creditPeriods,
  '2026_11_21_0006_billing': billing,
  '2026_11_21_0007_wallet': wallet,
  '2026_11_22_0008_wallet_engine': walletEngine,
  '2026_11_22_0009_audit': audit,
  '2026_11_22_0010_usage': usage,
  '2026_11_22_0011_invoices': invoices,
  '2026_11_22_0012_dashboard': dashboard,
};
