import type { InvoiceDocument } from '../../api/types';
import { DataTable } from '../../components/DataTable';
import { EmptyState, Money, Stat, StatGrid } from '../../components/ui';
import { formatDate, formatDateTime } from '../../lib/dates';
import { lineKindName, methodName, paidByName, platformName } from '../../lib/labels';
import { formatCents } from '../../lib/money';
import { formatInteger } from '../../lib/numbers';

const PAYMENT_TEXT: Record<string, string> = {
  top_up: 'Wallet top-up',
  withdrawal: 'Wallet withdrawal',
  collection: 'Collected by card',
};

/** An invoice's lines, payments and totals, exactly as the document has them (issued or upcoming). */
export function InvoiceDocumentView({ invoice, testId }: { invoice: InvoiceDocument; testId?: string }) {
  const t = invoice.totals;
  return (
    <div className="stack" data-testid={testId}>
      {invoice.memo ? <p className="memo">{invoice.memo}</p> : null}
      {invoice.lines.length === 0 ? (
        <EmptyState title="No lines yet" />
      ) : (
        <DataTable
          caption={`Lines of ${invoice.number === 'upcoming' ? 'the upcoming invoice' : invoice.number}`}
          hideCaption
          rows={invoice.lines}
          rowKey={(_, i) => String(i)}
          testId="invoice-lines"
          columns={[
            {
              header: 'Item',
              cell: (l) => (
                <>
                  <span className="line-kind">{lineKindName(l.kind)}</span>
                  <span className="line-description">{l.description}</span>
                </>
              ),
            },
            {
              header: 'Project',
              secondary: true,
              cell: (l) => l.projectName ?? l.projectId ?? '—',
            },
            {
              header: 'Platform',
              secondary: true,
              cell: (l) => (l.platform ? platformName(l.platform) : '—'),
            },
            { header: 'Qty', numeric: true, cell: (l) => formatInteger(l.quantity) },
            {
              header: 'Unit',
              numeric: true,
              secondary: true,
              cell: (l) => (l.unitCents === undefined ? '—' : formatCents(l.unitCents)),
            },
            { header: 'Amount', numeric: true, cell: (l) => <Money cents={l.amountCents} /> },
            { header: 'Paid by', cell: (l) => paidByName(l.paidBy) },
          ]}
        />
      )}
      <StatGrid>
        <Stat label="Total" value={<Money cents={t.totalCents} />} testId="invoice-total" emphasis />
        <Stat label="By card" value={<Money cents={t.chargedCents} />} testId="invoice-charged" />
        <Stat label="From wallet" value={<Money cents={t.paidFromWalletCents} />} testId="invoice-wallet" />
        {t.owedCents > 0 ? <Stat label="Owed by the wallet" value={<Money cents={t.owedCents} />} /> : null}
        <Stat label="Collected" value={<Money cents={t.collectedCents} />} testId="invoice-collected" />
      </StatGrid>
      {invoice.payments.length > 0 ? (
        <DataTable
          caption="Payments in the period"
          rows={invoice.payments}
          rowKey={(_, i) => String(i)}
          columns={[
            { header: 'Payment', cell: (p) => PAYMENT_TEXT[p.kind] ?? p.kind },
            { header: 'Method', cell: (p) => (p.method ? methodName(p.method) : '—') },
            { header: 'When', cell: (p) => formatDateTime(p.at) },
            { header: 'Reference', secondary: true, cell: (p) => <code>{p.reference ?? '—'}</code> },
            { header: 'Amount', numeric: true, cell: (p) => <Money cents={p.amountCents} /> },
          ]}
        />
      ) : null}
      <p className="muted small">
        Period {formatDate(invoice.periodStart)} – {formatDate(invoice.periodEnd)}
        {invoice.org.billingTimeZone ? ` (${invoice.org.billingTimeZone})` : ''}.
      </p>
    </div>
  );
}
