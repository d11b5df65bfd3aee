import { get, query } from '../../api/client';
import type { InvoiceSummary, UpcomingInvoice } from '../../api/types';
import { PagedTable } from '../../components/PagedTable';
import { Badge, Card, Loaded, Money, PageHeader } from '../../components/ui';
import { formatDate, formatPeriod } from '../../lib/dates';
import { collectionName, collectionTone } from '../../lib/labels';
import { usePaged } from '../../lib/usePaged';
import { useResource } from '../../lib/useResource';
import { Link } from '../../router';
import { InvoiceDocumentView } from './InvoiceDocumentView';

export const invoiceFileUrl = (number: string, ext: 'pdf' | 'csv') =>
  `/v1/invoices/${encodeURIComponent(number)}.${ext}`;

export function Downloads({ number }: { number: string }) {
  return (
    <span className="downloads">
      <a className="button button-small button-secondary" href={invoiceFileUrl(number, 'pdf')} download>
        PDF<span className="visually-hidden"> of {number}</span>
      </a>
      <a className="button button-small button-secondary" href={invoiceFileUrl(number, 'csv')} download>
        CSV<span className="visually-hidden"> of {number}</span>
      </a>
    </span>
  );
}

/** Org → Billing → Invoices: every issued invoice, newest first, then the open period's invoice so far. */
export function InvoicesPage() {
  const upcoming = useResource((signal) => get<UpcomingInvoice>('/v1/invoices/upcoming', signal), 'upcoming');
  return (
    <>
      <PageHeader title="Invoices">
        One invoice per billing period: subscription, credits, ad spend and usage. Download any as PDF or CSV.
      </PageHeader>
      <Card title="Issued invoices">
        <InvoiceList />
      </Card>
      <Card
        title="Upcoming invoice"
        busy={upcoming.status === 'loading'}
        aside={
          upcoming.status === 'ready' ? (
            <span className="muted small">
              {formatPeriod(upcoming.data.invoice.periodStart, upcoming.data.invoice.periodEnd)}, so far
            </span>
          ) : null
        }
      >
        <Loaded resource={upcoming} what="the upcoming invoice" lines={4}>
          {(u) => (
            <>
              <p className="muted">
                Not issued yet: what the open period would bill if it closed now. Due at the close:{' '}
                <Money cents={u.dueCents} />.
              </p>
              <InvoiceDocumentView invoice={u.invoice} testId="upcoming-invoice" />
            </>
          )}
        </Loaded>
      </Card>
    </>
  );
}

function InvoiceList() {
  const paged = usePaged<InvoiceSummary>((cursor) => `/v1/invoices${query({ cursor })}`, 'invoices');
  return (
    <PagedTable
      paged={paged}
      what="invoices"
      caption="Issued invoices, newest first"
      rowKey={(r) => r.number}
      testId="invoice-list"
      moreLabel="Load older invoices"
      empty={{
        title: 'No invoices yet',
        body: 'The first invoice is issued when the current billing period closes.',
      }}
      columns={[
        {
          header: 'Number',
          cell: (r) => (
            <Link to={`invoices/${r.number}`} className="mono">
              {r.number}
            </Link>
          ),
        },
        {
          header: 'Kind',
          secondary: true,
          cell: (r) => (r.kind === 'credit_note' ? <Badge tone="info">Credit note</Badge> : 'Invoice'),
        },
        { header: 'Period', cell: (r) => formatPeriod(r.periodStart, r.periodEnd) },
        { header: 'Issued', secondary: true, cell: (r) => formatDate(r.issuedAt) },
        { header: 'Total', numeric: true, cell: (r) => <Money cents={r.totalCents} /> },
        { header: 'Due by card', numeric: true, cell: (r) => <Money cents={r.dueCents} /> },
        {
          header: 'Status',
          cell: (r) => <Badge tone={collectionTone(r.collection)}>{collectionName(r.collection)}</Badge>,
        },
        { header: 'Download', cell: (r) => <Downloads number={r.number} /> },
      ]}
    />
  );
}
