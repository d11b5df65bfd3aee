import { useId, type ReactNode } from 'react';

export interface Column<T> {
  header: string;
  cell: (row: T) => ReactNode;
  /** Numbers align right, in tabular figures, so columns of amounts line up. */
  numeric?: boolean;
  /** Hidden on narrow screens (the row stays readable without it). */
  secondary?: boolean;
}

interface DataTableProps<T> {
  caption: string;
  /** Visually hidden caption: the card's heading already says it. */
  hideCaption?: boolean;
  columns: Column<T>[];
  rows: readonly T[];
  rowKey: (row: T, index: number) => string;
  footer?: ReactNode;
  testId?: string;
}

/**
 * A table in a region that scrolls sideways on a phone; the region is focusable so that a keyboard can
 * scroll it too, and named by the caption.
 */
export function DataTable<T>({
  caption,
  hideCaption,
  columns,
  rows,
  rowKey,
  footer,
  testId,
}: DataTableProps<T>) {
  const id = useId();
  return (
    <div className="table-scroll" role="region" aria-labelledby={id} tabIndex={0}>
      <table className="table" data-testid={testId}>
        <caption id={id} className={hideCaption ? 'visually-hidden' : undefined}>
          {caption}
        </caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th
                key={c.header}
                scope="col"
                className={`${c.numeric ? 'numeric' : ''} ${c.secondary ? 'secondary' : ''}`}
              >
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => (
            <tr key={rowKey(row, i)}>
              {columns.map((c) => (
                <td
                  key={c.header}
                  className={`${c.numeric ? 'numeric' : ''} ${c.secondary ? 'secondary' : ''}`}
                >
                  {c.cell(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
        {footer ? <tfoot>{footer}</tfoot> : null}
      </table>
    </div>
  );
}
