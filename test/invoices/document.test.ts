import { describe, expect, it } from 'vitest';
import {
  InvalidInvoiceError,
  invoiceProblems,
  issueInvoice,
  type InvoiceCheckOptions,
  type InvoiceInput,
} from '../../src/invoices/checks';
import { renderInvoiceCsv } from '../../src/invoices/csv';
import {
  INVOICE_LINE_KINDS,
  INVOICE_NUMBER_PATTERN,
  invoiceNumber,
  PAID_BY,
  PREVIEW_NUMBER,
  type Invoice,
  type InvoiceLineInput,
  type InvoicePayment,
} from '../../src/invoices/document';
import { renderInvoiceJson } from '../../src/invoices/json';
import { groupLines, LINE_GROUPS, orderLines, walletRows } from '../../src/invoices/lines';
import { totalsOf } from '../../src/invoices/totals';
import { agencyInput, agencyInvoice, byoInput, creditNoteInput, longInvoice } from './samples';

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

type Editable = Omit<InvoiceInput, 'lines' | 'payments'> & {
  lines: InvoiceLineInput[];
  payments: InvoicePayment[];
};

/** The problems of an input changed by `change` (a copy of the sample, never the sample itself). */
function problemsOf(
  input: InvoiceInput,
  change: (i: Editable) => void,
  opts?: InvoiceCheckOptions,
): string[] {
  const copy = structuredClone(input) as Editable;
  change(copy);
  try {
    issueInvoice(copy, opts);
    return [];
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInvoiceError);
    return [...(err as InvalidInvoiceError).problems];
  }
}

describe('totalsOf', () => {
  it('sums the lines, splits them by who pays, and counts only collections as collected', () => {
    const invoice = agencyInvoice();
    const t = invoice.totals;
    expect(t.totalCents).toBe(sum(invoice.lines.map((l) => l.amountCents)));
    expect(t.chargedCents).toBe(
      sum(invoice.lines.filter((l) => l.paidBy === 'stripe').map((l) => l.amountCents)),
    );
    expect(t.paidFromWalletCents).toBe(
      sum(invoice.lines.filter((l) => l.paidBy === 'wallet').map((l) => l.amountCents)),
    );
    expect(t.totalCents).toBe(t.chargedCents + t.paidFromWalletCents);
    expect(t.collectedCents).toBe(10_900 + 21_387);
    expect(t.owedCents).toBe(4_321);
    // The sample's figures, worked by hand: plan 109.00 − 59.77 + 273.64, overage 125.00, pack 41.00,
    // usage 24.00 + 17.50; wallet 12,345.67 + 617.28 + 2,500 + 125 + 987.65 + 49.38 + 50 + 2.50.
    expect(t.chargedCents).toBe(53_037);
    expect(t.paidFromWalletCents).toBe(1_667_748);
  });

  it('owes only the negative part of the wallet balance, and nothing without a wallet', () => {
    expect(totalsOf([], [], { walletBalanceEndCents: -1 }).owedCents).toBe(1);
    expect(totalsOf([], [], { walletBalanceEndCents: 0 }).owedCents).toBe(0);
    expect(Object.is(totalsOf([], [], { walletBalanceEndCents: 0 }).owedCents, 0)).toBe(true);
    expect(totalsOf([], [], { walletBalanceEndCents: 500 }).owedCents).toBe(0);
    expect(totalsOf([], []).owedCents).toBe(0);
  });

  it('leaves top-ups and withdrawals out of every total', () => {
    const t = totalsOf(
      [{ amountCents: 500, paidBy: 'wallet' }],
      [
        { kind: 'top_up', amountCents: 10_000 },
        { kind: 'withdrawal', amountCents: 2_000 },
      ],
    );
    expect(t).toEqual({
      totalCents: 500,
      chargedCents: 0,
      paidFromWalletCents: 500,
      owedCents: 0,
      collectedCents: 0,
    });
  });

  it('refuses sums that leave the safe integers', () => {
    const big = { amountCents: Number.MAX_SAFE_INTEGER, paidBy: 'stripe' as const };
    expect(() => totalsOf([big, { amountCents: 1, paidBy: 'stripe' }], [])).toThrow(/safe integer/);
    expect(totalsOf([big, { amountCents: -1, paidBy: 'stripe' }], []).totalCents).toBe(
      Number.MAX_SAFE_INTEGER - 1,
    );
    expect(() => totalsOf([{ amountCents: 0.5, paidBy: 'stripe' }], [])).toThrow(/safe integer/);
    expect(() => totalsOf([], [], { walletBalanceEndCents: 1.5 })).toThrow(/walletBalanceEndCents/);
  });
});

describe('issueInvoice', () => {
  it('orders lines in the display groups, by project, platform and kind, whatever order they came in', () => {
    const invoice = agencyInvoice();
    const kinds = invoice.lines.map((l) => l.kind);
    const groupOrder = kinds.map((k) =>
      LINE_GROUPS.findIndex((g) => (g.kinds as readonly string[]).includes(k)),
    );
    expect(groupOrder).toEqual([...groupOrder].sort((a, b) => a - b));
    expect(kinds.slice(0, 3)).toEqual(['subscription', 'proration', 'proration']);
    // Projects by name (Evergreen before Spring launch), credits in the order they are consumed.
    expect(
      invoice.lines.filter((l) => l.kind.startsWith('credits_')).map((l) => `${l.projectName}:${l.kind}`),
    ).toEqual([
      'Evergreen:credits_included',
      'Evergreen:credits_prepaid',
      'Evergreen:credits_overage',
      'Spring launch:credits_rolled_over',
      'Spring launch:credits_included',
    ]);
    expect(walletRows(invoice.lines).map((r) => `${r.projectName}:${r.platform}`)).toEqual([
      'Evergreen:meta',
      'Evergreen:google',
      'Spring launch:meta',
      'Spring launch:tiktok',
    ]);
    expect(groupLines(invoice.lines).map((g) => g.id)).toEqual([
      'plan',
      'credits',
      'packs',
      'wallet',
      'usage',
    ]);
    expect(orderLines(invoice.lines)).toEqual(invoice.lines);
  });

  it('sorts project names as a reader would: Client 2 before Client 10', () => {
    const names = [...new Set(longInvoice().lines.flatMap((l) => (l.projectName ? [l.projectName] : [])))];
    expect(names.slice(0, 3)).toEqual(['Client 1', 'Client 2', 'Client 3']);
    expect(names.at(-1)).toBe('Client 57');
  });

  it('fills who pays each line from its kind, and puts payments in order of time', () => {
    const invoice = agencyInvoice();
    for (const line of invoice.lines) expect(line.paidBy).toBe(PAID_BY[line.kind]);
    const times = invoice.payments.map((p) => Date.parse(p.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const input = agencyInput();
    const shuffled = issueInvoice({ ...input, payments: [...input.payments].reverse() });
    expect(shuffled.payments).toEqual(invoice.payments);
  });

  it('freezes the issued document: it is never edited, a correction is a credit note', () => {
    const invoice = agencyInvoice() as { -readonly [K in keyof Invoice]: Invoice[K] };
    expect(Object.isFrozen(invoice)).toBe(true);
    expect(() => {
      invoice.number = 'LB-2026-000099';
    }).toThrow(TypeError);
    expect(() => {
      (invoice.lines[0] as { amountCents: number }).amountCents = 1;
    }).toThrow(TypeError);
    expect(() => (invoice.lines as unknown as unknown[]).push({})).toThrow(TypeError);
    expect(() => {
      (invoice.totals as { totalCents: number }).totalCents = 0;
    }).toThrow(TypeError);
    // The caller's input stays its own.
    const input = agencyInput();
    issueInvoice(input);
    expect(Object.isFrozen(input.lines[0])).toBe(false);
  });

  it('leaves absent optionals out rather than storing undefined', () => {
    const invoice = issueInvoice({ ...byoInput(), correctsNumber: undefined });
    expect('correctsNumber' in invoice).toBe(false);
    expect('billingTimeZone' in invoice.org).toBe(false);
    expect('unitCents' in invoice.lines.find((l) => l.kind === 'credits_included')!).toBe(false);
  });

  it('spells numbers LB-<year>-<six digits>', () => {
    expect(invoiceNumber(2026, 42)).toBe('LB-2026-000042');
    expect(invoiceNumber(2026, 1_234_567)).toBe('LB-2026-1234567');
    expect(() => invoiceNumber(2026, 0)).toThrow(RangeError);
    expect(() => invoiceNumber(26, 1)).toThrow(RangeError);
  });

  it('reads numbers as ASCII digits only, whatever a regular expression engine takes \\d for', () => {
    expect(INVOICE_NUMBER_PATTERN.test('LB-2026-000042')).toBe(true);
    expect(INVOICE_NUMBER_PATTERN.test('LB-٢٠٢٦-000042')).toBe(false);
    expect(INVOICE_NUMBER_PATTERN.source).not.toContain('\\d');
  });
});

describe('the preview of the open period (issueInvoice with { preview: true })', () => {
  const preview = (): InvoiceInput => ({ ...agencyInput(), number: PREVIEW_NUMBER });

  it('is numbered upcoming, checked by every other rule, frozen, and rendered as JSON when asked for', () => {
    const invoice = issueInvoice(preview(), { preview: true });
    expect(invoice.number).toBe('upcoming');
    expect(invoice.totals).toEqual(agencyInvoice().totals);
    expect(Object.isFrozen(invoice)).toBe(true);
    expect(JSON.parse(renderInvoiceJson(invoice, { preview: true }))).toMatchObject({
      number: 'upcoming',
      lines: invoice.lines,
    });
    expect(
      problemsOf(preview(), (i) => ((i.lines[0] as { amountCents: number }).amountCents = 1.5), {
        preview: true,
      }),
    ).toEqual([expect.stringMatching(/amountCents: must be a safe integer/)]);
  });

  it('is refused without the option: nothing stored or rendered as an invoice can carry its number', () => {
    expect(problemsOf(preview(), () => {})).toEqual(['number: must look like LB-2026-000042']);
    const invoice = issueInvoice(preview(), { preview: true });
    expect(invoiceProblems(invoice)).toEqual(['number: must look like LB-2026-000042']);
    expect(() => renderInvoiceJson(invoice)).toThrow(InvalidInvoiceError);
    expect(() => renderInvoiceCsv(invoice)).toThrow(InvalidInvoiceError);
  });

  it('takes no other number with the option, and is never a credit note', () => {
    expect(problemsOf(agencyInput(), () => {}, { preview: true })).toEqual([
      'number: a preview is numbered upcoming',
    ]);
    expect(
      problemsOf(
        creditNoteInput(),
        (i) => {
          i.number = PREVIEW_NUMBER;
        },
        { preview: true },
      ),
    ).toEqual(['kind: a preview is an invoice, never a credit note']);
  });
});

describe('the invariants (invoiceProblems)', () => {
  it('holds for every sample', () => {
    for (const input of [agencyInput(), byoInput(), creditNoteInput()]) {
      expect(invoiceProblems(issueInvoice(input))).toEqual([]);
    }
  });

  it('knows every kind of line', () => {
    expect(Object.keys(PAID_BY).sort()).toEqual([...INVOICE_LINE_KINDS].sort());
    expect(LINE_GROUPS.flatMap((g) => g.kinds).sort()).toEqual([...INVOICE_LINE_KINDS].sort());
  });

  it('refuses totals that do not add up', () => {
    const invoice = agencyInvoice();
    const broken = { ...invoice, totals: { ...invoice.totals, totalCents: invoice.totals.totalCents + 1 } };
    expect(invoiceProblems(broken)).toEqual([expect.stringMatching(/^totals\.totalCents/)]);
    const charged = { ...invoice, totals: { ...invoice.totals, chargedCents: 0 } };
    expect(invoiceProblems(charged)).toEqual([expect.stringMatching(/^totals\.chargedCents/)]);
    const collected = { ...invoice, totals: { ...invoice.totals, collectedCents: 0 } };
    expect(invoiceProblems(collected)).toEqual([expect.stringMatching(/^totals\.collectedCents/)]);
    const owed = { ...invoice, totals: { ...invoice.totals, owedCents: -5 } };
    expect(invoiceProblems(owed)).toContainEqual(expect.stringMatching(/^totals\.owedCents/));
  });

  it('refuses a unit price that does not multiply out, and credit overage without one', () => {
    expect(
      problemsOf(agencyInput(), (i) => {
        const overage = i.lines.find((l) => l.kind === 'credits_overage') as { unitCents?: number };
        overage.unitCents = 11;
      }),
    ).toEqual([expect.stringMatching(/amountCents: must be quantity × unitCents \(1250 × 11\)/)]);
    expect(
      problemsOf(agencyInput(), (i) => {
        delete (i.lines.find((l) => l.kind === 'credits_overage') as { unitCents?: number }).unitCents;
      }),
    ).toEqual([expect.stringMatching(/unitCents: overage is priced per unit/)]);
    // Usage is priced pro rata per block: its line may say the rate in words instead.
    expect(
      problemsOf(agencyInput(), (i) => {
        delete (i.lines.find((l) => l.kind === 'usage_overage') as { unitCents?: number }).unitCents;
      }),
    ).toEqual([]);
  });

  it('refuses fractional, negative or unsafe quantities and amounts', () => {
    const at = (kind: string, change: (l: Record<string, unknown>) => void) =>
      problemsOf(agencyInput(), (i) =>
        change(i.lines.find((l) => l.kind === kind) as Record<string, unknown>),
      );
    expect(at('credit_pack', (l) => (l.quantity = 1.5))).toContainEqual(expect.stringMatching(/quantity/));
    expect(at('credits_included', (l) => (l.quantity = -1))).toContainEqual(
      expect.stringMatching(/quantity/),
    );
    expect(at('ad_spend', (l) => (l.amountCents = 10.5))).toContainEqual(
      expect.stringMatching(/amountCents/),
    );
    expect(at('ad_spend', (l) => (l.amountCents = 2 ** 60))).toContainEqual(
      expect.stringMatching(/amountCents/),
    );
    expect(at('ad_spend', (l) => (l.amountCents = -100))).toEqual([
      expect.stringMatching(/only proration lines may be negative on an invoice/),
    ]);
    expect(at('credits_included', (l) => (l.amountCents = 100))).toEqual([
      expect.stringMatching(/credits_included credits cost nothing/),
    ]);
    expect(at('subscription', (l) => (l.description = '  '))).toEqual([
      expect.stringMatching(/description: must not be blank/),
    ]);
  });

  it('needs a project on credit and wallet lines, a platform on wallet lines only, a metric on usage', () => {
    expect(
      problemsOf(
        agencyInput(),
        (i) => delete (i.lines.find((l) => l.kind === 'credits_overage') as { projectId?: string }).projectId,
      ),
    ).toContainEqual(expect.stringMatching(/projectId: required on credits_overage/));
    expect(
      problemsOf(
        agencyInput(),
        (i) => ((i.lines.find((l) => l.kind === 'ad_spend') as { platform?: string }).platform = 'myspace'),
      ),
    ).toContainEqual(expect.stringMatching(/platform: must be one of meta, tiktok, google/));
    expect(
      problemsOf(
        agencyInput(),
        (i) => ((i.lines.find((l) => l.kind === 'credit_pack') as { platform?: string }).platform = 'meta'),
      ),
    ).toEqual([expect.stringMatching(/platform: only wallet lines name a platform/)]);
    expect(
      problemsOf(
        agencyInput(),
        (i) => delete (i.lines.find((l) => l.kind === 'usage_overage') as { metric?: string }).metric,
      ),
    ).toEqual([expect.stringMatching(/metric: required on usage lines/)]);
  });

  it('allows one line of a kind per project (and platform): two would be two rows for one thing', () => {
    const problems = problemsOf(agencyInput(), (i) => {
      const spend = i.lines.find((l) => l.kind === 'ad_spend')!;
      i.lines = [...i.lines, { ...spend }];
    });
    expect(problems).toEqual([expect.stringMatching(/one ad_spend line per project and platform/)]);
  });

  it('refuses unknown kinds before anything else', () => {
    expect(problemsOf(agencyInput(), (i) => ((i.lines[0] as { kind: string }).kind = 'tip'))).toEqual([
      'lines[0].kind: unknown line kind tip',
    ]);
  });

  it('refuses lines out of display groups in a stored document', () => {
    const invoice = agencyInvoice();
    const reversed = { ...invoice, lines: [...invoice.lines].reverse() };
    expect(invoiceProblems(reversed)).toEqual(['lines: must be grouped for display (orderLines)']);
    const lines = [...invoice.lines];
    const meta = lines.findIndex((l) => l.kind === 'ad_spend');
    // A project's fee line moved away from its spend line, past another project's.
    const [fee] = lines.splice(meta + 1, 1);
    lines.splice(
      lines.findLastIndex((l) => l.kind === 'platform_fee'),
      0,
      fee!,
    );
    expect(invoiceProblems({ ...invoice, lines })).toEqual([
      'lines: must be grouped for display (orderLines)',
    ]);
  });

  it('gives a BYO org no wallet: no media spend, no platform fee, no top-ups, nothing owed', () => {
    const input = byoInput();
    expect(
      problemsOf(input, (i) =>
        i.lines.push({
          kind: 'ad_spend',
          description: 'Meta ad spend',
          projectId: 'prj_solo',
          platform: 'meta',
          quantity: 1,
          amountCents: 100,
        }),
      ),
    ).toEqual([expect.stringMatching(/a BYO org has no wallet, so no ad_spend lines/)]);
    expect(
      problemsOf(input, (i) =>
        i.lines.push({
          kind: 'platform_fee',
          description: 'Fee',
          projectId: 'prj_solo',
          platform: 'meta',
          quantity: 1,
          amountCents: 5,
        }),
      ),
    ).toEqual([expect.stringMatching(/no platform_fee lines/)]);
    expect(
      problemsOf(input, (i) =>
        i.payments.push({ kind: 'top_up', method: 'card', at: '2026-03-02T00:00:00Z', amountCents: 1_000 }),
      ),
    ).toEqual([expect.stringMatching(/payments\[1\]\.kind: a BYO org has no wallet/)]);
    expect(problemsOf(input, (i) => (i.walletBalanceEndCents = -100))).toEqual([
      'totals.owedCents: a BYO org has no wallet to owe',
    ]);
  });

  it('makes a credit note name the invoice it corrects, give money back, and record no payments', () => {
    expect(problemsOf(creditNoteInput(), (i) => delete i.correctsNumber)).toEqual([
      'correctsNumber: a credit note names the invoice it corrects',
    ]);
    expect(problemsOf(creditNoteInput(), (i) => (i.correctsNumber = i.number))).toEqual([
      'correctsNumber: a credit note has a number of its own',
    ]);
    expect(problemsOf(agencyInput(), (i) => (i.correctsNumber = 'LB-2026-000001'))).toEqual([
      'correctsNumber: only credit notes correct an invoice',
    ]);
    expect(
      problemsOf(creditNoteInput(), (i) =>
        i.lines.push({
          kind: 'subscription',
          description: 'Re-billed plan',
          quantity: 1,
          unitCents: 100_000,
          amountCents: 100_000,
        }),
      ),
    ).toEqual(['totals.totalCents: a credit note gives money back (≤ 0)']);
    expect(
      problemsOf(creditNoteInput(), (i) =>
        i.payments.push({ kind: 'collection', at: '2026-04-16T00:00:00Z', amountCents: 1 }),
      ),
    ).toEqual(['payments: a credit note records no payments']);
    expect(problemsOf(creditNoteInput(), (i) => (i.walletBalanceEndCents = -1))).toEqual([
      'totals.owedCents: a credit note owes nothing (0)',
    ]);
  });

  it('checks the header: number, period, times, org and currency', () => {
    expect(problemsOf(agencyInput(), (i) => (i.number = 'INV-42'))).toEqual([
      'number: must look like LB-2026-000042',
    ]);
    expect(problemsOf(agencyInput(), (i) => (i.periodEnd = i.periodStart))).toEqual([
      'periodEnd: must be after periodStart',
    ]);
    expect(problemsOf(agencyInput(), (i) => (i.issuedAt = 'yesterday'))).toEqual([
      'issuedAt: must be an ISO 8601 time',
    ]);
    expect(problemsOf(agencyInput(), (i) => (i.issuedAt = '2026-03-01T00:00:00Z'))).toEqual([
      'issuedAt: a document is never issued before its period starts',
    ]);
    expect(
      problemsOf(
        agencyInput(),
        (i) => ((i.org as { billingTimeZone?: string }).billingTimeZone = 'Mars/Olympus'),
      ),
    ).toEqual(['org.billingTimeZone: unknown time zone']);
    expect(problemsOf(agencyInput(), (i) => ((i.org as { name: string }).name = ''))).toEqual([
      'org.name: required',
    ]);
    expect(problemsOf(agencyInput(), (i) => (i.memo = ' '))).toEqual(['memo: must not be blank when given']);
    const invoice = agencyInvoice();
    expect(invoiceProblems({ ...invoice, currency: 'eur' as 'usd' })).toEqual(['currency: only usd']);
  });

  it('keeps payment amounts positive (the kind says which way) and payments in time order', () => {
    expect(
      problemsOf(agencyInput(), (i) => ((i.payments[0] as { amountCents: number }).amountCents = -5)),
    ).toEqual([expect.stringMatching(/payments\[\d\]\.amountCents: must be a positive safe integer/)]);
    const invoice = agencyInvoice();
    expect(invoiceProblems({ ...invoice, payments: [...invoice.payments].reverse() })).toEqual([
      'payments: must be in order of time',
    ]);
  });
});
