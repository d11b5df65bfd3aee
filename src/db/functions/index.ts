import { readFileSync } from 'node:fs';
import type { RepeatableScript } from '../repeatable';

/**
 * The database functions, one `CREATE OR REPLACE` per file, applied in this order by the repeatable step
 * of migrateToLatest whenever a file's content changes. Order matters: PostgreSQL checks a LANGUAGE sql
 * body when the function is created, so what a function calls is listed before it.
 *
 * Listed here rather than found by reading the directory, for the same reason as the migrations: what
 * runs, and in which order, is in the code, and a file missing from a checkout fails loudly instead of
 * being skipped. test/db/repeatable.test.ts holds this list and the directory to each other.
 */
export const FUNCTIONS = [
  'credit_ledger_is_append_only',
  'credit_snapshot_json',
  'format_estimates',
  'credit_snapshot',
  'credits_reserve',
  'credits_capture',
  'credits_release',
  'credits_grant',
  'credit_period_json',
  'credit_grants_spend',
  'credit_grants_expire',
  'credits_close_period',
  'credits_expire_grants',
  'credits_set_allowance',
  'credits_revoke_included',
  'wallet_ledger_is_append_only',
  'wallet_fee_cents',
  'wallet_missing',
  'wallet_add_top_up',
  'wallet_record_spend',
  'wallet_claim_auto_top_up',
  'wallet_start_top_up',
  'wallet_settle_top_up',
  'wallet_credit_wire',
  'wallet_withdraw_leg',
  'wallet_settle_withdrawal_leg',
  'usage_events_is_append_only',
  'usage_record',
] as const;

/**
 * The files are read from disk next to this module (not imported as strings): Node and tsx cannot import
 * a .sql file, and wrapping each in a .ts template literal would make a review diff show TypeScript
 * around the rule instead of the rule. import.meta.url is this file under tsx, vitest and the bin alike
 * (the project runs its sources directly, there is no bundle), so this works from any working directory.
 * Read on call, not on import: importing the migrator does no I/O.
 */
export function functionScripts(): RepeatableScript[] {
  return FUNCTIONS.map((name) => ({
    name: `functions/${name}.sql`,
    sql: readFileSync(new URL(`./${name}.sql`, import.meta.url), 'utf8'),
  }));
}
