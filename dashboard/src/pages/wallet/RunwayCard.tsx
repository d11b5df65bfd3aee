import type { Wallet } from '../../api/types';
import { DataTable } from '../../components/DataTable';
import { Money } from '../../components/ui';
import { formatDate } from '../../lib/dates';
import { formatInteger } from '../../lib/numbers';

type Runway = Wallet['forecast']['trailing7'];

function untilFloor(r: Runway): string {
  if (r.daysUntilFloor === null) return 'No recent spend';
  if (r.daysUntilFloor === 0) return 'At the floor now';
  return `${formatInteger(r.daysUntilFloor)} ${r.daysUntilFloor === 1 ? 'day' : 'days'}`;
}

/** How long the settled balance lasts at the recent daily spend (spend + fee), before ads would pause. */
export function RunwayCard({ wallet: w }: { wallet: Wallet }) {
  const runways = [w.forecast.trailing7, w.forecast.trailing30];
  return (
    <div className="stack">
      <DataTable
        caption="Runway at the average daily spend"
        hideCaption
        rows={runways}
        rowKey={(r) => String(r.windowDays)}
        testId="runway"
        columns={[
          { header: 'Based on', cell: (r) => `Last ${r.windowDays} days` },
          { header: 'Average per day', numeric: true, cell: (r) => <Money cents={r.averageDailyCents} /> },
          { header: 'Until the floor', numeric: true, cell: untilFloor },
          { header: 'Floor reached', cell: (r) => (r.floorDate ? formatDate(r.floorDate) : '—') },
          {
            header: 'Auto-top-up keeps up',
            cell: (r) => (r.autoTopUpCovers ? 'Yes' : 'No'),
          },
        ]}
      />
      <p className="muted small">
        Complete days in {w.timeZone}; pending top-ups are not counted until they settle.
      </p>
    </div>
  );
}
