import type { Migration } from 'kysely';
import * as creditLedger from './2026_11_21_0001_credit_ledger';

/** Listed statically (not read from disk) so migrations run the same under tsx, vitest and the bundle. */
export const migrations: Record<string, Migration> = {
  '2026_11_21_0001_credit_ledger': creditLedger,
};
