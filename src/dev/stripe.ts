import type Stripe from 'stripe';
import { createStripeClient } from '../stripe/client';
import { startLocalStripe } from './localstripe';

/**
 * Dev mode only: a local Stripe-compatible server (localstripe from .tools, behind the same loopback
 * shim the tests use for its gaps) and a Stripe instance pointed at it, which dev mode hands to the
 * worker like any other; production code never knows which Stripe it talks to.
 */
export async function startDevStripe(): Promise<{ apiBase: string; stripe: Stripe; stop(): Promise<void> }> {
  const ls = await startLocalStripe();
  const stripe = createStripeClient({ secretKey: ls.secretKey, apiBase: ls.apiBase });
  return { apiBase: ls.apiBase, stripe, stop: () => ls.stop() };
}
