import Stripe from 'stripe';
import { ConfigError, type Config } from '../config';
import { StripeValidationError } from './errors';

export interface StripeClientConfig {
  secretKey: string;
  /** Override of the API origin, e.g. `http://127.0.0.1:8420`. Unset means api.stripe.com. */
  apiBase?: string | undefined;
  /** Defaults to 2; every mutating call carries our own idempotency key, so retries cannot double-apply. */
  maxNetworkRetries?: number;
  timeoutMs?: number;
}

export interface StripeApiAddress {
  protocol: 'http' | 'https';
  host: string;
  port: number;
}

export function parseStripeApiBase(apiBase: string): StripeApiAddress {
  let url: URL;
  try {
    url = new URL(apiBase);
  } catch {
    throw new StripeValidationError(`STRIPE_API_BASE is not a valid URL: ${apiBase}`, { apiBase });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new StripeValidationError(`STRIPE_API_BASE must be http(s): ${apiBase}`, { apiBase });
  }
  // The SDK always requests `/v1/...` from the origin, so a path prefix would be silently dropped.
  if (
    (url.pathname !== '/' && url.pathname !== '') ||
    url.search ||
    url.hash ||
    url.username ||
    url.password
  ) {
    throw new StripeValidationError(`STRIPE_API_BASE must be a bare origin: ${apiBase}`, { apiBase });
  }
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  const port = url.port ? Number(url.port) : protocol === 'http' ? 80 : 443;
  // Node's http.request wants a bare IPv6 literal, URL keeps the brackets.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { protocol, host, port };
}

export function createStripeClient(config: StripeClientConfig): Stripe {
  const secretKey = config.secretKey?.trim();
  if (!secretKey || !/^(sk|rk)_/.test(secretKey)) {
    // Publishable keys (pk_) would authenticate nothing server-side; fail at boot rather than on first charge.
    throw new StripeValidationError('STRIPE_SECRET_KEY must be a secret (sk_) or restricted (rk_) key');
  }
  const address = config.apiBase ? parseStripeApiBase(config.apiBase) : undefined;
  return new Stripe(secretKey, {
    maxNetworkRetries: config.maxNetworkRetries ?? 2,
    ...(config.timeoutMs !== undefined ? { timeout: config.timeoutMs } : {}),
    ...(address ? { host: address.host, port: address.port, protocol: address.protocol } : {}),
  });
}

/**
 * The Stripe instance the entry points hand to the worker, from Config: none when STRIPE_SECRET_KEY is
 * unset, so a worker without Stripe still starts and runs generations. A malformed key or base is the
 * operator's to fix before anything runs, so it is a ConfigError (one line, exit 2), not a failed charge.
 */
export function stripeFromConfig(
  config: Pick<Config, 'stripeSecretKey' | 'stripeApiBase'>,
): Stripe | undefined {
  if (!config.stripeSecretKey) return undefined;
  try {
    return createStripeClient({ secretKey: config.stripeSecretKey, apiBase: config.stripeApiBase });
  } catch (err) {
    if (err instanceof StripeValidationError) throw new ConfigError(err.message);
    throw err;
  }
}
