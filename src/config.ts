import { DEFAULT_ENGINE_TIMEOUT_MS } from './generations/deadline';

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
  /**
   * How long the API waits for the engine (Temporal and a worker) before answering 503
   * ENGINE_UNAVAILABLE; a generation not reached within it reserves nothing (src/generations/deadline.ts).
   */
  engineTimeoutMs: number;
  port: number;
  /**
   * Per API key, per process: a token bucket refilled at this rate. With N API processes behind a load
   * balancer a key may get up to N times this.
   */
  rateLimitPerSecond: number;
  /** The bucket's size: how many requests a key may send at once after being idle. */
  rateLimitBurst: number;
  /** Per org (all its keys together), per process: the same kind of bucket as per key. */
  orgRateLimitPerSecond: number;
  orgRateLimitBurst: number;
  /**
   * Per client address, per process: failed authentications allowed per second once the burst is
   * spent; past that the client gets 429 before any key lookup (a key-guessing flood costs no queries).
   */
  authFailuresPerSecond: number;
  /** How many failed authentications a client address may make at once. */
  authFailureBurst: number;
  /** Trust X-Forwarded-For from the proxy in front (then limits apply per real client, not per proxy). */
  trustProxy: boolean;
  /** Stripe secret key (sk_…/rk_…); unset, the worker runs without Stripe and credit packs wait for it. */
  stripeSecretKey: string | undefined;
  /** Origin of the Stripe API (e.g. a localstripe); unset means api.stripe.com. */
  stripeApiBase: string | undefined;
  /** Signing secret of the Stripe webhook endpoint (whsec_…); without it webhooks are refused. */
  stripeWebhookSecret: string | undefined;
  /** The API's log level (LOG_LEVEL); see src/api/request-log.ts for what each level shows. */
  logLevel: LogLevel;
  /** How long a dashboard session lasts from sign-in (DASHBOARD_SESSION_TTL_MS, default 12 h). */
  dashboardSessionTtlMs: number;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/**
 * Production logs every refused (4xx, warn) and failed (5xx, error) request and nothing per successful
 * one: at thousands of requests per second a line per request costs more than it tells. `npm run dev`
 * defaults to `info`, which adds Fastify's line per request.
 */
export const DEFAULT_LOG_LEVEL: LogLevel = 'warn';
export const DEV_LOG_LEVEL: LogLevel = 'info';

function logLevel(raw: string | undefined, fallback: LogLevel): LogLevel {
  if (raw === undefined || raw === '') return fallback;
  const level = raw.toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new Error(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${raw}"`);
  }
  return level as LogLevel;
}

/** A missing or malformed setting: the entry points print its message as one line and exit 2. */
export class ConfigError extends Error {}

const DEFAULT_HOLD_TIMEOUT_MS = 60 * 60 * 1000;
/** A working day: a dashboard left open overnight asks to sign in again. */
export const DEFAULT_DASHBOARD_SESSION_TTL_MS = 12 * 60 * 60 * 1000;
// A pipeline that starts and completes 100 generations a second sends 200 requests a second on one key;
// that is ordinary use, not abuse. An org may spread more over several keys, up to its own bucket.
export const DEFAULT_RATE_LIMIT_PER_SECOND = 200;
export const DEFAULT_RATE_LIMIT_BURST = 400;
export const DEFAULT_ORG_RATE_LIMIT_PER_SECOND = 500;
export const DEFAULT_ORG_RATE_LIMIT_BURST = 1000;
export const DEFAULT_AUTH_FAILURES_PER_SECOND = 2;
export const DEFAULT_AUTH_FAILURE_BURST = 20;

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new ConfigError(`${name} must be a positive integer, got "${raw}"`);
  return n;
}

export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  defaults: { logLevel?: LogLevel } = {},
): Config {
  return {
    databaseUrl: env.DATABASE_URL || undefined,
    temporalAddress: env.TEMPORAL_ADDRESS || undefined,
    temporalNamespace: env.TEMPORAL_NAMESPACE || 'default',
    taskQueue: env.TEMPORAL_TASK_QUEUE || 'billing',
    holdTimeoutMs: positiveInt('HOLD_TIMEOUT_MS', env.HOLD_TIMEOUT_MS, DEFAULT_HOLD_TIMEOUT_MS),
    engineTimeoutMs: positiveInt('ENGINE_TIMEOUT_MS', env.ENGINE_TIMEOUT_MS, DEFAULT_ENGINE_TIMEOUT_MS),
    port: positiveInt('PORT', env.PORT, 3000),
    stripeSecretKey: env.STRIPE_SECRET_KEY || undefined,
    stripeApiBase: env.STRIPE_API_BASE?.trim() || undefined,
    stripeWebhookSecret: env.STRIPE_WEBHOOK_SECRET || undefined,
    rateLimitPerSecond: positiveInt(
      'RATE_LIMIT_PER_SECOND',
      env.RATE_LIMIT_PER_SECOND,
      DEFAULT_RATE_LIMIT_PER_SECOND,
    ),
    rateLimitBurst: positiveInt('RATE_LIMIT_BURST', env.RATE_LIMIT_BURST, DEFAULT_RATE_LIMIT_BURST),
    orgRateLimitPerSecond: positiveInt(
      'RATE_LIMIT_ORG_PER_SECOND',
      env.RATE_LIMIT_ORG_PER_SECOND,
      DEFAULT_ORG_RATE_LIMIT_PER_SECOND,
    ),
    orgRateLimitBurst: positiveInt(
      'RATE_LIMIT_ORG_BURST',
      env.RATE_LIMIT_ORG_BURST,
      DEFAULT_ORG_RATE_LIMIT_BURST,
    ),
    authFailuresPerSecond: positiveInt(
      'AUTH_FAILURES_PER_SECOND',
      env.AUTH_FAILURES_PER_SECOND,
      DEFAULT_AUTH_FAILURES_PER_SECOND,
    ),
    authFailureBurst: positiveInt('AUTH_FAILURE_BURST', env.AUTH_FAILURE_BURST, DEFAULT_AUTH_FAILURE_BURST),
    trustProxy: env.TRUST_PROXY === 'true' || env.TRUST_PROXY === '1',
    logLevel: logLevel(env.LOG_LEVEL, defaults.logLevel ?? DEFAULT_LOG_LEVEL),
    dashboardSessionTtlMs: positiveInt(
      'DASHBOARD_SESSION_TTL_MS',
      env.DASHBOARD_SESSION_TTL_MS,
      DEFAULT_DASHBOARD_SESSION_TTL_MS,
    ),
  };
}

export function requireSetting(name: string, value: string | undefined): string {
  if (!value) throw new ConfigError(`${name} is not set (it is required outside \`npm run dev\`)`);
  return value;
}
