import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type Stripe from 'stripe';
import { isDatabaseOutage } from '../db/outage';
import type { Db } from '../db/pool';
import { InvalidSignatureError } from '../stripe/errors';
import { routeStripeEvent, verifyStripeEvent, type RoutedStripeEvent } from '../stripe/webhooks';
import { findEventOwners } from './owners';

/**
 * Stripe webhooks, framework-free: the route passes the raw body and the Stripe-Signature header and
 * sends back the status and body it gets.
 *
 * Delivery semantics: at-least-once hand-off, exactly-once effect. An event is recorded in stripe_events
 * when it arrives but marked processed only after it has been handed to the workflow that owns it. If
 * the hand-off fails we answer 500 and Stripe redelivers; a redelivery of a processed event is
 * acknowledged without being handed off again. The alternative (mark first, then hand off: at-most-once)
 * would lose an event whenever the hand-off failed after the mark, since Stripe's redelivery would then
 * be dropped as a duplicate. Handing off twice (a crash between hand-off and mark, or two concurrent
 * deliveries) is harmless: the workflow keeps each event id once, treats an event only as a nudge to
 * re-read the PaymentIntent from Stripe, and grants under the purchase's ledger key, which applies once.
 */

export interface WebhookDeps {
  db: Db;
  client: Client;
  /** The endpoint's signing secret (whsec_…). */
  webhookSecret: string;
  /** Deliveries signed longer ago than this are refused as replays. Stripe's own default is 300 s. */
  toleranceSeconds?: number;
  /**
   * How long the hand-off to Temporal may take before we answer 500 and leave it to Stripe's redelivery.
   * Without a deadline the client retries an unreachable server for ~20 s, longer than Stripe waits.
   */
  handOffTimeoutMs?: number;
}

export type WebhookOutcome =
  /** Signalled to the running workflow that owns the object. */
  | 'handed_off'
  /** The owner has finished; its effects are idempotent, so there is nothing left to apply. */
  | 'owner_closed'
  /** A type we act on, about an object no workflow of ours owns (yet). */
  | 'no_owner'
  /** A type we do not act on: acknowledged so Stripe stops sending it. */
  | 'ignored_type'
  /** Already processed: acknowledged, not applied again. */
  | 'duplicate';

export interface WebhookResponse {
  status: 200 | 400 | 500;
  body: Record<string, unknown>;
  /** Why a 500 was answered, for the log line of the request (never sent). */
  error?: unknown;
}

export const WEBHOOK_TOLERANCE_SECONDS = 300;
export const HAND_OFF_TIMEOUT_MS = 5_000;

export async function handleStripeWebhook(
  deps: WebhookDeps,
  rawBody: Buffer | string,
  signatureHeader: string | undefined,
): Promise<WebhookResponse> {
  // Misconfiguration is ours, not the sender's: fail loudly (500) instead of answering 400 to Stripe.
  if (!deps.webhookSecret) throw new Error('the Stripe webhook signing secret is not configured');

  let event: Stripe.Event;
  try {
    event = verifyStripeEvent(
      rawBody,
      signatureHeader,
      deps.webhookSecret,
      deps.toleranceSeconds ?? WEBHOOK_TOLERANCE_SECONDS,
    );
  } catch (err) {
    if (err instanceof InvalidSignatureError) {
      return { status: 400, body: { error: { code: err.code, message: err.message, details: err.details } } };
    }
    throw err;
  }

  const routed = routeStripeEvent(event);
  if (!routed) return acknowledged(event, 'ignored_type');

  await deps.db
    .insertInto('stripe_events')
    .values({ id: event.id, type: event.type })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
  const seen = await deps.db
    .selectFrom('stripe_events')
    .select('processed_at')
    .where('id', '=', event.id)
    .executeTakeFirstOrThrow();
  if (seen.processed_at) return acknowledged(event, 'duplicate');

  let outcome: WebhookOutcome;
  try {
    outcome = await handOff(deps, routed, event.type);
  } catch (err) {
    // Not marked processed: Stripe's redelivery will try the hand-off again. A database outage is
    // answered like every other one (503 DATABASE_UNAVAILABLE), which Stripe redelivers just the same.
    if (isDatabaseOutage(err)) throw err;
    const message = err instanceof Error ? err.message : String(err);
    return {
      status: 500,
      body: { error: { code: 'INTERNAL_ERROR', message: `event ${event.id} not handed off: ${message}` } },
      error: err,
    };
  }
  await deps.db
    .updateTable('stripe_events')
    .set({ processed_at: new Date(), outcome })
    .where('id', '=', event.id)
    .where('processed_at', 'is', null)
    .execute();
  return acknowledged(event, outcome);
}

/** Finds the workflows that own the event's object (src/webhooks/owners.ts) and nudges each. */
async function handOff(deps: WebhookDeps, routed: RoutedStripeEvent, type: string): Promise<WebhookOutcome> {
  const owners = await findEventOwners(deps.db, routed);
  if (owners.length === 0) return 'no_owner';
  const deadline = Date.now() + (deps.handOffTimeoutMs ?? HAND_OFF_TIMEOUT_MS);
  let handedOff = false;
  for (const owner of owners) {
    const handle = deps.client.workflow.getHandle(owner.workflowId);
    try {
      await deps.client.connection.withDeadline(deadline, () =>
        handle.signal(owner.signal, { eventId: routed.eventId, type }),
      );
      handedOff = true;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  return handedOff ? 'handed_off' : 'owner_closed';
}

function acknowledged(event: Stripe.Event, outcome: WebhookOutcome): WebhookResponse {
  return { status: 200, body: { received: true, eventId: event.id, type: event.type, outcome } };
}
