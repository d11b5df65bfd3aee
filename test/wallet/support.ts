import { expect } from 'vitest';
import type { Db } from '../../src/db/pool';
import { DomainError } from '../../src/errors';
import { createOrganization, createProject } from '../../src/orgs/orgs';
import { creditWire } from '../../src/wallet/ledger';
import { updateWalletSettings, type WalletSettingsPatch } from '../../src/wallet/wallets';

let seq = 0;

/** An agency-mode org (so with its wallet), funded by a wire of `balanceCents` when given, then `settings`. */
export async function makeAgencyOrg(
  db: Db,
  opts: { balanceCents?: number; settings?: WalletSettingsPatch; at?: Date } = {},
) {
  const org = await createOrganization(db, { name: `Agency ${++seq}`, tier: 'pro', mode: 'agency' });
  if (opts.balanceCents) {
    await creditWire(db, {
      orgId: org.orgId,
      amountCents: opts.balanceCents,
      reference: `opening-${org.orgId}`,
      at: opts.at ?? new Date('2026-03-02T12:00:00Z'),
    });
  }
  if (opts.settings) await updateWalletSettings(db, org.orgId, opts.settings);
  return org;
}

export async function makeByoOrg(db: Db) {
  return createOrganization(db, { name: `BYO ${++seq}`, tier: 'pro', mode: 'byo' });
}

/** Another project of the org (its 'pro' tier has room for several). */
export async function addProject(db: Db, orgId: string): Promise<string> {
  return (await createProject(db, orgId, `Project ${++seq}`)).projectId;
}

/** Every row the wallet functions write, to prove that a refused operation wrote nothing. */
export async function walletFingerprint(db: Db) {
  const [wallets, ledger, topUps, debits, legs] = await Promise.all([
    db.selectFrom('wallets').selectAll().orderBy('org_id').execute(),
    db.selectFrom('wallet_ledger').select(['id', 'idempotency_key']).orderBy('id').execute(),
    db.selectFrom('wallet_top_ups').selectAll().orderBy('id').execute(),
    db.selectFrom('wallet_debits').selectAll().orderBy('org_id').orderBy('external_id').execute(),
    db.selectFrom('wallet_withdrawal_legs').selectAll().orderBy('id').execute(),
  ]);
  return { wallets, ledger, topUps, debits, legs };
}

export async function walletLedger(db: Db, orgId: string) {
  return db
    .selectFrom('wallet_ledger')
    .select([
      'entry_type',
      'idempotency_key',
      'balance_delta',
      'pending_delta',
      'platform',
      'external_id',
      'project_id',
    ])
    .where('org_id', '=', orgId)
    .orderBy('id')
    .execute();
}

export async function expectDomainError(p: Promise<unknown>, code: string): Promise<DomainError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DomainError);
  expect((err as DomainError).code).toBe(code);
  return err as DomainError;
}
