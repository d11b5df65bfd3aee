import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findDrift } from '../../src/credits/reconcile';
import { purchaseCreditPack } from '../../src/credit-packs/client';
import { creditPackWorkflowId } from '../../src/credit-packs/ids';
import { getCreditPackPurchase, openCreditPackPurchase } from '../../src/credit-packs/purchases';
import { handleStripeWebhook, type WebhookDeps } from '../../src/webhooks/stripe';
import type { creditPackPurchaseWorkflow } from '../../workflows/credit-packs';
import { purchaseStateQuery } from '../../workflows/credit-packs.messages';
import { freePort } from '../support/ports';
import {
  freshTaskQueue,
  intentsOf,
  ledgerRowsFor,
  orgWithCard,
  startPaymentsHarness,
  withPaymentsWorker,
  type PaymentsHarness,
} from '../credit-packs/support';

const SECRET = 'whsec_payments_test';
let h: PaymentsHarness;
let deps: WebhookDeps;

beforeAll(async () => {
  h = await startPaymentsHarness();
  deps = { db: h.t.db, client: h.env.client, webhookSecret: SECRET };
});
afterAll(async () => {
  await h?.stop();
});
afterEach(async () => {
  expect(await findDrift(h.t.db)).toEqual([]);
});

/** A delivery as Stripe would send it: the exact body and its Stripe-Signature header. */
function delivery(
  type: string,
  object: unknown,
  opts: { id?: string; secret?: string; ageSeconds?: number } = {},
) {
  const body = JSON.stringify({
    id: opts.id ?? `evt_${randomUUID().replaceAll('-', '')}`,
    object: 'event',
    type,
    created: Math.floor(Date.now() / 1000),
    data: { object },
  });
  const header = Stripe.webhooks.generateTestHeaderString({
    payload: body,
    secret: opts.secret ?? SECRET,
    timestamp: Math.floor(Date.now() / 1000) - (opts.ageSeconds ?? 0),
  });
  return { body, header, id: JSON.parse(body).id as string };
}

const storedEvents = () => h.t.db.selectFrom('stripe_events').selectAll().orderBy('received_at').execute();

async function signalsReceived(orgId: string, purchaseId: string): Promise<number> {
  const history = await h.env.client.workflow
    .getHandle(creditPackWorkflowId(orgId, purchaseId))
    .fetchHistory();
  return (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes).length;
}

async function waitFor<T>(probe: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('Stripe webhooks', () => {
  it('hands a payment event to the purchase waiting on it once, however often and however badly it is delivered', async () => {
    const taskQueue = freshTaskQueue();
    const org = await orgWithCard(h);
    const request = { orgId: org.orgId, packId: 'pack_500', idempotencyKey: 'order-hook' };
    const unreachable = new Client({
      connection: Connection.lazy({ address: `127.0.0.1:${await freePort()}`, connectTimeout: '1s' }),
    });

    await withPaymentsWorker(
      h,
      taskQueue,
      async () => {
        const purchase = purchaseCreditPack({ db: h.t.db, client: h.env.client, taskQueue }, request);
        const { id: purchaseId } = await openCreditPackPurchase(h.t.db, request);
        const handle = h.env.client.workflow.getHandle<typeof creditPackPurchaseWorkflow>(
          creditPackWorkflowId(org.orgId, purchaseId),
        );
        // The charge went through but its answer was lost: the workflow now waits for Stripe to tell it.
        const waiting = await waitFor(
          () => handle.query(purchaseStateQuery).catch(() => undefined),
          (s) => s?.phase === 'confirming',
        );
        expect(waiting?.phase).toBe('confirming');
        const [intent] = await intentsOf(h, org.customerId!, purchaseId);
        const good = delivery('payment_intent.succeeded', intent);

        // Forged, stale, tampered or unsigned: 400, nothing recorded, nothing handed off.
        const forged = delivery('payment_intent.succeeded', intent, {
          id: good.id,
          secret: 'whsec_attacker',
        });
        const stale = delivery('payment_intent.succeeded', intent, { id: good.id, ageSeconds: 301 });
        const early = delivery('payment_intent.succeeded', intent, { id: good.id, ageSeconds: -301 });
        const signed = (event: unknown) => {
          const body = JSON.stringify(event);
          const header = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: SECRET });
          return [body, header] as const;
        };
        for (const [body, header, reason] of [
          [forged.body, forged.header, 'signature_mismatch'],
          [stale.body, stale.header, 'timestamp_out_of_tolerance'],
          [early.body, early.header, 'timestamp_out_of_tolerance'],
          [
            ...signed({ object: 'event', type: 'payment_intent.succeeded', data: { object: intent } }),
            'malformed_payload',
          ],
          [
            ...signed({ id: 'evt_no_data', object: 'event', type: 'payment_intent.succeeded' }),
            'malformed_payload',
          ],
          [good.body.replace('"pack_500"', '"pack_2000"'), good.header, 'signature_mismatch'],
          [good.body, undefined, 'missing_header'],
          [good.body, '', 'missing_header'],
        ] as const) {
          expect(await handleStripeWebhook(deps, body, header)).toEqual({
            status: 400,
            body: { error: { code: 'INVALID_SIGNATURE', message: expect.any(String), details: { reason } } },
          });
        }
        expect(await storedEvents()).toEqual([]);
        expect(await signalsReceived(org.orgId, purchaseId)).toBe(0);

        // Temporal unreachable: 500 and the event stays unprocessed, so Stripe's redelivery is not dropped.
        const failed = await handleStripeWebhook(
          { ...deps, client: unreachable, handOffTimeoutMs: 500 },
          good.body,
          good.header,
        );
        expect(failed).toMatchObject({ status: 500, body: { error: { code: 'INTERNAL_ERROR' } } });
        expect(await storedEvents()).toMatchObject([{ id: good.id, processed_at: null }]);

        const handed = await handleStripeWebhook(deps, Buffer.from(good.body), good.header);
        expect(handed).toEqual({
          status: 200,
          body: { received: true, eventId: good.id, type: 'payment_intent.succeeded', outcome: 'handed_off' },
        });
        const again = await handleStripeWebhook(deps, good.body, good.header);
        expect(again).toMatchObject({ status: 200, body: { eventId: good.id, outcome: 'duplicate' } });

        const result = await purchase;
        expect(result).toMatchObject({ purchaseId, paymentIntentId: intent!.id, creditsGranted: 500 });
        const final = await handle.result();
        expect(final).toMatchObject({
          phase: 'succeeded',
          paymentEvents: [good.id],
          lookup: { outcome: 'succeeded' },
        });
        expect(final.charge).toBeUndefined();
        expect(await signalsReceived(org.orgId, purchaseId)).toBe(1);
        expect(await storedEvents()).toMatchObject([
          { id: good.id, outcome: 'handed_off', processed_at: expect.any(Date) },
        ]);

        // Events after the purchase finished change nothing: the grant has its key, the workflow is closed.
        const late = delivery('payment_intent.succeeded', intent);
        expect((await handleStripeWebhook(deps, late.body, late.header)).body).toMatchObject({
          outcome: 'owner_closed',
        });
        // A refund's charge carries no business key; it is traced to the purchase through its PaymentIntent.
        const refund = delivery('charge.refunded', {
          id: 'ch_1',
          object: 'charge',
          metadata: {},
          payment_intent: intent!.id,
        });
        expect((await handleStripeWebhook(deps, refund.body, refund.header)).body).toMatchObject({
          outcome: 'owner_closed',
        });
        expect(await ledgerRowsFor(h, purchaseId)).toHaveLength(1);
        expect(await getCreditPackPurchase(h.t.db, org.orgId, purchaseId)).toMatchObject({
          status: 'succeeded',
        });
        expect(await intentsOf(h, org.customerId!, purchaseId)).toHaveLength(1);
      },
      {
        afterCharge: () => {
          throw ApplicationFailure.nonRetryable('the charge response was lost', 'SimulatedLoss');
        },
      },
    );
    await unreachable.connection.close().catch(() => undefined);
  });

  it('acknowledges events it does not act on without applying anything', async () => {
    const before = await storedEvents();
    const ledger = await h.t.db.selectFrom('credit_ledger').select('id').execute();

    const unknownType = delivery('customer.created', { id: 'cus_1', object: 'customer', metadata: {} });
    expect(await handleStripeWebhook(deps, unknownType.body, unknownType.header)).toEqual({
      status: 200,
      body: { received: true, eventId: unknownType.id, type: 'customer.created', outcome: 'ignored_type' },
    });
    const invoice = delivery('invoice.paid', {
      id: 'in_1',
      object: 'invoice',
      metadata: { businessKey: 'period-close:org_1' },
    });
    expect((await handleStripeWebhook(deps, invoice.body, invoice.header)).body).toMatchObject({
      outcome: 'no_owner',
    });
    const foreign = delivery('payment_intent.succeeded', {
      id: 'pi_not_ours',
      object: 'payment_intent',
      metadata: {},
    });
    expect((await handleStripeWebhook(deps, foreign.body, foreign.header)).body).toMatchObject({
      outcome: 'no_owner',
    });
    const unknownPurchase = delivery('payment_intent.payment_failed', {
      id: 'pi_2',
      object: 'payment_intent',
      metadata: { businessKey: 'credit-pack:cpp_unknown' },
    });
    expect(
      (await handleStripeWebhook(deps, unknownPurchase.body, unknownPurchase.header)).body,
    ).toMatchObject({
      outcome: 'no_owner',
    });

    // Acted-on types are remembered (so a redelivery is a duplicate); ignored types are not stored at all.
    const after = await storedEvents();
    expect(after.slice(before.length).map((e) => [e.id, e.outcome])).toEqual([
      [invoice.id, 'no_owner'],
      [foreign.id, 'no_owner'],
      [unknownPurchase.id, 'no_owner'],
    ]);
    expect((await handleStripeWebhook(deps, invoice.body, invoice.header)).body).toMatchObject({
      outcome: 'duplicate',
    });
    expect(await h.t.db.selectFrom('credit_ledger').select('id').execute()).toEqual(ledger);
  });

  it('refuses to run without a signing secret rather than accept unsigned events', async () => {
    const event = delivery('payment_intent.succeeded', {
      id: 'pi_3',
      object: 'payment_intent',
      metadata: {},
    });
    await expect(
      handleStripeWebhook({ ...deps, webhookSecret: '' }, event.body, event.header),
    ).rejects.toThrow(/secret/);
    expect((await storedEvents()).map((e) => e.id)).not.toContain(event.id);
  });
});
