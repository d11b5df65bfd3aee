import { createStripeClient } from '../stripe/client';
import { createStripeGateway, type StripeGateway } from '../stripe/gateway';
import { startLocalStripe } from '../../test/support/localstripe';

/**
 * Dev mode only: a local Stripe-compatible server (localstripe from .tools, behind the same loopback
 * shim the tests use for its gaps). The payment activities read STRIPE_SECRET_KEY / STRIPE_API_BASE,
 * so setting them here points the worker at it; production code never knows which Stripe it talks to.
 */
export async function startDevStripe(): Promise<{
  apiBase: string;
  gateway: StripeGateway;
  stop(): Promise<void>;
}> {
  const ls = await startLocalStripe();
  process.env.STRIPE_SECRET_KEY = ls.secretKey;
  process.env.STRIPE_API_BASE = ls.apiBase;
  const gateway = createStripeGateway(createStripeClient({ secretKey: ls.secretKey, apiBase: ls.apiBase }));
  return { apiBase: ls.apiBase, gateway, stop: () => ls.stop() };
}
