/**
 * Configuration comes from the environment only, read once. Unset DATABASE_URL / TEMPORAL_ADDRESS mean
 * "embedded defaults" to `npm run dev` and are an error for the production entries.
 */
export interface Config {
  databaseUrl: string | undefined;
  temporalAddress: string | undefined;
  temporalNamespace: string;
  taskQueue: string;
  /** How long a generation may hold its reservation before a durable timer releases it. */
  holdTimeoutMs: number;
  port: number;
  /**
   * Per API key, per process: a token bucket refilled at this rate. With N API processes behind a load
   * balancer a key may get up to N times this.
   */
  rateLimitPerSecond: number;
  /** The bucket's size: how many requests a key may send at once after being idle. */
  rateLimitBurst: number;
  /** Signing secret of the Stripe webhook endpoint (whsec_…); without it webhooks are refused. */
  stripeWebhookSecret: string | undefined;
}

/** A missing or malformed setting: the entry points print its message as one line and exit 2. */
export class ConfigError extends Error {}

const DEFAULT_HOLD_TIMEOUT_MS = 60 * 60 * 1000;
export const DEFAULT_RATE_LIMIT_PER_SECOND = 50;
export const DEFAULT_RATE_LIMIT_BURST = 100;

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new ConfigError(`${name} must be a positive integer, got "${raw}"`);
  return n;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    databaseUrl: env.DATABASE_URL || undefined,
    temporalAddress: env.TEMPORAL_ADDRESS || undefined,
    temporalNamespace: env.TEMPORAL_NAMESPACE || 'default',
    taskQueue: env.TEMPORAL_TASK_QUEUE || 'billing',
    holdTimeoutMs: positiveInt('HOLD_TIMEOUT_MS', env.HOLD_TIMEOUT_MS, DEFAULT_HOLD_TIMEOUT_MS),
    port: positiveInt('PORT', env.PORT, 3000),
    stripeWebhookSecret: env.STRIPE_WEBHOOK_SECRET || undefined,
    rateLimitPerSecond: positiveInt(
      'RATE_LIMIT_PER_SECOND',
      env.RATE_LIMIT_PER_SECOND,
      DEFAULT_RATE_LIMIT_PER_SECOND,
    ),
    rateLimitBurst: positiveInt('RATE_LIMIT_BURST', env.RATE_LIMIT_BURST, DEFAULT_RATE_LIMIT_BURST),
  };
}

export function requireSetting(name: string, value: string | undefined): string {
  if (!value) throw new ConfigError(`${name} is not set (it is required outside \`npm run dev\`)`);
  return value;
}
