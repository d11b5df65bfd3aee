import type { Migration } from 'kysely';
import * as creditLedger from './2026_11_21_0001_credit_ledger';
import * as api from './2026_11_21_0002_api';
import * as payments from './2026_11_21_0003_payments';
import * as costCeiling from './2026_11_21_0004_cost_ceiling';

/** Listed statically (not read from disk) so migrations run the same under tsx, vitest and the bundle. */
export const migrations: Record<string, Migration> = {
  '2026_11_21_0001_credit_ledger': creditLedger,
  '2026_11_21_0002_api': api,
  '2026_11_21_0003_payments': payments,
  '2026_11_21_0004_cost_ceiling': costCeiling,
};
