import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/auth/api-keys';
import { findDrift } from '../../src/credits/reconcile';
import { CSV_COLUMNS } from '../../src/invoices/csv';
import type { Invoice } from '../../src/invoices/document';
import { invoiceToJson } from '../../src/invoices/json';
import { formatUsd } from '../../src/invoices/money';
import { renderInvoicePdf } from '../../src/invoices/pdf';
import { createOrganization } from '../../src/orgs/orgs';
import type { ApiResponse } from '../support/api';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startDbApi, type DbApi } from '../support/db-api';
import { fingerprint } from '../support/fixtures';
import { readPdfText } from '../invoices/pdf-text';
import {
  agencyQuarter,
  APR_1,
  closeAndIssue,
  FEB_1,
  JAN_1,
  MAR_1,
  MAY_1,
  type Issued,
} from './invoice-support';

/**
 * The invoice routes over real HTTP and PostgreSQL, on invoices issued as a period close issues them
 * (./invoice-support.ts): the list and its pages, each invoice as JSON, PDF and CSV
 * held to the stored document, the open period's preview, another org's key seeing none of it, and
 * malformed numbers refused. No GET writes anything.
 */
let t: TestDatabase;
let api: DbApi;
/** The API's clock: the upcoming invoice is previewed at it. */
const NOW = new Date('2026-04-10T12:00:00Z');

let agency: Issued;
let other: { orgId: string; apiKey: string };

beforeAll(async () => {
  t = await createTestDatabase({ max: 20 });
  api = await startDbApi(t.db, { clock: () => NOW });
  agency = await agencyQuarter(t.db);
  const o = await createOrganization(t.db, { name: 'Other Co', tier: 'plus', anchor: JAN_1 });
  other = { orgId: o.orgId, apiKey: (await createApiKey(t.db, o.orgId)).apiKey };
  // The other org has an invoice of its own, which the agency's key must not see either.
  await closeAndIssue(t.db, o.orgId, JAN_1, FEB_1, MAR_1);
}, 60_000);

afterAll(async () => {
  expect(await findDrift(t.db)).toEqual([]);
  await api?.close();
  await t?.close();
});

function expectError(res: ApiResponse, status: number, code: string) {
  expect({ status: res.status, code: res.body?.error?.code }, JSON.stringify(res.body)).toEqual({
    status,
    code,
  });
}

/** Everything a read could have touched: the invoices, their numbers, charges, ledgers, keys. */
async function everything() {
  const [base, invoices, numbers, walletLedger] = await Promise.all([
    fingerprint(t.db),
    t.db.selectFrom('invoices').selectAll().orderBy('sequence').execute(),
    t.db.selectFrom('invoice_numbers').selectAll().execute(),
    t.db.selectFrom('wallet_ledger').select(['id']).orderBy('id').execute(),
  ]);
  return { base, invoices, numbers, walletLedger };
}

/** Runs `act` (the tests' GETs) and expects the database to be as it was. */
async function writesNothing(act: () => Promise<void>) {
  const before = await everything();
  await act();
  expect(await everything()).toEqual(before);
}

const get = (path: string, key = agency.apiKey) => api.call('GET', path, { key });

/** The answer as bytes: a PDF is no text. */
async function download(path: string, key = agency.apiKey) {
  const res = await fetch(`${api.baseUrl}${path}`, { headers: { authorization: `Bearer ${key}` } });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

const stored = async (number: string): Promise<Invoice> =>
  (
    await t.db
      .selectFrom('invoices')
      .select('document')
      .where('number', '=', number)
      .executeTakeFirstOrThrow()
  ).document;

describe('GET /v1/invoices', () => {
  it('lists the org’s invoices newest first, each with its totals and collection', async () => {
    await writesNothing(async () => {
      const res = await get('/v1/invoices');
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const [jan, feb, mar] = agency.invoices;
      expect(res.body.nextCursor).toBeNull();
      expect(res.body.data).toEqual(
        [mar!, feb!, jan!].map((i) => ({
          number: i.number,
          kind: 'invoice',
          periodStart: i.invoice.periodStart,
          periodEnd: i.invoice.periodEnd,
          issuedAt: i.invoice.issuedAt,
          totalCents: i.invoice.totals.totalCents,
          dueCents: i.dueCents,
          collection: i === jan ? 'paid' : i.dueCents === 0 ? 'nothing_due' : 'pending',
        })),
      );
      // January charged its overage (collected); March charged nothing of its own.
      expect(jan!.dueCents).toBeGreaterThan(0);
      expect(mar!.dueCents).toBe(0);
    });
  });

  it('pages with the cursor: the pages are the whole list, in order, without repeats', async () => {
    await writesNothing(async () => {
      const all = (await get('/v1/invoices')).body.data;
      const paged: unknown[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res: ApiResponse = await get(`/v1/invoices?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        expect(res.body.data.length).toBeLessThanOrEqual(2);
        paged.push(...res.body.data);
        cursor = res.body.nextCursor;
        pages++;
      } while (cursor !== null);
      expect(pages).toBe(2);
      expect(paged).toEqual(all);
    });
  });

  it('refuses a bad page size or cursor', async () => {
    await writesNothing(async () => {
      for (const query of [
        'limit=0',
        'limit=101',
        'limit=two',
        'cursor=abc',
        'cursor=0',
        'cursor=-1',
        'page=2',
      ]) {
        expectError(await get(`/v1/invoices?${query}`), 400, 'VALIDATION_FAILED');
      }
    });
  });

  it('shows another org’s key none of them, and asks for a key', async () => {
    await writesNothing(async () => {
      const res = await get('/v1/invoices', other.apiKey);
      expect(res.status).toBe(200);
      expect(res.body.data).toHaveLength(1);
      expect(res.body.data.map((i: { number: string }) => i.number)).not.toContain(
        agency.invoices[0]!.number,
      );
      expectError(await api.call('GET', '/v1/invoices'), 401, 'UNAUTHENTICATED');
    });
  });
});

describe('GET /v1/invoices/{number}', () => {
  it('answers the stored document as its JSON rendering, key for key, with its due amount and collection', async () => {
    await writesNothing(async () => {
      for (const issued of agency.invoices) {
        const res = await get(`/v1/invoices/${issued.number}`);
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        const document = await stored(issued.number);
        expect(res.body.invoice).toEqual(document);
        // The same bytes as src/invoices/json.ts renders: same keys, same order, nothing dropped.
        expect(JSON.stringify(res.body.invoice)).toBe(JSON.stringify(invoiceToJson(document)));
        expect(res.body.dueCents).toBe(issued.dueCents);
      }
      const jan = await get(`/v1/invoices/${agency.invoices[0]!.number}`);
      expect(jan.body.collection).toBe('paid');
      const kinds = new Set(jan.body.invoice.lines.map((l: { kind: string }) => l.kind));
      expect([...kinds]).toEqual(
        expect.arrayContaining([
          'subscription',
          'credits_included',
          'credits_overage',
          'ad_spend',
          'platform_fee',
        ]),
      );
    });
  });

  it('is 404 INVOICE_NOT_FOUND for another org’s number and for a well-formed unknown one', async () => {
    await writesNothing(async () => {
      const number = agency.invoices[0]!.number;
      for (const path of [
        `/v1/invoices/${number}`,
        `/v1/invoices/${number}.pdf`,
        `/v1/invoices/${number}.csv`,
      ]) {
        expectError(await get(path, other.apiKey), 404, 'INVOICE_NOT_FOUND');
      }
      for (const unknown of ['LB-2026-999999999', 'LB-1999-000001']) {
        for (const suffix of ['', '.pdf', '.csv']) {
          expectError(await get(`/v1/invoices/${unknown}${suffix}`), 404, 'INVOICE_NOT_FOUND');
        }
      }
    });
  });

  it('is 400 VALIDATION_FAILED for a number that is not one, in every format', async () => {
    await writesNothing(async () => {
      for (const bad of [
        'LB-26-000001',
        'LB-2026-00001',
        'lb-2026-000001',
        'LB-2026-000001x',
        '42',
        'LB-%D9%A2%D9%A0%D9%A2%D9%A6-000001',
      ]) {
        for (const suffix of ['', '.pdf', '.csv']) {
          const res = await get(`/v1/invoices/${bad}${suffix}`);
          expectError(res, 400, 'VALIDATION_FAILED');
          expect(res.body.error.details.fields).toEqual([expect.objectContaining({ path: 'params.number' })]);
        }
      }
      // Neither an unknown format nor the preview has a file of its own.
      expectError(await get(`/v1/invoices/${agency.invoices[0]!.number}.txt`), 400, 'VALIDATION_FAILED');
      expectError(await get('/v1/invoices/upcoming.pdf'), 400, 'VALIDATION_FAILED');
    });
  });
});

describe('GET /v1/invoices/{number}.pdf and .csv', () => {
  it('downloads the PDF: the stored invoice’s own rendering, which reads back with its number and total', async () => {
    await writesNothing(async () => {
      const [jan] = agency.invoices;
      const res = await download(`/v1/invoices/${jan!.number}.pdf`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/pdf');
      expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${jan!.number}.pdf"`);
      expect(res.bytes.subarray(0, 5).toString()).toBe('%PDF-');
      const document = await stored(jan!.number);
      expect(res.bytes.equals(await renderInvoicePdf(document))).toBe(true);
      const text = await readPdfText(res.bytes);
      expect(text.lines.join('\n')).toContain(jan!.number);
      expect(text.lines.join('\n')).toContain(formatUsd(document.totals.totalCents));
    });
  });

  it('downloads the CSV: one row per line of the JSON, in its order, amounts exact', async () => {
    await writesNothing(async () => {
      for (const issued of agency.invoices) {
        const res = await download(`/v1/invoices/${issued.number}.csv`);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
        expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${issued.number}.csv"`);
        const rows: Record<string, string>[] = parse(res.bytes, { bom: true, columns: true });
        expect(Object.keys(rows[0] ?? Object.fromEntries(CSV_COLUMNS.map((c) => [c, ''])))).toEqual([
          ...CSV_COLUMNS,
        ]);
        const json = (await get(`/v1/invoices/${issued.number}`)).body.invoice as Invoice;
        expect(
          rows.map((r) => [
            r.invoice_number,
            r.line_kind,
            r.description,
            r.project_id,
            r.platform,
            Number(r.quantity),
            r.unit_price_cents === '' ? undefined : Number(r.unit_price_cents),
            Number(r.amount_cents),
            r.paid_by,
          ]),
        ).toEqual(
          json.lines.map((l) => [
            json.number,
            l.kind,
            l.description,
            l.projectId ?? '',
            l.platform ?? '',
            l.quantity,
            l.unitCents,
            l.amountCents,
            l.paidBy,
          ]),
        );
        expect(rows.reduce((s, r) => s + Number(r.amount_cents), 0)).toBe(json.totals.totalCents);
      }
    });
  });
});

describe('GET /v1/invoices/upcoming', () => {
  it('previews the open period at the API’s clock, numbered upcoming, storing and numbering nothing', async () => {
    await writesNothing(async () => {
      const res = await get('/v1/invoices/upcoming');
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const { invoice } = res.body;
      expect(invoice).toMatchObject({
        number: 'upcoming',
        kind: 'invoice',
        org: { id: agency.orgId, mode: 'agency' },
        periodStart: APR_1.toISOString(),
        periodEnd: MAY_1.toISOString(),
        issuedAt: NOW.toISOString(),
      });
      // April so far: 1,200 credits on Spring launch (1,000 included, 200 over) and one Google bill.
      const credits = invoice.lines.filter((l: { kind: string }) => l.kind.startsWith('credits_'));
      expect(credits.reduce((s: number, l: { quantity: number }) => s + l.quantity, 0)).toBe(1200);
      expect(invoice.lines.filter((l: { kind: string }) => l.kind === 'ad_spend')).toEqual([
        expect.objectContaining({ platform: 'google', projectId: agency.projectId, amountCents: 30_00 }),
      ]);
      expect(res.body.dueCents).toBe(200 * 12);
      expect(res.body.collection).toBe('pending');
      // Another org's key previews its own period.
      const theirs = await get('/v1/invoices/upcoming', other.apiKey);
      expect(theirs.status).toBe(200);
      expect(theirs.body.invoice.org.id).toBe(other.orgId);
      expect(theirs.body.invoice.lines.some((l: { kind: string }) => l.kind === 'ad_spend')).toBe(false);
      expectError(await api.call('GET', '/v1/invoices/upcoming'), 401, 'UNAUTHENTICATED');
    });
  });
});

describe('the OpenAPI document', () => {
  it('publishes the downloads under their own media types, and links a listed number to each format', async () => {
    const doc = (await api.call('GET', '/v1/openapi.json')).body;
    const number = agency.invoices[0]!.number;
    for (const [extension, mediaType] of [
      ['pdf', 'application/pdf'],
      ['csv', 'text/csv'],
    ] as const) {
      const ok = doc.paths[`/v1/invoices/{number}.${extension}`].get.responses['200'];
      expect(Object.keys(ok.content)).toEqual([mediaType]);
      const disposition = ok.headers['Content-Disposition'];
      expect(disposition.required).toBe(true);
      const res = await download(`/v1/invoices/${number}.${extension}`);
      expect(res.headers.get('content-disposition')).toMatch(new RegExp(disposition.schema.pattern));
    }
    const operations = new Set(
      Object.values(doc.paths as Record<string, Record<string, { operationId: string }>>).flatMap((ops) =>
        Object.values(ops).map((op) => op.operationId),
      ),
    );
    const links = doc.paths['/v1/invoices'].get.responses['200'].links as Record<
      string,
      { operationId: string; parameters: Record<string, string> }
    >;
    expect(Object.values(links).map((l) => l.operationId)).toEqual([
      'getInvoice',
      'getInvoicePdf',
      'getInvoiceCsv',
    ]);
    for (const link of Object.values(links)) {
      expect(operations.has(link.operationId)).toBe(true);
      expect(link.parameters).toEqual({ number: '$response.body#/data/0/number' });
    }
  });
});
