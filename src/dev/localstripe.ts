// A real localstripe process (stateful fake Stripe) behind a small loopback
// proxy, for `npm run dev` and the tests. Code pointed at the proxy (its
// Stripe instance built with this apiBase) never learns it is not talking to
// Stripe. It lives in src/ because dev mode starts it; tests import it from here.
//
// The proxy exists because localstripe (1.15.x) differs from the Stripe API in
// ways that would otherwise force test-only branches into src/. Each shim
// moves localstripe toward real Stripe behaviour; none relaxes it:
//
// - Idempotency-Key: localstripe ignores the header. The proxy emulates Stripe:
//   the first result of a POST is stored per key (2xx and 402 responses, like
//   Stripe, which does not store validation failures), replayed with
//   `Idempotent-Replayed: true`, and reuse with different parameters returns
//   400 `idempotency_error`. Disable with `emulateIdempotency: false` to test
//   the lookups that protect us after Stripe's 24h key expiry.
// - POST /v1/payment_intents: localstripe rejects `description` and
//   `automatic_payment_methods[...]` ("Unexpected ..."). They are stripped;
//   neither changes the outcome of a card charge.
// - GET /v1/payment_intents: localstripe rejects the `customer` filter and
//   lists oldest-first. The proxy fetches the whole list, filters by customer,
//   orders newest-first and applies `limit`/`starting_after` like Stripe.
// - GET /v1/payment_methods: localstripe lists only `type=card` and answers 400
//   to any other type. The proxy answers other types itself, from the payment
//   methods attached through it (each looked up again, so a detach shows):
//   newest attach first, filtered by customer and type, `limit` applied. A type
//   localstripe cannot create (`us_bank_account`) is an empty list, as Stripe
//   answers for a customer without one.
// - Bank debits (`sepa_debit`, `us_bank_account`) with `holdBankDebits`: localstripe
//   settles them at once; Stripe keeps them `processing` for 1–3 business days and
//   then decides. The proxy answers such a PaymentIntent as `processing` (its charge
//   `pending`) until `settleBankDebit` decides it, as the bank would: `succeeded`
//   shows localstripe's own object again, `failed` shows `requires_payment_method`
//   with the return's `last_payment_error`. Off by default, so `npm run dev`'s ACH
//   top-ups still settle by themselves.
//
// Not shimmed (tests must not depend on them): one-off invoices (localstripe can
// only invoice subscriptions and has no /finalize route), Search API routes,
// `decline_code` and `payment_intent` on card errors (localstripe only sends `code`).
//
// localstripe always pickles its store to /tmp/localstripe.pickle; we pass
// --from-scratch so a process never loads another run's state.

import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { TOOLS_BIN } from '../temporal/executables';
import { freePort } from './ports';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Form-encoded body as flat `key[sub]=value` pairs, before any shim. */
  params: Record<string, string>;
  idempotencyKey: string | undefined;
  status: number;
  replayed: boolean;
}

export interface LocalStripe {
  /** Base URL of the proxy; pass as STRIPE_API_BASE. */
  apiBase: string;
  /** Base URL of localstripe itself (no shims), for inspection. */
  upstreamBase: string;
  secretKey: string;
  /** Every request that went through the proxy, in arrival order. */
  requests: RecordedRequest[];
  /** With `holdBankDebits`: the bank decides a held PaymentIntent; later reads show the outcome. */
  settleBankDebit(paymentIntentId: string, outcome: 'succeeded' | 'failed'): void;
  /** With `holdBankDebits`: the bank-debit PaymentIntents still held `processing`, oldest first. */
  heldBankDebits(): string[];
  stop(): Promise<void>;
}

export interface StartLocalStripeOptions {
  emulateIdempotency?: boolean;
  /** Hold bank-debit PaymentIntents `processing` until `settleBankDebit`, as Stripe does. */
  holdBankDebits?: boolean;
  startupTimeoutMs?: number;
}

const SECRET_KEY = 'sk_test_localstripe';

/** The one scripts/install-tools.sh installs, else whichever `localstripe` is on PATH. */
export function resolveLocalStripeBinary(): string {
  const venvBinary = `${TOOLS_BIN}localstripe`;
  try {
    accessSync(venvBinary, fsConstants.X_OK);
    return venvBinary;
  } catch {
    return 'localstripe';
  }
}

export async function startLocalStripe(options: StartLocalStripeOptions = {}): Promise<LocalStripe> {
  const timeoutMs = options.startupTimeoutMs ?? 20_000;
  let lastError: unknown;
  // Another process can grab the port between freePort() and localstripe's bind.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const child = spawn(resolveLocalStripeBinary(), ['--port', String(port), '--from-scratch'], {
      cwd: os.tmpdir(),
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, PYTHONUNBUFFERED: '1' },
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      // aiohttp logs every request on stderr; keep only the tail for diagnostics.
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    const upstreamBase = `http://127.0.0.1:${port}`;
    try {
      await waitUntilServing(child, upstreamBase, timeoutMs, () => stderr);
    } catch (err) {
      lastError = err;
      await killProcess(child);
      continue;
    }
    try {
      const proxy = await startProxy(upstreamBase, {
        emulateIdempotency: options.emulateIdempotency ?? true,
        holdBankDebits: options.holdBankDebits ?? false,
      });
      return {
        apiBase: proxy.base,
        upstreamBase,
        secretKey: SECRET_KEY,
        requests: proxy.requests,
        settleBankDebit: (id, outcome) => proxy.bankDebits.settle(id, outcome),
        heldBankDebits: () => proxy.bankDebits.held(),
        async stop() {
          await proxy.close();
          await killProcess(child);
        },
      };
    } catch (err) {
      await killProcess(child);
      throw err;
    }
  }
  throw new Error(`localstripe did not start: ${String(lastError)}`);
}

async function waitUntilServing(
  child: ChildProcess,
  base: string,
  timeoutMs: number,
  logs: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: string | null = null;
  child.once('exit', (code, signal) => {
    exited = `exited with ${code ?? signal}`;
  });
  child.once('error', (err) => {
    exited = `failed to spawn: ${err.message}`;
  });
  while (Date.now() < deadline) {
    if (exited) throw new Error(`localstripe ${exited}\n${logs()}`);
    try {
      const res = await fetch(`${base}/v1/customers?limit=1`, {
        headers: { Authorization: `Bearer ${SECRET_KEY}` },
        signal: AbortSignal.timeout(1000),
      });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`localstripe did not answer within ${timeoutMs}ms\n${logs()}`);
}

async function killProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

interface UpstreamResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

interface StoredResult {
  fingerprint: string;
  response: Promise<UpstreamResponse>;
}

const STRIPPED_PARAMS: Array<{ method: string; path: RegExp; drop: (key: string) => boolean }> = [
  {
    method: 'POST',
    path: /^\/v1\/payment_intents$/,
    drop: (key) => key === 'description' || key.startsWith('automatic_payment_methods['),
  },
];

async function startProxy(
  upstreamBase: string,
  options: { emulateIdempotency: boolean; holdBankDebits: boolean },
): Promise<{ base: string; requests: RecordedRequest[]; bankDebits: BankDebits; close(): Promise<void> }> {
  const { emulateIdempotency } = options;
  const requests: RecordedRequest[] = [];
  const bankDebits = new BankDebits();
  const idempotencyStore = new Map<string, StoredResult>();
  /** Payment methods attached through the proxy, oldest first: what non-card lists are answered from. */
  const attached: string[] = [];

  const server = http.createServer((req, res) => {
    void (async () => {
      const body = await readAll(req);
      const method = req.method ?? 'GET';
      const url = new URL(req.url ?? '/', 'http://proxy.invalid');
      const idempotencyKey = headerValue(req.headers['idempotency-key']);
      const record: RecordedRequest = {
        method,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        params: Object.fromEntries(new URLSearchParams(body.toString('utf8'))),
        idempotencyKey,
        status: 0,
        replayed: false,
      };
      requests.push(record);

      let response: UpstreamResponse;
      if (method === 'POST' && idempotencyKey && emulateIdempotency) {
        const fingerprint = `${method} ${url.pathname}${url.search}\n${body.toString('utf8')}`;
        const stored = idempotencyStore.get(idempotencyKey);
        if (stored && stored.fingerprint !== fingerprint) {
          response = jsonResponse(400, {
            error: {
              type: 'idempotency_error',
              message: `Keys for idempotent requests can only be used with the same parameters they were first used with (key ${idempotencyKey}).`,
            },
          });
        } else if (stored) {
          response = await stored.response;
          response = { ...response, headers: { ...response.headers, 'idempotent-replayed': 'true' } };
          record.replayed = true;
        } else {
          const pending = forward(upstreamBase, req, method, url, body);
          idempotencyStore.set(idempotencyKey, { fingerprint, response: pending });
          response = await pending;
          if (!(response.status < 300 || response.status === 402)) idempotencyStore.delete(idempotencyKey);
        }
      } else if (method === 'GET' && url.pathname === '/v1/payment_intents') {
        response = await listPaymentIntents(upstreamBase, req, url);
      } else if (
        method === 'GET' &&
        url.pathname === '/v1/payment_methods' &&
        (url.searchParams.get('type') ?? 'card') !== 'card'
      ) {
        response = await listOtherPaymentMethods(upstreamBase, req, url, attached);
      } else {
        response = await forward(upstreamBase, req, method, url, body);
      }
      const attach = method === 'POST' ? /^\/v1\/payment_methods\/([^/]+)\/attach$/.exec(url.pathname) : null;
      if (attach && response.status === 200 && !attached.includes(attach[1]!)) attached.push(attach[1]!);
      if (options.holdBankDebits) {
        if (method === 'POST' && url.pathname === '/v1/payment_intents' && response.status === 200) {
          await bankDebits.holdIfBankDebit(upstreamBase, req, response);
        }
        response = bankDebits.overlay(response);
      }

      record.status = response.status;
      res.writeHead(response.status, { ...response.headers, 'content-length': String(response.body.length) });
      res.end(response.body);
    })().catch((err: unknown) => {
      const response = jsonResponse(502, { error: { type: 'api_error', message: `proxy: ${String(err)}` } });
      res.writeHead(response.status, response.headers);
      res.end(response.body);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');

  return {
    base: `http://127.0.0.1:${address.port}`,
    requests,
    bankDebits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const BANK_DEBIT_TYPES = new Set(['sepa_debit', 'us_bank_account']);

interface IntentJson {
  object?: string;
  id?: string;
  status?: string;
  payment_method?: string | { id: string } | null;
  latest_charge?: { status?: string } | string | null;
  charges?: { data?: Array<{ status?: string }> };
  last_payment_error?: unknown;
  data?: IntentJson[];
}

/** The bank-debit PaymentIntents the proxy answers as the bank has (not yet) decided them. */
class BankDebits {
  private readonly states = new Map<string, 'processing' | 'failed'>();

  settle(id: string, outcome: 'succeeded' | 'failed'): void {
    if (this.states.get(id) !== 'processing') throw new Error(`${id} is not a held bank debit`);
    if (outcome === 'succeeded') this.states.delete(id);
    else this.states.set(id, 'failed');
  }

  held(): string[] {
    return [...this.states].filter(([, state]) => state === 'processing').map(([id]) => id);
  }

  async holdIfBankDebit(
    upstreamBase: string,
    req: http.IncomingMessage,
    response: UpstreamResponse,
  ): Promise<void> {
    const intent = JSON.parse(response.body.toString('utf8')) as IntentJson;
    const pmId =
      typeof intent.payment_method === 'string' ? intent.payment_method : intent.payment_method?.id;
    if (!intent.id || !pmId || intent.status !== 'succeeded' || this.states.has(intent.id)) return;
    const pm = await request(
      upstreamBase,
      'GET',
      `/v1/payment_methods/${pmId}`,
      req.headers,
      Buffer.alloc(0),
    );
    const type =
      pm.status === 200 ? (JSON.parse(pm.body.toString('utf8')) as { type?: string }).type : undefined;
    if (type && BANK_DEBIT_TYPES.has(type)) this.states.set(intent.id, 'processing');
  }

  overlay(response: UpstreamResponse): UpstreamResponse {
    if (this.states.size === 0 || response.status !== 200) return response;
    if (!(response.headers['content-type'] ?? '').includes('json')) return response;
    const json = JSON.parse(response.body.toString('utf8')) as IntentJson;
    const intents = json.object === 'list' ? (json.data ?? []) : [json];
    let changed = false;
    for (const intent of intents) {
      const state = intent.object === 'payment_intent' && intent.id ? this.states.get(intent.id) : undefined;
      if (!state) continue;
      changed = true;
      const chargeStatus = state === 'processing' ? 'pending' : 'failed';
      if (intent.latest_charge && typeof intent.latest_charge === 'object') {
        intent.latest_charge.status = chargeStatus;
      }
      for (const charge of intent.charges?.data ?? []) charge.status = chargeStatus;
      if (state === 'processing') {
        intent.status = 'processing';
      } else {
        intent.status = 'requires_payment_method';
        intent.last_payment_error = {
          type: 'card_error',
          code: 'insufficient_funds',
          message: 'The bank returned the debit: insufficient funds.',
        };
      }
    }
    if (!changed) return response;
    return { ...response, body: Buffer.from(JSON.stringify(json), 'utf8') };
  }
}

async function forward(
  upstreamBase: string,
  req: http.IncomingMessage,
  method: string,
  url: URL,
  body: Buffer,
): Promise<UpstreamResponse> {
  let payload = body;
  const rule = STRIPPED_PARAMS.find((r) => r.method === method && r.path.test(url.pathname));
  if (rule && body.length > 0) {
    const params = new URLSearchParams(body.toString('utf8'));
    for (const key of [...params.keys()]) if (rule.drop(key)) params.delete(key);
    payload = Buffer.from(params.toString(), 'utf8');
  }
  return request(upstreamBase, method, url.pathname + url.search, req.headers, payload);
}

async function listPaymentIntents(
  upstreamBase: string,
  req: http.IncomingMessage,
  url: URL,
): Promise<UpstreamResponse> {
  const customer = url.searchParams.get('customer');
  const limit = Number(url.searchParams.get('limit') ?? '10');
  const startingAfter = url.searchParams.get('starting_after');
  const upstreamQuery = new URLSearchParams({ limit: '1000000' });
  for (const [key, value] of url.searchParams) if (key.startsWith('expand')) upstreamQuery.append(key, value);

  const upstream = await request(
    upstreamBase,
    'GET',
    `/v1/payment_intents?${upstreamQuery}`,
    req.headers,
    Buffer.alloc(0),
  );
  if (upstream.status !== 200) return upstream;
  const list = JSON.parse(upstream.body.toString('utf8')) as {
    data: Array<{ id: string; created: number; customer: unknown }>;
  };

  // Upstream order is insertion order, so reversing before a stable sort keeps
  // same-second intents newest-first as well.
  let data = [...list.data].reverse().sort((a, b) => b.created - a.created);
  if (customer) {
    data = data.filter((pi) => {
      const owner =
        typeof pi.customer === 'string' ? pi.customer : (pi.customer as { id?: string } | null)?.id;
      return owner === customer;
    });
  }
  let start = 0;
  if (startingAfter) {
    const index = data.findIndex((pi) => pi.id === startingAfter);
    start = index === -1 ? data.length : index + 1;
  }
  const page = data.slice(start, start + limit);
  return jsonResponse(200, {
    object: 'list',
    url: '/v1/payment_intents',
    has_more: start + limit < data.length,
    data: page,
  });
}

async function listOtherPaymentMethods(
  upstreamBase: string,
  req: http.IncomingMessage,
  url: URL,
  attached: readonly string[],
): Promise<UpstreamResponse> {
  const customer = url.searchParams.get('customer');
  const type = url.searchParams.get('type');
  const limit = Number(url.searchParams.get('limit') ?? '10');
  const data: Array<{ id: string; type: string; customer: unknown }> = [];
  for (const id of [...attached].reverse()) {
    const upstream = await request(
      upstreamBase,
      'GET',
      `/v1/payment_methods/${id}`,
      req.headers,
      Buffer.alloc(0),
    );
    if (upstream.status !== 200) continue;
    const pm = JSON.parse(upstream.body.toString('utf8')) as { id: string; type: string; customer: unknown };
    if (pm.type === type && (customer === null || pm.customer === customer)) data.push(pm);
  }
  return jsonResponse(200, {
    object: 'list',
    url: '/v1/payment_methods',
    has_more: data.length > limit,
    data: data.slice(0, limit),
  });
}

function request(
  upstreamBase: string,
  method: string,
  pathAndQuery: string,
  incomingHeaders: http.IncomingHttpHeaders,
  body: Buffer,
): Promise<UpstreamResponse> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(incomingHeaders)) {
    if (value === undefined || ['host', 'content-length', 'connection', 'idempotency-key'].includes(key))
      continue;
    headers[key] = Array.isArray(value) ? value.join(', ') : value;
  }
  if (body.length > 0) headers['content-length'] = String(body.length);

  return new Promise((resolve, reject) => {
    const upstream = http.request(`${upstreamBase}${pathAndQuery}`, { method, headers }, (res) => {
      readAll(res).then((responseBody) => {
        const responseHeaders: Record<string, string> = {};
        for (const [key, value] of Object.entries(res.headers)) {
          if (value === undefined || ['content-length', 'connection', 'transfer-encoding'].includes(key))
            continue;
          responseHeaders[key] = Array.isArray(value) ? value.join(', ') : value;
        }
        resolve({ status: res.statusCode ?? 502, headers: responseHeaders, body: responseBody });
      }, reject);
    });
    upstream.on('error', reject);
    upstream.end(body);
  });
}

function jsonResponse(status: number, payload: unknown): UpstreamResponse {
  return {
    status,
    headers: { 'content-type': 'application/json' },
    body: Buffer.from(JSON.stringify(payload), 'utf8'),
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}
