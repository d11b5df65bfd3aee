import { ID_MAX_LENGTH } from '../credits/amounts';
import { DomainError } from '../errors';
import type { PagePosition } from '../generations/queries';

/**
 * A page's last position as `<createdUs>.<id>`. Opaque to clients (they pass nextCursor back), but
 * regular, so that the published pattern describes exactly the cursors that decode: any string the
 * schema allows is a position to page after, and anything else is refused by the schema itself. It names
 * no org (the query is scoped by the caller's key), so a cursor copied from another org's listing
 * reveals and grants nothing.
 */
/** At most 16 digits below 9·10^15 µs (year 2255): always a safe integer. */
export const CURSOR_PATTERN = `^[0-8]?[0-9]{1,15}\\.[^\\u0000]{1,${ID_MAX_LENGTH}}$`;
export const CURSOR_MAX_LENGTH = 16 + 1 + ID_MAX_LENGTH;
const CURSOR = new RegExp(CURSOR_PATTERN, 'u');

export function encodeCursor(pos: PagePosition): string {
  return `${pos.createdUs}.${pos.id}`;
}

/** The route's schema has already checked the pattern; this re-checks it for callers that did not. */
export function decodeCursor(cursor: string): PagePosition {
  if (!CURSOR.test(cursor)) {
    throw new DomainError(
      'VALIDATION_FAILED',
      'querystring.cursor is not a cursor returned by this endpoint',
      {
        fields: [{ path: 'querystring.cursor', message: 'is not a cursor returned by this endpoint' }],
      },
    );
  }
  const dot = cursor.indexOf('.');
  return { createdUs: Number(cursor.slice(0, dot)), id: cursor.slice(dot + 1) };
}
