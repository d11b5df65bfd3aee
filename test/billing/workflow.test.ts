import { describe, expect, it } from 'vitest';
import { listCharges } from '../../src/billing/charges';
import { planPrice } from '../../src/billing/prices';
import { getSubscription } from '../../src/billing/subscriptions';
import { getCreditsSnapshot } from '../../src/credits/ledger';
import { listCreditPeriods } from '../../src/credits/periods';
import { DomainError } from '../../src/errors';
import { attachDefaultCard } from '../../src/orgs/stripe-customer';
import { freshTaskQueue, withPaymentsWorker } from '../credit-packs/support';
import { DAY, eventually, useBillingHarness } from './harness';

const harness = useBillingHarness();
const subscribed = harness.subscribed;

const chargesOf = async (orgId: string) =>
  (await listCharges(harness.h.t.db, orgId)).map((c) => [c.kind, c.amount_cents, c.status, c.attempts]);

async function refusal(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'resolved',
    (e: unknown) => (e instanceof DomainError ? e.code : String(e)),
  );
}

describe('the org-billing workflow', () => {
  it('charges the first month, closes the credit period at the anniversary, renews and grants the next allowance', async () => {
    const taskQueue = freshTaskQueue();
    await withPaymentsWorker(harness.h, taskQueue, async () => {
      const org = await subscribed(taskQueue, { tier: 'pro' });
      const price = planPrice({ tier: 'pro', interval: 'month', seats: 1 }).totalCents;
      await eventually(async () =>
        expect(await chargesOf(org.orgId)).toEqual([['renewal', price, 'succeeded', 1]]),
      );

      await harness.h.env.sleep(32 * DAY);
      await eventually(async () =>
        expect(await chargesOf(org.orgId)).toEqual([
          ['renewal', price, 'succeeded', 1],
          ['renewal', price, 'succeeded', 1],
        ]),
      );
      const state = await org.billing.state(org.orgId);
      expect(new Date(state.creditPeriod.start).getTime()).toBeGreaterThan(org.anchor.getTime());
      const periods = await listCreditPeriods(harness.h.t.db, org.orgId);
      expect(periods).toHaveLength(1);
      const snapshot = await getCreditsSnapshot(harness.h.t.db, org.orgId);
      expect(snapshot.includedThisPeriod).toBe(1000);
      // The first month's 1,000 unused credits rolled over (pro: 30 days, capped at one allowance).
      expect(snapshot.rolledOverCredits).toBe(1000);
      expect(snapshot.includedRemaining).toBe(2000);
      const sub = await getSubscription(harness.h.t.db, org.orgId);
      expect(sub.status).toBe('active');
      expect(sub.period.start.getTime()).toBe(new Date(state.subscription.period.start).getTime());
    });
  });

  it('upgrades now with two proration lines and grants the difference right away', async () => {
    const taskQueue = freshTaskQueue();
    await withPaymentsWorker(harness.h, taskQueue, async () => {
      const org = await subscribed(taskQueue, { tier: 'max' });
      await eventually(async () => expect(await chargesOf(org.orgId)).toHaveLength(1));
      await harness.h.env.sleep(10 * DAY);
      const result = await org.billing.change(org.orgId, { tier: 'team' });
      expect(result.outcome).toBe('applied_now');
      expect(result.lines.map((l) => Math.sign(l.amountCents))).toEqual([-1, 1]);
      expect(result.totalCents).toBe(result.lines.reduce((s, l) => s + l.amountCents, 0));
      const snapshot = await getCreditsSnapshot(harness.h.t.db, org.orgId);
      expect(snapshot.subscriptionTier).toBe('team');
      expect(snapshot.includedThisPeriod).toBe(6000);
      expect(snapshot.includedRemaining).toBe(6000);
      const upgrade = (await listCharges(harness.h.t.db, org.orgId)).find((c) => c.kind === 'upgrade');
      expect(upgrade).toMatchObject({ amount_cents: result.totalCents, status: 'succeeded' });
    });
  });

  it('schedules a downgrade for the renewal, lets it be cancelled, and refuses bad changes without writing', async () => {
    const taskQueue = freshTaskQueue();
    await withPaymentsWorker(harness.h, taskQueue, async () => {
      const org = await subscribed(taskQueue, { tier: 'team' });
      const scheduled = await org.billing.change(org.orgId, { tier: 'plus' });
      expect(scheduled).toMatchObject({ outcome: 'scheduled', scheduledChange: { tier: 'plus' } });
      expect(await refusal(org.billing.change(org.orgId, { tier: 'max' }))).toBe('CHANGE_ALREADY_SCHEDULED');
      const undone = await org.billing.change(org.orgId, { tier: 'team' });
      expect(undone).toMatchObject({ outcome: 'unscheduled', scheduledChange: null });
      const before = await listCharges(harness.h.t.db, org.orgId);
      expect(await refusal(org.billing.change(org.orgId, { tier: 'enterprise' }))).toBe('VALIDATION_FAILED');
      expect(await refusal(org.billing.change(org.orgId, { tier: 'team' }))).toBe('PLAN_UNCHANGED');
      expect(await refusal(org.billing.change(org.orgId, { seats: 0 }))).toBe('VALIDATION_FAILED');
      expect(await listCharges(harness.h.t.db, org.orgId)).toEqual(before);
      expect((await getSubscription(harness.h.t.db, org.orgId)).scheduledChange).toBeNull();
    });
  });

  it('a declined renewal makes the org past_due, retries on days 1, 3 and 5, then pauses; a new card and resume restore it', async () => {
    const taskQueue = freshTaskQueue();
    await withPaymentsWorker(harness.h, taskQueue, async () => {
      const org = await subscribed(taskQueue, { tier: 'plus' });
      const price = planPrice({ tier: 'plus', interval: 'month', seats: 1 }).totalCents;
      await eventually(async () =>
        expect(await chargesOf(org.orgId)).toEqual([['renewal', price, 'succeeded', 1]]),
      );
      await attachDefaultCard(
        { db: harness.h.t.db, stripe: harness.h.stripe },
        org.orgId,
        'pm_card_chargeCustomerFail',
      );
      await harness.h.env.sleep(31 * DAY + 1000);
      await eventually(async () =>
        expect((await getSubscription(harness.h.t.db, org.orgId)).status).toBe('past_due'),
      );
      await harness.h.env.sleep(6 * DAY);
      await eventually(async () =>
        expect((await getSubscription(harness.h.t.db, org.orgId)).status).toBe('paused'),
      );
      expect(await chargesOf(org.orgId)).toEqual([
        ['renewal', price, 'succeeded', 1],
        ['renewal', price, 'failed', 4],
      ]);
      const snapshot = await getCreditsSnapshot(harness.h.t.db, org.orgId);
      expect(snapshot.billingStatus).toBe('paused');
      expect(snapshot.includedRemaining).toBe(0);

      // A card of its own: the first one's id is the magic pm_card_visa, which localstripe makes anew.
      const card = await harness.h.stripe.paymentMethods.create({
        type: 'card',
        card: { number: '4242424242424242', exp_month: 12, exp_year: 2040, cvc: '123' },
      });
      await attachDefaultCard({ db: harness.h.t.db, stripe: harness.h.stripe }, org.orgId, card.id);
      const resumed = await org.billing.resume(org.orgId);
      expect(resumed.outcome).toBe('unpaused');
      expect(resumed.totalCents).toBe(planPrice({ tier: 'plus', interval: 'month', seats: 1 }).totalCents);
      const after = await getCreditsSnapshot(harness.h.t.db, org.orgId);
      expect(after.billingStatus).toBe('active');
      expect(after.includedRemaining).toBe(100);
    });
  });

  it('cancels at the period end: access until then, resume undoes it, then no renewal and no included credits', async () => {
    const taskQueue = freshTaskQueue();
    await withPaymentsWorker(harness.h, taskQueue, async () => {
      const org = await subscribed(taskQueue, { tier: 'plus' });
      const price = planPrice({ tier: 'plus', interval: 'month', seats: 1 }).totalCents;
      await eventually(async () =>
        expect(await chargesOf(org.orgId)).toEqual([['renewal', price, 'succeeded', 1]]),
      );
      expect((await org.billing.cancel(org.orgId)).outcome).toBe('cancel_at_period_end');
      expect(await refusal(org.billing.cancel(org.orgId))).toBe('SUBSCRIPTION_STATE_CONFLICT');
      expect((await org.billing.resume(org.orgId)).outcome).toBe('cancel_undone');
      expect((await org.billing.cancel(org.orgId)).outcome).toBe('cancel_at_period_end');
      // Until the period ends the org keeps what it paid for.
      expect((await getCreditsSnapshot(harness.h.t.db, org.orgId)).includedRemaining).toBe(100);

      await harness.h.env.sleep(31 * DAY + 1000);
      await eventually(async () =>
        expect((await getSubscription(harness.h.t.db, org.orgId)).status).toBe('canceled'),
      );
      expect(await chargesOf(org.orgId)).toEqual([['renewal', price, 'succeeded', 1]]);
      const after = await getCreditsSnapshot(harness.h.t.db, org.orgId);
      expect(after).toMatchObject({ billingStatus: 'canceled', includedRemaining: 0, rolledOverCredits: 0 });
      expect(await refusal(org.billing.change(org.orgId, { tier: 'team' }))).toBe('SUBSCRIPTION_CANCELED');
    });
  });

  it('a yearly plan is charged once a year and refreshes its credits every month', async () => {
    const taskQueue = freshTaskQueue();
    await withPaymentsWorker(harness.h, taskQueue, async () => {
      const org = await subscribed(taskQueue, { tier: 'plus', interval: 'year' });
      const year = planPrice({ tier: 'plus', interval: 'year', seats: 1 }).totalCents;
      await eventually(async () =>
        expect(await chargesOf(org.orgId)).toEqual([['renewal', year, 'succeeded', 1]]),
      );
      await harness.h.env.sleep(31 * DAY + 1000);
      await eventually(async () =>
        expect(await listCreditPeriods(harness.h.t.db, org.orgId)).toHaveLength(1),
      );
      await harness.h.env.sleep(31 * DAY);
      await eventually(async () =>
        expect(await listCreditPeriods(harness.h.t.db, org.orgId)).toHaveLength(2),
      );
      expect(await chargesOf(org.orgId)).toEqual([['renewal', year, 'succeeded', 1]]);
      const snapshot = await getCreditsSnapshot(harness.h.t.db, org.orgId);
      expect(snapshot.includedThisPeriod).toBe(100);
      const sub = await getSubscription(harness.h.t.db, org.orgId);
      expect(sub.interval).toBe('year');
      expect(sub.period.end.getTime() - sub.period.start.getTime()).toBeGreaterThan(364 * DAY);
    });
  });
});
