import { spawn } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, sha256 } from '../../src/auth/api-keys';
import { grantCredits } from '../../src/credits/ledger';
import { findDrift } from '../../src/credits/reconcile';
import { orgWithCard, type PaymentsHarness } from '../credit-packs/support';
import { signIn, type DashboardSession } from '../support/dashboard';
import { NO_RATE_LIMITS } from '../support/fixtures';
import { agencyQuarter } from './invoice-support';
import { startPaymentsApi, type PaymentsApi } from './payments-api';
import { walletOrg } from './wallet-support';

/**
 * The API answers exactly what /v1/openapi.json says: schemathesis (from .tools, scripts/install-tools.sh)
 * generates requests from the published document, valid and invalid, and runs every check it has
 * against a real listening API over real PostgreSQL, Temporal and localstripe. Every check is on (see
 * test/api/schemathesis.toml for the three exceptions and why); any failure fails the test with
 * schemathesis's report.
 */
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ST = path.join(REPO_ROOT, '.tools', 'venv', 'bin', 'st');
const CONFIG = path.join(REPO_ROOT, 'test', 'api', 'schemathesis.toml');
const WEBHOOK_SECRET = 'whsec_test_contract';
/** Per operation and phase: about 4,800 requests in 1–2 minutes. The fixed seed makes runs repeatable. */
const MAX_EXAMPLES = 100;
const SEED = 20261121;

let api: PaymentsApi;
let h: PaymentsHarness;
let apiKey: string;
let billingKey: string;
let subscriberId: string;
let walletKey: string;
let spendKey: string;
let invoiceKey: string;
/** A dashboard session of the first org, for the session's own routes. */
let session: DashboardSession;

beforeAll(async () => {
  accessSync(ST, fsConstants.X_OK); // installed by scripts/install-tools.sh (npm install does it)
  // Schemathesis sends many requests with one key; the rate limit has tests of its own.
  // A card top-up answers after its wait at the latest: kept short, schemathesis sends many.
  api = await startPaymentsApi({
    webhookSecret: WEBHOOK_SECRET,
    config: { ...NO_RATE_LIMITS, topUpWaitMs: 200 },
  });
  h = api.h;
  // A paying org with a card and plenty of credits, so that valid requests are answered as valid.
  const org = await orgWithCard(h, { tier: 'max', card: 'pm_card_visa' });
  await grantCredits(h.t.db, {
    orgId: org.orgId,
    bucket: 'prepaid',
    credits: 100_000_000,
    idempotencyKey: `contract:${org.orgId}`,
  });
  apiKey = (await createApiKey(h.t.db, org.orgId)).apiKey;
  // The subscription changes run on an org of their own (test/api/schemathesis.toml): pausing or
  // canceling it must not make the first org's valid generations 402 SUBSCRIPTION_INACTIVE.
  const subscriber = await orgWithCard(h, { tier: 'max', card: 'pm_card_visa' });
  billingKey = (await createApiKey(h.t.db, subscriber.orgId)).apiKey;
  subscriberId = subscriber.orgId;
  for (const orgId of [org.orgId, subscriber.orgId]) await api.startBilling(orgId);
  // The wallet routes run on an agency org of their own (test/api/schemathesis.toml): a pro org, which
  // may top up by ACH, with a card and money to withdraw; the spend ingest with its wallet:spend key.
  const agency = await walletOrg(h, { tier: 'pro', balanceCents: 100_000_000, card: 'pm_card_visa' });
  walletKey = agency.apiKey;
  spendKey = agency.spendKey;
  // The invoice routes run on an org with issued invoices (test/api/schemathesis.toml), so that an
  // invoice is answered as JSON, PDF and CSV, not only 404 for every number schemathesis makes up.
  invoiceKey = (await agencyQuarter(h.t.db)).apiKey;
  // The session's own routes take its cookie, not a key (test/api/schemathesis.toml).
  const dashboardKey = (await createApiKey(h.t.db, org.orgId, { scopes: ['dashboard'] })).apiKey;
  session = await signIn(api.baseUrl, dashboardKey);
});

afterAll(async () => {
  if (h) expect(await findDrift(h.t.db)).toEqual([]);
  await api?.stop();
});

function schemathesis(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(ST, ['--config-file', CONFIG, 'run', ...args], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        NO_COLOR: '1',
        SCHEMATHESIS_TELEMETRY: 'false',
        CONTRACT_BILLING_KEY: billingKey,
        CONTRACT_WALLET_KEY: walletKey,
        CONTRACT_SPEND_KEY: spendKey,
        CONTRACT_INVOICE_KEY: invoiceKey,
        CONTRACT_SESSION_TOKEN: session.cookie.slice('lb_session='.length),
        CONTRACT_SESSION_CSRF: session.csrfToken,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('GET /v1/openapi.json', () => {
  it('is what the API answers: schemathesis finds no failure with every check', async () => {
    const started = Date.now();
    const { code, output } = await schemathesis([
      `${api.baseUrl}/v1/openapi.json`,
      '--header',
      `Authorization: Bearer ${apiKey}`,
      '--max-examples',
      String(MAX_EXAMPLES),
      '--seed',
      String(SEED),
      '--workers',
      '1',
      // A request that hangs is a failure to report, not a reason for the run to hang.
      '--request-timeout',
      '20',
      // No example database in the work tree: every run is the seed's, not a replay of earlier ones.
      '--generation-database',
      'none',
      '--no-color',
    ]);
    console.log(`schemathesis ran ${((Date.now() - started) / 1000).toFixed(0)} s\n${output}`);
    expect(code, output).toBe(0);
    // The subscription changes were exercised for real: some were applied, not only refused.
    const applied = await h.t.db
      .selectFrom('idempotency_keys')
      .select(['response_status'])
      .where('org_id', '=', subscriberId)
      .where('status', '=', 'completed')
      .execute();
    expect(applied.filter((r) => r.response_status === 200).length).toBeGreaterThan(0);
    // The dashboard session was used for real: its sign-out succeeded and ended it.
    const left = await h.t.db
      .selectFrom('dashboard_sessions')
      .select('org_id')
      .where('token_hash', '=', sha256(session.cookie.slice('lb_session='.length)))
      .execute();
    expect(left).toEqual([]);
  }, 600_000);
});
