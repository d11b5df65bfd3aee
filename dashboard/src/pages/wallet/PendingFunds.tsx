import type { Wallet } from '../../api/types';
import { DataTable } from '../../components/DataTable';
import { EmptyState, Money } from '../../components/ui';
import { formatDate, formatDateTime } from '../../lib/dates';
import { methodName } from '../../lib/labels';
import { sumCents } from '../../lib/money';

/** Top-ups still on their way, with the day ACH is expected to settle. */
export function PendingFunds({ wallet: w }: { wallet: Wallet }) {
  if (w.pendingTopUps.length === 0)
    return (
      <EmptyState title="Nothing pending">
        Card top-ups settle at once; ACH takes 1–3 business days.
      </EmptyState>
    );
  return (
    <DataTable
      caption="Pending top-ups"
      hideCaption
      rows={w.pendingTopUps}
      rowKey={(t) => String(t.id)}
      testId="pending-top-ups"
      columns={[
        { header: 'Started', cell: (t) => formatDateTime(t.startedAt) },
        { header: 'Method', cell: (t) => `${methodName(t.method)}${t.trigger === 'auto' ? ' (auto)' : ''}` },
        {
          header: 'Expected',
          cell: (t) => (t.expectedSettlement ? formatDate(t.expectedSettlement) : 'Any moment'),
        },
        { header: 'Amount', numeric: true, cell: (t) => <Money cents={t.amountCents} /> },
      ]}
      footer={
        <tr>
          <th scope="row" colSpan={3}>
            Total pending
          </th>
          <td className="numeric">
            <Money cents={sumCents(w.pendingTopUps.map((t) => t.amountCents))} className="strong" />
          </td>
        </tr>
      }
    />
  );
}
