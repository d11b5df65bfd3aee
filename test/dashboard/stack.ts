import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createApiKey } from '../../src/auth/api-keys';
import { createBillingClient, type BillingClient } from '../../src/billing/client';
import type { Db } from '../../src/db/pool';
import { createStripeClient } from '../../src/stripe/client';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { devPorts, groupAlive, startDev, type DevPorts, type DevRun } from '../support/dev-mode';
import { callApi, type ApiResponse, type CallOptions } from '../support/api';
import type Stripe from 'stripe';

/**
 * The dashboard's browser tests run against `npm run dev` itself (src/dev/main.ts: the Temporal dev
 * server, localstripe, the worker and the API serving dashboard/dist), on free ports, over a database of
 * the test file's own, and drive the system Chromium through playwright-core. One stack and one browser
 * per test file; each test opens its own browser context (its own cookies).
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIST_INDEX = join(ROOT, 'dashboard/dist/index.html');
export const SCREENSHOTS = join(ROOT, 'test-results/screenshots');

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * `npm run build` when dashboard/dist is missing (a fresh clone whose install did not build it) or older
 * than the app's sources (a change not built yet): the tests check the app as it is in the tree.
 */
export function ensureDashboardBuilt(): void {
  const sources = Math.max(
    newestMtime(join(ROOT, 'dashboard/src')),
    statSync(join(ROOT, 'dashboard/index.html')).mtimeMs,
    statSync(join(ROOT, 'dashboard/vite.config.ts')).mtimeMs,
  );
  if (existsSync(DIST_INDEX) && statSync(DIST_INDEX).mtimeMs >= sources) return;
  // NODE_ENV is vitest's `test` here, which would make Vite bundle React's development build.
  const env = { ...process.env, NODE_ENV: 'production' };
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'pipe', env });
}

export interface DashboardStack {
  /** The API (and the dashboard under /dashboard/), e.g. http://127.0.0.1:41234 */
  baseUrl: string;
  db: Db;
  /** A client of the stack's Temporal dev server, and the billing client on its task queue. */
  temporal: Client;
  billing: BillingClient;
  /** The stack's localstripe, to attach cards as the org's customer would have. */
  stripe: Stripe;
  /** What `npm run dev` printed: its banner. */
  output(): string;
  demo: { orgId: string; apiKey: string; signInLink: string };
  browser: Browser;
  /**
   * A fresh browser context (own cookies) at the given size, its first page, and what the page reported
   * as errors: uncaught exceptions and console errors (a Content-Security-Policy refusal is one), less
   * the browser's own line for each HTTP error answer, which the app handles.
   */
  newPage(viewport?: {
    width: number;
    height: number;
  }): Promise<{ context: BrowserContext; page: Page; errors: string[] }>;
  call(method: string, path: string, opts?: CallOptions): Promise<ApiResponse>;
  /** A key of the org with the dashboard scope. */
  dashboardKey(orgId: string): Promise<string>;
  close(): Promise<void>;
}

const banner = (out: string, label: string): string => {
  const match = new RegExp(`\\[dev\\] ${label}\\s+(\\S+)`).exec(out);
  if (!match) throw new Error(`npm run dev printed no "${label}" line:\n${out}`);
  return match[1]!;
};

export async function startDashboardStack(): Promise<DashboardStack> {
  ensureDashboardBuilt();
  const t: TestDatabase = await createTestDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'layers-dashboard-'));
  const ports: DevPorts = await devPorts();
  const run: DevRun = startDev(dataDir, ports, {
    via: 'node',
    env: { DATABASE_URL: t.url, LOG_LEVEL: 'warn' },
  });
  let browser: Browser | undefined;
  let connection: Connection | undefined;
  const stop = async () => {
    await browser?.close().catch(() => undefined);
    await connection?.close().catch(() => undefined);
    if (groupAlive(run.child.pid!)) {
      process.kill(-run.child.pid!, 'SIGTERM');
      const stopped = await Promise.race([
        run.closed.then(() => true),
        new Promise<false>((r) => setTimeout(() => r(false), 30_000)),
      ]);
      if (!stopped && groupAlive(run.child.pid!)) process.kill(-run.child.pid!, 'SIGKILL');
    }
    await t.close();
    rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    await run.waitFor('[dev] ready', 150_000);
    const out = run.output();
    const baseUrl = `http://127.0.0.1:${ports.PORT}`;
    connection = await Connection.connect({ address: `127.0.0.1:${ports.DEV_TEMPORAL_PORT}` });
    const temporal = new Client({ connection, namespace: 'default' });
    const billing = createBillingClient({ client: temporal, taskQueue: 'billing' });
    const stripe = createStripeClient({
      secretKey: 'sk_test_localstripe',
      apiBase: banner(out, 'local Stripe'),
    });
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    const launched = browser;
    mkdirSync(SCREENSHOTS, { recursive: true });
    return {
      baseUrl,
      db: t.db,
      temporal,
      billing,
      stripe,
      output: run.output,
      demo: {
        orgId: banner(out, 'demo org'),
        apiKey: banner(out, 'demo API key'),
        signInLink: banner(out, 'dashboard sign-in'),
      },
      browser: launched,
      async newPage(viewport = DESKTOP) {
        const context = await launched.newContext({ viewport, baseURL: baseUrl, acceptDownloads: true });
        const page = await context.newPage();
        const errors: string[] = [];
        page.on('pageerror', (err) => errors.push(`uncaught: ${err.message}`));
        page.on('console', (msg) => {
          if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource'))
            errors.push(msg.text());
        });
        return { context, page, errors };
      },
      call: (method, path, opts) => callApi(baseUrl, method, path, opts),
      dashboardKey: async (orgId) => (await createApiKey(t.db, orgId, { scopes: ['dashboard'] })).apiKey,
      close: stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
