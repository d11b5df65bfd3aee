import { afterAll, afterEach, beforeAll, expect, vi } from 'vitest';
import { Worker } from '@temporalio/worker';
import { createActivities, type Activities } from '../../activities/index';
import { createFakeAdPlatforms, type FakeAdPlatforms } from '../../src/ads/fake';
import type { StartLocalStripeOptions } from '../../src/dev/localstripe';
import { attachDefaultCard } from '../../src/orgs/stripe-customer';
import { workflowBundle } from '../../src/temporal/worker';
import { findWalletDrift } from '../../src/wallet/reconcile';
import { createWalletClient, type WalletClient } from '../../src/wallet/client';
import { walletWorkflowId } from '../../src/wallet/ids';
import { recordSpend } from '../../src/wallet/ledger';
import type { WalletSettingsPatch } from '../../src/wallet/wallets';
import { freshTaskQueue, startPaymentsHarness, type PaymentsHarness } from '../credit-packs/support';
import { addProject, makeAgencyOrg } from './support';

export const HOUR = 60 * 60 * 1000;

/** What the database shows once `check` holds: the workflow works on its own after a nudge or a skip. */
export const eventually = <T>(check: () => Promise<T>): Promise<T> =>
  vi.waitFor(check, { timeout: 20_000, interval: 50 });

/** A card localstripe accepts, created fresh (its magic `pm_card_visa` is a new method on every read). */
export async function workingCard(h: PaymentsHarness): Promise<string> {
  const pm = await h.stripe.paymentMethods.create({
    type: 'card',
    card: { number: '4242424242424242', exp_month: 12, exp_year: 2040, cvc: '123' },
  });
  return pm.id;
}

/**
 * The payments harness with a worker running the production activities (over `ads`, the recording fake,
 * and `wrap` for crash seams) for a file of wallet workflow tests. Each test's wallet workflows are
 * terminated after it (they never end on their own) and the wallet ledger must show no drift.
 */
export function useWalletHarness(
  wrap: (a: Activities) => Activities = (a) => a,
  localStripe: StartLocalStripeOptions = {},
) {
  let h: PaymentsHarness;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = freshTaskQueue();
  const ads: FakeAdPlatforms = createFakeAdPlatforms();
  const orgs: string[] = [];

  beforeAll(async () => {
    h = await startPaymentsHarness(localStripe);
    worker = await Worker.create({
      connection: h.env.nativeConnection,
      namespace: 'default',
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities: wrap(createActivities({ db: h.t.db, stripe: h.stripe, ads: ads.platforms })),
    });
    running = worker.run();
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await h?.stop();
  });
  afterEach(async () => {
    await Promise.allSettled(
      orgs.splice(0).map((orgId) => h.env.client.workflow.getHandle(walletWorkflowId(orgId)).terminate()),
    );
    expect(await findWalletDrift(h.t.db)).toEqual([]);
  });

  return {
    get h(): PaymentsHarness {
      return h;
    },
    ads,
    /**
     * An agency org whose business clock starts at `businessNow` (the workflow's clock plus an offset),
     * with a card (`card`: a working one unless null or a PaymentMethod id), opening funds and settings.
     */
    async org(opts: {
      businessNow: Date;
      balanceCents?: number;
      settings?: WalletSettingsPatch;
      card?: string | null;
      projects?: number;
    }) {
      const offsetMs = opts.businessNow.getTime() - (await h.env.currentTimeMs());
      const org = await makeAgencyOrg(h.t.db, {
        balanceCents: opts.balanceCents,
        settings: opts.settings,
        at: opts.businessNow,
      });
      for (let i = 1; i < (opts.projects ?? 1); i += 1) await addProject(h.t.db, org.orgId);
      const card = opts.card === undefined ? await workingCard(h) : opts.card;
      const customerId =
        card === null
          ? undefined
          : (await attachDefaultCard({ db: h.t.db, stripe: h.stripe }, org.orgId, card)).customerId;
      orgs.push(org.orgId);
      const wallet: WalletClient = createWalletClient({
        client: h.env.client,
        taskQueue,
        clockOffsetMs: offsetMs,
      });
      let bills = 0;
      const businessNow = async () => new Date((await h.env.currentTimeMs()) + offsetMs);
      return {
        ...org,
        customerId,
        wallet,
        businessNow,
        /** One platform bill as the spend route records it: the workflow hears of it only on a crossing. */
        async spend(
          amountCents: number,
          opts2: { platform?: 'meta' | 'tiktok' | 'google'; projectId?: string } = {},
        ) {
          const r = await recordSpend(h.t.db, {
            orgId: org.orgId,
            platform: opts2.platform ?? 'meta',
            projectId: opts2.projectId ?? org.projectId,
            amountCents,
            occurredAt: await businessNow(),
            externalId: `bill-${++bills}-${org.orgId}`,
          });
          if (r.debit.crossedThreshold || r.debit.crossedFloor) await wallet.nudge(org.orgId, 'debit');
          return r;
        },
      };
    },
  };
}

export async function topUpsOf(h: PaymentsHarness, orgId: string) {
  return (
    h.t.db
      .selectFrom('wallet_top_ups')
      .select([
        'business_key',
        'amount_cents',
        'method',
        'trigger',
        'status',
        'local_day',
        'started_at',
        'failure_reason',
      ])
      .where('org_id', '=', orgId)
      // The opening balance is a wire finance credited: not a charge the workflow made.
      .where('method', '<>', 'wire')
      .orderBy('id')
      .execute()
  );
}

export async function notificationsOf(h: PaymentsHarness, orgId: string, kind: string) {
  return h.t.db
    .selectFrom('notifications')
    .select(['kind', 'business_key', 'payload'])
    .where('org_id', '=', orgId)
    .where('kind', '=', kind)
    .orderBy('id')
    .execute();
}
