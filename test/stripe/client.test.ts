import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config';
import { createStripeClient, parseStripeApiBase, stripeFromConfig } from '../../src/stripe/client';
import {
  InvalidSignatureError,
  isRetryableStripeError,
  PaymentDeclinedError,
  StripeValidationError,
} from '../../src/stripe/errors';

describe('parseStripeApiBase', () => {
  it('splits an origin into the SDK host/port/protocol options', () => {
    expect(parseStripeApiBase('http://127.0.0.1:8420')).toEqual({
      protocol: 'http',
      host: '127.0.0.1',
      port: 8420,
    });
    expect(parseStripeApiBase('https://stripe.internal')).toEqual({
      protocol: 'https',
      host: 'stripe.internal',
      port: 443,
    });
    expect(parseStripeApiBase('http://localhost/')).toEqual({
      protocol: 'http',
      host: 'localhost',
      port: 80,
    });
    expect(parseStripeApiBase('http://[::1]:9000')).toEqual({ protocol: 'http', host: '::1', port: 9000 });
  });

  it.each([
    'not a url',
    'ftp://host:21',
    'http://host:1/prefix',
    'http://host:1/?q=1',
    'http://user:pw@host:1',
  ])('rejects %s', (apiBase) => {
    expect(() => parseStripeApiBase(apiBase)).toThrow(StripeValidationError);
  });
});

describe('createStripeClient', () => {
  it('builds a client with two network retries', () => {
    const stripe = createStripeClient({ secretKey: 'sk_test_x', apiBase: 'http://127.0.0.1:8420' });
    expect(stripe).toBeInstanceOf(Stripe);
    expect(stripe.getMaxNetworkRetries()).toBe(2);
  });

  it('sends requests to the configured base', async () => {
    let seen: string | undefined;
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => {
      seen = `${req.method} ${req.url} ${req.headers.authorization}`;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'cus_1', object: 'customer', metadata: {} }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as { port: number };
      const stripe = createStripeClient({ secretKey: 'sk_test_x', apiBase: `http://127.0.0.1:${port}` });
      await stripe.customers.retrieve('cus_1');
      expect(seen).toBe('GET /v1/customers/cus_1 Bearer sk_test_x');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it.each(['', '   ', 'pk_test_publishable', 'whsec_x'])('rejects secret key %j', (secretKey) => {
    expect(() => createStripeClient({ secretKey })).toThrow(StripeValidationError);
  });
});

describe('Stripe from Config', () => {
  it('reads the key and optional base from the environment once, in loadConfig', () => {
    expect(
      loadConfig({ STRIPE_SECRET_KEY: 'sk_live_1', STRIPE_API_BASE: ' http://127.0.0.1:1 ' }),
    ).toMatchObject({ stripeSecretKey: 'sk_live_1', stripeApiBase: 'http://127.0.0.1:1' });
    expect(loadConfig({ STRIPE_SECRET_KEY: 'sk_live_1', STRIPE_API_BASE: '' })).toMatchObject({
      stripeSecretKey: 'sk_live_1',
      stripeApiBase: undefined,
    });
  });

  it('builds a client pointed at the configured base', () => {
    const stripe = stripeFromConfig(
      loadConfig({ STRIPE_SECRET_KEY: 'sk_test_1', STRIPE_API_BASE: 'http://127.0.0.1:8420' }),
    );
    expect(stripe).toBeInstanceOf(Stripe);
  });

  it('builds none without a key, so a worker without Stripe still runs generations', () => {
    expect(stripeFromConfig(loadConfig({}))).toBeUndefined();
  });

  it.each([
    [{ STRIPE_SECRET_KEY: 'pk_test_publishable' }, /secret \(sk_\) or restricted/],
    [{ STRIPE_SECRET_KEY: 'sk_test_1', STRIPE_API_BASE: 'ftp://127.0.0.1' }, /must be http\(s\)/],
    [{ STRIPE_SECRET_KEY: 'sk_test_1', STRIPE_API_BASE: 'http://h/v1' }, /bare origin/],
  ])('refuses %j at boot as a ConfigError', (env, message) => {
    expect(() => stripeFromConfig(loadConfig(env))).toThrow(ConfigError);
    expect(() => stripeFromConfig(loadConfig(env))).toThrow(message);
  });
});

describe('isRetryableStripeError', () => {
  it('retries transport and server failures only', () => {
    expect(isRetryableStripeError(new Stripe.errors.StripeConnectionError({ message: 'reset' }))).toBe(true);
    expect(isRetryableStripeError(new Stripe.errors.StripeAPIError({ message: '500' }))).toBe(true);
    expect(isRetryableStripeError(new Stripe.errors.StripeRateLimitError({ message: '429' }))).toBe(true);

    expect(isRetryableStripeError(new Stripe.errors.StripeCardError({ message: 'declined' }))).toBe(false);
    expect(isRetryableStripeError(new Stripe.errors.StripeInvalidRequestError({ message: 'bad' }))).toBe(
      false,
    );
    expect(isRetryableStripeError(new Stripe.errors.StripeIdempotencyError({ message: 'reused' }))).toBe(
      false,
    );
    expect(
      isRetryableStripeError(new PaymentDeclinedError('declined', { declineCode: 'card_declined' })),
    ).toBe(false);
    expect(isRetryableStripeError(new StripeValidationError('bad'))).toBe(false);
    expect(isRetryableStripeError(new InvalidSignatureError('signature_mismatch', 'forged'))).toBe(false);
  });
});
