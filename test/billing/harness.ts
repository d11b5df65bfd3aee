import { afterAll, afterEach, beforeAll, expect, vi } from 'vitest';
import { billingInputFor, createBillingClient } from '../../src/billing/client';
import { billingWorkflowId } from '../../src/billing/ids';
import { findDrift } from '../../src/credits/reconcile';
import { orgWithCard, startPaymentsHarness, type PaymentsHarness } from '../credit-packs/support';

export const DAY = 24 * 60 * 60 * 1000;

/** What the workflow and the database show once `check` holds: the workflow works on after a time skip. */
export const eventually = <T>(check: () => Promise<T>): Promise<T> =>
  vi.waitFor(check, { timeout: 20_000, interval: 50 });

/**
 * The payments harness for a file of billing workflow tests, with its hooks: zero drift after each test,
 * and each test's billing workflows terminated with it. They never end on their own, and the
 * time-skipping server misbehaves with workflows left behind by a worker that is gone.
 */
export function useBillingHarness() {
  let h: PaymentsHarness;
  const running: string[] = [];
  beforeAll(async () => {
    h = await startPaymentsHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });
  afterEach(async () => {
    await Promise.all(
      running.splice(0).map((orgId) => h.env.client.workflow.getHandle(billingWorkflowId(orgId)).terminate()),
    );
    expect(await findDrift(h.t.db)).toEqual([]);
  });

  return {
    get h(): PaymentsHarness {
      return h;
    },
    /** An org on `tier` anchored at the test server's now, its billing workflow started, and its client. */
    async subscribed(
      taskQueue: string,
      opts: {
        tier?: string;
        card?: string | null;
        chargeFirstPeriod?: boolean;
        interval?: 'month' | 'year';
      } = {},
    ) {
      const anchor = new Date(await h.env.currentTimeMs());
      const org = await orgWithCard(h, { tier: opts.tier ?? 'pro', card: opts.card, anchor });
      const billing = createBillingClient({ client: h.env.client, taskQueue });
      running.push(org.orgId);
      await billing.start(
        await billingInputFor(h.t.db, org.orgId, {
          chargeFirstPeriod: opts.chargeFirstPeriod ?? true,
          interval: opts.interval,
        }),
      );
      return { ...org, billing, anchor };
    },
  };
}
