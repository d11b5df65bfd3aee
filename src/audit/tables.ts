import type { ColumnType } from 'kysely';
import type { ActorType } from './actors';

/**
 * The audit trail's tables (migration 0009), owned by this domain; src/db/schema.ts's Database gathers
 * them. int8 columns are exact JS numbers (src/db/pool.ts).
 */
type Int8 = number;
/** jsonb: written as JSON text, read back parsed. */
type Jsonb = ColumnType<unknown, string | null, never>;

export interface AuditEventsTable {
  org_id: string;
  seq: Int8;
  occurred_at: Date;
  actor_type: ActorType;
  actor_id: string;
  action: string;
  key: string;
  before: Jsonb;
  after: Jsonb;
  prev_hash: string;
  hash: string;
}

export interface AuditChainHeadsTable {
  org_id: string;
  seq: Int8;
  hash: string;
}

export interface AuditDatabase {
  audit_events: AuditEventsTable;
  audit_chain_heads: AuditChainHeadsTable;
}
