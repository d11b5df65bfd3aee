import { parseDateTime } from './date-time';

/** What every ledger listing's query holds beside its own filters. */
interface LedgerPageQuery {
  limit?: number;
  cursor?: string;
  from?: string;
  to?: string;
}

/**
 * A ledger listing's query (GET /v1/credits/history, GET /v1/wallet/transactions) as its query's options:
 * the filters with [from, to) as instants, the page size, and the cursor, which is the id of the last row
 * of the previous page.
 */
export function ledgerPageOptions<Q extends LedgerPageQuery>(query: Q, defaultLimit: number) {
  // Ajv fills in the schema's default before the handler runs; the type cannot know it.
  const { limit = defaultLimit, cursor, from, to, ...filter } = query;
  return {
    filter: {
      ...filter,
      from: from === undefined ? undefined : parseDateTime(from),
      to: to === undefined ? undefined : parseDateTime(to),
    },
    limit,
    before: cursor === undefined ? undefined : Number(cursor),
  };
}

/** A ledger page as answered: the next page starts after the id of this one's last row. */
export function ledgerPageBody<T>(page: { data: T[]; next: number | null }) {
  return { data: page.data, nextCursor: page.next === null ? null : String(page.next) };
}
