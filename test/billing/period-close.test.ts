import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { createActivities, type Activities } from '../../activities/index';
import { listCharges } from '../../src/billing/charges';
import { billingWorkflowId, renewalKey } from '../../src/billing/ids';
import { planPrice } from '../../src/billing/prices';
import { overageCharge } from '../../src/billing/overage';
import { captureCredits, getCreditsSnapshot, reserveCredits } from '../../src/credits/ledger';
import { invoiceCollectionKey } from '../../src/invoices/ids';
import { createGenerationClient } from '../../src/generations/client';
import { routeStripeEvent } from '../../src/stripe/webhooks';
import { workflowBundle } from '../../src/temporal/worker';
import { findEventOwner } from '../../src/webhooks/owners';
import { freshTaskQueue } from '../credit-packs/support';
import { DAY, eventually, useBillingHarness } from './harness';

const harness = useBillingHarness();

/** The period close's activities, each able to lose its answer once after its work committed. */
const CLOSE_ACTIVITIES = [
  'closeCreditPeriod',
  'issueInvoice',
  'chargeSubscription',
  'saveSubscription',
] as const;

/**
 * The activities, with `name` failing once right after its real work succeeded, on its first call for a
 * business time after `from` (the close, not the subscription's start): what a worker killed between
 * committing and reporting leaves behind. Temporal retries it, and the retry must change nothing.
 */
function losingAnswerOnce(
  activities: Activities,
  name: (typeof CLOSE_ACTIVITIES)[number],
  from: () => Date,
): Activities & { lost(): boolean } {
  let lost = false;
  const real = activities[name] as (input: { at: string }) => Promise<unknown>;
  return {
    ...activities,
    lost: () => lost,
    [name]: async (input: { at: string }) => {
      const result = await real(input);
      if (!lost && new Date(input.at) > from()) {
        lost = true;
        throw new Error(`worker lost after ${name} committed`);
      }
      return result;
    },
  };
}

async function withWorker<T>(taskQueue: string, activities: Activities, fn: () => Promise<T>): Promise<T> {
  const worker = await Worker.create({
    connection: harness.h.env.nativeConnection,
    namespace: 'default',
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities,
  });
  return worker.runUntil(fn);
}

const subscribedOrg = (taskQueue: string, tier = 'pro') => harness.subscribed(taskQueue, { tier });

describe('a credit period close', () => {
  it.each(CLOSE_ACTIVITIES)(
    'charges once, grants once and invoices once when %s loses its answer after committing',
    async (name) => {
      const taskQueue = freshTaskQueue();
      let anchor = new Date(8.64e15);
      const activities = losingAnswerOnce(
        createActivities({ db: harness.h.t.db, stripe: harness.h.stripe }),
        name,
        () => anchor,
      );
      await withWorker(taskQueue, activities, async () => {
        const org = await subscribedOrg(taskQueue);
        anchor = org.anchor;
        const price = planPrice({ tier: 'pro', interval: 'month', seats: 1 }).totalCents;
        await eventually(async () => expect(await listCharges(harness.h.t.db, org.orgId)).toHaveLength(1));
        await harness.h.env.sleep(31 * DAY + 1000);
        await eventually(async () =>
          expect(
            (await listCharges(harness.h.t.db, org.orgId)).map((c) => [c.kind, c.amount_cents, c.status]),
          ).toEqual([
            ['renewal', price, 'succeeded'],
            ['renewal', price, 'succeeded'],
          ]),
        );
        const state = await org.billing.state(org.orgId);
        const intents = await harness.h.stripe.paymentIntents
          .list({ customer: org.customerId!, limit: 100 })
          .autoPagingToArray({ limit: 100 });
        expect(intents.filter((pi) => pi.status === 'succeeded')).toHaveLength(2);
        expect(
          intents.filter(
            (pi) =>
              pi.metadata.businessKey === renewalKey(org.orgId, new Date(state.subscription.period.start)),
          ),
        ).toHaveLength(1);
        const closes = await harness.h.t.db
          .selectFrom('credit_ledger')
          .select('entry_type')
          .where('org_id', '=', org.orgId)
          .where('entry_type', '=', 'period_close')
          .execute();
        expect(closes).toHaveLength(1);
        // The close issued the period's invoice, once, even when issuing lost its answer.
        const invoices = await harness.h.t.db
          .selectFrom('invoices')
          .select(['period_start', 'period_end'])
          .where('org_id', '=', org.orgId)
          .execute();
        expect(invoices).toEqual([{ period_start: org.anchor, period_end: expect.any(Date) }]);
        const snapshot = await getCreditsSnapshot(harness.h.t.db, org.orgId);
        expect(snapshot.includedThisPeriod).toBe(1000);
        expect(snapshot.includedRemaining).toBe(2000);
        expect(activities.lost()).toBe(true);
      });
    },
  );

  it("collects the invoice's overage once when the charge loses its answer after Stripe took it", async () => {
    const taskQueue = freshTaskQueue();
    let anchor = new Date(8.64e15);
    const activities = losingAnswerOnce(
      createActivities({ db: harness.h.t.db, stripe: harness.h.stripe }),
      'chargeSubscription',
      () => anchor,
    );
    await withWorker(taskQueue, activities, async () => {
      const org = await subscribedOrg(taskQueue);
      anchor = org.anchor;
      await eventually(async () => expect(await listCharges(harness.h.t.db, org.orgId)).toHaveLength(1));
      // Pro's 1,000 included credits, then 200 more: overage the close's invoice collects.
      const generationId = `gen_${org.orgId}_over`;
      await reserveCredits(harness.h.t.db, { ...org, generationId, format: 'video_remix' });
      await captureCredits(harness.h.t.db, { orgId: org.orgId, generationId, actualCredits: 1200 });
      await harness.h.env.sleep(31 * DAY + 1000);
      const overage = overageCharge('pro', 200).amountCents;
      await eventually(async () =>
        expect((await listCharges(harness.h.t.db, org.orgId)).map((c) => [c.kind, c.status])).toEqual([
          ['renewal', 'succeeded'],
          ['invoice', 'succeeded'],
          ['renewal', 'succeeded'],
        ]),
      );
      const [invoice] = await harness.h.t.db
        .selectFrom('invoices')
        .selectAll()
        .where('org_id', '=', org.orgId)
        .execute();
      expect(invoice).toMatchObject({ due_cents: overage });
      const intents = await harness.h.stripe.paymentIntents
        .list({ customer: org.customerId!, limit: 100 })
        .autoPagingToArray({ limit: 100 });
      const collections = intents.filter(
        (pi) => pi.metadata.businessKey === invoiceCollectionKey(invoice!.number),
      );
      expect(collections.map((pi) => [pi.amount, pi.status])).toEqual([[overage, 'succeeded']]);
      expect(activities.lost()).toBe(true);
    });
  });

  it('leaves running generations their holds, and charges them in full after the close', async () => {
    const taskQueue = freshTaskQueue();
    await withWorker(
      taskQueue,
      createActivities({ db: harness.h.t.db, stripe: harness.h.stripe }),
      async () => {
        const org = await subscribedOrg(taskQueue, 'plus');
        await eventually(async () => expect(await listCharges(harness.h.t.db, org.orgId)).toHaveLength(1));
        const generations = createGenerationClient(harness.h.env.client, {
          taskQueue,
          holdTimeoutMs: 60 * DAY,
        });
        // plus: 100 included credits; a slideshow holds 50 of them across the anniversary.
        const started = await generations.start({
          orgId: org.orgId,
          projectId: org.projectId,
          generationId: `gen_${org.orgId}_across`,
          format: 'slideshow_builder',
        });
        expect(started.status).toBe('reserved');
        await harness.h.env.sleep(31 * DAY + 1000);
        await eventually(async () => expect(await listCharges(harness.h.t.db, org.orgId)).toHaveLength(2));
        const atClose = await getCreditsSnapshot(harness.h.t.db, org.orgId);
        expect(atClose.reservedCredits).toBe(50);
        expect(atClose.available).toBe(atClose.balance - 50);

        const done = await generations.complete(org.orgId, `gen_${org.orgId}_across`, { actualCredits: 60 });
        expect(done.charge.actual).toBe(60);
        const after = await getCreditsSnapshot(harness.h.t.db, org.orgId);
        expect(after.reservedCredits).toBe(0);
        expect(after.balance).toBe(atClose.balance - 60);
      },
    );
  });

  it('routes Stripe events about its charges, and a card attached to its customer, to the org-billing workflow', async () => {
    const taskQueue = freshTaskQueue();
    await withWorker(
      taskQueue,
      createActivities({ db: harness.h.t.db, stripe: harness.h.stripe }),
      async () => {
        const org = await subscribedOrg(taskQueue, 'plus');
        const [charge] = await eventually(async () => {
          const charges = await listCharges(harness.h.t.db, org.orgId);
          expect(charges.map((c) => c.status)).toEqual(['succeeded']);
          return charges;
        });
        const intent = await harness.h.stripe.paymentIntents.retrieve(charge!.payment_intent_id!);
        const routed = routeStripeEvent({
          id: 'evt_renewal',
          type: 'payment_intent.succeeded',
          data: { object: intent },
        } as never);
        expect(await findEventOwner(harness.h.t.db, routed!)).toMatchObject({
          workflowId: billingWorkflowId(org.orgId),
        });
        // A card attached to the org's customer (the Stripe portal, say) nudges it too: what a decline
        // left due is retried at once (the simulator's dunning test plays that through).
        const attached = routeStripeEvent({
          id: 'evt_card',
          type: 'payment_method.attached',
          data: { object: { id: 'pm_new', object: 'payment_method', customer: org.customerId } },
        } as never);
        // The owner is a subscribed org: the workflow saves its subscription right after that charge.
        await eventually(async () =>
          expect(await findEventOwner(harness.h.t.db, attached!)).toMatchObject({
            workflowId: billingWorkflowId(org.orgId),
          }),
        );
        const stranger = routeStripeEvent({
          id: 'evt_card_other',
          type: 'payment_method.attached',
          data: { object: { id: 'pm_other', object: 'payment_method', customer: 'cus_nobody' } },
        } as never);
        expect(await findEventOwner(harness.h.t.db, stranger!)).toBeUndefined();
      },
    );
  });
});
