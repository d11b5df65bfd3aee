import { randomBytes } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type Stripe from 'stripe';
import { createFakeAdPlatforms } from '../ads/fake';
import { billingInputFor, createBillingClient, type BillingClient } from '../billing/client';
import { listCharges } from '../billing/charges';
import { nextEvent } from '../billing/clock';
import { billingWorkflowId } from '../billing/ids';
import { purchaseCreditPack } from '../credit-packs/client';
import { getCreditsSnapshot } from '../credits/ledger';
import { listCreditPeriods } from '../credits/periods';
import { findDrift } from '../credits/reconcile';
import type { Db } from '../db/pool';
import { startLocalStripe } from '../dev/localstripe';
import { DomainError } from '../errors';
import { createGenerationClient } from '../generations/client';
import { createOrganization } from '../orgs/orgs';
import { attachDefaultCard } from '../orgs/stripe-customer';
import { createStripeClient } from '../stripe/client';
import { temporalExecutable } from '../temporal/executables';
import { createBillingWorker } from '../temporal/worker';
import { findWalletDrift } from '../wallet/reconcile';
import type { BillingStateView } from '../../workflows/billing.messages';
import { createScratchDatabase } from './database';
import { subscriptionSaves } from './history';
import type { CardEvent, Scenario } from './scenario';
import {
  timelineCharges,
  timelinePeriods,
  timelinePrices,
  type Timeline,
  type TimelineEvent,
} from './timeline';
import { isWalletEvent, SimulatedWallet } from './wallet-driver';
import { readTimelineWallet } from './wallet-timeline';
import { readInvoices, timelineInvoice, writeInvoiceFiles } from './invoice-timeline';
import { recordUsage } from '../invoices/usage';

export interface SimulationOptions {
  /** The PostgreSQL server to create the scratch database on (any database on it); default: the local one. */
  serverUrl?: string;
  /** Stops the run between two steps; everything started is torn down. */
  signal?: AbortSignal;
  /** How long the workflow may take, in real time, to settle after one step (default 60 s). */
  settleTimeoutMs?: number;
  /** Told what the run does and how long each step takes (wall time): the CLI's --trace. */
  trace?: (line: string) => void;
  /** Writes each issued invoice's PDF and CSV into this folder (the CLI's --invoices). */
  invoicesDir?: string;
}

/** Localstripe test cards: a fresh PaymentMethod per switch, since an attach is idempotent per card. */
const CARD_NUMBERS: Record<CardEvent, string> = {
  works: '4242424242424242',
  declines: '4000000000000341', // attaches, then every charge is declined (localstripe's chargeCustomerFail)
};

const HOUR_MS = 60 * 60 * 1000;
/** A query answers in milliseconds; one that has not in this long is lost and asked again. */
const QUERY_TIMEOUT_MS = 3_000;
/** How long one event may take to be answered (a generation, a purchase, a plan change). */
const EVENT_TIMEOUT_MS = 120_000;

/**
 * Runs a scenario on the real engine: the org-billing, generation, credit-pack and (for an agency org)
 * wallet workflows and their activities, on Temporal's time-skipping test server, against a scratch
 * PostgreSQL database and localstripe, all started here and torn down at the end, whatever happens. The
 * ad platforms the wallet pauses and resumes are the recording fake (src/ads/fake.ts).
 *
 * Business time is the workflow clock plus an offset: the scenario starts in the past (or the future)
 * while the test server's clock starts now. Before each event the server skips to the event's time; the
 * workflow then does in real time what fell due (closes, renewals, retries), and the next event is
 * delivered only once it is idle again. An event reaches the engine a few milliseconds after its time;
 * prorations count whole seconds, so that never moves a cent.
 */
export async function runSimulation(scenario: Scenario, opts: SimulationOptions = {}): Promise<Timeline> {
  return timed(opts.trace, 'simulation, in all', () => simulateOn(scenario, opts));
}

async function simulateOn(scenario: Scenario, opts: SimulationOptions): Promise<Timeline> {
  const { trace } = opts;
  const stops: Array<() => Promise<unknown>> = [];
  const stopAll = () =>
    timed(trace, 'teardown', async () => {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
    });
  try {
    const started = timed(trace, 'PostgreSQL, Temporal test server and localstripe started', () =>
      allStarted([
        track(createScratchDatabase(opts.serverUrl), stops, (s) => s.drop()),
        track(
          TestWorkflowEnvironment.createTimeSkipping({
            server: { executable: temporalExecutable('temporal-test-server') },
          }),
          stops,
          (e) => e.teardown(),
        ),
        track(startLocalStripe(), stops, (l) => l.stop()),
      ] as const),
    );
    const [scratch, env, localStripe] = await started;
    trace?.(`scratch database ${scratch.name}${scratch.embedded ? ' (on an embedded PostgreSQL)' : ''}`);
    opts.signal?.throwIfAborted();
    const { db } = scratch;
    const stripe = createStripeClient({ secretKey: localStripe.secretKey, apiBase: localStripe.apiBase });
    const taskQueue = `simulator-${randomBytes(4).toString('hex')}`;
    const worker = await timed(trace, 'worker created (workflows bundled)', () =>
      createBillingWorker({
        connection: env.nativeConnection,
        namespace: 'default',
        taskQueue,
        db,
        stripe,
        ads: createFakeAdPlatforms().platforms,
      }),
    );
    const running = worker.run();
    stops.push(async () => {
      worker.shutdown();
      await running;
    });
    const run = new Run(scenario, opts, db, stripe, env, taskQueue);
    stops.push(() => run.terminate());
    const timeline = await timed(trace, 'scenario played', () => run.play());
    return timeline;
  } finally {
    await stopAll();
  }
}

/** Runs `fn`, telling `trace` (if any) how long it took. */
async function timed<T>(trace: SimulationOptions['trace'], what: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    trace?.(`${what}: ${Math.round(performance.now() - t0)} ms`);
  }
}

/**
 * Promise.all that waits for every start to settle before failing: a service still starting when
 * another failed would otherwise register its stop after the teardown has run, and outlive us.
 */
async function allStarted<T extends readonly unknown[]>(starts: {
  [K in keyof T]: Promise<T[K]>;
}): Promise<T> {
  const settled = await Promise.allSettled(starts);
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/** Registers how to stop what `started` resolves to, as soon as it has started. */
async function track<T>(
  started: Promise<T>,
  stops: Array<() => Promise<unknown>>,
  stop: (t: T) => Promise<unknown>,
): Promise<T> {
  const t = await started;
  stops.push(() => stop(t));
  return t;
}

class Run {
  private readonly billing: BillingClient;
  private orgId = '';
  private projectId = '';
  private offsetMs = 0;
  private firstRunId: string | undefined;
  /** An agency org's wallet; undefined for a BYO org. */
  private wallet: SimulatedWallet | undefined;
  private readonly events: TimelineEvent[] = [];
  /** Business time of each credit-pack purchase, by its idempotency key. */
  private readonly purchaseTimes = new Map<string, Date>();

  constructor(
    private readonly scenario: Scenario,
    private readonly opts: SimulationOptions,
    private readonly db: Db,
    private readonly stripe: Stripe,
    private readonly env: TestWorkflowEnvironment,
    private readonly taskQueue: string,
  ) {
    this.billing = createBillingClient({ client: env.client, taskQueue });
  }

  async play(): Promise<Timeline> {
    const { scenario, db } = this;
    const org = await createOrganization(db, {
      name: 'Simulated org',
      tier: scenario.org.tier,
      mode: scenario.org.mode,
      anchor: scenario.start,
    });
    this.orgId = org.orgId;
    this.projectId = org.projectId;
    await this.attachCard(scenario.org.card);
    this.offsetMs = scenario.start.getTime() - (await this.env.currentTimeMs());
    const input = await billingInputFor(db, this.orgId, {
      interval: scenario.org.interval,
      seats: scenario.org.seats,
      chargeFirstPeriod: true,
      clockOffsetMs: this.offsetMs,
    });
    await this.billing.start(input);
    this.firstRunId = (await this.handle().describe()).runId;
    await this.settle();
    if (scenario.org.mode === 'agency') {
      this.wallet = new SimulatedWallet({
        db,
        stripe: this.stripe,
        env: this.env,
        taskQueue: this.taskQueue,
        orgId: this.orgId,
        projectId: this.projectId,
        clockOffsetMs: this.offsetMs,
        businessNow: () => this.businessNow(),
        settleTimeoutMs: this.opts.settleTimeoutMs ?? 60_000,
        signal: this.opts.signal,
      });
      if (scenario.org.wallet) await this.wallet.configure(scenario.org.wallet);
    }

    for (const e of scenario.events) {
      await this.advanceTo(e.at);
      // Bounded, so that an engine that never answers fails the run instead of hanging it.
      const answer = await this.env.client
        .withDeadline(Date.now() + EVENT_TIMEOUT_MS, () => this.apply(e.index, e.at, e.event))
        .catch((err: unknown) => {
          if (!(err instanceof DomainError)) throw err;
          return { outcome: 'refused', code: err.code, message: err.message };
        });
      this.events.push({ index: e.index, at: e.at.toISOString(), kind: e.kind, ...answer });
      await this.settle();
      await this.wallet?.settle();
    }
    await this.advanceTo(scenario.until);
    return this.timeline();
  }

  /** Ends the org's workflows: they never end by themselves, and the test server must not keep them. */
  async terminate(): Promise<void> {
    // Once the org exists its workflow may have started, even if nothing after the start got through.
    if (!this.orgId) return;
    await this.handle()
      .terminate('the simulation is over')
      .catch(() => undefined);
    await this.wallet?.terminate();
  }

  private handle() {
    return this.env.client.workflow.getHandle(billingWorkflowId(this.orgId));
  }

  private async businessNow(): Promise<Date> {
    return new Date((await this.env.currentTimeMs()) + this.offsetMs);
  }

  /** Skips the server's clock to business time `t` (if it is still ahead) and waits for the workflow. */
  private async advanceTo(t: Date): Promise<void> {
    this.opts.signal?.throwIfAborted();
    const ms = t.getTime() - (await this.businessNow()).getTime();
    const trace = this.opts.trace;
    if (ms > 0) await timed(trace, `skipped to ${t.toISOString()}`, () => this.env.sleep(ms));
    await timed(trace, `settled at ${t.toISOString()}`, async () => {
      await this.settle();
      await this.wallet?.settle();
    });
  }

  /**
   * Waits until the workflow is idle: waiting in its main loop with nothing under way, and every
   * boundary due by now handled (a timer that fired during the skip may not have reached it yet).
   * `until` adds a condition of the caller's on the state.
   */
  private async settle(until: (s: BillingStateView) => boolean = () => true): Promise<BillingStateView> {
    const timeoutMs = this.opts.settleTimeoutMs ?? 60_000;
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer to the state query';
    for (;;) {
      this.opts.signal?.throwIfAborted();
      // A query that meets a continue-as-new can fail, or on the test server go unanswered for a minute
      // and more (its task reaches the run that just closed): it is given a few seconds, then asked
      // again, of the new run.
      const state = await this.env.client
        .withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => this.billing.state(this.orgId))
        .catch((err: unknown) => {
          last = `the state query failed: ${String(err)}`;
          return undefined;
        });
      const now = await this.businessNow();
      if (state) {
        const next = nextEvent(
          {
            anchor: new Date(state.subscription.anchor),
            interval: state.subscription.interval,
            status: state.subscription.status,
            rolloverExpiresAt: state.rolloverExpiresAt ? new Date(state.rolloverExpiresAt) : null,
            nextRetryAt: state.dunning ? new Date(state.dunning.nextRetryAt) : null,
          },
          new Date(state.handledUpTo),
        );
        const due = next !== null && next.at.getTime() <= now.getTime();
        if (state.idle && !due && until(state)) return state;
        last = `idle ${state.idle}, handled up to ${state.handledUpTo}, next ${next ? `${next.kinds.join('+')} at ${next.at.toISOString()}` : 'none'}`;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `the billing workflow did not settle at ${now.toISOString()} within ${timeoutMs} ms (${last})`,
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private async apply(
    index: number,
    at: Date,
    event: Scenario['events'][number]['event'],
  ): Promise<Omit<TimelineEvent, 'index' | 'at' | 'kind'>> {
    const { orgId } = this;
    if (isWalletEvent(event)) return this.wallet!.apply(index, at, event);
    if ('generation' in event) {
      const generations = createGenerationClient(this.env.client, {
        taskQueue: this.taskQueue,
        holdTimeoutMs: HOUR_MS,
        engineTimeoutMs: 60_000,
      });
      const generationId = `sim-${index}`;
      const reserved = await generations.start({
        orgId,
        projectId: this.projectId,
        generationId,
        format: event.generation.format,
      });
      if (reserved.status === 'rejected') {
        return {
          outcome: 'refused',
          code: reserved.code,
          message: `${reserved.required} credits needed, ${reserved.available} available`,
        };
      }
      await generations.complete(orgId, generationId, { actualCredits: event.generation.actualCredits });
      return { outcome: 'completed' };
    }
    if ('buyPack' in event) {
      const idempotencyKey = `simulator-event-${index}`;
      this.purchaseTimes.set(idempotencyKey, await this.businessNow());
      const purchase = await purchaseCreditPack(
        { db: this.db, client: this.env.client, taskQueue: this.taskQueue },
        { orgId, packId: event.buyPack.packId, idempotencyKey },
      );
      return { outcome: purchase.status };
    }
    if ('usage' in event) {
      const usage = {
        ...event.usage,
        occurredAt: at,
        idempotencyKey: `simulator-event-${index}`,
      };
      const recorded = await recordUsage(this.db, orgId, [usage], at);
      return { outcome: recorded.recorded === 1 ? 'recorded' : 'duplicate' };
    }
    if ('card' in event) {
      const attached = await this.newCard(index, event.card);
      await this.wallet?.cardAttached();
      return attached;
    }
    const changed =
      'changePlan' in event
        ? await this.billing.change(orgId, event.changePlan)
        : 'cancel' in event
          ? await this.billing.cancel(orgId)
          : 'pause' in event
            ? await this.billing.pause(orgId)
            : await this.billing.resume(orgId, event.resume);
    return { outcome: changed.outcome };
  }

  /**
   * A new card, as the customer would add one: attached and made the default, then, if it works, the
   * workflow is told (as Stripe's webhook would) so that a charge it is dunning is retried now.
   */
  private async newCard(index: number, card: CardEvent) {
    const before = await this.billing.state(this.orgId);
    await this.attachCard(card);
    if (card === 'works' && before.dunning) {
      await this.billing.nudge(this.orgId, `simulator-card-${index}`, 'payment_method.attached');
      // A retry always moves the dunning state on (cleared, one more failure, or paused).
      const failures = before.dunning.failures;
      await this.settle((s) => s.dunning?.failures !== failures);
    }
    return { outcome: 'attached' };
  }

  private async attachCard(card: CardEvent): Promise<void> {
    const pm = await this.stripe.paymentMethods.create({
      type: 'card',
      card: { number: CARD_NUMBERS[card], exp_month: 12, exp_year: 2040, cvc: '123' },
    });
    await attachDefaultCard({ db: this.db, stripe: this.stripe }, this.orgId, pm.id);
  }

  private async timeline(): Promise<Timeline> {
    const { db, orgId } = this;
    const [periods, charges, purchases, finalSnapshot, wallet, drift, walletDrift, saves, invoices] =
      await Promise.all([
        listCreditPeriods(db, orgId),
        listCharges(db, orgId),
        db.selectFrom('credit_pack_purchases').selectAll().where('org_id', '=', orgId).execute(),
        getCreditsSnapshot(db, orgId),
        readTimelineWallet(db, orgId),
        findDrift(db),
        findWalletDrift(db),
        subscriptionSaves(this.env.client, billingWorkflowId(orgId), this.firstRunId!),
        readInvoices(db, orgId),
      ]);
    if (this.opts.invoicesDir) await writeInvoiceFiles(this.opts.invoicesDir, invoices);
    return {
      periods: timelinePeriods(periods, saves),
      charges: timelineCharges(charges, purchases, this.purchaseTimes),
      prices: timelinePrices(),
      finalSnapshot,
      ...(wallet ? { wallet } : {}),
      invoices: invoices.map(timelineInvoice),
      ledgerDrift: drift.length + walletDrift.length,
      events: this.events,
    };
  }
}
