import { get } from '../../api/client';
import type { WalletSpend } from '../../api/types';
import { BarChartFigure } from '../../components/BarChartFigure';
import { Loaded, Money } from '../../components/ui';
import { formatPeriod, formatShortDay } from '../../lib/dates';
import { platformName } from '../../lib/labels';
import { formatCents, sumCents } from '../../lib/money';
import { useResource } from '../../lib/useResource';

export const WALLET_SPEND_PATH = '/v1/wallet/spend-summary';

/** Spend and fees over the last 30 days, by platform, by project and by day. */
export function SpendCharts({ version }: { version: number }) {
  const spend = useResource((signal) => get<WalletSpend>(WALLET_SPEND_PATH, signal), `spend#${version}`);
  return (
    <Loaded resource={spend} what="the spend" lines={6}>
      {(s) => {
        const spendTotal = sumCents(s.byPlatform.map((p) => p.spendCents));
        const feeTotal = sumCents(s.byPlatform.map((p) => p.feeCents));
        return (
          <>
            <p className="muted">
              {formatPeriod(s.from, s.to)}: <Money cents={spendTotal} /> ad spend and{' '}
              <Money cents={feeTotal} /> in platform fees,{' '}
              <Money cents={sumCents([spendTotal, feeTotal])} className="strong" /> in all.
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
                category="projectId"
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
              series={[{ key: 'spendCents', label: 'Ad spend', color: '#0c8599' }]}
              formatValue={formatCents}
              emptyText="No ad spend in these 30 days."
              testId="spend-by-day"
            />
          </>
        );
      }}
    </Loaded>
  );
}
