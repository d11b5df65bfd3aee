import { DomainError } from '../errors';
import type { PagePosition } from '../generations/queries';

/**
 * Opaque to clients: base64url of a page's last position. It names no org (the query is scoped by the
 * caller's key), so a cursor copied from another org's listing reveals and grants nothing.
 */
export function encodeCursor(pos: PagePosition): string {
  return Buffer.from(JSON.stringify([pos.createdUs, pos.id]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): PagePosition {
  const bad = () =>
    new DomainError('VALIDATION_FAILED', 'querystring.cursor is not a cursor returned by this endpoint', {
      fields: [{ path: 'querystring.cursor', message: 'is not a cursor returned by this endpoint' }],
    });
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw bad();
  const [createdUs, id] = parsed as unknown[];
  if (typeof createdUs !== 'number' || !Number.isSafeInteger(createdUs) || createdUs < 0) throw bad();
  if (typeof id !== 'string' || id.length === 0 || id.length > 200) throw bad();
  return { createdUs, id };
}
