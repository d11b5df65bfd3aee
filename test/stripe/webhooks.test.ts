import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { InvalidSignatureError, StripeValidationError } from '../../src/stripe/errors';
import { routeStripeEvent, verifyStripeEvent } from '../../src/stripe/webhooks';

const SECRET = 'whsec_test_secret';

const payload = JSON.stringify({
  id: 'evt_1',
  object: 'event',
  type: 'payment_intent.succeeded',
  created: 1_700_000_000,
  data: { object: { id: 'pi_1', object: 'payment_intent', metadata: { businessKey: 'bk-1' } } },
});

function sign(body: string, opts: { secret?: string; ageSeconds?: number } = {}): string {
  return Stripe.webhooks.generateTestHeaderString({
    payload: body,
    secret: opts.secret ?? SECRET,
    timestamp: Math.floor(Date.now() / 1000) - (opts.ageSeconds ?? 0),
  });
}

function failure(fn: () => unknown): InvalidSignatureError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidSignatureError);
    return err as InvalidSignatureError;
  }
  throw new Error('expected verification to fail');
}

describe('verifyStripeEvent', () => {
  it('accepts a correctly signed payload as string or Buffer', () => {
    const header = sign(payload);
    expect(verifyStripeEvent(payload, header, SECRET)).toMatchObject({
      id: 'evt_1',
      type: 'payment_intent.succeeded',
    });
    expect(verifyStripeEvent(Buffer.from(payload), header, SECRET).id).toBe('evt_1');
  });

  it('accepts a delivery just inside the tolerance window', () => {
    expect(verifyStripeEvent(payload, sign(payload, { ageSeconds: 290 }), SECRET).id).toBe('evt_1');
  });

  it('rejects a correctly signed delivery dated beyond the tolerance in the future', () => {
    expect(verifyStripeEvent(payload, sign(payload, { ageSeconds: -290 }), SECRET).id).toBe('evt_1');
    const err = failure(() => verifyStripeEvent(payload, sign(payload, { ageSeconds: -400 }), SECRET));
    expect(err).toMatchObject({ code: 'INVALID_SIGNATURE', reason: 'timestamp_out_of_tolerance' });
  });

  it.each([
    ['no id', { type: 'payment_intent.succeeded', data: { object: {} } }],
    ['an empty id', { id: '', type: 'payment_intent.succeeded', data: { object: {} } }],
    ['no type', { id: 'evt_2', data: { object: {} } }],
    ['no data', { id: 'evt_2', type: 'payment_intent.succeeded' }],
    ['a null data.object', { id: 'evt_2', type: 'payment_intent.succeeded', data: { object: null } }],
    ['a JSON array', []],
  ])('rejects a correctly signed event with %s as a malformed payload', (_what, body) => {
    const raw = JSON.stringify(body);
    const err = failure(() => verifyStripeEvent(raw, sign(raw), SECRET));
    expect(err).toMatchObject({ code: 'INVALID_SIGNATURE', reason: 'malformed_payload' });
  });

  it('rejects a payload signed with another secret', () => {
    const err = failure(() =>
      verifyStripeEvent(payload, sign(payload, { secret: 'whsec_attacker' }), SECRET),
    );
    expect(err).toMatchObject({ code: 'INVALID_SIGNATURE', reason: 'signature_mismatch' });
  });

  it('rejects a body altered after signing', () => {
    const tampered = payload.replace('bk-1', 'bk-2');
    const err = failure(() => verifyStripeEvent(tampered, sign(payload), SECRET));
    expect(err.reason).toBe('signature_mismatch');
  });

  it('rejects a stale delivery (> 300 s) even with a valid signature', () => {
    const err = failure(() => verifyStripeEvent(payload, sign(payload, { ageSeconds: 301 }), SECRET));
    expect(err).toMatchObject({ code: 'INVALID_SIGNATURE', reason: 'timestamp_out_of_tolerance' });
  });

  it('honours a custom tolerance', () => {
    const header = sign(payload, { ageSeconds: 120 });
    expect(failure(() => verifyStripeEvent(payload, header, SECRET, 60)).reason).toBe(
      'timestamp_out_of_tolerance',
    );
    expect(verifyStripeEvent(payload, header, SECRET, 600).id).toBe('evt_1');
  });

  it.each([undefined, ''])('rejects a missing signature header (%j)', (header) => {
    expect(failure(() => verifyStripeEvent(payload, header, SECRET))).toMatchObject({
      code: 'INVALID_SIGNATURE',
      reason: 'missing_header',
    });
  });

  it('rejects a header that is not a Stripe signature', () => {
    expect(failure(() => verifyStripeEvent(payload, 'sha256=abc', SECRET)).reason).toBe('malformed_header');
  });

  it('refuses configurations that would disable verification', () => {
    expect(() => verifyStripeEvent(payload, sign(payload), '')).toThrow(StripeValidationError);
    expect(() => verifyStripeEvent(payload, sign(payload), SECRET, 0)).toThrow(StripeValidationError);
  });
});

function event(type: string, object: Record<string, unknown>): Stripe.Event {
  return { id: `evt_${type}`, object: 'event', type, data: { object } } as unknown as Stripe.Event;
}

describe('routeStripeEvent', () => {
  it.each([
    ['payment_intent.succeeded', 'payment_succeeded', { id: 'pi_1', object: 'payment_intent' }, 'pi_1'],
    ['payment_intent.payment_failed', 'payment_failed', { id: 'pi_2', object: 'payment_intent' }, 'pi_2'],
    ['invoice.paid', 'invoice_paid', { id: 'in_1', object: 'invoice' }, null],
    ['invoice.payment_failed', 'invoice_payment_failed', { id: 'in_2', object: 'invoice' }, null],
    ['charge.refunded', 'charge_refunded', { id: 'ch_1', object: 'charge', payment_intent: 'pi_9' }, 'pi_9'],
  ])('maps %s to %s', (type, kind, object, paymentIntentId) => {
    const routed = routeStripeEvent(
      event(type, { ...object, customer: 'cus_7', metadata: { businessKey: `bk-${type}` } }),
    );
    expect(routed).toEqual({
      kind,
      eventId: `evt_${type}`,
      businessKey: `bk-${type}`,
      objectId: object.id,
      paymentIntentId,
      customerId: 'cus_7',
    });
  });

  it('maps a card attached to a customer, which carries no business key of ours', () => {
    const routed = routeStripeEvent(
      event('payment_method.attached', { id: 'pm_1', object: 'payment_method', customer: 'cus_7' }),
    );
    expect(routed).toEqual({
      kind: 'payment_method_attached',
      eventId: 'evt_payment_method.attached',
      businessKey: null,
      objectId: 'pm_1',
      paymentIntentId: null,
      customerId: 'cus_7',
    });
  });

  it('reports objects we did not create with a null business key', () => {
    expect(
      routeStripeEvent(event('invoice.paid', { id: 'in_3', object: 'invoice', metadata: {} }))?.businessKey,
    ).toBeNull();
    expect(
      routeStripeEvent(
        event('charge.refunded', { id: 'ch_2', object: 'charge', metadata: null, payment_intent: null }),
      ),
    ).toMatchObject({ businessKey: null, paymentIntentId: null });
  });

  it.each(['customer.created', 'payment_intent.created', 'charge.succeeded', 'invoice.finalized'])(
    'ignores %s',
    (type) => {
      expect(routeStripeEvent(event(type, { id: 'x_1', metadata: { businessKey: 'bk' } }))).toBeNull();
    },
  );

  it('routes an event that went through verification end to end', () => {
    const verified = verifyStripeEvent(payload, sign(payload), SECRET);
    expect(routeStripeEvent(verified)).toEqual({
      kind: 'payment_succeeded',
      eventId: 'evt_1',
      businessKey: 'bk-1',
      objectId: 'pi_1',
      paymentIntentId: 'pi_1',
      customerId: null,
    });
  });
});
