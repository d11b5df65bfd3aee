import { useId } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { DataTable, type Column } from './DataTable';
import { EmptyState } from './ui';

export interface Series<Row> {
  key: keyof Row & string;
  label: string;
  color: string;
}

interface BarChartFigureProps<Row> {
  title: string;
  data: readonly Row[];
  /** The category of each bar: a day, a project, a platform. */
  category: keyof Row & string;
  categoryLabel: string;
  formatCategory?: (value: string) => string;
  series: Series<Row>[];
  /** How a value reads: credits with grouping, cents as dollars. */
  formatValue: (value: number) => string;
  /** Bars across (days) or along (projects, platforms: long names read better on the left). */
  layout?: 'columns' | 'rows';
  stacked?: boolean;
  emptyText: string;
  testId?: string;
}

const PALETTE_TEXT = '#4a5565';

/**
 * A Recharts bar chart with the same numbers as a table under it: the chart is for the eye (hidden from
 * screen readers, which get the table), the table for anyone who needs the exact figures.
 */
export function BarChartFigure<Row extends Record<string, unknown>>({
  title,
  data,
  category,
  categoryLabel,
  formatCategory = (v) => v,
  series,
  formatValue,
  layout = 'columns',
  stacked,
  emptyText,
  testId,
}: BarChartFigureProps<Row>) {
  const captionId = useId();
  const rows = layout === 'rows';
  const height = rows ? Math.max(160, 48 * data.length + 60) : 240;
  const columns: Column<Row>[] = [
    { header: categoryLabel, cell: (row) => formatCategory(String(row[category])) },
    ...series.map((s) => ({
      header: s.label,
      numeric: true,
      cell: (row: Row) => formatValue(Number(row[s.key])),
    })),
  ];
  const tick = { fill: PALETTE_TEXT, fontSize: 12 };
  const valueAxis = {
    tick,
    allowDecimals: false,
    tickFormatter: (v: number) => formatValue(v),
    width: 84,
  };
  // Recharts types data keys against the rows; these come from props, so they are plain strings here.
  const categoryAxis = {
    dataKey: category as string,
    tick,
    tickFormatter: (v: unknown) => formatCategory(String(v)),
  };

  return (
    <figure className="chart" aria-labelledby={captionId} data-testid={testId}>
      <figcaption id={captionId}>{title}</figcaption>
      {data.length === 0 ? (
        <EmptyState title={emptyText} />
      ) : (
        <>
          <div className="chart-box" aria-hidden="true" style={{ height }}>
            <ResponsiveContainer width="100%" height="100%">
              <BarChart
                data={data as unknown as Record<string, unknown>[]}
                layout={rows ? 'vertical' : 'horizontal'}
                margin={{ top: 8, right: 16, bottom: 4, left: 4 }}
                accessibilityLayer={false}
              >
                <CartesianGrid stroke="#e6e8ec" vertical={rows} horizontal={!rows} />
                {rows ? (
                  <>
                    <XAxis type="number" {...valueAxis} />
                    <YAxis type="category" {...categoryAxis} width={120} />
                  </>
                ) : (
                  <>
                    <XAxis type="category" {...categoryAxis} />
                    <YAxis type="number" {...valueAxis} />
                  </>
                )}
                <Tooltip
                  formatter={(value, name) => [formatValue(Number(value)), name]}
                  labelFormatter={(label) => formatCategory(String(label))}
                  cursor={{ fill: 'rgba(52, 81, 178, 0.06)' }}
                />
                {series.length > 1 ? <Legend wrapperStyle={{ fontSize: 12 }} /> : null}
                {series.map((s) => (
                  <Bar
                    key={s.key}
                    dataKey={s.key as string}
                    name={s.label}
                    fill={s.color}
                    stackId={stacked ? 'stack' : undefined}
                    radius={stacked ? 0 : rows ? [0, 3, 3, 0] : [3, 3, 0, 0]}
                    maxBarSize={rows ? 28 : 36}
                    isAnimationActive={false}
                  />
                ))}
              </BarChart>
            </ResponsiveContainer>
          </div>
          <details className="chart-table">
            <summary>{title}: the figures</summary>
            <DataTable
              caption={title}
              hideCaption
              columns={columns}
              rows={data}
              rowKey={(row) => String(row[category])}
            />
          </details>
        </>
      )}
    </figure>
  );
}
