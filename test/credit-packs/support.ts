import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type Stripe from 'stripe';
import { createActivities, type Activities } from '../../activities/index';
import { DomainError } from '../../src/errors';
import { attachDefaultCard } from '../../src/orgs/stripe-customer';
import { creditPackBusinessKey } from '../../src/credit-packs/ids';
import { createStripeClient } from '../../src/stripe/client';
import { workflowBundle } from '../../src/temporal/worker';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { makeOrg } from '../support/fixtures';
import { startLocalStripe, type LocalStripe, type StartLocalStripeOptions } from '../../src/dev/localstripe';
import { createTimeSkippingEnv } from '../support/temporal';

/**
 * Everything a payments test runs against, all real: a PostgreSQL database of its own, Temporal's
 * time-skipping server, and localstripe behind its idempotency-emulating proxy.
 */
export interface PaymentsHarness {
  t: TestDatabase;
  env: TestWorkflowEnvironment;
  ls: LocalStripe;
  stripe: Stripe;
  stop(): Promise<void>;
}

export async function startPaymentsHarness(
  localStripe: StartLocalStripeOptions = {},
): Promise<PaymentsHarness> {
  const [t, env, ls] = await Promise.all([
    createTestDatabase(),
    createTimeSkippingEnv(),
    startLocalStripe(localStripe),
  ]);
  const stripe = createStripeClient({ secretKey: ls.secretKey, apiBase: ls.apiBase });
  return {
    t,
    env,
    ls,
    stripe,
    async stop() {
      await Promise.allSettled([env.teardown(), ls.stop()]);
      await t.close();
    },
  };
}

let queues = 0;

/** A task queue of the test's own, so no other test's worker picks up its tasks. */
export const freshTaskQueue = (): string => `payments-${process.pid}-${++queues}-${Date.now().toString(36)}`;

/**
 * Test seams, each at a point where a real worker could die, so a test can make "Stripe said yes, then
 * the worker vanished" happen on demand. They wrap the production activities from outside (see
 * withCrashHooks); the production dependency types know nothing of them.
 */
export interface CrashHooks {
  /** Before the charge activity runs: nothing has been sent to Stripe for the charge. */
  beforeCharge?(ctx: { purchaseId: string }): void | Promise<void>;
  /** After Stripe accepted the charge and its id was recorded, before the activity reports success. */
  afterCharge?(ctx: { purchaseId: string; paymentIntentId: string }): void | Promise<void>;
  /** After the grant transaction committed, before the activity reports success. */
  afterGrant?(ctx: { purchaseId: string }): void | Promise<void>;
}

/** The activities with `hooks` run around the charge and the grant, as a worker dying there would. */
export function withCrashHooks(activities: Activities, hooks: CrashHooks = {}): Activities {
  return {
    ...activities,
    async chargeCreditPack(ref) {
      await hooks.beforeCharge?.({ purchaseId: ref.purchaseId });
      const charge = await activities.chargeCreditPack(ref);
      await hooks.afterCharge?.({ purchaseId: ref.purchaseId, paymentIntentId: charge.paymentIntentId });
      return charge;
    },
    async completeCreditPackPurchase(input) {
      const result = await activities.completeCreditPackPurchase(input);
      await hooks.afterGrant?.({ purchaseId: input.purchaseId });
      return result;
    },
  };
}

/** The production activities over localstripe, with optional crash hooks. */
export async function withPaymentsWorker<T>(
  h: PaymentsHarness,
  taskQueue: string,
  fn: () => Promise<T>,
  hooks?: CrashHooks,
): Promise<T> {
  const worker = await Worker.create({
    connection: h.env.nativeConnection,
    namespace: 'default',
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: withCrashHooks(createActivities({ db: h.t.db, stripe: h.stripe }), hooks),
  });
  return worker.runUntil(fn);
}

/** An org on `tier` whose default card is `card` (a localstripe test PaymentMethod), or no card at all. */
export async function orgWithCard(
  h: PaymentsHarness,
  opts: { tier?: string; card?: string | null; anchor?: Date } = {},
) {
  const org = await makeOrg(h.t.db, { tier: opts.tier ?? 'max', anchor: opts.anchor });
  const card = opts.card === undefined ? 'pm_card_visa' : opts.card;
  if (card === null) return { ...org, customerId: undefined };
  const { customerId } = await attachDefaultCard({ db: h.t.db, stripe: h.stripe }, org.orgId, card);
  return { ...org, customerId };
}

/** The PaymentIntents in localstripe that carry the purchase's business key. */
export async function intentsOf(h: PaymentsHarness, customerId: string, purchaseId: string) {
  const all = await h.stripe.paymentIntents
    .list({ customer: customerId, limit: 100 })
    .autoPagingToArray({ limit: 1000 });
  return all.filter((pi) => pi.metadata.businessKey === creditPackBusinessKey(purchaseId));
}

/** PaymentIntent creations sent for the purchase, and how many of them Stripe (the proxy) replayed. */
export function intentCreations(h: PaymentsHarness, purchaseId: string) {
  const sent = h.ls.requests.filter(
    (r) =>
      r.method === 'POST' &&
      r.path === '/v1/payment_intents' &&
      r.idempotencyKey === `pi:${creditPackBusinessKey(purchaseId)}`,
  );
  return { sent: sent.length, applied: sent.filter((r) => !r.replayed && r.status < 300).length };
}

export async function ledgerRowsFor(h: PaymentsHarness, purchaseId: string) {
  return h.t.db
    .selectFrom('credit_ledger')
    .select(['org_id', 'entry_type', 'prepaid_delta'])
    .where('idempotency_key', '=', creditPackBusinessKey(purchaseId))
    .execute();
}

/** The error a promise rejects with, as `code` + details for DomainErrors. */
export async function failureOf(
  p: Promise<unknown>,
): Promise<{ code: string; details?: Record<string, unknown> }> {
  return p.then(
    () => ({ code: 'resolved' }),
    (e: unknown) =>
      e instanceof DomainError
        ? { code: e.code, details: e.details }
        : { code: `not a DomainError: ${String(e)}` },
  );
}
