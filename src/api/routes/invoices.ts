import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import type { Db } from '../../db/pool';
import { renderInvoiceCsv } from '../../invoices/csv';
import { invoiceToJson } from '../../invoices/json';
import { renderInvoicePdf } from '../../invoices/pdf';
import { getInvoice, listInvoices, upcomingInvoice } from '../../invoices/queries';
import { identityOf } from '../auth';
import { defineRoute, type ApiRoute, type FileResponse } from '../route';
import { ENTRY_LIMIT_DEFAULT } from '../schemas';
import {
  attachmentHeader,
  invoiceNumberParams,
  invoicePageQuery,
  invoicePageSchema,
  issuedInvoiceSchema,
  upcomingInvoiceSchema,
} from './invoices.schemas';

export interface InvoiceRouteDeps {
  db: Db;
  /** The instant the upcoming invoice is previewed at; the wall clock unless a test pins it. */
  clock?: () => Date;
}

const NOT_FOUND =
  'A number of the right form that is not one of this org’s invoices (another org’s included) is 404 ' +
  'INVOICE_NOT_FOUND; any other is 400 VALIDATION_FAILED.';

/**
 * An invoice answered in its canonical JSON (src/invoices/json.ts: the document's keys in their declared
 * order, so the same invoice is the same bytes). Fastify's serializer would write an object's required
 * properties before its optional ones, moving `unitCents` after `paidBy`; a string that is already JSON
 * it sends as it is. The response schema still publishes the shape, and tsc holds it to the document
 * (./invoices.schemas.ts).
 */
function sendInvoice(reply: FastifyReply, answer: { invoice: Record<string, unknown> } & object) {
  return reply.type('application/json; charset=utf-8').send(JSON.stringify(answer));
}

/** The invoice as a download named after its number. */
const download = (extension: 'pdf' | 'csv', mediaType: string, description: string): FileResponse => ({
  status: 200,
  mediaType,
  description,
  ...(extension === 'csv' ? { schema: Type.String() } : {}),
  headers: {
    'Content-Disposition': {
      description: `attachment; filename="<number>.${extension}"`,
      schema: attachmentHeader(extension),
    },
  },
});

/**
 * The org's invoices (seed 000: the monthly consolidated invoice, downloadable as PDF and CSV): its issued
 * documents newest first, each as JSON, PDF or CSV, and the preview of the open period. Reads only; an
 * invoice is issued by the org's billing workflow at each period close (src/invoices/issue.ts).
 *
 * The PDF and CSV are `/v1/invoices/{number}.pdf` and `.csv`: the router takes a parameter with a static
 * ending (find-my-way's `/:number.pdf`), and matches it, and the static `/v1/invoices/upcoming`, before
 * the plain `/v1/invoices/:number`, whatever the order they are registered in.
 */
export function invoiceRoutes({ db, clock = () => new Date() }: InvoiceRouteDeps): ApiRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/v1/invoices',
      operationId: 'listInvoices',
      summary:
        'The org’s invoices newest first, each with its period, total, what it charges the card on ' +
        'file (dueCents) and where that collection stands. Pass nextCursor back as cursor for the next ' +
        'page.',
      tag: 'invoices',
      auth: true,
      schema: { querystring: invoicePageQuery, response: { 200: invoicePageSchema } },
      links: Object.fromEntries(
        ['getInvoice', 'getInvoicePdf', 'getInvoiceCsv'].map((operationId) => [
          operationId,
          { operationId, parameters: { number: '$response.body#/data/0/number' } },
        ]),
      ),
      errors: [],
      handler: async (request) => {
        // Ajv fills in the schema's default before the handler runs; the type cannot know it.
        const { limit = ENTRY_LIMIT_DEFAULT, cursor } = request.query;
        return listInvoices(db, identityOf(request).orgId, {
          limit,
          before: cursor === undefined ? undefined : Number(cursor),
        });
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/invoices/upcoming',
      operationId: 'getUpcomingInvoice',
      summary:
        'The invoice the open credit period would get if it closed now: its lines and totals so far, ' +
        'numbered "upcoming". Nothing is stored, numbered or charged.',
      tag: 'invoices',
      auth: true,
      schema: { response: { 200: upcomingInvoiceSchema } },
      errors: [],
      handler: async (request, reply) => {
        const preview = await upcomingInvoice(db, identityOf(request).orgId, clock());
        return sendInvoice(reply, { ...preview, invoice: invoiceToJson(preview.invoice, { preview: true }) });
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/invoices/:number',
      operationId: 'getInvoice',
      summary:
        'One issued invoice as its JSON document (lines in display order, payments, totals), with what ' +
        `it charges the card on file (dueCents) and where that collection stands. ${NOT_FOUND}`,
      tag: 'invoices',
      auth: true,
      schema: { params: invoiceNumberParams, response: { 200: issuedInvoiceSchema } },
      errors: ['INVOICE_NOT_FOUND'],
      handler: async (request, reply) => {
        const issued = await getInvoice(db, identityOf(request).orgId, request.params.number);
        return sendInvoice(reply, { ...issued, invoice: invoiceToJson(issued.invoice) });
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/invoices/:number.pdf',
      operationId: 'getInvoicePdf',
      summary:
        'One issued invoice as a PDF (US Letter), downloaded as <number>.pdf; the same invoice is the ' +
        `same bytes every time. ${NOT_FOUND}`,
      tag: 'invoices',
      auth: true,
      schema: { params: invoiceNumberParams, response: {} },
      file: download('pdf', 'application/pdf', 'The invoice as a PDF.'),
      errors: ['INVOICE_NOT_FOUND'],
      handler: async (request, reply) => {
        const { number } = request.params;
        const { invoice } = await getInvoice(db, identityOf(request).orgId, number);
        const pdf = await renderInvoicePdf(invoice);
        return reply
          .header('content-type', 'application/pdf')
          .header('content-disposition', `attachment; filename="${number}.pdf"`)
          .send(pdf);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/invoices/:number.csv',
      operationId: 'getInvoiceCsv',
      summary:
        'One issued invoice as CSV (RFC 4180, UTF-8 with a byte-order mark), one row per line, amounts ' +
        `as decimals and as exact cents; downloaded as <number>.csv. ${NOT_FOUND}`,
      tag: 'invoices',
      auth: true,
      schema: { params: invoiceNumberParams, response: {} },
      file: download('csv', 'text/csv', 'The invoice’s lines as CSV.'),
      errors: ['INVOICE_NOT_FOUND'],
      handler: async (request, reply) => {
        const { number } = request.params;
        const { invoice } = await getInvoice(db, identityOf(request).orgId, number);
        return reply
          .header('content-type', 'text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${number}.csv"`)
          .send(renderInvoiceCsv(invoice));
      },
    }),
  ];
}
