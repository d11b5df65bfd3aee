import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY_SCOPES } from '../../src/auth/scopes';
import { BILLING_INTERVALS, CHARGE_KINDS, CHARGE_STATUSES } from '../../src/billing/statuses';
import { LEDGER_ENTRY_TYPES } from '../../src/credits/entry-types';
import { IDEMPOTENCY_STATUSES } from '../../src/db/schema';
import { GENERATION_STATUSES, RESERVATION_STATUSES } from '../../src/generations/statuses';
import { USAGE_METRICS } from '../../src/invoices/usage-metrics';
import { BILLING_MODES, BILLING_STATUSES } from '../../src/orgs/statuses';
import { PURCHASE_STATUSES } from '../../src/credit-packs/statuses';
import {
  AD_PLATFORMS,
  AUTO_TOP_UP_DISABLED_REASONS,
  TOP_UP_METHODS,
  TOP_UP_STATUSES,
  TOP_UP_TRIGGERS,
  WALLET_ENTRY_TYPES,
  WITHDRAWAL_LEG_STATUSES,
} from '../../src/wallet/statuses';
import { createTestDatabase, type TestDatabase } from '../support/database';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.close();
});

/**
 * The values a CHECK constraint on exactly this one column allows, read back from the migrated database
 * (`col IN (...)` is stored as `col = ANY (ARRAY['a'::text, ...])`, and a list of one as `col = 'a'::text`;
 * an array column's `col <@ ARRAY[...]` as `col <@ ARRAY['a'::text, ...]`).
 */
async function checkedValues(table: string, column: string): Promise<string[]> {
  const { rows } = await sql<{ def: string }>`
    SELECT pg_get_constraintdef(c.oid) AS def
    FROM pg_constraint c
    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
    WHERE c.contype = 'c' AND c.conrelid = ${table}::regclass AND cardinality(c.conkey) = 1
      AND a.attname = ${column}`.execute(t.db);
  const lists = rows.filter(
    (r) =>
      /= ANY \(ARRAY\[/.test(r.def) ||
      /^CHECK \(\(\w+ <@ ARRAY\[/.test(r.def) ||
      /^CHECK \(\(\w+ = '(?:[^']|'')*'::text\)\)$/.test(r.def),
  );
  expect(lists, `${table}.${column}: one CHECK with a list of values`).toHaveLength(1);
  return [...lists[0]!.def.matchAll(/'((?:[^']|'')*)'::text/g)].map((m) => m[1]!.replace(/''/g, "'"));
}

const COLUMNS: [table: string, column: string, tuple: readonly string[]][] = [
  ['organizations', 'billing_mode', BILLING_MODES],
  ['organizations', 'billing_status', BILLING_STATUSES],
  ['generations', 'status', GENERATION_STATUSES],
  ['reservations', 'status', RESERVATION_STATUSES],
  ['credit_ledger', 'entry_type', LEDGER_ENTRY_TYPES],
  ['idempotency_keys', 'status', IDEMPOTENCY_STATUSES],
  ['credit_pack_purchases', 'status', PURCHASE_STATUSES],
  ['subscriptions', 'billing_interval', BILLING_INTERVALS],
  ['billing_charges', 'kind', CHARGE_KINDS],
  ['billing_charges', 'status', CHARGE_STATUSES],
  ['wallets', 'auto_top_up_disabled_reason', AUTO_TOP_UP_DISABLED_REASONS],
  ['wallet_top_ups', 'method', TOP_UP_METHODS],
  ['wallet_top_ups', 'trigger', TOP_UP_TRIGGERS],
  ['wallet_top_ups', 'status', TOP_UP_STATUSES],
  ['wallet_debits', 'platform', AD_PLATFORMS],
  ['wallet_withdrawal_legs', 'status', WITHDRAWAL_LEG_STATUSES],
  ['wallet_ledger', 'entry_type', WALLET_ENTRY_TYPES],
  ['api_keys', 'scopes', API_KEY_SCOPES],
  ['usage_allowances', 'metric', USAGE_METRICS],
  ['usage_events', 'metric', USAGE_METRICS],
];

describe('status tuples and the migrations CHECK constraints', () => {
  it.each(COLUMNS)('%s.%s allows exactly the tuple the code spells', async (table, column, tuple) => {
    expect(await checkedValues(table, column)).toEqual([...tuple]);
  });

  it('notices a list that drifted from the tuple (the comparison is not vacuous)', async () => {
    await sql`CREATE TABLE drifted (status text CHECK (status IN ('pending', 'succeeded', 'refunded')))`.execute(
      t.db,
    );
    expect(await checkedValues('drifted', 'status')).not.toEqual([...PURCHASE_STATUSES]);
    expect(await checkedValues('drifted', 'status')).toEqual(['pending', 'succeeded', 'refunded']);
  });
});
