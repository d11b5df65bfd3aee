import { describe, expect, it } from 'vitest';
import type { Activities } from '../../activities/index';
import { chargeOnce } from '../../src/stripe/payment-intents';
import { startTopUp } from '../../src/wallet/ledger';
import { getWallet } from '../../src/wallet/wallets';
import type { PaymentsHarness } from '../credit-packs/support';
import { eventually, useWalletHarness } from './harness';

/**
 * The worker dies after Stripe took the money and before the wallet was credited: the first attempt of
 * chargeTopUp charges exactly as the real activity would (same business key, same idempotency key) and
 * then fails as a dying worker does. The retry must find that charge instead of making another, and
 * credit it once.
 */
let harness: () => PaymentsHarness;
const crashedOnce = new Set<string>();
const dieAfterCharging = (activities: Activities): Activities => ({
  ...activities,
  async chargeTopUp(input) {
    if (!crashedOnce.has(input.key)) {
      crashedOnce.add(input.key);
      const h = harness();
      const topUp = await h.t.db
        .selectFrom('wallet_top_ups')
        .innerJoin('stripe_customers', 'stripe_customers.org_id', 'wallet_top_ups.org_id')
        .select(['amount_cents', 'stripe_customer_id'])
        .where('business_key', '=', input.key)
        .executeTakeFirstOrThrow();
      await chargeOnce(h.stripe, {
        businessKey: input.key,
        customerId: topUp.stripe_customer_id,
        amountCents: topUp.amount_cents,
        currency: 'usd',
        description: 'Ad wallet top-up',
      });
      throw new Error('worker died after the charge');
    }
    return activities.chargeTopUp(input);
  },
});

describe('a worker dying between the Stripe charge and the wallet credit', () => {
  const w = useWalletHarness(dieAfterCharging);
  harness = () => w.h;

  it('leaves one charge and one credit', async () => {
    const org = await w.org({ businessNow: new Date('2026-03-12T15:00:00Z') });
    const { topUp } = await startTopUp(w.h.t.db, {
      orgId: org.orgId,
      method: 'card',
      amountCents: 80_00,
      idempotencyKey: 'crash-1',
      at: await org.businessNow(),
    });
    await org.wallet.nudge(org.orgId, 'top_up');
    await eventually(async () => expect((await getWallet(w.h.t.db, org.orgId)).balanceCents).toBe(80_00));
    expect(crashedOnce.has(topUp.key)).toBe(true);
    const intents = await w.h.stripe.paymentIntents.list({ customer: org.customerId!, limit: 10 });
    expect(intents.data.map((pi) => [pi.metadata.businessKey, pi.amount, pi.status])).toEqual([
      [topUp.key, 80_00, 'succeeded'],
    ]);
    const credits = await w.h.t.db
      .selectFrom('wallet_ledger')
      .select('balance_delta')
      .where('org_id', '=', org.orgId)
      .where('entry_type', '=', 'top_up_succeeded')
      .execute();
    expect(credits).toEqual([{ balance_delta: 80_00 }]);
  });
});
