import http from 'node:http';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStripe, type LocalStripe } from '../../src/dev/localstripe';
import { createStripeClient } from '../../src/stripe/client';
import { InvalidSignatureError, PaymentDeclinedError, StripeValidationError } from '../../src/stripe/errors';
import { ensureCustomer } from '../../src/stripe/customers';
import { IDEMPOTENCY_KINDS } from '../../src/stripe/idempotency';
import { chargeOffSession, chargeOnce, findPaymentByBusinessKey } from '../../src/stripe/payment-intents';
import { attachPaymentMethod, bankDebitMethodOf } from '../../src/stripe/payment-methods';
import { routeStripeEvent, verifyStripeEvent } from '../../src/stripe/webhooks';

const unique = (prefix: string) =>
  `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

interface Env {
  ls: LocalStripe;
  stripe: Stripe;
}

async function setup(emulateIdempotency: boolean): Promise<Env> {
  const ls = await startLocalStripe({ emulateIdempotency });
  const stripe = createStripeClient({ secretKey: ls.secretKey, apiBase: ls.apiBase });
  return { ls, stripe };
}

async function customerWithCard(env: Env, card = 'pm_card_visa', email?: string) {
  const orgId = unique('org');
  const { customerId } = await ensureCustomer(env.stripe, orgId, { name: 'Acme', email });
  const { paymentMethodId } = await attachPaymentMethod(env.stripe, customerId, card, {
    makeDefault: true,
    businessKey: unique('attach'),
  });
  return { orgId, customerId, paymentMethodId };
}

async function intentsWithKey(env: Env, customerId: string, businessKey: string) {
  const all = await env.stripe.paymentIntents
    .list({ customer: customerId, limit: 100 })
    .autoPagingToArray({ limit: 1000 });
  return all.filter((pi) => pi.metadata.businessKey === businessKey);
}

function posts(env: Env, path: string, idempotencyKey?: string) {
  return env.ls.requests.filter(
    (r) =>
      r.method === 'POST' &&
      r.path === path &&
      (idempotencyKey === undefined || r.idempotencyKey === idempotencyKey),
  );
}

describe('the Stripe adapter against localstripe (Stripe idempotency emulated)', () => {
  let env: Env;
  beforeAll(async () => {
    env = await setup(true);
  }, 30_000);
  afterAll(async () => {
    await env?.ls.stop();
  });

  describe('ensureCustomer', () => {
    it('creates one customer per org however often it is called', async () => {
      const orgId = unique('org');
      const first = await ensureCustomer(env.stripe, orgId, { name: 'Acme' });
      const second = await ensureCustomer(env.stripe, orgId, { name: 'Acme' });

      expect(second.customerId).toBe(first.customerId);
      const creates = posts(env, '/v1/customers', `customer:${orgId}`);
      expect(creates.map((r) => r.replayed)).toEqual([false, true]);
      const stored = await env.stripe.customers.list({ limit: 100 }).autoPagingToArray({ limit: 1000 });
      expect(stored.filter((c) => c.metadata.orgId === orgId)).toHaveLength(1);
    });

    it('trusts a stored customer id without writing', async () => {
      const orgId = unique('org');
      const { customerId } = await ensureCustomer(env.stripe, orgId, { name: 'Acme' });
      const before = env.ls.requests.length;

      const again = await ensureCustomer(env.stripe, orgId, { name: 'Acme', knownCustomerId: customerId });

      expect(again).toEqual({ customerId, source: 'known' });
      expect(env.ls.requests.slice(before).filter((r) => r.method === 'POST')).toHaveLength(0);
    });

    it('refuses a stored customer id that belongs to another org', async () => {
      const { customerId } = await ensureCustomer(env.stripe, unique('org'), { name: 'A' });
      await expect(
        ensureCustomer(env.stripe, unique('org'), { name: 'B', knownCustomerId: customerId }),
      ).rejects.toBeInstanceOf(StripeValidationError);
    });
  });

  describe('payment methods', () => {
    it('attaches and makes the card the default', async () => {
      const { customerId, paymentMethodId } = await customerWithCard(env);
      const customer = (await env.stripe.customers.retrieve(customerId)) as Stripe.Customer;
      expect(customer.invoice_settings.default_payment_method).toBe(paymentMethodId);
      const pm = await env.stripe.paymentMethods.retrieve(paymentMethodId);
      expect(pm.customer).toBe(customerId);
    });

    it('maps a card declined at attach time to PaymentDeclinedError', async () => {
      const { customerId } = await ensureCustomer(env.stripe, unique('org'), { name: 'Acme' });
      const err = await attachPaymentMethod(env.stripe, customerId, 'pm_card_visa_chargeDeclined', {
        makeDefault: true,
        businessKey: unique('attach'),
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PaymentDeclinedError);
      expect((err as PaymentDeclinedError).declineCode).toBe('card_declined');
    });
  });

  describe('charges', () => {
    it('charges the default card off-session and tags the intent with the business key', async () => {
      const { customerId, paymentMethodId } = await customerWithCard(env);
      const businessKey = unique('period-close');

      const result = await chargeOffSession(env.stripe, {
        businessKey,
        customerId,
        amountCents: 1999,
        currency: 'usd',
        description: 'Usage for period',
        metadata: { orgId: 'org_1' },
      });

      expect(result.status).toBe('succeeded');
      expect(result.amountCents).toBe(1999);
      const intent = await env.stripe.paymentIntents.retrieve(result.paymentIntentId);
      expect(intent).toMatchObject({
        amount: 1999,
        currency: 'usd',
        customer: customerId,
        payment_method: paymentMethodId,
      });
      expect(intent.metadata).toEqual({ businessKey, orgId: 'org_1' });

      const [sent] = posts(env, '/v1/payment_intents', `pi:${businessKey}`);
      expect(sent?.params).toMatchObject({
        confirm: 'true',
        off_session: 'true',
        'automatic_payment_methods[allow_redirects]': 'never',
        description: 'Usage for period',
      });
    });

    it('throws a non-retryable PaymentDeclinedError with the decline code for a declining card', async () => {
      const { customerId } = await customerWithCard(env, 'pm_card_chargeCustomerFail');
      const businessKey = unique('charge');
      const charge = () =>
        chargeOnce(env.stripe, {
          businessKey,
          customerId,
          amountCents: 500,
          currency: 'usd',
          description: 'x',
        });

      const err = await charge().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PaymentDeclinedError);
      expect(err).toMatchObject({ code: 'PAYMENT_DECLINED', declineCode: 'card_declined', retryable: false });

      // A retry finds the failed intent and reports the same decline instead of charging again.
      const retryErr = await charge().catch((e: unknown) => e);
      expect(retryErr).toBeInstanceOf(PaymentDeclinedError);
      expect((retryErr as PaymentDeclinedError).declineCode).toBe('card_declined');
      const intents = await intentsWithKey(env, customerId, businessKey);
      expect(intents).toHaveLength(1);
      expect((retryErr as PaymentDeclinedError).paymentIntentId).toBe(intents[0]?.id);
    });

    it('chargeOnce with the same business key charges exactly once', async () => {
      const { customerId } = await customerWithCard(env);
      const businessKey = unique('charge');
      const req = { businessKey, customerId, amountCents: 2500, currency: 'usd' as const, description: 'x' };

      const first = await chargeOnce(env.stripe, req);
      const second = await chargeOnce(env.stripe, req);

      expect(first.reused).toBe(false);
      expect(second).toEqual({ ...first, reused: true });
      expect(await intentsWithKey(env, customerId, businessKey)).toHaveLength(1);
      expect(posts(env, '/v1/payment_intents', `pi:${businessKey}`)).toHaveLength(1);
    });

    it('a repeated chargeOffSession is replayed by its idempotency key', async () => {
      const { customerId } = await customerWithCard(env);
      const businessKey = unique('charge');
      const req = { businessKey, customerId, amountCents: 700, currency: 'usd' as const, description: 'x' };

      const first = await chargeOffSession(env.stripe, req);
      const second = await chargeOffSession(env.stripe, req);

      expect(second.paymentIntentId).toBe(first.paymentIntentId);
      expect(posts(env, '/v1/payment_intents', `pi:${businessKey}`).map((r) => r.replayed)).toEqual([
        false,
        true,
      ]);
      expect(await intentsWithKey(env, customerId, businessKey)).toHaveLength(1);
    });

    it('refuses to reuse a business key for a different amount', async () => {
      const { customerId } = await customerWithCard(env);
      const businessKey = unique('charge');
      await chargeOnce(env.stripe, {
        businessKey,
        customerId,
        amountCents: 1000,
        currency: 'usd',
        description: 'x',
      });
      await expect(
        chargeOnce(env.stripe, {
          businessKey,
          customerId,
          amountCents: 1001,
          currency: 'usd',
          description: 'x',
        }),
      ).rejects.toBeInstanceOf(StripeValidationError);
      expect(await intentsWithKey(env, customerId, businessKey)).toHaveLength(1);
    });

    it('reports a customer without a default card as declined, without creating an intent', async () => {
      const { customerId } = await ensureCustomer(env.stripe, unique('org'), { name: 'Acme' });
      const businessKey = unique('charge');
      const err = await chargeOnce(env.stripe, {
        businessKey,
        customerId,
        amountCents: 100,
        currency: 'usd',
        description: 'x',
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PaymentDeclinedError);
      expect((err as PaymentDeclinedError).declineCode).toBe('no_payment_method');
      expect(posts(env, '/v1/payment_intents', `pi:${businessKey}`)).toHaveLength(0);
    });

    it('rejects amounts that are not positive safe integers before calling Stripe', async () => {
      const before = env.ls.requests.length;
      for (const amountCents of [0, -5, 10.5, Number.MAX_SAFE_INTEGER + 1, Number.NaN]) {
        await expect(
          chargeOnce(env.stripe, {
            businessKey: unique('c'),
            customerId: 'cus_x',
            amountCents,
            currency: 'usd',
            description: 'x',
          }),
        ).rejects.toBeInstanceOf(StripeValidationError);
      }
      expect(env.ls.requests.length).toBe(before);
    });
  });

  describe('findPaymentByBusinessKey', () => {
    it('finds the intent by metadata within the customer and nowhere else', async () => {
      const { customerId } = await customerWithCard(env);
      const other = await customerWithCard(env);
      const businessKey = unique('charge');
      const charged = await chargeOnce(env.stripe, {
        businessKey,
        customerId,
        amountCents: 4200,
        currency: 'usd',
        description: 'x',
      });
      // Noise so the match is not simply the only intent.
      await chargeOnce(env.stripe, {
        businessKey: unique('noise'),
        customerId,
        amountCents: 1,
        currency: 'usd',
        description: 'x',
      });

      const found = await findPaymentByBusinessKey(env.stripe, businessKey, { customerId });

      expect(found).toEqual({
        paymentIntentId: charged.paymentIntentId,
        businessKey,
        status: 'succeeded',
        amountCents: 4200,
        currency: 'usd',
        customerId,
        declineCode: undefined,
      });
      expect(await findPaymentByBusinessKey(env.stripe, unique('never-charged'), { customerId })).toBeNull();
      expect(
        await findPaymentByBusinessKey(env.stripe, businessKey, { customerId: other.customerId }),
      ).toBeNull();
    });
  });

  describe('webhooks from localstripe', () => {
    it('verifies and routes a real payment_intent.succeeded delivery', async () => {
      const secret = 'whsec_localstripe_test';
      const deliveries: Array<{ body: Buffer; signature: string | undefined }> = [];
      const receiver = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          deliveries.push({
            body: Buffer.concat(chunks),
            signature: req.headers['stripe-signature'] as string | undefined,
          });
          res.end('ok');
        });
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      const { port } = receiver.address() as { port: number };
      try {
        const res = await fetch(`${env.ls.upstreamBase}/_config/webhooks/billing-test`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            url: `http://127.0.0.1:${port}/`,
            secret,
            events: ['payment_intent.succeeded'],
          }),
        });
        expect(res.status).toBe(200);

        const { customerId } = await customerWithCard(env);
        const businessKey = unique('hook');
        const charge = await chargeOnce(env.stripe, {
          businessKey,
          customerId,
          amountCents: 900,
          currency: 'usd',
          description: 'x',
        });

        const deadline = Date.now() + 10_000;
        let routed: ReturnType<typeof routeStripeEvent> = null;
        while (!routed && Date.now() < deadline) {
          for (const delivery of deliveries) {
            const event = verifyStripeEvent(delivery.body, delivery.signature, secret);
            const candidate = routeStripeEvent(event);
            if (candidate?.businessKey === businessKey) routed = candidate;
          }
          if (!routed) await new Promise((r) => setTimeout(r, 100));
        }
        expect(routed).toMatchObject({
          kind: 'payment_succeeded',
          businessKey,
          objectId: charge.paymentIntentId,
        });

        const delivery = deliveries[0]!;
        expect(() => verifyStripeEvent(delivery.body, delivery.signature, 'whsec_wrong')).toThrow(
          InvalidSignatureError,
        );
      } finally {
        await new Promise<void>((resolve) => receiver.close(() => resolve()));
      }
    }, 20_000);
  });

  // Runs last (vitest runs a file's tests in order): audits every write made above.
  it('sent every mutating request with an idempotency key derived from a business key', () => {
    const writes = env.ls.requests.filter((r) => r.method === 'POST');
    expect(writes.length).toBeGreaterThan(10);
    const derived = new RegExp(`^(${IDEMPOTENCY_KINDS.join('|')}):[\\x21-\\x7e]+$`);
    for (const write of writes) {
      expect(write.idempotencyKey, `${write.path}`).toMatch(derived);
    }
  });
});

describe('the Stripe adapter against plain localstripe (idempotency keys ignored, as after Stripe expires them)', () => {
  let env: Env;
  beforeAll(async () => {
    env = await setup(false);
  }, 30_000);
  afterAll(async () => {
    await env?.ls.stop();
  });

  it('finds the existing customer by email and org metadata instead of creating another', async () => {
    const orgId = unique('org');
    const email = `${orgId}@example.test`;
    // Same email, different org: must not be picked up.
    await ensureCustomer(env.stripe, unique('org'), { name: 'Other', email });

    const first = await ensureCustomer(env.stripe, orgId, { name: 'Acme', email });
    const second = await ensureCustomer(env.stripe, orgId, { name: 'Acme', email });

    expect(first.source).toBe('create');
    expect(second).toEqual({ customerId: first.customerId, source: 'lookup' });
    const sameEmail = await env.stripe.customers.list({ email, limit: 100 });
    expect(sameEmail.data.filter((c) => c.metadata.orgId === orgId)).toHaveLength(1);
  });

  it('chargeOnce still charges once, relying on the metadata lookup alone', async () => {
    const { customerId } = await customerWithCard(env);
    const businessKey = unique('charge');
    const req = { businessKey, customerId, amountCents: 1234, currency: 'usd' as const, description: 'x' };

    const first = await chargeOnce(env.stripe, req);
    const second = await chargeOnce(env.stripe, req);

    expect(second.paymentIntentId).toBe(first.paymentIntentId);
    expect(second.reused).toBe(true);
    expect(await intentsWithKey(env, customerId, businessKey)).toHaveLength(1);
  });
});

// Its own server: the sepa_debit PaymentMethods are created directly (no business key), which the
// idempotency-key audit of the first block would count.
describe('bank debits through the localstripe proxy', () => {
  let env: Env;
  beforeAll(async () => {
    env = await setup(true);
  }, 30_000);
  afterAll(async () => {
    await env?.ls.stop();
  });

  it("finds a customer's bank debit (the proxy lists the types localstripe refuses to)", async () => {
    const { customerId } = await customerWithCard(env);
    const other = await customerWithCard(env);
    expect(await bankDebitMethodOf(env.stripe, customerId)).toBeUndefined();
    const iban = { iban: 'DE89370400440532013000' };
    const [older, newer, theirs] = await Promise.all(
      [0, 1, 2].map(() => env.stripe.paymentMethods.create({ type: 'sepa_debit', sepa_debit: iban })),
    );
    await attachPaymentMethod(env.stripe, customerId, older!.id, {
      makeDefault: false,
      businessKey: unique('a'),
    });
    await attachPaymentMethod(env.stripe, customerId, newer!.id, {
      makeDefault: false,
      businessKey: unique('a'),
    });
    await attachPaymentMethod(env.stripe, other.customerId, theirs!.id, {
      makeDefault: false,
      businessKey: unique('a'),
    });
    expect(await bankDebitMethodOf(env.stripe, customerId)).toBe(newer!.id);
    const all = await env.stripe.paymentMethods.list({ customer: customerId, type: 'sepa_debit' });
    expect(all.data.map((pm) => pm.id)).toEqual([newer!.id, older!.id]);
    await env.stripe.paymentMethods.detach(newer!.id);
    expect(await bankDebitMethodOf(env.stripe, customerId)).toBe(older!.id);
    // The card is still listed by localstripe itself.
    const cards = await env.stripe.paymentMethods.list({ customer: customerId, type: 'card' });
    expect(cards.data).toHaveLength(1);
  });
});
