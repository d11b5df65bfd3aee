import { expect } from 'vitest';
import { createApiKey } from '../../src/auth/api-keys';
import type { Db } from '../../src/db/pool';
import { createOrganization } from '../../src/orgs/orgs';
import { attachDefaultCard } from '../../src/orgs/stripe-customer';
import { creditWire } from '../../src/wallet/ledger';
import type { ApiResponse } from '../support/api';
import type { PaymentsHarness } from '../credit-packs/support';

let seq = 0;

export interface WalletOrg {
  orgId: string;
  projectId: string;
  /** A partner key: every wallet route but the spend ingest. */
  apiKey: string;
  /** A key with the wallet:spend scope: the platform-billing ingest's. */
  spendKey: string;
}

/**
 * An org for the wallet routes: agency mode (so with its wallet) unless `mode: 'byo'`, on `tier` (pro,
 * which has ACH, by default), opened with a wire of `balanceCents` when given and a default card in
 * localstripe when `card` names one.
 */
export async function walletOrg(
  h: PaymentsHarness,
  opts: { tier?: string; mode?: 'agency' | 'byo'; balanceCents?: number; card?: string; at?: Date } = {},
): Promise<WalletOrg> {
  const org = await createOrganization(h.t.db, {
    name: `Wallet org ${++seq}`,
    tier: opts.tier ?? 'pro',
    mode: opts.mode ?? 'agency',
  });
  if (opts.balanceCents) {
    await creditWire(h.t.db, {
      orgId: org.orgId,
      amountCents: opts.balanceCents,
      reference: `opening-${org.orgId}`,
      at: opts.at ?? new Date(),
    });
  }
  if (opts.card) await attachDefaultCard({ db: h.t.db, stripe: h.stripe }, org.orgId, opts.card);
  const apiKey = (await createApiKey(h.t.db, org.orgId)).apiKey;
  const spendKey = (await createApiKey(h.t.db, org.orgId, { scopes: ['wallet:spend'] })).apiKey;
  return { orgId: org.orgId, projectId: org.projectId, apiKey, spendKey };
}

/**
 * Every row a wallet route could write for one org. Per org rather than the whole database: once the
 * wallet workflow runs, other tests' orgs may still be settling in the background.
 */
export async function orgWalletFingerprint(db: Db, orgId: string) {
  const [wallet, ledger, topUps, debits, legs, idempotency] = await Promise.all([
    db.selectFrom('wallets').selectAll().where('org_id', '=', orgId).execute(),
    db
      .selectFrom('wallet_ledger')
      .select(['id', 'idempotency_key'])
      .where('org_id', '=', orgId)
      .orderBy('id')
      .execute(),
    db.selectFrom('wallet_top_ups').selectAll().where('org_id', '=', orgId).orderBy('id').execute(),
    db.selectFrom('wallet_debits').selectAll().where('org_id', '=', orgId).orderBy('external_id').execute(),
    db.selectFrom('wallet_withdrawal_legs').selectAll().where('org_id', '=', orgId).orderBy('id').execute(),
    db
      .selectFrom('idempotency_keys')
      .select(['key', 'status'])
      .where('org_id', '=', orgId)
      .orderBy('key')
      .execute(),
  ]);
  return { wallet, ledger, topUps, debits, legs, idempotency };
}

export function expectError(res: ApiResponse, status: number, code: string) {
  expect({ status: res.status, code: res.body?.error?.code }, JSON.stringify(res.body)).toEqual({
    status,
    code,
  });
}
