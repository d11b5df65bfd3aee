import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type Stripe from 'stripe';
import type { Db } from '../db/pool';
import { ensureOrgCustomer } from '../orgs/stripe-customer';
import { attachPaymentMethod } from '../stripe/payment-methods';
import { createWalletClient, type WalletClient } from '../wallet/client';
import { walletWorkflowId } from '../wallet/ids';
import { creditWire, recordSpend, startTopUp } from '../wallet/ledger';
import { nextWalletStep } from '../wallet/next-step';
import { reviewWallet } from '../wallet/review';
import { updateWalletSettings, type WalletSettingsPatch } from '../wallet/wallets';
import type { WalletNudgeReason, WalletWorkflowView } from '../../workflows/wallet.messages';
import type { ScenarioEvent } from './scenario';

/** Localstripe's one bank debit is SEPA; the ACH path charges it the same way (src/stripe/payment-methods.ts). */
const TEST_IBAN = 'DE89370400440532013000';
/** A query answers in milliseconds; one that has not in this long is lost and asked again. */
const QUERY_TIMEOUT_MS = 3_000;

export interface SimulatedWalletDeps {
  db: Db;
  stripe: Stripe;
  env: TestWorkflowEnvironment;
  taskQueue: string;
  orgId: string;
  /** The org's first project: where a bill that names none is attributed. */
  projectId: string;
  /** Business time minus the test server's clock: the wallet workflow reads time as the billing one does. */
  clockOffsetMs: number;
  businessNow(): Promise<Date>;
  /** How long, in real time, the workflow may take to settle after one step. */
  settleTimeoutMs: number;
  signal?: AbortSignal | undefined;
}

type WalletEvent = Extract<ScenarioEvent, { topUp: unknown } | { adSpend: unknown } | { wallet: unknown }>;

export const isWalletEvent = (event: ScenarioEvent): event is WalletEvent =>
  'topUp' in event || 'adSpend' in event || 'wallet' in event;

/**
 * An agency org's wallet in a simulation: each scenario event goes in as the API, the platform-billing
 * ingest or finance would put it in (the ledger functions of src/wallet/ledger.ts, then a nudge to the
 * `wallet:<orgId>` workflow, which the first nudge starts), and the run goes on only once the workflow
 * has done everything the event asked of it. Business keys come from the event's index, so a run is
 * deterministic; business times are the event's `at`.
 */
export class SimulatedWallet {
  private readonly client: WalletClient;
  private started = false;
  private bankAccountAttached = false;

  constructor(private readonly deps: SimulatedWalletDeps) {
    this.client = createWalletClient({
      client: deps.env.client,
      taskQueue: deps.taskQueue,
      clockOffsetMs: deps.clockOffsetMs,
    });
  }

  /** The scenario's `org.wallet`, at the start: the workflow starts and acts on it at once. */
  async configure(settings: WalletSettingsPatch): Promise<void> {
    await updateWalletSettings(this.deps.db, this.deps.orgId, settings);
    await this.nudge('settings');
  }

  /** Applies one wallet event and waits for the workflow to settle; the answer is the event's outcome. */
  async apply(index: number, at: Date, event: WalletEvent): Promise<{ outcome: string }> {
    const { db, orgId } = this.deps;
    if ('adSpend' in event) {
      const { debit } = await recordSpend(db, {
        orgId,
        platform: event.adSpend.platform,
        projectId: event.adSpend.projectId ?? this.deps.projectId,
        amountCents: event.adSpend.amountCents,
        occurredAt: at,
        externalId: `simulator-event-${index}`,
      });
      // As the spend route does: the workflow hears of a bill only when it crossed something.
      if (debit.crossedThreshold || debit.crossedFloor) await this.nudge('debit');
      return { outcome: 'recorded' };
    }
    if ('wallet' in event) {
      await updateWalletSettings(db, orgId, event.wallet);
      await this.nudge('settings');
      return { outcome: 'updated' };
    }
    const { method, amountCents } = event.topUp;
    if (method === 'wire') {
      await creditWire(db, { orgId, amountCents, reference: `simulator-wire-${index}`, at });
      await this.nudge('wire');
      return { outcome: 'succeeded' };
    }
    if (method === 'ach') await this.attachBankAccount();
    const { topUp } = await startTopUp(db, {
      orgId,
      method,
      amountCents,
      idempotencyKey: `simulator-event-${index}`,
      at,
    });
    await this.nudge('top_up');
    const { status } = await db
      .selectFrom('wallet_top_ups')
      .select('status')
      .where('org_id', '=', orgId)
      .where('business_key', '=', topUp.key)
      .executeTakeFirstOrThrow();
    return { outcome: status };
  }

  /** A new card on file: Stripe's payment_method.attached would reach the workflow (the breaker resets). */
  async cardAttached(): Promise<void> {
    await this.nudge('card');
  }

  private async nudge(reason: WalletNudgeReason): Promise<void> {
    await this.client.nudge(this.deps.orgId, reason);
    this.started = true;
    await this.settle();
  }

  /**
   * The ACH path charges the customer's bank-debit method; the scenario names none, so the first ACH
   * top-up gives the customer one (never its default: cards stay what everything else charges).
   */
  private async attachBankAccount(): Promise<void> {
    if (this.bankAccountAttached) return;
    const { db, stripe, orgId } = this.deps;
    const pm = await stripe.paymentMethods.create({ type: 'sepa_debit', sepa_debit: { iban: TEST_IBAN } });
    const customerId = await ensureOrgCustomer(db, stripe, orgId);
    await attachPaymentMethod(stripe, customerId, pm.id, {
      makeDefault: false,
      businessKey: `simulator-bank-account:${orgId}`,
    });
    this.bankAccountAttached = true;
  }

  /**
   * Waits until the workflow is idle (waiting for a nudge or a timer not yet due), and the wallet as the
   * database has it leaves it nothing to do: the same decision the workflow takes (nextWalletStep) is
   * "wait". The second check covers a query answered before a nudge or a fired timer reached the workflow.
   * A wallet whose workflow never started has nothing under way.
   */
  async settle(): Promise<void> {
    if (!this.started) return;
    const { env, orgId, settleTimeoutMs, signal } = this.deps;
    const deadline = Date.now() + settleTimeoutMs;
    let last = 'no answer to the state query';
    for (;;) {
      signal?.throwIfAborted();
      const state = await env.client
        .withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => this.client.state(orgId))
        .catch((err: unknown) => {
          last = `the state query failed: ${String(err)}`;
          return undefined;
        });
      const now = await this.deps.businessNow();
      if (state) {
        const step = await this.pendingStep(state, now);
        if (step === undefined) return;
        last = step;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `the wallet workflow did not settle at ${now.toISOString()} within ${settleTimeoutMs} ms (${last})`,
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** What the workflow still has to do at `now`, in words, or undefined when it has settled. */
  private async pendingStep(state: WalletWorkflowView, now: Date): Promise<string | undefined> {
    const due = state.wakeAt !== null && Date.parse(state.wakeAt) <= now.getTime();
    if (!state.idle || due) return `idle ${state.idle}, wakes at ${state.wakeAt ?? 'never'}`;
    const review = await reviewWallet(this.deps.db, this.deps.orgId, now);
    const step = nextWalletStep(review, {
      at: now,
      checkInFlight: false,
      capNotifiedDay: state.capNotifiedDay,
    });
    return step.kind === 'wait' ? undefined : `idle, but the wallet calls for ${step.kind}`;
  }

  /** Ends the wallet workflow: it never ends by itself, and the test server must not keep it. */
  async terminate(): Promise<void> {
    await this.deps.env.client.workflow
      .getHandle(walletWorkflowId(this.deps.orgId))
      .terminate('the simulation is over')
      .catch(() => undefined);
  }
}
