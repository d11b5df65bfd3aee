import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findDrift } from '../../src/credits/reconcile';
import {
  recordSpend,
  settleTopUp,
  settleWithdrawalLeg,
  startTopUp,
  startWithdrawalLeg,
} from '../../src/wallet/ledger';
import { getWallet, refundableCharges } from '../../src/wallet/wallets';
import { planWithdrawal } from '../../src/wallet/withdrawal';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { expectDomainError, makeAgencyOrg, makeByoOrg, walletFingerprint, walletLedger } from './support';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase({ max: 10 });
});
afterAll(() => t.close());
afterEach(async () => {
  expect(await findDrift(t.db)).toEqual([]);
});

const day = (n: number) => new Date(Date.UTC(2026, 2, n, 15));

/** An org funded by card top-ups of `amounts`, one a day from March 2nd, each succeeded. */
async function fundedByCards(amounts: number[], method: 'card' | 'ach' = 'card') {
  const org = await makeAgencyOrg(t.db);
  const ids: number[] = [];
  for (const [i, amountCents] of amounts.entries()) {
    const { topUp } = await startTopUp(t.db, {
      orgId: org.orgId,
      method,
      amountCents,
      idempotencyKey: `fund-${i}`,
      at: day(2 + i),
    });
    await settleTopUp(t.db, { orgId: org.orgId, topUpKey: topUp.key, outcome: 'succeeded', at: day(2 + i) });
    ids.push(topUp.id);
  }
  return { ...org, ids };
}

describe('withdrawals: back to the card charges, newest first, less processor fees', () => {
  it('plans from the refundable charges, debits each leg before its refund, and settles each once', async () => {
    const { orgId, projectId, ids } = await fundedByCards([20_000, 10_000]);
    await recordSpend(t.db, {
      orgId,
      projectId,
      platform: 'google',
      amountCents: 4_000,
      occurredAt: day(5),
      externalId: 'g-1',
    });
    const wallet = await getWallet(t.db, orgId);
    expect(wallet.balanceCents).toBe(30_000 - 4_200);
    const charges = await refundableCharges(t.db, orgId);
    expect(charges.map((c) => c.topUpId)).toEqual([ids[1], ids[0]]);
    const plan = planWithdrawal({ settledBalanceCents: wallet.balanceCents, charges });
    expect(plan.legs[0]).toEqual({ topUpId: ids[1], refundCents: 10_000, feeCents: 320 });
    expect(plan.legs).toHaveLength(2);
    expect(plan.debitedCents).toBeLessThanOrEqual(wallet.balanceCents);

    for (const leg of plan.legs) {
      const r = await startWithdrawalLeg(t.db, { orgId, withdrawalId: 'w-1', ...leg, at: day(10) });
      expect(r).toMatchObject({
        duplicate: false,
        leg: { ...leg, status: 'pending', withdrawalKey: `wallet-withdrawal:${orgId}:w-1` },
      });
      // The retried activity finds its leg.
      expect(
        await startWithdrawalLeg(t.db, { orgId, withdrawalId: 'w-1', ...leg, at: day(11) }),
      ).toMatchObject({
        duplicate: true,
      });
    }
    expect((await getWallet(t.db, orgId)).balanceCents).toBe(wallet.balanceCents - plan.debitedCents);

    const [first, second] = plan.legs;
    expect(
      await settleWithdrawalLeg(t.db, {
        orgId,
        withdrawalId: 'w-1',
        topUpId: first!.topUpId,
        outcome: 'succeeded',
        stripeRefundId: 're_1',
        at: day(10),
      }),
    ).toMatchObject({ leg: { status: 'succeeded', stripeRefundId: 're_1' } });
    // A failed refund credits its leg back, and its charge is refundable again.
    const failed = await settleWithdrawalLeg(t.db, {
      orgId,
      withdrawalId: 'w-1',
      topUpId: second!.topUpId,
      outcome: 'failed',
      reason: 'charge disputed',
      at: day(10),
    });
    expect(failed).toMatchObject({ leg: { status: 'failed', failureReason: 'charge disputed' } });
    expect(failed.wallet.balanceCents).toBe(wallet.balanceCents - 10_320);
    expect(
      await settleWithdrawalLeg(t.db, {
        orgId,
        withdrawalId: 'w-1',
        topUpId: second!.topUpId,
        outcome: 'failed',
        at: day(12),
      }),
    ).toMatchObject({ duplicate: true });
    expect(await refundableCharges(t.db, orgId)).toEqual([
      expect.objectContaining({ topUpId: ids[1], refundedCents: 10_000 }),
      expect.objectContaining({ topUpId: ids[0], refundedCents: 0 }),
    ]);
    expect((await walletLedger(t.db, orgId)).filter((r) => r.entry_type.startsWith('withdrawal'))).toEqual([
      expect.objectContaining({ entry_type: 'withdrawal', balance_delta: -10_320 }),
      expect.objectContaining({
        entry_type: 'withdrawal',
        balance_delta: -(second!.refundCents + second!.feeCents),
      }),
      expect.objectContaining({
        entry_type: 'withdrawal_reversed',
        balance_delta: second!.refundCents + second!.feeCents,
      }),
    ]);
  });

  it('never takes more than the settled balance, or more back to a charge than it charged', async () => {
    const { orgId, projectId, ids } = await fundedByCards([10_000]);
    const before = await walletFingerprint(t.db);
    await expectDomainError(
      startWithdrawalLeg(t.db, {
        orgId,
        withdrawalId: 'w',
        topUpId: ids[0]!,
        refundCents: 10_001,
        feeCents: 0,
        at: day(9),
      }),
      'WALLET_INSUFFICIENT_BALANCE',
    );
    await recordSpend(t.db, {
      orgId,
      projectId,
      platform: 'meta',
      amountCents: 5_000,
      occurredAt: day(9),
      externalId: 'm',
    });
    const afterSpend = await walletFingerprint(t.db);
    expect(afterSpend).not.toEqual(before);
    // 4,750 settled: a leg of 4,500 + 161 fits, 4,600 + 163 does not.
    const err = await expectDomainError(
      startWithdrawalLeg(t.db, {
        orgId,
        withdrawalId: 'w',
        topUpId: ids[0]!,
        refundCents: 4_600,
        feeCents: 163,
        at: day(9),
      }),
      'WALLET_INSUFFICIENT_BALANCE',
    );
    expect(err.details).toMatchObject({ settledBalanceCents: 4_750, refundableCents: 10_000 });
    expect(await walletFingerprint(t.db)).toEqual(afterSpend);
    await startWithdrawalLeg(t.db, {
      orgId,
      withdrawalId: 'w',
      topUpId: ids[0]!,
      refundCents: 4_500,
      feeCents: 161,
      at: day(9),
    });
    expect((await getWallet(t.db, orgId)).balanceCents).toBe(89);
  });

  it('refuses charges that are not succeeded card charges of this org, reused keys and bad input', async () => {
    const { orgId, ids } = await fundedByCards([10_000, 10_000]);
    const ach = await fundedByCards([50_000], 'ach');
    const byo = await makeByoOrg(t.db);
    await startWithdrawalLeg(t.db, {
      orgId,
      withdrawalId: 'w',
      topUpId: ids[1]!,
      refundCents: 1_000,
      feeCents: 59,
      at: day(9),
    });
    const before = await walletFingerprint(t.db);
    const leg = (over: Record<string, unknown>) =>
      startWithdrawalLeg(t.db, {
        orgId,
        withdrawalId: 'w',
        topUpId: ids[0]!,
        refundCents: 1_000,
        feeCents: 59,
        at: day(9),
        ...over,
      });
    await expectDomainError(leg({ topUpId: ids[1], refundCents: 2_000 }), 'IDEMPOTENCY_KEY_REUSED');
    await expectDomainError(leg({ topUpId: ach.ids[0] }), 'NOT_FOUND'); // another org's top-up
    await expectDomainError(leg({ orgId: ach.orgId, topUpId: ach.ids[0] }), 'VALIDATION_FAILED'); // ACH
    await expectDomainError(leg({ topUpId: 0 }), 'VALIDATION_FAILED');
    await expectDomainError(leg({ refundCents: -5 }), 'VALIDATION_FAILED');
    await expectDomainError(leg({ feeCents: 1.5 }), 'VALIDATION_FAILED');
    await expectDomainError(leg({ withdrawalId: '' }), 'VALIDATION_FAILED');
    await expectDomainError(leg({ orgId: byo.orgId }), 'WALLET_NOT_AVAILABLE');
    await expectDomainError(
      leg({ topUpId: ids[1], refundCents: 9_001, withdrawalId: 'w2' }),
      'WALLET_INSUFFICIENT_BALANCE',
    );
    await expectDomainError(
      settleWithdrawalLeg(t.db, {
        orgId,
        withdrawalId: 'nope',
        topUpId: ids[1]!,
        outcome: 'succeeded',
        at: day(9),
      }),
      'NOT_FOUND',
    );
    expect(await walletFingerprint(t.db)).toEqual(before);
    await settleWithdrawalLeg(t.db, {
      orgId,
      withdrawalId: 'w',
      topUpId: ids[1]!,
      outcome: 'succeeded',
      at: day(9),
    });
    await expectDomainError(
      settleWithdrawalLeg(t.db, {
        orgId,
        withdrawalId: 'w',
        topUpId: ids[1]!,
        outcome: 'failed',
        at: day(9),
      }),
      'WALLET_ALREADY_SETTLED',
    );
  });
});
