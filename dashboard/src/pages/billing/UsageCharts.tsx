import type { CreditUsage } from '../../api/types';
import { BarChartFigure } from '../../components/BarChartFigure';
import { formatPeriod, formatShortDay } from '../../lib/dates';
import { formatCredits } from '../../lib/numbers';

/**
 * What generations were charged in the current credit period, per day (in the org's zone) and per project
 * (GET /v1/credits/usage).
 */
export function UsageCharts({ usage }: { usage: CreditUsage }) {
  return (
    <>
      <p className="muted">
        {formatPeriod(usage.periodStart, usage.periodEnd)}:{' '}
        <span className="num" data-testid="usage-total">
          {formatCredits(usage.totalCredits)}
        </span>{' '}
        credits charged to generations. Days in {usage.timeZone}.
      </p>
      <div className="grid grid-2 charts">
        <BarChartFigure
          title="Credits used per day"
          data={usage.byDay}
          category="date"
          categoryLabel="Day"
          formatCategory={formatShortDay}
          series={[{ key: 'credits', label: 'Credits', color: '#3451b2' }]}
          formatValue={formatCredits}
          emptyText="No credits used yet this period."
          testId="usage-by-day"
        />
        <BarChartFigure
          title="Credits used per project"
          data={usage.byProject}
          category="projectName"
          categoryLabel="Project"
          series={[{ key: 'credits', label: 'Credits', color: '#0c8599' }]}
          formatValue={formatCredits}
          layout="rows"
          emptyText="No project has used credits this period."
          testId="usage-by-project"
        />
      </div>
    </>
  );
}
