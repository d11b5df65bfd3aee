import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/commands';
import { captureCredits, reserveCredits } from '../../src/credits/ledger';
import { closeCreditPeriod } from '../../src/credits/periods';
import { createDb } from '../../src/db/pool';
import { newId } from '../../src/ids';
import type { Invoice } from '../../src/invoices/document';
import { issuePeriodInvoice } from '../../src/invoices/issue';
import { invoiceToJson } from '../../src/invoices/json';
import { renderInvoicePdf } from '../../src/invoices/pdf';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { fingerprint, makeOrg } from '../support/fixtures';

/**
 * `layers-billing invoice …`: the org's invoices as the API serves them (list, show, the preview), and
 * the PDF and CSV written to a file with one JSON document on stdout saying where. Reads only.
 */
let t: TestDatabase;
let dir: string;
beforeAll(async () => {
  t = await createTestDatabase();
  dir = mkdtempSync(path.join(tmpdir(), 'invoice-cli-'));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await t?.close();
});

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    env: { DATABASE_URL: t.url },
    openDb: (url) => createDb(url, { max: 1 }),
    connectTemporal: () => Promise.reject(new Error('invoice commands need no Temporal')),
  });
  return {
    code,
    stdout,
    stderr,
    json: code === 0 && !args.includes('--help') ? JSON.parse(stdout) : undefined,
  };
}

const JAN_1 = new Date('2026-01-01T00:00:00Z');
const month = (n: number) => new Date(Date.UTC(2026, n, 1));

/** A plus org billed for two months (January with overage), then generating in the open March. */
async function billedOrg() {
  const { orgId, projectId } = await makeOrg(t.db, { tier: 'plus', anchor: JAN_1 });
  const generate = async (actualCredits: number) => {
    const generationId = newId('gen');
    expect(
      (await reserveCredits(t.db, { orgId, projectId, generationId, format: 'slideshow_builder' })).status,
    ).toBe('reserved');
    await captureCredits(t.db, { orgId, generationId, actualCredits });
  };
  const issued = [];
  for (const [n, credits] of [
    [0, 150],
    [1, 20],
  ] as const) {
    await generate(credits);
    await closeCreditPeriod(t.db, {
      orgId,
      periodStart: month(n),
      at: month(n + 1),
      nextPeriodEnd: month(n + 2),
      allowance: 100,
      rollover: { days: 0, cap: 0 },
    });
    issued.push(
      await issuePeriodInvoice(t.db, {
        orgId,
        periodStart: month(n),
        periodEnd: month(n + 1),
        at: month(n + 1),
      }),
    );
  }
  await generate(30);
  return { orgId, issued };
}

const stored = async (number: string): Promise<Invoice> =>
  (
    await t.db
      .selectFrom('invoices')
      .select('document')
      .where('number', '=', number)
      .executeTakeFirstOrThrow()
  ).document;

/** Runs `act` and expects it to leave the database as it was. */
async function writesNothing(act: () => Promise<void>) {
  const snapshot = async () => ({
    base: await fingerprint(t.db),
    invoices: await t.db.selectFrom('invoices').selectAll().orderBy('sequence').execute(),
    numbers: await t.db.selectFrom('invoice_numbers').selectAll().execute(),
  });
  const before = await snapshot();
  await act();
  expect(await snapshot()).toEqual(before);
}

describe('invoice list and show', () => {
  it('lists newest first in pages, and shows one as its JSON document', async () => {
    const { orgId, issued } = await billedOrg();
    await writesNothing(async () => {
      const all = await cli(['invoice', 'list', '--org', orgId]);
      expect(all).toMatchObject({ code: 0, stderr: '' });
      expect(all.json.nextCursor).toBeNull();
      expect(all.json.data.map((i: { number: string }) => i.number)).toEqual(
        [...issued].reverse().map((i) => i.number),
      );
      expect(all.json.data[1]).toMatchObject({
        number: issued[0]!.number,
        dueCents: 50 * 15,
        collection: 'pending',
      });

      const first = await cli(['invoice', 'list', '--org', orgId, '--limit', '1']);
      expect(first.json.data).toEqual([all.json.data[0]]);
      const second = await cli([
        'invoice',
        'list',
        '--org',
        orgId,
        '--limit',
        '1',
        '--cursor',
        first.json.nextCursor,
      ]);
      expect(second.json).toEqual({ data: [all.json.data[1]], nextCursor: null });

      const shown = await cli(['invoice', 'show', '--org', orgId, '--number', issued[0]!.number]);
      expect(shown).toMatchObject({ code: 0, stderr: '' });
      const document = await stored(issued[0]!.number);
      expect(shown.json).toEqual({ invoice: document, dueCents: 50 * 15, collection: 'pending' });
      // The document's own key order, as the API serves it.
      expect(shown.stdout).toBe(
        `${JSON.stringify({ invoice: invoiceToJson(document), dueCents: 50 * 15, collection: 'pending' })}\n`,
      );
    });
  });

  it('refuses a malformed number or limit (2), and an unknown org or another org’s number (1)', async () => {
    const { orgId, issued } = await billedOrg();
    const { orgId: otherId } = await makeOrg(t.db, { tier: 'plus' });
    await writesNothing(async () => {
      for (const args of [
        ['invoice', 'show', '--org', orgId, '--number', 'LB-26-1'],
        ['invoice', 'list', '--org', orgId, '--limit', '0'],
        ['invoice', 'list', '--org', orgId, '--limit', '101'],
        ['invoice', 'list', '--org', orgId, '--cursor', 'abc'],
        ['invoice', 'show', '--org', orgId],
      ]) {
        const res = await cli(args);
        expect(res, args.join(' ')).toMatchObject({ code: 2, stdout: '' });
        expect(res.stderr).toMatch(/usage: layers-billing invoice/);
      }
      expect((await cli(['invoice', 'show', '--org', orgId, '--number', 'LB-26-1'])).stderr).toMatch(
        /--number must be an invoice number \(LB-2026-000042\), got "LB-26-1"/,
      );
      const theirs = await cli(['invoice', 'show', '--org', otherId, '--number', issued[0]!.number]);
      expect(theirs).toMatchObject({ code: 1, stdout: '' });
      expect(theirs.stderr).toMatch(/INVOICE_NOT_FOUND/);
      expect((await cli(['invoice', 'list', '--org', otherId])).json).toEqual({ data: [], nextCursor: null });
      for (const command of ['list', 'upcoming']) {
        const missing = await cli(['invoice', command, '--org', 'org_nope']);
        expect(missing).toMatchObject({ code: 1, stdout: '' });
        expect(missing.stderr).toMatch(/NOT_FOUND/);
      }
    });
  });
});

describe('invoice pdf and csv', () => {
  it('write the invoice to --out and print where, how many bytes and which number', async () => {
    const { orgId, issued } = await billedOrg();
    const { number } = issued[0]!;
    await writesNothing(async () => {
      const pdfPath = path.join(dir, 'january.pdf');
      const pdf = await cli(['invoice', 'pdf', '--org', orgId, '--number', number, '--out', pdfPath]);
      expect(pdf).toMatchObject({ code: 0, stderr: '' });
      const bytes = readFileSync(pdfPath);
      expect(pdf.json).toEqual({ out: pdfPath, bytes: bytes.length, number });
      expect(bytes.equals(await renderInvoicePdf(await stored(number)))).toBe(true);

      const csvPath = path.join(dir, 'january.csv');
      const csv = await cli(['invoice', 'csv', '--org', orgId, '--number', number, '--out', csvPath]);
      expect(csv).toMatchObject({ code: 0, stderr: '' });
      const text = readFileSync(csvPath);
      expect(csv.json).toEqual({ out: csvPath, bytes: text.length, number });
      const rows: Record<string, string>[] = parse(text, { bom: true, columns: true });
      const document = await stored(number);
      expect(rows.map((r) => [r.line_kind, Number(r.quantity), Number(r.amount_cents)])).toEqual(
        document.lines.map((l) => [l.kind, l.quantity, l.amountCents]),
      );
    });
  });

  it('writes no file when the invoice is not found or --out is missing', async () => {
    const { orgId } = await billedOrg();
    const out = path.join(dir, 'nothing.pdf');
    const missing = await cli([
      'invoice',
      'pdf',
      '--org',
      orgId,
      '--number',
      'LB-2026-999999999',
      '--out',
      out,
    ]);
    expect(missing).toMatchObject({ code: 1, stdout: '' });
    expect(missing.stderr).toMatch(/INVOICE_NOT_FOUND/);
    expect(existsSync(out)).toBe(false);
    const noOut = await cli(['invoice', 'csv', '--org', orgId, '--number', 'LB-2026-000001']);
    expect(noOut).toMatchObject({ code: 2, stdout: '' });
    expect(noOut.stderr).toMatch(/missing --out/);
  });
});

describe('invoice upcoming', () => {
  it('previews the open period so far, numbered upcoming, storing nothing', async () => {
    const { orgId } = await billedOrg();
    await writesNothing(async () => {
      const res = await cli(['invoice', 'upcoming', '--org', orgId]);
      expect(res).toMatchObject({ code: 0, stderr: '' });
      expect(res.json.invoice).toMatchObject({
        number: 'upcoming',
        periodStart: month(2).toISOString(),
        periodEnd: month(3).toISOString(),
      });
      const credits = res.json.invoice.lines.filter((l: { kind: string }) => l.kind.startsWith('credits_'));
      expect(credits.reduce((s: number, l: { quantity: number }) => s + l.quantity, 0)).toBe(30);
      expect(res.json).toMatchObject({ dueCents: 0, collection: 'nothing_due' });
    });
  });
});

describe('invoice --help', () => {
  it('lists the commands, and each command its options', async () => {
    const group = await cli(['invoice', '--help']);
    expect(group).toMatchObject({ code: 0, stderr: '' });
    for (const command of ['list', 'show', 'pdf', 'csv', 'upcoming', 'credit-note'])
      expect(group.stdout).toMatch(new RegExp(`\\n  ${command} `));
    const pdf = await cli(['invoice', 'pdf', '--help']);
    expect(pdf.stdout).toMatch(
      /usage: layers-billing invoice pdf --org <orgId> --number <number> --out <file>/,
    );
    expect(pdf.stdout).toMatch(
      /--out <file>\s+where to write the PDF \(replaced if it exists\) \(required\)/,
    );
    const root = await cli(['--help']);
    for (const command of ['list', 'show', 'pdf', 'csv', 'upcoming', 'credit-note'])
      expect(root.stdout).toContain(`invoice ${command}`);
  });

  it('corrects an invoice with a credit note under the operator’s name, once, and refuses a blank reason', async () => {
    const { orgId, issued } = await billedOrg();
    const number = issued[0]!.number;
    const args = ['invoice', 'credit-note', '--org', orgId, '--number', number, '--actor', 'ops@layers'];
    const before = await fingerprint(t.db);
    const blank = await cli([...args, '--reason', ' ']);
    expect(blank.code).toBe(1);
    expect(await fingerprint(t.db)).toEqual(before);
    const first = await cli([...args, '--reason', 'overage billed on a test project']);
    expect(first.code).toBe(0);
    expect(first.json).toMatchObject({
      duplicate: false,
      invoice: { kind: 'credit_note', correctsNumber: number, memo: 'overage billed on a test project' },
    });
    expect(first.json.invoice.totals.totalCents).toBe(-issued[0]!.invoice.totals.totalCents);
    const again = await cli([...args, '--reason', 'again']);
    expect(again.json).toMatchObject({ duplicate: true, invoice: { number: first.json.invoice.number } });
    const trail = await t.db
      .selectFrom('audit_events')
      .select(['action', 'actor_id'])
      .where('org_id', '=', orgId)
      .where('action', '=', 'invoice.credit_note_issued')
      .execute();
    expect(trail).toEqual([{ action: 'invoice.credit_note_issued', actor_id: 'ops@layers' }]);
  });
});
