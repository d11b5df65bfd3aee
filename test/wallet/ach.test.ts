import { describe, expect, it } from 'vitest';
import { handleStripeWebhook } from '../../src/webhooks/stripe';
import { startTopUp } from '../../src/wallet/ledger';
import { readWalletView } from '../../src/wallet/views';
import { getWallet } from '../../src/wallet/wallets';
import { eventually, HOUR, notificationsOf, topUpsOf, useWalletHarness } from './harness';

/**
 * ACH's asynchronous life, end to end: the PaymentIntent stays `processing` at Stripe (the proxy holds
 * bank debits as Stripe does) while the top-up shows as pending funds that nothing may spend, until the
 * bank decides. A success arrives by webhook; a return is found by the wallet's hourly look while ACH
 * is pending, in case its webhook never comes.
 */
const WEBHOOK_SECRET = 'whsec_test_ach';
// A Friday: the 1–3 business days skip the weekend, so the last expected day is Wednesday.
const FRIDAY = new Date('2026-03-06T15:00:00Z');

/** Each describe has a harness (and time-skipping server) of its own: see the second one. */
function useAchHarness() {
  const w = useWalletHarness(undefined, { holdBankDebits: true });

  async function orgWithBankAccount() {
    const org = await w.org({
      businessNow: FRIDAY,
      balanceCents: 10_000,
      settings: { floorCents: 5_000 },
    });
    const bank = await w.h.stripe.paymentMethods.create({
      type: 'sepa_debit',
      sepa_debit: { iban: 'DE89370400440532013000' },
      billing_details: { name: 'Agency Finance', email: 'finance@agency.test' },
    });
    await w.h.stripe.paymentMethods.attach(bank.id, { customer: org.customerId! });
    return org;
  }

  async function achTopUp(
    org: Awaited<ReturnType<typeof orgWithBankAccount>>,
    amountCents: number,
    key: string,
  ) {
    const started = await startTopUp(w.h.t.db, {
      orgId: org.orgId,
      method: 'ach',
      amountCents,
      idempotencyKey: key,
      at: await org.businessNow(),
    });
    await org.wallet.nudge(org.orgId, 'top_up');
    // Sent to Stripe and held there: the top-up knows its PaymentIntent and is still pending.
    const [sent] = await eventually(async () => {
      const rows = await w.h.t.db
        .selectFrom('wallet_top_ups')
        .select(['payment_intent_id', 'status'])
        .where('business_key', '=', started.topUp.key)
        .execute();
      expect(rows[0]?.payment_intent_id).toMatch(/^pi_/);
      return rows;
    });
    expect(sent!.status).toBe('pending');
    return { key: started.topUp.key, paymentIntentId: sent!.payment_intent_id! };
  }

  async function deliver(type: string, paymentIntentId: string) {
    const intent = await w.h.stripe.paymentIntents.retrieve(paymentIntentId);
    const payload = JSON.stringify({
      id: `evt_${type}_${paymentIntentId}`,
      object: 'event',
      type,
      data: { object: intent },
    });
    return handleStripeWebhook(
      { db: w.h.t.db, client: w.h.env.client, webhookSecret: WEBHOOK_SECRET },
      payload,
      w.h.stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET }),
    );
  }

  return { w, orgWithBankAccount, achTopUp, deliver };
}

describe('an ACH top-up that the bank pays', () => {
  const { w, orgWithBankAccount, achTopUp, deliver } = useAchHarness();

  it('shows pending funds with their expected date, spends none of them, and credits them on the webhook', async () => {
    const org = await orgWithBankAccount();
    const { paymentIntentId } = await achTopUp(org, 250_00, 'ach-1');
    expect(w.h.ls.heldBankDebits()).toEqual([paymentIntentId]);

    const view = await readWalletView(w.h.t.db, org.orgId, await org.businessNow());
    expect(view).toMatchObject({ balanceCents: 10_000, pendingCents: 250_00 });
    expect(view.pendingTopUps).toEqual([
      expect.objectContaining({ method: 'ach', amountCents: 250_00, expectedSettlement: '2026-03-11' }),
    ]);

    // Spending below the floor pauses ads: the pending $250 does not count toward it.
    await org.spend(6_000);
    await eventually(async () => expect((await getWallet(w.h.t.db, org.orgId)).adsPaused).toBe(true));
    const afterSpend = (await getWallet(w.h.t.db, org.orgId)).balanceCents;
    expect(afterSpend).toBe(10_000 - 6_000 - 300); // the 5% platform fee on the spend

    // Two business days on, the bank pays; Stripe's webhook is what tells the wallet.
    w.h.ls.settleBankDebit(paymentIntentId, 'succeeded');
    expect((await deliver('payment_intent.succeeded', paymentIntentId)).status).toBe(200);
    await eventually(async () => {
      const wallet = await getWallet(w.h.t.db, org.orgId);
      expect(wallet).toMatchObject({ balanceCents: afterSpend + 250_00, pendingCents: 0, adsPaused: false });
    });
    expect(await topUpsOf(w.h, org.orgId)).toEqual([
      expect.objectContaining({ method: 'ach', status: 'succeeded', amount_cents: 250_00 }),
    ]);
  });
});

// Its own time-skipping server: skipping hours beside the other test's terminated workflow hangs there.
describe('an ACH top-up that the bank returns', () => {
  const { w, orgWithBankAccount, achTopUp, deliver } = useAchHarness();

  it('takes a bank return found by the hourly look off pending and tells the org, once', async () => {
    const org = await orgWithBankAccount();
    const { key, paymentIntentId } = await achTopUp(org, 400_00, 'ach-2');

    // Still processing an hour later: the look finds nothing decided and changes nothing.
    await w.h.env.sleep(HOUR + 60_000);
    expect(await getWallet(w.h.t.db, org.orgId)).toMatchObject({
      balanceCents: 10_000,
      pendingCents: 400_00,
    });

    w.h.ls.settleBankDebit(paymentIntentId, 'failed');
    await w.h.env.sleep(HOUR + 60_000);
    await eventually(async () =>
      expect(await topUpsOf(w.h, org.orgId)).toEqual([
        expect.objectContaining({
          business_key: key,
          status: 'failed',
          failure_reason: 'insufficient_funds',
        }),
      ]),
    );
    expect(await getWallet(w.h.t.db, org.orgId)).toMatchObject({ balanceCents: 10_000, pendingCents: 0 });

    // The return's webhook arriving late changes nothing more.
    expect((await deliver('payment_intent.payment_failed', paymentIntentId)).status).toBe(200);
    await w.h.env.sleep(HOUR + 60_000);
    const notified = await notificationsOf(w.h, org.orgId, 'wallet_top_up_failed');
    expect(notified).toEqual([
      expect.objectContaining({
        payload: expect.objectContaining({
          method: 'ach',
          amountCents: 400_00,
          reason: 'insufficient_funds',
        }),
      }),
    ]);
    expect(await getWallet(w.h.t.db, org.orgId)).toMatchObject({ balanceCents: 10_000, pendingCents: 0 });
  });
});
