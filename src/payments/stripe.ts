import { createStripeClient, stripeConfigFromEnv } from '../stripe/client';
import { createStripeGateway, type StripeGateway } from '../stripe/gateway';

/**
 * The gateway built from STRIPE_SECRET_KEY / STRIPE_API_BASE on first use, so a worker without Stripe
 * configured still starts and runs generations. A missing key is a plain (retryable) error rather than
 * the gateway's VALIDATION_FAILED: it is the operator's to fix, not the customer's request that is bad,
 * and a purchase caught by it resumes once the worker is configured.
 */
export function gatewayFromEnv(env: Record<string, string | undefined> = process.env): () => StripeGateway {
  let gateway: StripeGateway | undefined;
  return () => {
    if (gateway) return gateway;
    let config;
    try {
      config = stripeConfigFromEnv(env);
    } catch (err) {
      throw new Error(`Stripe is not configured: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    }
    gateway = createStripeGateway(createStripeClient(config));
    return gateway;
  };
}
