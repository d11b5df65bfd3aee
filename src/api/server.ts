import type { Client } from '@temporalio/client';
import { Type, type TObject } from 'typebox';
import { Ajv, type Options as AjvOptions } from 'ajv';
import fastifyCookie from '@fastify/cookie';
import Fastify, {
  type FastifyInstance,
  type FastifyServerOptions,
  type preValidationHookHandler,
} from 'fastify';
import {
  DEFAULT_AUTH_FAILURE_BURST,
  DEFAULT_AUTH_FAILURES_PER_SECOND,
  DEFAULT_ORG_RATE_LIMIT_BURST,
  DEFAULT_ORG_RATE_LIMIT_PER_SECOND,
  DEFAULT_RATE_LIMIT_BURST,
  DEFAULT_RATE_LIMIT_PER_SECOND,
  type Config,
} from '../config';
import type { BillingClient } from '../billing/client';
import type { Db } from '../db/pool';
import type { GenerationClient } from '../generations/client';
import type { WalletClient } from '../wallet/client';
import { ID_MAX_LENGTH } from '../credits/amounts';
import { DomainError } from '../errors';
import { isDateTime } from './date-time';
import { authenticate, requireScope, type AuthLimits } from './auth';
import { clientErrorHandler, frameworkErrorHandler, installErrorHandling, methodNotAllowed } from './errors';
import { apiLoggerOptions, installRequestLogging, newRequestId, type LogDestination } from './request-log';
import { buildOpenApiDocument } from './openapi';
import { installDashboardPages, isDashboardPage } from './dashboard-pages';
import { TokenBuckets } from './rate-limit';
import { refuseLoneSurrogates } from './text';
import type { ApiRoute } from './route';
import { auditRoutes } from './routes/audit';
import { billingRoutes } from './routes/billing';
import { creditRoutes } from './routes/credits';
import { dashboardSessionRoutes } from './routes/dashboard-session';
import { generationRoutes } from './routes/generations';
import { invoiceRoutes } from './routes/invoices';
import { projectRoutes } from './routes/projects';
import { creditPackRoutes } from './routes/credit-packs';
import { systemRoutes } from './routes/system';
import { usageRoutes } from './routes/usage';
import { walletRoutes } from './routes/wallet';
import { webhookRoutes, type WebhookRouteDeps } from './routes/webhooks';

export const DEFAULT_BODY_LIMIT_BYTES = 64 * 1024;

/**
 * The router's limit on a raw path parameter: the longest id the schemas allow, every character
 * percent-encoded as four UTF-8 bytes (`%F0%9F%98%80`). Anything the schema might accept reaches it and
 * is judged there; past this the router refuses (frameworkErrorHandler), and the schema would have too.
 */
const MAX_PARAM_LENGTH = ID_MAX_LENGTH * 4 * 3;

export interface ApiDeps {
  db: Db;
  generations: GenerationClient;
  /** Probed by /readyz; without it /readyz checks PostgreSQL only and reports temporal "not_configured". */
  temporalClient?: Client;
  /** Credit packs and the Stripe webhook; without it those routes are not served. */
  payments?: Omit<WebhookRouteDeps, 'db'> & { taskQueue: string };
  /**
   * The org-billing workflow's client: subscription changes (POST /v1/subscription/change, cancel, pause,
   * resume); without it those routes are not served. Reading, previewing and alerts need only `db`.
   */
  billing?: BillingClient;
  /**
   * The wallet workflow's client: the wallet routes that change it (top-ups, settings, withdrawals, the
   * spend ingest) nudge it, and are not served without it. GET /v1/wallet and its transactions need only
   * `db`.
   */
  wallet?: WalletClient;
  /**
   * The business time subscription previews are computed at, the wallet records at, usage events are
   * checked against and the upcoming invoice is previewed at; the wall clock unless a test pins it.
   */
  clock?: () => Date;
  /**
   * `loadConfig()` fits as is; unset values fall back to the defaults of src/config.ts, except logLevel:
   * without it (and without `logger`) the API logs nothing, as in tests.
   */
  config?: Partial<
    Pick<
      Config,
      | 'rateLimitPerSecond'
      | 'rateLimitBurst'
      | 'orgRateLimitPerSecond'
      | 'orgRateLimitBurst'
      | 'authFailuresPerSecond'
      | 'authFailureBurst'
      | 'trustProxy'
      | 'logLevel'
      | 'dashboardSessionTtlMs'
    >
  > & {
    bodyLimitBytes?: number;
    /** How long a card top-up waits for its charge to settle (default CARD_TOP_UP_WAIT_MS, 10 s). */
    topUpWaitMs?: number;
  };
  /** The dashboard's built app (default dashboard/dist of this repository; src/api/dashboard-pages.ts). */
  dashboardDir?: string;
  /** Where the log lines go when config.logLevel is set (default stdout); tests capture them here. */
  logStream?: LogDestination;
  logger?: FastifyServerOptions['logger'];
}

/**
 * Requests are validated exactly as written: no coercion ("100" is not a number) and no stripping of
 * unknown fields (they are errors). The one format requests use, `date-time`, is RFC 3339's.
 */
const AJV_OPTIONS: AjvOptions = {
  formats: { 'date-time': isDateTime },
  coerceTypes: false,
  removeAdditional: false,
  useDefaults: true,
  allErrors: true,
  strict: true,
};

const CANONICAL_INTEGER = /^-?(0|[1-9][0-9]*)$/;

/**
 * Query values all arrive as text, so `?limit=20` must become a number before `type: integer` can
 * hold. Only a plain decimal integer is converted; Ajv's own coercion would also accept `1e1`, `0x10`
 * or ` 20`, which no client means as a page size.
 */
function readQueryIntegers(schema: TObject | undefined): preValidationHookHandler | undefined {
  const properties = schema?.properties ?? {};
  const names = Object.keys(properties).filter((name) => Type.IsInteger(properties[name]));
  if (names.length === 0) return undefined;
  return async (request) => {
    const query = request.query as Record<string, unknown>;
    for (const name of names) {
      const value = query[name];
      if (typeof value === 'string' && CANONICAL_INTEGER.test(value)) query[name] = Number(value);
    }
  };
}

const registered = new WeakMap<FastifyInstance, { method: string; url: string }[]>();

/**
 * Every API route Fastify registered on an app built by buildApi (the OpenAPI test compares against it):
 * all but the dashboard's pages, which are not API operations.
 */
export function registeredRoutes(app: FastifyInstance): { method: string; url: string }[] {
  return (registered.get(app) ?? []).filter((r) => !isDashboardPage(r.url));
}

/** The API's rate limits from its configuration (defaults from src/config.ts). */
export function authLimitsOf(config: ApiDeps['config'] = {}): AuthLimits {
  return {
    perKey: new TokenBuckets({
      perSecond: config.rateLimitPerSecond ?? DEFAULT_RATE_LIMIT_PER_SECOND,
      burst: config.rateLimitBurst ?? DEFAULT_RATE_LIMIT_BURST,
    }),
    perOrg: new TokenBuckets({
      perSecond: config.orgRateLimitPerSecond ?? DEFAULT_ORG_RATE_LIMIT_PER_SECOND,
      burst: config.orgRateLimitBurst ?? DEFAULT_ORG_RATE_LIMIT_BURST,
    }),
    failuresPerClient: new TokenBuckets({
      perSecond: config.authFailuresPerSecond ?? DEFAULT_AUTH_FAILURES_PER_SECOND,
      burst: config.authFailureBurst ?? DEFAULT_AUTH_FAILURE_BURST,
    }),
  };
}

export function buildApi(deps: ApiDeps): FastifyInstance {
  const bodyLimit = deps.config?.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const logLevel = deps.config?.logLevel;
  const app = Fastify({
    logger: deps.logger ?? (logLevel ? apiLoggerOptions(logLevel, deps.logStream) : false),
    genReqId: newRequestId,
    bodyLimit,
    exposeHeadRoutes: false,
    // Answered in the one error shape by the onRequest hook below, not in Fastify's own.
    return503OnClosing: false,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
    trustProxy: deps.config?.trustProxy ?? false,
  });

  const ajv = new Ajv(AJV_OPTIONS);
  app.setValidatorCompiler(({ schema }) => ajv.compile(schema));

  const seen: { method: string; url: string }[] = [];
  registered.set(app, seen);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) seen.push({ method, url: route.url });
  });

  // Parses the Cookie header for every request (the dashboard's session); sets none by itself.
  void app.register(fastifyCookie);
  installErrorHandling(app, bodyLimit);
  installRequestLogging(app);
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (_request, reply) => {
    if (!closing) return;
    reply.header('connection', 'close');
    throw new DomainError('NOT_READY', 'this API process is shutting down; retry', { retryAfterSeconds: 1 });
  });
  app.addHook(
    'onRequest',
    methodNotAllowed(() => seen),
  );
  // JSON only: Fastify would otherwise hand a text/plain body to the schema as a string.
  app.removeContentTypeParser('text/plain');

  const limits = authLimitsOf(deps.config);
  const onAuth = authenticate(deps.db, limits);
  const onAuthWithCredits = authenticate(deps.db, limits, { withCredits: true });
  const onSession = authenticate(deps.db, limits, { sessionOnly: true });
  const onAuthOf = (auth: ApiRoute['auth']) =>
    auth === 'with-credits' ? onAuthWithCredits : auth === 'session' ? onSession : onAuth;

  let openApi: Record<string, unknown> | undefined;
  const routes: ApiRoute[] = [
    ...systemRoutes({
      db: deps.db,
      temporalClient: deps.temporalClient,
      openApiDocument: () => (openApi ??= buildOpenApiDocument(routes)),
    }),
    ...creditRoutes({ db: deps.db, clock: deps.clock }),
    ...dashboardSessionRoutes({
      db: deps.db,
      limits,
      sessionTtlMs: deps.config?.dashboardSessionTtlMs,
    }),
    ...generationRoutes({ db: deps.db, generations: deps.generations }),
    ...billingRoutes({ db: deps.db, billing: deps.billing, clock: deps.clock }),
    ...walletRoutes({
      db: deps.db,
      wallet: deps.wallet,
      clock: deps.clock,
      topUpWaitMs: deps.config?.topUpWaitMs,
    }),
    ...usageRoutes({ db: deps.db, clock: deps.clock }),
    ...auditRoutes({ db: deps.db }),
    ...invoiceRoutes({ db: deps.db, clock: deps.clock }),
    ...projectRoutes({ db: deps.db }),
    ...(deps.payments ? creditPackRoutes({ db: deps.db, ...deps.payments }) : []),
    ...(deps.payments ? webhookRoutes({ db: deps.db, ...deps.payments }) : []),
  ];
  const options = (route: ApiRoute) => ({
    method: route.method,
    url: route.url,
    ...(route.bodyLimit === undefined ? {} : { bodyLimit: route.bodyLimit }),
    schema: route.schema,
    onRequest: route.auth ? [onAuthOf(route.auth), ...(route.scope ? [requireScope(route.scope)] : [])] : [],
    preValidation: [refuseLoneSurrogates, readQueryIntegers(route.schema.querystring)].filter(
      (hook): hook is preValidationHookHandler => hook !== undefined,
    ),
    handler: route.handler,
  });
  for (const route of routes.filter((r) => !r.rawBody)) app.route(options(route));
  // Raw-body routes live in a scope of their own whose JSON parser keeps the bytes as they came.
  void app.register(async (scope) => {
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) =>
      done(null, body),
    );
    for (const route of routes.filter((r) => r.rawBody)) scope.route(options(route));
  });
  installDashboardPages(app, {
    db: deps.db,
    dir: deps.dashboardDir,
    sessionTtlMs: deps.config?.dashboardSessionTtlMs,
  });
  return app;
}
