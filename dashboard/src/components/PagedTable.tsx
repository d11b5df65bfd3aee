import type { ReactNode } from 'react';
import type { Paged } from '../lib/usePaged';
import { DataTable, type Column } from './DataTable';
import { Button } from './Field';
import { EmptyState, ErrorState, Skeleton } from './ui';

/** A paged list as a table, with its loading, empty and error states and a button for older rows. */
export function PagedTable<Row>({
  paged,
  what,
  caption,
  columns,
  rowKey,
  empty,
  moreLabel,
  testId,
}: {
  paged: Paged<Row>;
  what: string;
  caption: string;
  columns: Column<Row>[];
  rowKey: (row: Row) => string;
  empty: { title: string; body?: ReactNode };
  moreLabel: string;
  testId?: string;
}) {
  if (paged.status === 'loading') return <Skeleton lines={5} label={what} />;
  if (paged.status === 'error') return <ErrorState error={paged.error} onRetry={paged.reload} what={what} />;
  if (paged.rows.length === 0) return <EmptyState title={empty.title}>{empty.body}</EmptyState>;
  return (
    <div className="stack">
      <DataTable
        caption={caption}
        hideCaption
        columns={columns}
        rows={paged.rows}
        rowKey={rowKey}
        testId={testId}
      />
      {paged.moreError ? (
        <ErrorState error={paged.moreError} onRetry={paged.loadMore} what={`more ${what}`} />
      ) : null}
      {paged.hasMore ? (
        <Button variant="secondary" busy={paged.loadingMore} onClick={paged.loadMore} className="align-start">
          {moreLabel}
        </Button>
      ) : null}
    </div>
  );
}
