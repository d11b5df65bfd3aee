// localstripe cannot create one-off invoices (it only invoices subscriptions)
// and has no /finalize route, so the invoice methods run against this minimal
// in-memory stand-in. It models only what the gateway relies on: draft
// invoices, items attached to them, finalize, pay, and list-by-customer /
// list-by-invoice. Like Stripe after its 24h key expiry, it ignores
// Idempotency-Key, so re-runs exercise the gateway's resume logic.

import http from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createStripeClient } from '../../src/stripe/client';
import { PaymentDeclinedError, StripeValidationError } from '../../src/stripe/errors';
import { createStripeGateway, type StripeGateway } from '../../src/stripe/gateway';

interface StubInvoice {
  id: string;
  object: 'invoice';
  customer: string;
  currency: string;
  status: 'draft' | 'open' | 'paid' | 'void';
  auto_advance: boolean;
  metadata: Record<string, string>;
  subtotal: number;
  total: number;
  amount_due: number;
  created: number;
}

interface StubItem {
  id: string;
  object: 'invoiceitem';
  customer: string;
  invoice: string | null;
  amount: number;
  currency: string;
  description: string | null;
  metadata: Record<string, string>;
}

interface StubRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  idempotencyKey: string | undefined;
}

class InvoiceStub {
  invoices: StubInvoice[] = [];
  items: StubItem[] = [];
  requests: StubRequest[] = [];
  /** Fail the Nth (1-based) matching request before it has any effect. */
  failOn: { method: string; path: RegExp; nth: number } | null = null;
  decliningCustomers = new Set<string>();
  private seq = 0;
  private server = http.createServer((req, res) => this.handle(req, res));
  base = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  reset(): void {
    this.invoices = [];
    this.items = [];
    this.requests = [];
    this.failOn = null;
    this.decliningCustomers.clear();
  }

  writes(): StubRequest[] {
    return this.requests.filter((r) => r.method === 'POST');
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://stub.invalid');
      const params = Object.fromEntries(
        new URLSearchParams(req.method === 'GET' ? url.search : Buffer.concat(chunks).toString('utf8')),
      );
      const method = req.method ?? 'GET';
      this.requests.push({
        method,
        path: url.pathname,
        params,
        idempotencyKey: req.headers['idempotency-key'] as string | undefined,
      });
      const [status, body, headers] = this.route(method, url.pathname, params);
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    });
  }

  private route(
    method: string,
    path: string,
    p: Record<string, string>,
  ): [number, unknown, Record<string, string>?] {
    if (
      this.failOn &&
      this.failOn.method === method &&
      this.failOn.path.test(path) &&
      --this.failOn.nth === 0
    ) {
      this.failOn = null;
      return [
        500,
        { error: { type: 'api_error', message: 'injected failure' } },
        { 'stripe-should-retry': 'false' },
      ];
    }
    const metadata = (): Record<string, string> =>
      Object.fromEntries(
        Object.entries(p)
          .filter(([k]) => k.startsWith('metadata['))
          .map(([k, v]) => [k.slice('metadata['.length, -1), v]),
      );
    const list = (data: unknown[]) =>
      [200, { object: 'list', url: path, has_more: false, data }] as [number, unknown];
    let m: RegExpMatchArray | null;

    if (method === 'POST' && path === '/v1/invoices') {
      const invoice: StubInvoice = {
        id: `in_${++this.seq}`,
        object: 'invoice',
        customer: p.customer!,
        currency: p.currency ?? 'usd',
        status: 'draft',
        auto_advance: p.auto_advance === 'true',
        metadata: metadata(),
        subtotal: 0,
        total: 0,
        amount_due: 0,
        created: this.seq,
      };
      this.invoices.push(invoice);
      return [200, invoice];
    }
    if (method === 'GET' && path === '/v1/invoices') {
      return list(this.invoices.filter((i) => i.customer === p.customer).reverse());
    }
    if (method === 'GET' && (m = path.match(/^\/v1\/invoices\/([^/]+)$/))) {
      const invoice = this.invoices.find((i) => i.id === m![1]);
      return invoice
        ? [200, invoice]
        : [404, { error: { type: 'invalid_request_error', message: 'No such invoice' } }];
    }
    if (method === 'POST' && path === '/v1/invoiceitems') {
      const invoice = p.invoice ? this.invoices.find((i) => i.id === p.invoice) : undefined;
      if (p.invoice && invoice?.status !== 'draft') {
        return [400, { error: { type: 'invalid_request_error', message: 'invoice is not a draft' } }];
      }
      const item: StubItem = {
        id: `ii_${++this.seq}`,
        object: 'invoiceitem',
        customer: p.customer!,
        invoice: p.invoice ?? null,
        amount: Number(p.amount),
        currency: p.currency!,
        description: p.description ?? null,
        metadata: metadata(),
      };
      this.items.push(item);
      if (invoice) {
        invoice.subtotal = invoice.total = invoice.amount_due = invoice.subtotal + item.amount;
      }
      return [200, item];
    }
    if (method === 'GET' && path === '/v1/invoiceitems') {
      return list(this.items.filter((i) => i.invoice === p.invoice).reverse());
    }
    if (method === 'POST' && (m = path.match(/^\/v1\/invoices\/([^/]+)\/finalize$/))) {
      const invoice = this.invoices.find((i) => i.id === m![1])!;
      if (invoice.status !== 'draft')
        return [400, { error: { type: 'invalid_request_error', message: 'already finalized' } }];
      invoice.status = invoice.total > 0 ? 'open' : 'paid';
      invoice.auto_advance = p.auto_advance === 'true';
      return [200, invoice];
    }
    if (method === 'POST' && (m = path.match(/^\/v1\/invoices\/([^/]+)\/pay$/))) {
      const invoice = this.invoices.find((i) => i.id === m![1])!;
      if (this.decliningCustomers.has(invoice.customer)) {
        return [
          402,
          {
            error: {
              type: 'card_error',
              code: 'card_declined',
              decline_code: 'insufficient_funds',
              message: 'Your card has insufficient funds.',
            },
          },
        ];
      }
      invoice.status = 'paid';
      invoice.amount_due = 0;
      return [200, invoice];
    }
    return [
      404,
      { error: { type: 'invalid_request_error', message: `stub has no route ${method} ${path}` } },
    ];
  }
}

const stub = new InvoiceStub();
let gateway: StripeGateway;

beforeAll(async () => {
  await stub.start();
  gateway = createStripeGateway(createStripeClient({ secretKey: 'sk_test_stub', apiBase: stub.base }));
});
afterAll(async () => {
  await stub.stop();
});
afterEach(() => stub.reset());

const items = [
  { amountCents: 1500, description: 'Credits pack', metadata: { sku: 'credits-100' } },
  { amountCents: 4250, description: 'Ad spend' },
];

describe('createAndFinalizeInvoice', () => {
  it('creates a draft that only we collect, attaches every line to it, and finalizes', async () => {
    const result = await gateway.createAndFinalizeInvoice({
      businessKey: 'period-close:org_1:2026-11',
      customerId: 'cus_1',
      items,
      metadata: { orgId: 'org_1' },
    });

    expect(result).toEqual({ invoiceId: 'in_1', status: 'open', totalCents: 5750, amountDueCents: 5750 });
    const [create, item0, item1, finalize] = stub.writes();
    expect(create).toMatchObject({
      path: '/v1/invoices',
      idempotencyKey: 'invoice:period-close:org_1:2026-11',
      params: {
        customer: 'cus_1',
        currency: 'usd',
        auto_advance: 'false',
        collection_method: 'charge_automatically',
        pending_invoice_items_behavior: 'exclude',
        'metadata[businessKey]': 'period-close:org_1:2026-11',
        'metadata[orgId]': 'org_1',
      },
    });
    expect(item0).toMatchObject({
      path: '/v1/invoiceitems',
      idempotencyKey: 'invoice-item:period-close:org_1:2026-11#0',
      params: {
        invoice: 'in_1',
        amount: '1500',
        currency: 'usd',
        'metadata[sku]': 'credits-100',
        'metadata[lineIndex]': '0',
        'metadata[businessKey]': 'period-close:org_1:2026-11',
      },
    });
    expect(item1).toMatchObject({
      idempotencyKey: 'invoice-item:period-close:org_1:2026-11#1',
      params: { amount: '4250' },
    });
    expect(finalize).toMatchObject({
      path: '/v1/invoices/in_1/finalize',
      idempotencyKey: 'invoice-finalize:period-close:org_1:2026-11',
      params: { auto_advance: 'false' },
    });
    expect(stub.writes()).toHaveLength(4);
  });

  it('resumes after a failure between lines without duplicating the invoice or its lines', async () => {
    stub.failOn = { method: 'POST', path: /^\/v1\/invoiceitems$/, nth: 2 };
    const req = { businessKey: 'bk-resume', customerId: 'cus_1', items };

    await expect(gateway.createAndFinalizeInvoice(req)).rejects.toThrow(/injected failure/);
    expect(stub.invoices[0]?.status).toBe('draft');

    const result = await gateway.createAndFinalizeInvoice(req);

    expect(result).toMatchObject({ status: 'open', totalCents: 5750 });
    expect(stub.invoices).toHaveLength(1);
    expect(stub.items.map((i) => i.metadata.lineIndex)).toEqual(['0', '1']);
    expect(stub.writes().filter((r) => r.path === '/v1/invoices')).toHaveLength(1);
  });

  it('returns the finalized invoice on a re-run without writing anything', async () => {
    const req = { businessKey: 'bk-rerun', customerId: 'cus_1', items };
    const first = await gateway.createAndFinalizeInvoice(req);
    const writesBefore = stub.writes().length;

    const second = await gateway.createAndFinalizeInvoice(req);

    expect(second).toEqual(first);
    expect(stub.writes()).toHaveLength(writesBefore);
  });

  it('ignores other business keys and voided attempts of the customer', async () => {
    const other = await gateway.createAndFinalizeInvoice({
      businessKey: 'bk-other',
      customerId: 'cus_1',
      items,
    });
    stub.invoices.push({
      id: 'in_voided',
      object: 'invoice',
      customer: 'cus_1',
      currency: 'usd',
      status: 'void',
      auto_advance: false,
      metadata: { businessKey: 'bk-mine' },
      subtotal: 4250,
      total: 4250,
      amount_due: 0,
      created: 100,
    });

    const result = await gateway.createAndFinalizeInvoice({
      businessKey: 'bk-mine',
      customerId: 'cus_1',
      items: [items[1]!],
    });

    expect(result.invoiceId).not.toBe(other.invoiceId);
    expect(result.invoiceId).not.toBe('in_voided');
    expect(result).toMatchObject({ status: 'open', totalCents: 4250 });
    expect(stub.invoices).toHaveLength(3);
  });

  it('refuses to reuse a business key for different lines', async () => {
    await gateway.createAndFinalizeInvoice({ businessKey: 'bk-conflict', customerId: 'cus_1', items });
    await expect(
      gateway.createAndFinalizeInvoice({
        businessKey: 'bk-conflict',
        customerId: 'cus_1',
        items: [items[0]!],
      }),
    ).rejects.toBeInstanceOf(StripeValidationError);
  });

  it.each([
    ['no items', []],
    ['fractional cents', [{ amountCents: 10.5, description: 'x' }]],
    ['zero-amount line', [{ amountCents: 0, description: 'x' }]],
    ['unsafe integer', [{ amountCents: 2 ** 53, description: 'x' }]],
  ])('rejects %s before calling Stripe', async (_label, badItems) => {
    await expect(
      gateway.createAndFinalizeInvoice({ businessKey: 'bk-bad', customerId: 'cus_1', items: badItems }),
    ).rejects.toBeInstanceOf(StripeValidationError);
    expect(stub.requests).toHaveLength(0);
  });
});

describe('createInvoiceItem', () => {
  it('creates a pending item keyed by its business key', async () => {
    const { invoiceItemId } = await gateway.createInvoiceItem({
      businessKey: 'topup:org_1:42',
      customerId: 'cus_1',
      amountCents: -300,
      description: 'Goodwill credit',
    });
    expect(invoiceItemId).toMatch(/^ii_/);
    expect(stub.writes()).toEqual([
      expect.objectContaining({
        idempotencyKey: 'invoice-item:topup:org_1:42',
        params: expect.not.objectContaining({ invoice: expect.anything() }),
      }),
    ]);
    expect(stub.items[0]).toMatchObject({
      amount: -300,
      invoice: null,
      metadata: { businessKey: 'topup:org_1:42' },
    });
  });
});

describe('payInvoice', () => {
  it('pays off-session under its own key and skips invoices already paid', async () => {
    const { invoiceId } = await gateway.createAndFinalizeInvoice({
      businessKey: 'bk-pay',
      customerId: 'cus_1',
      items,
    });

    expect(await gateway.payInvoice({ businessKey: 'bk-pay', invoiceId })).toMatchObject({
      status: 'paid',
      amountDueCents: 0,
    });
    const pays = stub.writes().filter((r) => r.path.endsWith('/pay'));
    expect(pays).toEqual([
      expect.objectContaining({ idempotencyKey: 'invoice-pay:bk-pay', params: { off_session: 'true' } }),
    ]);

    await gateway.payInvoice({ businessKey: 'bk-pay', invoiceId });
    expect(stub.writes().filter((r) => r.path.endsWith('/pay'))).toHaveLength(1);
  });

  it('maps a card decline to PaymentDeclinedError with the issuer decline code', async () => {
    stub.decliningCustomers.add('cus_broke');
    const { invoiceId } = await gateway.createAndFinalizeInvoice({
      businessKey: 'bk-broke',
      customerId: 'cus_broke',
      items,
    });
    const err = await gateway.payInvoice({ businessKey: 'bk-broke', invoiceId }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PaymentDeclinedError);
    expect(err).toMatchObject({ code: 'PAYMENT_DECLINED', declineCode: 'insufficient_funds' });
  });
});
