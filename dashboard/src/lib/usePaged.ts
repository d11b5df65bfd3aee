import { useState } from 'react';
import { get } from '../api/client';
import { useResource } from './useResource';

interface Page<Row> {
  data: Row[];
  nextCursor: string | null;
}

export type Paged<Row> =
  | { status: 'loading'; reload: () => void }
  | { status: 'error'; error: unknown; reload: () => void }
  | {
      status: 'ready';
      rows: Row[];
      /** More rows exist: loadMore() appends the next page. */
      hasMore: boolean;
      loadMore: () => void;
      loadingMore: boolean;
      moreError: unknown;
      reload: () => void;
    };

/**
 * A cursor-paged list of the API (`{data, nextCursor}`, nextCursor passed back as `cursor`): the first
 * page for `key`, and the pages a person asks for after it. A new key starts from the first page again.
 */
export function usePaged<Row>(pathFor: (cursor?: string) => string, key: string): Paged<Row> {
  const first = useResource((signal) => get<Page<Row>>(pathFor(), signal), key);
  const [more, setMore] = useState<{ key: string; rows: Row[]; cursor: string | null } | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<unknown>(null);

  if (first.status !== 'ready') return first;
  const own = more && more.key === key ? more : null;
  const rows = [...first.data.data, ...(own?.rows ?? [])];
  const cursor = own ? own.cursor : first.data.nextCursor;

  const loadMore = () => {
    if (!cursor || loadingMore) return;
    setLoadingMore(true);
    setMoreError(null);
    get<Page<Row>>(pathFor(cursor))
      .then(
        (page) => setMore({ key, rows: [...(own?.rows ?? []), ...page.data], cursor: page.nextCursor }),
        (err: unknown) => setMoreError(err),
      )
      .finally(() => setLoadingMore(false));
  };
  return {
    status: 'ready',
    rows,
    hasMore: cursor !== null,
    loadMore,
    loadingMore,
    moreError,
    reload: () => {
      setMore(null);
      first.reload();
    },
  };
}
