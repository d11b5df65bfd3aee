import { get } from '../../api/client';
import type { WalletSpend } from '../../api/types';
import { BarChartFigure } from '../../components/BarChartFigure';
import { Loaded, Money } from '../../components/ui';
import { formatPeriod, formatShortDay } from '../../lib/dates';
import { platformName } from '../../lib/labels';
import { formatCents, sumCents } from '../../lib/money';
import { useResource } from '../../lib/useResource';

export const WALLET_SPEND_PATH = '/v1/wallet/spend-summary';

/** Spend and fees over the last 30 days (GET /v1/wallet/spend-summary), by platform, project and day. */
export function SpendCharts({ version }: { version: number }) {
  const spend = useResource((signal) => get<WalletSpend>(WALLET_SPEND_PATH, signal), `spend#${version}`);
  return (
    <Loaded resource={spend} what="the spend" lines={6}>
      {(s) => (
        <>
          <p className="muted">
            {formatPeriod(s.from, s.to)}: <Money cents={s.totals.spendCents} /> ad spend and{' '}
            <Money cents={s.totals.feeCents} /> in platform fees,{' '}
            <span data-testid="spend-total">
              <Money cents={sumCents([s.totals.spendCents, s.totals.feeCents])} className="strong" />
            </span>{' '}
            in all.
          </p>
          <div className="grid grid-2 charts">
            <BarChartFigure
              title="By platform"
              data={s.byPlatform}
              category="platform"
              categoryLabel="Platform"
              formatCategory={platformName}
              series={[
                { key: 'spendCents', label: 'Ad spend', color: '#3451b2' },
                { key: 'feeCents', label: 'Platform fee', color: '#f08c00' },
              ]}
              formatValue={formatCents}
              layout="rows"
              stacked
              emptyText="No ad spend in these 30 days."
              testId="spend-by-platform"
            />
            <BarChartFigure
              title="By project"
              data={s.byProject}
              category="projectName"
              categoryLabel="Project"
              series={[
                { key: 'spendCents', label: 'Ad spend', color: '#3451b2' },
                { key: 'feeCents', label: 'Platform fee', color: '#f08c00' },
              ]}
              formatValue={formatCents}
              layout="rows"
              stacked
              emptyText="No project spent in these 30 days."
              testId="spend-by-project"
            />
          </div>
          <BarChartFigure
            title="Per day"
            data={s.byDay}
            category="date"
            categoryLabel="Day"
            formatCategory={formatShortDay}
            series={[
              { key: 'spendCents', label: 'Ad spend', color: '#3451b2' },
              { key: 'feeCents', label: 'Platform fee', color: '#f08c00' },
            ]}
            stacked
            formatValue={formatCents}
            emptyText="No ad spend in these 30 days."
            testId="spend-by-day"
          />
        </>
      )}
    </Loaded>
  );
}
