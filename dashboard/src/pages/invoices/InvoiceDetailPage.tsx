import { get } from '../../api/client';
import type { IssuedInvoice } from '../../api/types';
import { Badge, Card, Loaded, Money, PageHeader } from '../../components/ui';
import { formatDate } from '../../lib/dates';
import { collectionName, collectionTone } from '../../lib/labels';
import { useResource } from '../../lib/useResource';
import { Link } from '../../router';
import { InvoiceDocumentView } from './InvoiceDocumentView';
import { Downloads } from './InvoicesPage';

/** One issued invoice or credit note (GET /v1/invoices/{number}). */
export function InvoiceDetailPage({ number }: { number: string }) {
  const invoice = useResource(
    (signal) => get<IssuedInvoice>(`/v1/invoices/${encodeURIComponent(number)}`, signal),
    `invoice:${number}`,
  );
  return (
    <>
      <p className="breadcrumb">
        <Link to="invoices">← All invoices</Link>
      </p>
      <PageHeader title={number} />
      <Card
        title={
          invoice.status === 'ready' && invoice.data.invoice.kind === 'credit_note'
            ? 'Credit note'
            : 'Invoice'
        }
        busy={invoice.status === 'loading'}
        aside={<Downloads number={number} />}
      >
        <Loaded resource={invoice} what={`invoice ${number}`} lines={6}>
          {(d) => (
            <>
              <p>
                Issued {formatDate(d.invoice.issuedAt)} to {d.invoice.org.name}.{' '}
                {d.invoice.correctsNumber ? (
                  <>
                    Corrects{' '}
                    <Link to={`invoices/${d.invoice.correctsNumber}`}>{d.invoice.correctsNumber}</Link>.{' '}
                  </>
                ) : null}
                Due by card: <Money cents={d.dueCents} />{' '}
                <Badge tone={collectionTone(d.collection)}>{collectionName(d.collection)}</Badge>
              </p>
              <InvoiceDocumentView invoice={d.invoice} testId="invoice-document" />
            </>
          )}
        </Loaded>
      </Card>
    </>
  );
}
