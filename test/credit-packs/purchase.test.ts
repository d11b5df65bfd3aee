import { WorkflowNotFoundError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createCreditPackActivities } from '../../activities/credit-packs';
import { IDEMPOTENCY_KEY_MAX_LENGTH } from '../../src/credits/amounts';
import { getCreditsSnapshot } from '../../src/credits/ledger';
import { findDrift } from '../../src/credits/reconcile';
import { purchaseCreditPack, type PurchaseClientDeps } from '../../src/credit-packs/client';
import { attachDefaultCard } from '../../src/orgs/stripe-customer';
import { creditPackWorkflowId } from '../../src/credit-packs/ids';
import { getCreditPackPurchase, openCreditPackPurchase } from '../../src/credit-packs/purchases';
import type { creditPackPurchaseWorkflow } from '../../workflows/credit-packs';
import { fingerprint } from '../support/fixtures';
import {
  failureOf,
  freshTaskQueue,
  intentCreations,
  intentsOf,
  ledgerRowsFor,
  orgWithCard,
  startPaymentsHarness,
  withPaymentsWorker,
  type PaymentsHarness,
} from './support';

let h: PaymentsHarness;

beforeAll(async () => {
  h = await startPaymentsHarness();
});
afterAll(async () => {
  await h?.stop();
});
afterEach(async () => {
  expect(await findDrift(h.t.db)).toEqual([]);
});

const clientDeps = (taskQueue: string): PurchaseClientDeps => ({
  db: h.t.db,
  client: h.env.client,
  taskQueue,
});
/**
 * The purchase workflow's final state. The purchase record is opened before its workflow starts, so a
 * test that learns the id from the record can get here first, most often on a loaded machine: wait for
 * the workflow to exist rather than fail on "not found".
 */
async function finalState(orgId: string, purchaseId: string) {
  const handle = h.env.client.workflow.getHandle<typeof creditPackPurchaseWorkflow>(
    creditPackWorkflowId(orgId, purchaseId),
  );
  for (let attempt = 0; ; attempt++) {
    try {
      return await handle.result();
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError) || attempt >= 100) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
const purchaseRows = (orgId: string) =>
  h.t.db.selectFrom('credit_pack_purchases').selectAll().where('org_id', '=', orgId).execute();

describe('credit-pack purchase', () => {
  it('charges the default card once, grants the pack once, at the tier-discounted price', async () => {
    const taskQueue = freshTaskQueue();
    const max = await orgWithCard(h, { tier: 'max' });
    const pro = await orgWithCard(h, { tier: 'pro' });
    const buy = (orgId: string, packId: string, idempotencyKey: string) =>
      purchaseCreditPack(clientDeps(taskQueue), { orgId, packId, idempotencyKey });

    const { first, again, full } = await withPaymentsWorker(h, taskQueue, async () => ({
      first: await buy(max.orgId, 'pack_500', 'order-1'),
      // The same request again (a client retry after a lost response): the same purchase, not a new one.
      again: await buy(max.orgId, 'pack_500', 'order-1'),
      full: await buy(pro.orgId, 'pack_100', 'order-1'),
    }));

    // Max enjoys 20% off: $41.00 -> $32.80. Pro pays list.
    expect(first).toMatchObject({
      packId: 'pack_500',
      status: 'succeeded',
      creditsGranted: 500,
      listPriceCents: 4100,
      discountBps: 2000,
      amountCents: 3280,
    });
    expect(first.credits).toMatchObject({
      organizationId: max.orgId,
      prepaidBalance: 500,
      balance: 400 + 500,
    });
    expect(again).toEqual(first);
    expect(full).toMatchObject({
      packId: 'pack_100',
      amountCents: 1000,
      discountBps: 0,
      creditsGranted: 100,
    });

    const intents = await intentsOf(h, max.customerId!, first.purchaseId);
    expect(intents.map((pi) => ({ id: pi.id, amount: pi.amount, status: pi.status }))).toEqual([
      { id: first.paymentIntentId, amount: 3280, status: 'succeeded' },
    ]);
    expect(intentCreations(h, first.purchaseId).applied).toBe(1);
    expect(await ledgerRowsFor(h, first.purchaseId)).toEqual([
      { org_id: max.orgId, entry_type: 'grant_prepaid', prepaid_delta: 500 },
    ]);
    expect(await getCreditsSnapshot(h.t.db, max.orgId)).toMatchObject({ prepaidBalance: 500 });
    expect(await getCreditPackPurchase(h.t.db, max.orgId, first.purchaseId)).toMatchObject({
      status: 'succeeded',
      amountCents: 3280,
      paymentIntentId: first.paymentIntentId,
      declineCode: null,
    });
    expect(await purchaseRows(max.orgId)).toHaveLength(1);
  });

  it('reports a declined card as PAYMENT_DECLINED with the decline code and grants nothing', async () => {
    const taskQueue = freshTaskQueue();
    const org = await orgWithCard(h, { card: 'pm_card_chargeCustomerFail' });
    const noCard = await orgWithCard(h, { card: null });
    const before = await fingerprint(h.t.db);
    const buy = (orgId: string) =>
      purchaseCreditPack(clientDeps(taskQueue), { orgId, packId: 'pack_100', idempotencyKey: 'order-7' });

    const [declined, repeated, withoutCard] = await withPaymentsWorker(h, taskQueue, async () => [
      await failureOf(buy(org.orgId)),
      await failureOf(buy(org.orgId)),
      await failureOf(buy(noCard.orgId)),
    ]);

    expect(declined).toMatchObject({ code: 'PAYMENT_DECLINED', details: { declineCode: 'card_declined' } });
    const { purchaseId, paymentIntentId } = declined.details as {
      purchaseId: string;
      paymentIntentId: string;
    };
    expect(paymentIntentId).toMatch(/^pi_/);
    expect(repeated).toEqual(declined);
    expect(withoutCard).toMatchObject({
      code: 'PAYMENT_DECLINED',
      details: { declineCode: 'no_payment_method', paymentIntentId: null },
    });

    expect(await fingerprint(h.t.db)).toEqual(before);
    expect(await ledgerRowsFor(h, purchaseId)).toEqual([]);
    expect((await intentsOf(h, org.customerId!, purchaseId)).map((pi) => pi.id)).toEqual([paymentIntentId]);
    expect(await getCreditPackPurchase(h.t.db, org.orgId, purchaseId)).toMatchObject({
      status: 'failed',
      declineCode: 'card_declined',
      paymentIntentId,
    });
    const [noCardPurchase] = await purchaseRows(noCard.orgId);
    expect(noCardPurchase).toMatchObject({
      status: 'failed',
      decline_code: 'no_payment_method',
      payment_intent_id: null,
    });
    expect(intentCreations(h, noCardPurchase!.id).sent).toBe(0);
  });

  describe('a crash between Stripe taking the money and the ledger write', () => {
    it('after the first worker charged and died, the purchase run again charges once and grants once', async () => {
      const taskQueue = freshTaskQueue();
      const org = await orgWithCard(h);
      const request = { orgId: org.orgId, packId: 'pack_2000', idempotencyKey: 'order-crash' };
      // What the first worker did before it died: the customer and the charge, never the grant.
      const purchase = await openCreditPackPurchase(h.t.db, request);
      const dead = createCreditPackActivities({ db: h.t.db, stripe: h.stripe });
      await dead.ensureStripeCustomer({ orgId: org.orgId });
      const charged = await dead.chargeCreditPack({ orgId: org.orgId, purchaseId: purchase.id });
      expect(charged).toMatchObject({ outcome: 'succeeded', reused: false });
      expect(await getCreditPackPurchase(h.t.db, org.orgId, purchase.id)).toMatchObject({
        status: 'pending',
      });

      const result = await withPaymentsWorker(h, taskQueue, () =>
        purchaseCreditPack(clientDeps(taskQueue), request),
      );

      expect(result).toMatchObject({
        purchaseId: purchase.id,
        paymentIntentId: charged.paymentIntentId,
        creditsGranted: 2000,
      });
      expect((await finalState(org.orgId, purchase.id)).charge).toMatchObject({ reused: true });
      expect(await intentsOf(h, org.customerId!, purchase.id)).toHaveLength(1);
      expect(intentCreations(h, purchase.id).applied).toBe(1);
      expect(await ledgerRowsFor(h, purchase.id)).toHaveLength(1);
    });

    it('a charge attempt that dies after Stripe succeeded is retried without a second PaymentIntent', async () => {
      const taskQueue = freshTaskQueue();
      const org = await orgWithCard(h);
      let crashes = 0;
      const result = await withPaymentsWorker(
        h,
        taskQueue,
        () =>
          purchaseCreditPack(clientDeps(taskQueue), {
            orgId: org.orgId,
            packId: 'pack_100',
            idempotencyKey: 'order-2',
          }),
        {
          afterCharge: () => {
            if (crashes++ === 0) throw new Error('worker lost before reporting the charge');
          },
        },
      );
      expect(crashes).toBe(2);
      expect((await finalState(org.orgId, result.purchaseId)).charge).toMatchObject({ reused: true });
      expect(await intentsOf(h, org.customerId!, result.purchaseId)).toHaveLength(1);
      expect(intentCreations(h, result.purchaseId)).toEqual({ sent: 1, applied: 1 });
      expect(await ledgerRowsFor(h, result.purchaseId)).toHaveLength(1);
    });

    it('a grant whose commit went unreported is retried without a second ledger row', async () => {
      const taskQueue = freshTaskQueue();
      const org = await orgWithCard(h, { tier: 'team' });
      let grants = 0;
      const result = await withPaymentsWorker(
        h,
        taskQueue,
        () =>
          purchaseCreditPack(clientDeps(taskQueue), {
            orgId: org.orgId,
            packId: 'pack_100',
            idempotencyKey: 'order-3',
          }),
        {
          afterGrant: () => {
            if (grants++ === 0) throw new Error('worker lost after the ledger commit');
          },
        },
      );
      expect(grants).toBe(2);
      expect(result).toMatchObject({
        amountCents: 800,
        creditsGranted: 100,
        credits: { prepaidBalance: 100 },
      });
      expect(await ledgerRowsFor(h, result.purchaseId)).toHaveLength(1);
      expect(await getCreditsSnapshot(h.t.db, org.orgId)).toMatchObject({ prepaidBalance: 100 });
    });

    it('when the charge outcome is lost for good, it looks the payment up (never charges again) and grants', async () => {
      const taskQueue = freshTaskQueue();
      const org = await orgWithCard(h);
      const request = { orgId: org.orgId, packId: 'pack_500', idempotencyKey: 'order-4' };
      const result = await withPaymentsWorker(
        h,
        taskQueue,
        async () => {
          const purchase = purchaseCreditPack(clientDeps(taskQueue), request);
          const { id } = await openCreditPackPurchase(h.t.db, request);
          // Waiting on the result lets the test server skip the look-up timer instead of waiting ten minutes.
          const state = await finalState(org.orgId, id);
          expect(state).toMatchObject({ phase: 'succeeded', lookup: { outcome: 'succeeded' } });
          expect(state.charge).toBeUndefined();
          return purchase;
        },
        {
          afterCharge: () => {
            throw ApplicationFailure.nonRetryable('the charge response was lost', 'SimulatedLoss');
          },
        },
      );
      expect(await intentsOf(h, org.customerId!, result.purchaseId)).toHaveLength(1);
      expect(intentCreations(h, result.purchaseId)).toEqual({ sent: 1, applied: 1 });
      expect(await ledgerRowsFor(h, result.purchaseId)).toHaveLength(1);
    });
  });

  describe('when the charge never reached Stripe', () => {
    it('gives up charging after its window, finds no payment, and fails without charging or granting', async () => {
      const taskQueue = freshTaskQueue();
      const org = await orgWithCard(h);
      const request = { orgId: org.orgId, packId: 'pack_100', idempotencyKey: 'order-5' };
      const before = await fingerprint(h.t.db);
      const outcome = await withPaymentsWorker(
        h,
        taskQueue,
        async () => {
          const purchase = failureOf(purchaseCreditPack(clientDeps(taskQueue), request));
          const { id } = await openCreditPackPurchase(h.t.db, request);
          expect(await finalState(org.orgId, id)).toMatchObject({
            phase: 'declined',
            lookup: { outcome: 'absent' },
          });
          return { id, failure: await purchase };
        },
        {
          beforeCharge: () => {
            throw ApplicationFailure.nonRetryable(
              'Stripe unreachable for the whole charge window',
              'SimulatedOutage',
            );
          },
        },
      );
      expect(outcome.failure).toMatchObject({
        code: 'PAYMENT_DECLINED',
        details: { purchaseId: outcome.id, declineCode: 'processing_error', paymentIntentId: null },
      });
      expect(await getCreditPackPurchase(h.t.db, org.orgId, outcome.id)).toMatchObject({
        status: 'failed',
        declineCode: 'processing_error',
      });
      expect(intentCreations(h, outcome.id).sent).toBe(0);
      expect(await intentsOf(h, org.customerId!, outcome.id)).toEqual([]);
      expect(await fingerprint(h.t.db)).toEqual(before);
    });

    it('on a worker without Stripe, fails the Stripe steps retryably, sending and writing nothing', async () => {
      const org = await orgWithCard(h);
      const purchase = await openCreditPackPurchase(h.t.db, {
        orgId: org.orgId,
        packId: 'pack_100',
        idempotencyKey: 'no-stripe',
      });
      const before = await fingerprint(h.t.db);
      const acts = createCreditPackActivities({ db: h.t.db, stripe: undefined });
      const ref = { orgId: org.orgId, purchaseId: purchase.id };
      for (const step of [
        () => acts.ensureStripeCustomer({ orgId: org.orgId }),
        () => acts.chargeCreditPack(ref),
        () => acts.findCreditPackPayment(ref),
      ]) {
        const err = await step().catch((e: unknown) => e);
        // A plain Error, which Temporal retries: the purchase resumes once a worker has Stripe.
        expect(err).not.toBeInstanceOf(ApplicationFailure);
        expect(err).toMatchObject({ message: expect.stringMatching(/Stripe is not configured/) });
      }
      expect(intentCreations(h, purchase.id).sent).toBe(0);
      expect(await fingerprint(h.t.db)).toEqual(before);
    });

    it('does not retry a Stripe refusal that would repeat on every attempt', async () => {
      const org = await orgWithCard(h, { card: null });
      const purchase = await openCreditPackPurchase(h.t.db, {
        orgId: org.orgId,
        packId: 'pack_100',
        idempotencyKey: 'x',
      });
      // A customer Stripe has never heard of: Stripe answers 404, and would again on every retry.
      await h.t.db
        .insertInto('stripe_customers')
        .values({ org_id: org.orgId, stripe_customer_id: 'cus_unknown' })
        .execute();
      const acts = createCreditPackActivities({ db: h.t.db, stripe: h.stripe });
      const err = await acts
        .chargeCreditPack({ orgId: org.orgId, purchaseId: purchase.id })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect(err).toMatchObject({ type: 'StripeInvalidRequestError', nonRetryable: true });
      expect(intentCreations(h, purchase.id).sent).toBe(0);
    });
  });

  describe('bad input', () => {
    it('is refused with a stable code before anything is written or charged', async () => {
      const taskQueue = freshTaskQueue();
      const a = await orgWithCard(h);
      const b = await orgWithCard(h);
      const deps = clientDeps(taskQueue);
      const done = await withPaymentsWorker(h, taskQueue, () =>
        purchaseCreditPack(deps, { orgId: a.orgId, packId: 'pack_100', idempotencyKey: 'order-a' }),
      );
      const before = {
        db: await fingerprint(h.t.db),
        purchases: await h.t.db.selectFrom('credit_pack_purchases').selectAll().execute(),
      };
      const stripeWrites = h.ls.requests.filter((r) => r.method === 'POST').length;

      const buy = (over: Partial<{ orgId: string; packId: string; idempotencyKey: string }>) =>
        failureOf(
          purchaseCreditPack(deps, {
            orgId: a.orgId,
            packId: 'pack_100',
            idempotencyKey: 'order-new',
            ...over,
          }),
        );
      expect(await buy({ packId: 'pack_3' })).toMatchObject({
        code: 'VALIDATION_FAILED',
        details: { field: 'packId' },
      });
      expect(await buy({ packId: 500 as unknown as string })).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(await buy({ idempotencyKey: '' })).toMatchObject({
        code: 'VALIDATION_FAILED',
        details: { field: 'idempotencyKey' },
      });
      expect(await buy({ idempotencyKey: 'has space' })).toMatchObject({ code: 'VALIDATION_FAILED' });
      // The limit the API publishes for the Idempotency-Key header, and no other.
      expect(await buy({ idempotencyKey: 'k'.repeat(IDEMPOTENCY_KEY_MAX_LENGTH + 1) })).toMatchObject({
        code: 'VALIDATION_FAILED',
      });
      expect(await buy({ orgId: '' })).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(await buy({ orgId: 'org_missing' })).toMatchObject({ code: 'NOT_FOUND' });
      // The same idempotency key for a different pack.
      expect(await buy({ packId: 'pack_500', idempotencyKey: 'order-a' })).toMatchObject({
        code: 'IDEMPOTENCY_KEY_REUSED',
        details: { purchaseId: done.purchaseId },
      });

      // Another org's purchase id: not found, through the read and through every activity.
      expect(await failureOf(getCreditPackPurchase(h.t.db, b.orgId, done.purchaseId))).toMatchObject({
        code: 'NOT_FOUND',
      });
      const acts = createCreditPackActivities({ db: h.t.db, stripe: h.stripe });
      const foreign = { orgId: b.orgId, purchaseId: done.purchaseId };
      for (const call of [
        () => acts.chargeCreditPack(foreign),
        () => acts.findCreditPackPayment(foreign),
        () => acts.completeCreditPackPurchase({ ...foreign, paymentIntentId: done.paymentIntentId }),
        () =>
          acts.failCreditPackPurchase({ ...foreign, declineCode: 'x', paymentIntentId: null, reason: 'x' }),
      ]) {
        const err = await call().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(ApplicationFailure);
        expect(err).toMatchObject({ type: 'NOT_FOUND', nonRetryable: true });
      }

      // Cards: a malformed id never reaches Stripe; another org's card is refused by attachPaymentMethod.
      const cardDeps = { db: h.t.db, stripe: h.stripe };
      expect(await failureOf(attachDefaultCard(cardDeps, a.orgId, 'card_123'))).toMatchObject({
        code: 'VALIDATION_FAILED',
      });
      expect(await failureOf(attachDefaultCard(cardDeps, 'org_missing', 'pm_card_visa'))).toMatchObject({
        code: 'NOT_FOUND',
      });

      expect(await fingerprint(h.t.db)).toEqual(before.db);
      expect(await h.t.db.selectFrom('credit_pack_purchases').selectAll().execute()).toEqual(
        before.purchases,
      );
      expect(h.ls.requests.filter((r) => r.method === 'POST').length).toBe(stripeWrites);
    });

    it('refuses to make a card that belongs to another org the default', async () => {
      const a = await orgWithCard(h);
      const b = await orgWithCard(h);
      const aCustomer = await h.stripe.customers.retrieve(a.customerId!);
      const aCard = (aCustomer as { invoice_settings: { default_payment_method: string } }).invoice_settings
        .default_payment_method;
      expect(
        await failureOf(attachDefaultCard({ db: h.t.db, stripe: h.stripe }, b.orgId, aCard)),
      ).toMatchObject({
        code: 'VALIDATION_FAILED',
      });
      const bCustomer = await h.stripe.customers.retrieve(b.customerId!);
      expect(
        (bCustomer as { invoice_settings: { default_payment_method: string } }).invoice_settings
          .default_payment_method,
      ).not.toBe(aCard);
    });
  });
});
