import type { SignalDefinition } from '@temporalio/client';
import type { Db } from '../db/pool';
import type { RoutedStripeEvent } from '../stripe/webhooks';
import { billingEventOwner } from '../billing/webhook-owner';
import { creditPackEventOwner } from '../credit-packs/webhook-owner';
import { walletEventOwner } from '../wallet/webhook-owner';

/**
 * A verified Stripe event handed to the workflow that owns its object. It is only a nudge to look again:
 * owners act on what they read back from Stripe, never on the event's payload.
 */
export interface StripeEventNudge {
  eventId: string;
  type: string;
}

/** The running workflow to nudge about an event, and with which signal. */
export interface EventOwnerRef {
  workflowId: string;
  signal: SignalDefinition<[StripeEventNudge]>;
}

/**
 * A domain that creates Stripe objects: the business-key prefixes it writes into their metadata, and how it
 * finds the workflow that owns one. `find` is asked for events carrying one of its keys, and for events
 * that carry none (a charge does not copy its PaymentIntent's metadata), which it may trace by id.
 */
export interface StripeEventOwner {
  prefixes: readonly string[];
  find(db: Db, event: RoutedStripeEvent): Promise<EventOwnerRef | undefined>;
}

/** Every domain that owns Stripe objects. A new domain registers here; an unknown prefix has no owner. */
export const STRIPE_EVENT_OWNERS: readonly StripeEventOwner[] = [
  creditPackEventOwner,
  billingEventOwner,
  walletEventOwner,
];

/**
 * Every workflow to nudge about an event: the one owner of its business key, or, for an event that
 * carries none (a card attached to a customer), every owner that claims it (an org's subscription and
 * its wallet both care about a new card).
 */
export async function findEventOwners(
  db: Db,
  event: RoutedStripeEvent,
  owners: readonly StripeEventOwner[] = STRIPE_EVENT_OWNERS,
): Promise<EventOwnerRef[]> {
  if (event.businessKey !== null) {
    const owner = await findEventOwner(db, event, owners);
    return owner ? [owner] : [];
  }
  const refs = await Promise.all(owners.map((o) => o.find(db, event)));
  return refs.filter((r): r is EventOwnerRef => r !== undefined);
}

export async function findEventOwner(
  db: Db,
  event: RoutedStripeEvent,
  owners: readonly StripeEventOwner[] = STRIPE_EVENT_OWNERS,
): Promise<EventOwnerRef | undefined> {
  const { businessKey } = event;
  if (businessKey !== null) {
    return owners.find((o) => o.prefixes.some((p) => businessKey.startsWith(p)))?.find(db, event);
  }
  for (const owner of owners) {
    const ref = await owner.find(db, event);
    if (ref) return ref;
  }
  return undefined;
}
