import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { runSimulation } from '../../src/simulator/runner';
import { parseScenario } from '../../src/simulator/scenario';
import { adminUrl } from '../support/postgres';
import '../support/temporal';

const dir = await mkdtemp(path.join(os.tmpdir(), 'layers-invoices-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

const within = (at: string, start: string, end: string) => at >= start && at < end;

describe('layers-billing simulate: invoices', { timeout: 180_000 }, () => {
  it("issues one invoice per period close, each the sum of the period's legs, and files its PDF and CSV", async () => {
    const t = await runSimulation(
      parseScenario({
        start: '2026-01-05T09:00:00Z',
        until: '2026-04-06T00:00:00Z',
        org: { tier: 'plus', mode: 'agency' },
        events: [
          // Month 1: overage on plus, bills on three platforms with nothing in the wallet (owed).
          { at: '2026-01-10T00:00:00Z', generation: { format: 'slideshow_builder', actualCredits: 400 } },
          { at: '2026-01-12T00:00:00Z', adSpend: { platform: 'meta', amountCents: 12_345 } },
          { at: '2026-01-13T00:00:00Z', adSpend: { platform: 'google', amountCents: 9_999 } },
          { at: '2026-01-14T00:00:00Z', adSpend: { platform: 'tiktok', amountCents: 501 } },
          // Month 2: a pack, an upgrade, the wallet repaid by wire.
          { at: '2026-02-10T00:00:00Z', buyPack: { packId: 'pack_100' } },
          { at: '2026-02-11T00:00:00Z', changePlan: { tier: 'pro' } },
          { at: '2026-02-12T00:00:00Z', topUp: { method: 'wire', amountCents: 50_000 } },
          { at: '2026-02-20T00:00:00Z', adSpend: { platform: 'meta', amountCents: 4_000 } },
          // Month 3: SDK events past pro's allowance.
          { at: '2026-03-10T00:00:00Z', usage: { metric: 'sdk_events', quantity: 2_500_000 } },
          { at: '2026-03-11T00:00:00Z', generation: { format: 'slideshow_builder', actualCredits: 200 } },
        ],
      }),
      { serverUrl: adminUrl(), settleTimeoutMs: 30_000, invoicesDir: dir },
    );
    expect(t.ledgerDrift).toBe(0);
    expect(t.periods).toHaveLength(3);
    expect(t.invoices).toHaveLength(3);
    const sequences = t.invoices.map((i) => Number(i.number.slice('LB-2026-'.length)));
    expect(sequences).toEqual([sequences[0], sequences[0]! + 1, sequences[0]! + 2]);

    for (const [i, invoice] of t.invoices.entries()) {
      const period = t.periods[i]!;
      expect([invoice.periodStart, invoice.periodEnd]).toEqual([period.start, period.end]);
      const sum = (kinds: (k: string) => boolean, field: 'quantity' | 'amountCents') =>
        invoice.lines.filter((l) => kinds(l.kind)).reduce((s, l) => s + l[field], 0);
      expect(invoice.totals.totalCents).toBe(sum(() => true, 'amountCents'));
      expect(sum((k) => k.startsWith('credits_'), 'quantity')).toBe(period.usedCredits);
      expect(sum((k) => k === 'credits_overage', 'quantity')).toBe(period.overageCredits);
      const debits = t.wallet!.debits.filter((d) => within(d.at, period.start, period.end));
      expect(sum((k) => k === 'ad_spend', 'amountCents')).toBe(debits.reduce((s, d) => s + d.spendCents, 0));
      expect(sum((k) => k === 'platform_fee', 'amountCents')).toBe(
        debits.reduce((s, d) => s + d.feeCents, 0),
      );

      // What the invoice charges itself is collected once, keyed by its number.
      const due = sum((k) => k === 'credits_overage' || k === 'usage_overage', 'amountCents');
      const collections = t.charges.filter((c) => c.businessKey === `invoice:${invoice.number}`);
      expect(collections.map((c) => [c.kind, c.amountCents, c.status])).toEqual(
        due > 0 ? [['invoice', due, 'succeeded']] : [],
      );

      const csv = parse(await readFile(path.join(dir, `${invoice.number}.csv`), 'utf8'), {
        columns: true,
        bom: true,
      }) as Array<Record<string, string>>;
      expect(csv.map((r) => Number(r.amount_cents))).toEqual(invoice.lines.map((l) => l.amountCents));
    }
    const [january, february, march] = t.invoices;
    expect(
      january!.lines
        .filter((l) => l.kind === 'ad_spend')
        .map((l) => l.platform)
        .sort(),
    ).toEqual(['google', 'meta', 'tiktok']);
    // The wallet started empty and was not funded in January: everything it paid is owed.
    expect(january!.totals.owedCents).toBe(january!.totals.paidFromWalletCents);
    expect(january!.totals.paidFromWalletCents).toBeGreaterThan(12_345 + 9_999 + 501);
    expect(february!.lines.map((l) => l.kind)).toEqual(expect.arrayContaining(['proration', 'credit_pack']));
    expect(february!.payments.map((p) => p.kind)).toEqual(expect.arrayContaining(['top_up']));
    expect(march!.lines.find((l) => l.kind === 'usage_overage')).toMatchObject({ metric: 'sdk_events' });
    expect((await readdir(dir)).filter((f) => f.endsWith('.pdf'))).toHaveLength(3);
  });
});
