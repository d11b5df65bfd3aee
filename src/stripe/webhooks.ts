import Stripe from 'stripe';
import { InvalidSignatureError, type InvalidSignatureReason, StripeValidationError } from './errors';

/**
 * Authenticates a webhook delivery. `rawBody` must be the exact bytes received:
 * the signature covers them, so a re-serialized JSON body never verifies.
 * Deliveries older than `toleranceSeconds` are rejected to bound replay.
 */
export function verifyStripeEvent(
  rawBody: Buffer | string,
  signatureHeader: string | undefined,
  secret: string,
  toleranceSeconds = 300,
): Stripe.Event {
  if (!secret) {
    throw new StripeValidationError('webhook signing secret is not configured');
  }
  // The SDK treats tolerance 0 as "skip the timestamp check", which would
  // accept replays forever; refuse it rather than silently disable the check.
  if (!Number.isFinite(toleranceSeconds) || toleranceSeconds <= 0) {
    throw new StripeValidationError('toleranceSeconds must be a positive number', { toleranceSeconds });
  }
  if (!signatureHeader) {
    throw new InvalidSignatureError('missing_header', 'missing Stripe-Signature header');
  }
  if (typeof rawBody !== 'string' && !Buffer.isBuffer(rawBody)) {
    throw new InvalidSignatureError('malformed_payload', 'webhook body must be the raw string or Buffer');
  }

  let event: Stripe.Event;
  try {
    event = Stripe.webhooks.constructEvent(rawBody, signatureHeader, secret, toleranceSeconds);
  } catch (err) {
    if (err instanceof Stripe.errors.StripeSignatureVerificationError) {
      throw new InvalidSignatureError(classifyFailure(signatureHeader, toleranceSeconds), err.message);
    }
    // Signature matched but the body is not an event (e.g. invalid JSON).
    throw new InvalidSignatureError('malformed_payload', err instanceof Error ? err.message : String(err));
  }
  // The SDK bounds only the age of a signature; one dated in the future would stay replayable for as
  // long as it is ahead, so the tolerance holds both ways.
  if (timestampOf(signatureHeader) - nowSeconds() > toleranceSeconds) {
    throw new InvalidSignatureError(
      'timestamp_out_of_tolerance',
      `the signature is dated more than ${toleranceSeconds} s in the future`,
    );
  }
  if (!isEventShaped(event)) {
    throw new InvalidSignatureError('malformed_payload', 'the event has no id, type or data.object');
  }
  return event;
}

/** A correctly signed body is still only trusted as far as the fields every consumer reads. */
function isEventShaped(event: unknown): event is Stripe.Event {
  const e = event as { id?: unknown; type?: unknown; data?: { object?: unknown } } | null;
  return (
    typeof e?.id === 'string' &&
    e.id.length > 0 &&
    typeof e.type === 'string' &&
    typeof e.data?.object === 'object' &&
    e.data.object !== null
  );
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

function timestampOf(header: string): number {
  const t = header
    .split(',')
    .map((part) => part.trim().split('='))
    .find(([key]) => key === 't')?.[1];
  return Number(t);
}

// Derived from the header rather than the SDK's message text, which is not a stable API.
function classifyFailure(header: string, toleranceSeconds: number): InvalidSignatureReason {
  const timestamp = timestampOf(header);
  const hasV1 = header.split(',').some((part) => /^\s*v1=./.test(part));
  if (!Number.isFinite(timestamp) || !hasV1) return 'malformed_header';
  if (nowSeconds() - timestamp > toleranceSeconds) return 'timestamp_out_of_tolerance';
  return 'signature_mismatch';
}

export type StripeEventKind =
  | 'payment_succeeded'
  | 'payment_failed'
  | 'invoice_paid'
  | 'invoice_payment_failed'
  | 'charge_refunded'
  /** A card added to a customer (the Stripe portal, say): what is due may be charged to it now. */
  | 'payment_method_attached';

export interface RoutedStripeEvent {
  kind: StripeEventKind;
  /** Stripe delivers at-least-once; consumers dedupe on this. */
  eventId: string;
  /** `metadata.businessKey` of the event's object; null when the object was not created by us. */
  businessKey: string | null;
  objectId: string;
  /**
   * For payment and charge events. Charges do not reliably carry the metadata
   * we set on the PaymentIntent, so `charge_refunded` consumers should
   * correlate through this id when businessKey is null.
   */
  paymentIntentId: string | null;
  /** The Stripe customer the object belongs to, where it names one. */
  customerId: string | null;
}

function businessKeyOf(metadata: Stripe.Metadata | null | undefined): string | null {
  const value = metadata?.businessKey;
  return typeof value === 'string' && value.length > 0 ? value : null;
}

function idOf(ref: string | { id: string } | null | undefined): string | null {
  if (ref === null || ref === undefined) return null;
  return typeof ref === 'string' ? ref : ref.id;
}

/** Pure mapping from the Stripe events we act on to our domain; null for everything else. */
export function routeStripeEvent(event: Stripe.Event): RoutedStripeEvent | null {
  switch (event.type) {
    case 'payment_intent.succeeded':
    case 'payment_intent.payment_failed': {
      const intent = event.data.object;
      return {
        kind: event.type === 'payment_intent.succeeded' ? 'payment_succeeded' : 'payment_failed',
        eventId: event.id,
        businessKey: businessKeyOf(intent.metadata),
        objectId: intent.id,
        paymentIntentId: intent.id,
        customerId: idOf(intent.customer),
      };
    }
    case 'invoice.paid':
    case 'invoice.payment_failed': {
      const invoice = event.data.object;
      return {
        kind: event.type === 'invoice.paid' ? 'invoice_paid' : 'invoice_payment_failed',
        eventId: event.id,
        businessKey: businessKeyOf(invoice.metadata),
        objectId: invoice.id,
        paymentIntentId: null,
        customerId: idOf(invoice.customer),
      };
    }
    case 'charge.refunded': {
      const charge = event.data.object;
      return {
        kind: 'charge_refunded',
        eventId: event.id,
        businessKey: businessKeyOf(charge.metadata),
        objectId: charge.id,
        paymentIntentId: idOf(charge.payment_intent),
        customerId: idOf(charge.customer),
      };
    }
    case 'payment_method.attached': {
      const method = event.data.object;
      return {
        kind: 'payment_method_attached',
        eventId: event.id,
        businessKey: null,
        objectId: method.id,
        paymentIntentId: null,
        customerId: idOf(method.customer),
      };
    }
    default:
      return null;
  }
}
