import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WorkflowNotFoundError } from '@temporalio/client';
import type Stripe from 'stripe';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type ActivityInterceptorsFactory } from '@temporalio/worker';
import { createActivities } from '../activities/index';
import { listCharges } from '../src/billing/charges';
import { billingInputFor, createBillingClient } from '../src/billing/client';
import { billingWorkflowId } from '../src/billing/ids';
import { getSubscription } from '../src/billing/subscriptions';
import { billingStateQuery } from '../workflows/billing.messages';
import { migrateToLatest } from '../src/db/migrate';
import { createDb, type Db } from '../src/db/pool';
import { createGenerationClient, type GenerationClient } from '../src/generations/client';
import { generationWorkflowId } from '../src/generations/ids';
import { newId } from '../src/ids';
import { purchaseCreditPack } from '../src/credit-packs/client';
import { attachDefaultCard } from '../src/orgs/stripe-customer';
import { creditPackWorkflowId } from '../src/credit-packs/ids';
import { openCreditPackPurchase } from '../src/credit-packs/purchases';
import { createStripeClient } from '../src/stripe/client';
import { workflowBundle } from '../src/temporal/worker';
import { makeOrg } from '../test/support/fixtures';
import { startLocalStripe, type LocalStripe } from '../src/dev/localstripe';
import { databaseUrl, withAdmin } from '../test/support/postgres';
import { createTimeSkippingEnv } from '../test/support/temporal';
import { makeAgencyOrg } from '../test/wallet/support';
import { createWalletClient } from '../src/wallet/client';
import { walletWorkflowId } from '../src/wallet/ids';
import { recordSpend, startTopUp } from '../src/wallet/ledger';
import { getWallet } from '../src/wallet/wallets';
import { requestWithdrawal } from '../src/wallet/withdraw';
import { walletStateQuery, walletStripeEventSignal } from '../workflows/wallet.messages';

/**
 * The recorded histories of every workflow, replayed by test/temporal/replay.test.ts:
 * test/fixtures/histories/<workflow>/<version>/<scenario>.json, one folder per version of the workflow
 * code that recorded them. Name a new version here whenever a change alters the commands a workflow
 * issues (it must be guarded with patched()), then `npm run record:histories`. A recorded history is
 * frozen: it stands for workflows of that code still running in production, so a version's folder is
 * deleted only once no run of that code can be alive.
 */
export const WORKFLOW_HISTORIES = {
  /** One history per way a generation ends. */
  generations: {
    // v4: a workflow type of its own (generationLifecycle), with no patch markers to record.
    currentVersion: 'v4-lifecycle-type',
    scenarios: ['completed', 'failed', 'expired', 'rejected', 'deadline-passed', 'refused-completion'],
  },
  /** One history per way a credit-pack purchase settles. */
  'credit-packs': {
    currentVersion: 'v1',
    scenarios: ['succeeded', 'declined', 'no-card', 'answer-lost', 'never-charged'],
  },
  /**
   * Runs of the org-billing workflow: a run ends by continuing as new at a credit period close, or is
   * still waiting (a paused subscription has no period to close).
   */
  billing: {
    // v2: the close issues the period's invoice, which collects the overage (patched 'invoice-at-close').
    currentVersion: 'v2-invoices',
    scenarios: ['renewed', 'plan-changes', 'declined-renewal', 'paused-after-retries'],
  },
  /**
   * The wallet workflow never ends: each history is its run once it has settled what the scenario set
   * off and waits again (idle).
   */
  wallet: {
    currentVersion: 'v1',
    scenarios: ['auto-top-up', 'declines-switch-off', 'ads-paused-and-resumed', 'ach-settled', 'withdrawal'],
  },
} as const satisfies Record<string, { currentVersion: string; scenarios: readonly string[] }>;

export type WorkflowName = keyof typeof WORKFLOW_HISTORIES;
type Scenario<W extends WorkflowName> = (typeof WORKFLOW_HISTORIES)[W]['scenarios'][number];

export const HISTORIES = fileURLToPath(new URL('../test/fixtures/histories/', import.meta.url));

export const fixture = <W extends WorkflowName>(
  workflow: W,
  scenario: Scenario<W>,
  version: string = WORKFLOW_HISTORIES[workflow].currentVersion,
): string => `${HISTORIES}${workflow}/${version}/${scenario}.json`;

const missing = <W extends WorkflowName>(workflow: W): Scenario<W>[] =>
  (WORKFLOW_HISTORIES[workflow].scenarios as readonly Scenario<W>[]).filter(
    (s) => !existsSync(fixture(workflow, s)),
  );

interface Recorder {
  db: Db;
  env: TestWorkflowEnvironment;
  taskQueue: string;
}

/** `npm run record:histories`: records the scenarios each workflow's current version has no history of. */
async function record(): Promise<void> {
  const todo = {
    generation: missing('generations'),
    creditPack: missing('credit-packs'),
    billing: missing('billing'),
    wallet: missing('wallet'),
  };
  const paying = todo.creditPack.length + todo.billing.length + todo.wallet.length;
  if (todo.generation.length + paying === 0)
    console.log('every scenario of every current version is recorded already');
  // Even then the run goes through the teardown below: importing the Temporal SDK loads its native
  // runtime, which keeps the process alive until the test environment's teardown shuts it down.
  const name = `layers_record_${randomBytes(4).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE ${name}`));
  const db = createDb(databaseUrl(name));
  const env = await createTimeSkippingEnv();
  // Only purchases, subscriptions and wallets talk to Stripe: localstripe runs only when one of theirs is
  // missing, holding bank debits `processing` as Stripe does so the ACH history has that step.
  let ls: LocalStripe | undefined;
  try {
    await migrateToLatest(db);
    ls = paying > 0 ? await startLocalStripe({ holdBankDebits: true }) : undefined;
    const stripe = ls && createStripeClient({ secretKey: ls.secretKey, apiBase: ls.apiBase });
    const r: Recorder = { db, env, taskQueue: 'record-histories' };
    // Started before any worker polls, with a deadline that has passed by the time one does.
    const late = todo.generation.includes('deadline-passed') ? await startWithoutWorker(r) : undefined;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      namespace: 'default',
      taskQueue: r.taskQueue,
      workflowBundle: await workflowBundle(),
      activities: createActivities({ db, stripe }),
      interceptors: { activity: [chargeTrouble] },
    });
    await worker.runUntil(async () => {
      for (const scenario of todo.generation) await recordGeneration(r, scenario, late);
      for (const scenario of todo.creditPack) await recordCreditPack(r, stripe!, scenario);
      if (todo.billing.length > 0) await recordBilling(r, stripe!, todo.billing);
      for (const scenario of todo.wallet) await recordWallet(r, ls!, stripe!, scenario);
    });
  } finally {
    await Promise.allSettled([env.teardown(), ls?.stop()]);
    await db.destroy();
    await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  }
}

/**
 * Waits for the workflow to end (waiting on its result lets the test server skip its timers), then
 * writes its history. A purchase's row is opened before its workflow starts: wait for the workflow too.
 */
async function save<W extends WorkflowName>(
  r: Recorder,
  workflow: W,
  scenario: Scenario<W>,
  workflowId: string,
) {
  const handle = r.env.client.workflow.getHandle(workflowId);
  for (let attempt = 0; ; attempt++) {
    try {
      await handle.result();
      break;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError) || attempt >= 100) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  const path = fixture(workflow, scenario);
  mkdirSync(path.slice(0, path.lastIndexOf('/')), { recursive: true });
  writeFileSync(path, JSON.stringify(await handle.fetchHistory(), null, 1));
  console.log(`recorded ${path}`);
}

// ---- generation ----

const generationClient = (r: Recorder, engineTimeoutMs?: number): GenerationClient =>
  createGenerationClient(r.env.client, {
    taskQueue: r.taskQueue,
    holdTimeoutMs: 60 * 60 * 1000,
    engineTimeoutMs,
  });

async function recordGeneration(
  r: Recorder,
  scenario: Scenario<'generations'>,
  late: { orgId: string; generationId: string } | undefined,
): Promise<void> {
  const client = generationClient(r);
  const { orgId, generationId } =
    scenario === 'deadline-passed' ? late! : await startOne(r, client, scenario);
  if (scenario === 'completed')
    await client.complete(orgId, generationId, { actualCredits: 80, model: 'veo-3' });
  if (scenario === 'failed') await client.fail(orgId, generationId, 'provider error');
  if (scenario === 'refused-completion')
    await client.complete(orgId, generationId, { actualCredits: 80, model: 'veo\u0000-3' }).catch(() => {});
  await save(r, 'generations', scenario, generationWorkflowId(orgId, generationId));
}

async function startOne(r: Recorder, client: GenerationClient, scenario: Scenario<'generations'>) {
  const { orgId, projectId } = await makeOrg(r.db, { prepaid: scenario === 'rejected' ? 10 : 500 });
  const generationId = newId('gen');
  await client.start({ orgId, projectId, generationId, format: 'video_remix' });
  return { orgId, generationId };
}

async function startWithoutWorker(r: Recorder) {
  const { orgId, projectId } = await makeOrg(r.db, { prepaid: 500 });
  const generationId = newId('gen');
  await generationClient(r, 500)
    .start({ orgId, projectId, generationId, format: 'video_remix' })
    .catch(() => {});
  return { orgId, generationId };
}

// ---- credit pack ----

/** localstripe's test cards: one that pays, one whose charge the issuer declines; or no card at all. */
const CARDS: Record<Scenario<'credit-packs'>, string | null> = {
  succeeded: 'pm_card_visa',
  declined: 'pm_card_chargeCustomerFail',
  'no-card': null,
  'answer-lost': 'pm_card_visa',
  'never-charged': 'pm_card_visa',
};

/**
 * Orgs whose charge runs into trouble, by org id: the charge is made but its answer is lost (the
 * workflow settles by looking the payment up), or it never reaches Stripe in the whole charge window
 * (the look-up finds nothing and the purchase fails). Non-retryable, so the workflow moves on at once.
 */
const trouble = new Map<string, 'answer-lost' | 'never-charged'>();

const chargeTrouble: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    async execute(input, next) {
      const orgId = (input.args[0] as { orgId?: string } | undefined)?.orgId;
      const kind = ctx.info.activityType === 'chargeCreditPack' && orgId ? trouble.get(orgId) : undefined;
      if (kind === 'never-charged')
        throw ApplicationFailure.nonRetryable(
          'Stripe unreachable for the whole charge window',
          'SimulatedOutage',
        );
      const result = await next(input);
      if (kind === 'answer-lost')
        throw ApplicationFailure.nonRetryable('the charge response was lost', 'SimulatedLoss');
      return result;
    },
  },
});

async function recordCreditPack(r: Recorder, stripe: Stripe, scenario: Scenario<'credit-packs'>) {
  const { orgId } = await makeOrg(r.db, { tier: 'max' });
  const card = CARDS[scenario];
  if (card) await attachDefaultCard({ db: r.db, stripe }, orgId, card);
  if (scenario === 'answer-lost' || scenario === 'never-charged') trouble.set(orgId, scenario);
  const request = { orgId, packId: 'pack_100', idempotencyKey: `record-${scenario}` };
  // A decline is the workflow's answer too (PAYMENT_DECLINED): the history is what is recorded.
  const purchase = purchaseCreditPack({ ...r, client: r.env.client }, request).catch(() => {});
  // The same key names the same purchase row, so this only reads its id.
  const { id } = await openCreditPackPurchase(r.db, request);
  await save(r, 'credit-packs', scenario, creditPackWorkflowId(orgId, id));
  await purchase;
}

// ---- billing ----

const DAY = 24 * 60 * 60 * 1000;

/** Polls `check` until it holds: after a time skip the workflow works on in real time. */
async function until(check: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; !(await check()); attempt++) {
    if (attempt > 400) throw new Error('the workflow did not get there in 20 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function writeRun<W extends WorkflowName>(
  scenario: Scenario<W>,
  handle: { fetchHistory(): Promise<unknown> },
  workflow: W = 'billing' as W,
) {
  const path = fixture(workflow, scenario);
  mkdirSync(path.slice(0, path.lastIndexOf('/')), { recursive: true });
  writeFileSync(path, JSON.stringify(await handle.fetchHistory(), null, 1));
  console.log(`recorded ${path}`);
}

/**
 * One subscribed org per scenario, driven through a month: its first run's history once it continued as
 * new; for 'paused-after-retries', the second run's, waiting paused after the dunning gave up.
 */
async function recordBilling(r: Recorder, stripe: Stripe, scenarios: Scenario<'billing'>[]): Promise<void> {
  const billing = createBillingClient({ client: r.env.client, taskQueue: r.taskQueue });
  const declines = scenarios.includes('declined-renewal') || scenarios.includes('paused-after-retries');
  const runs: Scenario<'billing'>[] = [
    'renewed',
    'plan-changes',
    ...(declines ? (['declined-renewal'] as const) : []),
  ];
  for (const scenario of runs) {
    if (scenario !== 'declined-renewal' && !scenarios.includes(scenario)) continue;
    const anchor = new Date(await r.env.currentTimeMs());
    const { orgId } = await makeOrg(r.db, { tier: scenario === 'plan-changes' ? 'max' : 'pro', anchor });
    await attachDefaultCard({ db: r.db, stripe }, orgId, 'pm_card_visa');
    await billing.start(await billingInputFor(r.db, orgId, { chargeFirstPeriod: true }));
    const workflowId = billingWorkflowId(orgId);
    const first = await r.env.client.workflow.getHandle(workflowId).describe();
    const paid = async () => (await listCharges(r.db, orgId)).some((c) => c.status === 'succeeded');
    await until(paid);
    if (scenario === 'plan-changes') {
      await r.env.sleep(5 * DAY);
      await billing.change(orgId, { tier: 'team' });
      await billing.change(orgId, { tier: 'plus' });
    }
    if (scenario === 'declined-renewal') {
      await attachDefaultCard({ db: r.db, stripe }, orgId, 'pm_card_chargeCustomerFail');
    }
    await r.env.sleep(32 * DAY);
    const firstRun = r.env.client.workflow.getHandle(workflowId, first.runId);
    await until(async () => (await firstRun.describe()).status.name === 'CONTINUED_AS_NEW');
    if (scenarios.includes(scenario)) await writeRun(scenario, firstRun);
    if (scenario === 'declined-renewal' && scenarios.includes('paused-after-retries')) {
      await r.env.sleep(6 * DAY);
      await until(async () => (await getSubscription(r.db, orgId)).status === 'paused');
      const current = r.env.client.workflow.getHandle(workflowId);
      await until(async () => (await current.query(billingStateQuery)).subscription.status === 'paused');
      await writeRun('paused-after-retries', current);
    }
    await r.env.client.workflow.getHandle(workflowId).terminate('recorded');
  }
}

// ---- wallet ----

const HOUR = 60 * 60 * 1000;

/** One agency org per scenario; its wallet workflow's history once it is idle again, then terminated. */
async function recordWallet(r: Recorder, ls: LocalStripe, stripe: Stripe, scenario: Scenario<'wallet'>) {
  const at = async () => new Date(await r.env.currentTimeMs());
  const wallet = createWalletClient({ client: r.env.client, taskQueue: r.taskQueue });
  const auto = { enabled: true, thresholdCents: 5_000, amountCents: 10_000, dailyCapCents: 30_000 };
  const org = await makeAgencyOrg(r.db, {
    balanceCents: 10_000,
    at: await at(),
    settings:
      scenario === 'auto-top-up' || scenario === 'declines-switch-off'
        ? { autoTopUp: auto }
        : { floorCents: 5_000 },
  });
  const { orgId, projectId } = org;
  const card = scenario === 'declines-switch-off' ? 'pm_card_chargeCustomerFail' : 'pm_card_visa';
  const { customerId } = await attachDefaultCard({ db: r.db, stripe }, orgId, card);
  const topUps = () =>
    r.db
      .selectFrom('wallet_top_ups')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('method', '<>', 'wire')
      .execute();
  const topUp = async (method: 'card' | 'ach', amountCents: number) => {
    await startTopUp(r.db, {
      orgId,
      method,
      amountCents,
      idempotencyKey: `record-${method}`,
      at: await at(),
    });
    await wallet.nudge(orgId, 'top_up');
  };
  const spend = async (amountCents: number) => {
    const { debit } = await recordSpend(r.db, {
      orgId,
      platform: 'meta',
      projectId,
      amountCents,
      occurredAt: await at(),
      externalId: `record-bill-${orgId}`,
    });
    if (debit.crossedThreshold || debit.crossedFloor) await wallet.nudge(orgId, 'debit');
  };

  if (scenario === 'auto-top-up') {
    await spend(6_000);
    await until(async () => (await topUps()).some((t) => t.status === 'succeeded'));
  }
  if (scenario === 'declines-switch-off') {
    await spend(6_000);
    await until(async () => (await topUps()).length === 1);
    await r.env.sleep(3 * HOUR + 60_000);
    await until(async () => (await getWallet(r.db, orgId)).autoTopUp.disabledReason !== null);
  }
  if (scenario === 'ads-paused-and-resumed') {
    await spend(6_000);
    await until(async () => (await getWallet(r.db, orgId)).adsPaused);
    await topUp('card', 20_000);
    await until(async () => !(await getWallet(r.db, orgId)).adsPaused);
  }
  if (scenario === 'ach-settled') {
    const bank = await stripe.paymentMethods.create({
      type: 'sepa_debit',
      sepa_debit: { iban: 'DE89370400440532013000' },
      billing_details: { name: 'Agency Finance', email: 'finance@agency.test' },
    });
    await stripe.paymentMethods.attach(bank.id, { customer: customerId });
    await topUp('ach', 25_000);
    await until(async () => ls.heldBankDebits().length > 0);
    ls.settleBankDebit(ls.heldBankDebits()[0]!, 'succeeded');
    // What Stripe's webhook does once routed to the wallet (src/webhooks): the event, as a nudge.
    await r.env.client.workflow
      .getHandle(walletWorkflowId(orgId))
      .signal(walletStripeEventSignal, { eventId: `evt_record_${orgId}`, type: 'payment_intent.succeeded' });
    await until(async () => (await topUps()).some((t) => t.status === 'succeeded'));
  }
  if (scenario === 'withdrawal') {
    await topUp('card', 20_000);
    await until(async () => (await topUps()).some((t) => t.status === 'succeeded'));
    await requestWithdrawal(r.db, { orgId, withdrawalId: 'record', amountCents: 15_000, at: await at() });
    await wallet.nudge(orgId, 'withdrawal');
    await until(async () =>
      (
        await r.db.selectFrom('wallet_withdrawal_legs').select('status').where('org_id', '=', orgId).execute()
      ).every((l) => l.status === 'succeeded'),
    );
  }
  const handle = r.env.client.workflow.getHandle(walletWorkflowId(orgId));
  await until(async () => (await handle.query(walletStateQuery)).idle);
  await writeRun(scenario, handle, 'wallet');
  await handle.terminate('recorded');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await record();
