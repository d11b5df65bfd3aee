import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findDrift } from '../../src/credits/reconcile';
import {
  recordSpend,
  settleTopUp,
  settleWithdrawalLeg,
  startTopUp,
  startWithdrawalLeg,
} from '../../src/wallet/ledger';
import { findWalletDrift } from '../../src/wallet/reconcile';
import { getWallet, refundableCharges } from '../../src/wallet/wallets';
import { requestWithdrawal } from '../../src/wallet/withdraw';
import { planWithdrawal } from '../../src/wallet/withdrawal';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { expectDomainError, makeAgencyOrg, makeByoOrg, walletFingerprint } from './support';

/**
 * requestWithdrawal, what POST /v1/wallet/withdrawals runs: the plan carried out leg by leg, and run again
 * under the same withdrawal id (a crash, a 503 before the answer was stored) without planning new legs
 * off the balance its own legs lowered.
 */
let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase({ max: 10 });
});
afterAll(() => t.close());
afterEach(async () => {
  expect(await findDrift(t.db)).toEqual([]);
  expect(await findWalletDrift(t.db)).toEqual([]);
});

const day = (n: number) => new Date(Date.UTC(2026, 2, n, 15));

async function fundedByCards(amounts: number[]) {
  const org = await makeAgencyOrg(t.db);
  const ids: number[] = [];
  for (const [i, amountCents] of amounts.entries()) {
    const { topUp } = await startTopUp(t.db, {
      orgId: org.orgId,
      method: 'card',
      amountCents,
      idempotencyKey: `fund-${i}`,
      at: day(2 + i),
    });
    await settleTopUp(t.db, { orgId: org.orgId, topUpKey: topUp.key, outcome: 'succeeded', at: day(2 + i) });
    ids.push(topUp.id);
  }
  return { ...org, ids };
}

const legsOf = (orgId: string) =>
  t.db.selectFrom('wallet_withdrawal_legs').selectAll().where('org_id', '=', orgId).orderBy('id').execute();

describe('requestWithdrawal', () => {
  it('debits each leg of the plan, and run again answers the same legs: the whole balance is not withdrawn twice', async () => {
    const org = await fundedByCards([10_000, 20_000]);
    const first = await requestWithdrawal(t.db, { orgId: org.orgId, withdrawalId: 'all', at: day(10) });
    expect(first.requestedCents).toBe(30_000);
    expect(first.legs.map((l) => l.topUpId)).toEqual([org.ids[1], org.ids[0]]);
    expect(first.debitedCents + first.unrefundedCents).toBe(30_000);
    const balance = (await getWallet(t.db, org.orgId)).balanceCents;
    expect(balance).toBe(first.unrefundedCents);

    const before = await walletFingerprint(t.db);
    const again = await requestWithdrawal(t.db, { orgId: org.orgId, withdrawalId: 'all', at: day(11) });
    expect(again).toEqual(first);
    expect(await walletFingerprint(t.db)).toEqual(before);
  });

  it('finishes a withdrawal interrupted after its first leg with the legs first planned', async () => {
    const org = await fundedByCards([10_000, 20_000]);
    const wallet = await getWallet(t.db, org.orgId);
    const plan = planWithdrawal({
      settledBalanceCents: wallet.balanceCents,
      requestedCents: 25_000,
      charges: await refundableCharges(t.db, org.orgId),
    });
    // The process died after the first leg.
    await startWithdrawalLeg(t.db, { orgId: org.orgId, withdrawalId: 'w', ...plan.legs[0]!, at: day(10) });
    const done = await requestWithdrawal(t.db, {
      orgId: org.orgId,
      withdrawalId: 'w',
      amountCents: 25_000,
      at: day(10),
    });
    expect(
      done.legs.map(({ topUpId, refundCents, feeCents }) => ({ topUpId, refundCents, feeCents })),
    ).toEqual(plan.legs);
    expect(done).toMatchObject({ debitedCents: plan.debitedCents, unrefundedCents: plan.unrefundedCents });
    expect(await legsOf(org.orgId)).toHaveLength(2);
    expect((await getWallet(t.db, org.orgId)).balanceCents).toBe(30_000 - plan.debitedCents);
  });

  it('finishes with what is left when bills recorded since the first leg took part of the balance', async () => {
    const org = await fundedByCards([10_000, 20_000]);
    const plan = planWithdrawal({
      settledBalanceCents: 30_000,
      requestedCents: 30_000,
      charges: await refundableCharges(t.db, org.orgId),
    });
    await startWithdrawalLeg(t.db, { orgId: org.orgId, withdrawalId: 'w', ...plan.legs[0]!, at: day(10) });
    // A bill takes part of what the second leg needed before the retry.
    await recordSpend(t.db, {
      orgId: org.orgId,
      projectId: org.projectId,
      platform: 'meta',
      amountCents: 5_000,
      occurredAt: day(10),
      externalId: 'late-bill',
    });
    const done = await requestWithdrawal(t.db, {
      orgId: org.orgId,
      withdrawalId: 'w',
      amountCents: 30_000,
      at: day(10),
    });
    expect(done.legs).toHaveLength(2);
    expect(done.legs[0]).toMatchObject(plan.legs[0]!);
    expect(done.legs[1]!.refundCents).toBeLessThan(plan.legs[1]!.refundCents);
    const balance = (await getWallet(t.db, org.orgId)).balanceCents;
    expect(balance).toBeGreaterThanOrEqual(0);
    expect(done.unrefundedCents).toBe(30_000 - done.debitedCents);
    expect(await legsOf(org.orgId)).toHaveLength(2);
  });

  it('counts a failed leg as given back and does not start it again', async () => {
    const org = await fundedByCards([10_000]);
    const first = await requestWithdrawal(t.db, {
      orgId: org.orgId,
      withdrawalId: 'w',
      amountCents: 5_000,
      at: day(10),
    });
    await settleWithdrawalLeg(t.db, {
      orgId: org.orgId,
      withdrawalId: 'w',
      topUpId: org.ids[0]!,
      outcome: 'failed',
      reason: 'card closed',
      at: day(11),
    });
    const again = await requestWithdrawal(t.db, {
      orgId: org.orgId,
      withdrawalId: 'w',
      amountCents: 5_000,
      at: day(12),
    });
    expect(again.legs).toEqual([
      { ...first.legs[0], status: 'failed', failureReason: 'card closed', settledAt: day(11).toISOString() },
    ]);
    expect(again).toMatchObject({ debitedCents: 0, refundedCents: 0, unrefundedCents: 5_000 });
    expect((await getWallet(t.db, org.orgId)).balanceCents).toBe(10_000);
  });

  it('refuses more than the settled balance and a BYO org, writing nothing', async () => {
    const org = await fundedByCards([10_000]);
    const byo = await makeByoOrg(t.db);
    const before = await walletFingerprint(t.db);
    await expectDomainError(
      requestWithdrawal(t.db, { orgId: org.orgId, withdrawalId: 'w', amountCents: 10_001, at: day(10) }),
      'WALLET_INSUFFICIENT_BALANCE',
    );
    await expectDomainError(
      requestWithdrawal(t.db, { orgId: org.orgId, withdrawalId: 'w', amountCents: 1.5, at: day(10) }),
      'VALIDATION_FAILED',
    );
    await expectDomainError(
      requestWithdrawal(t.db, { orgId: byo.orgId, withdrawalId: 'w', at: day(10) }),
      'WALLET_NOT_AVAILABLE',
    );
    expect(await walletFingerprint(t.db)).toEqual(before);
  });
});
