import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { AuditActor } from './actors';

/**
 * The hash chain's one rule, used by appending and by verifying alike. A row's hash is SHA-256 (hex) of
 * the RFC 8785 canonical JSON (JCS: sorted keys, no spaces, ECMAScript number form) of its content and
 * the previous row's hash. JCS is a published standard, so an export can be checked without this code:
 * rebuild the object below from each exported row and hash it.
 */

/** The prev_hash of an org's first row. */
export const GENESIS_HASH = '0'.repeat(64);

/** Bumped if the content hashed ever changes; rows keep the version they were written with. */
const CHAIN_VERSION = 1;

export interface ChainedContent {
  orgId: string;
  seq: number;
  /** ISO 8601 with milliseconds, as Date#toISOString writes it (what timestamptz gives back). */
  occurredAt: string;
  actor: AuditActor;
  action: string;
  key: string;
  /** Plain JSON (see toJsonValue); null when there is nothing. */
  before: unknown;
  after: unknown;
  prevHash: string;
}

export function chainHash(c: ChainedContent): string {
  const text = canonicalize({
    v: CHAIN_VERSION,
    orgId: c.orgId,
    seq: c.seq,
    occurredAt: c.occurredAt,
    actor: { type: c.actor.type, id: c.actor.id },
    action: c.action,
    key: c.key,
    before: c.before ?? null,
    after: c.after ?? null,
    prevHash: c.prevHash,
  });
  if (text === undefined) throw new Error('audit content cannot be serialized');
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * A value as it will come back from jsonb: dates as ISO strings, undefined properties gone, nothing but
 * JSON. Hashing this (not the caller's object) is what makes the stored row verify.
 */
export function toJsonValue(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  return JSON.parse(JSON.stringify(value)) as unknown;
}

/** Whether two JSON values are the same, whatever their key order. */
export const sameJson = (a: unknown, b: unknown): boolean =>
  canonicalize(toJsonValue(a)) === canonicalize(toJsonValue(b));
