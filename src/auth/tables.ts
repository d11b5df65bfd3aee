import type { ColumnType } from 'kysely';

/**
 * The dashboard's sign-in tables (migration 0012), owned by this domain; src/db/schema.ts's Database
 * gathers them. Tokens are never stored: only their SHA-256 (bytea).
 */
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;

export interface DashboardSessionsTable {
  token_hash: Buffer;
  org_id: string;
  api_key_prefix: string;
  csrf_token_hash: Buffer;
  created_at: CreatedAt;
  expires_at: Date;
}

export interface DashboardSignInLinksTable {
  token_hash: Buffer;
  org_id: string;
  api_key_prefix: string;
  created_at: CreatedAt;
  expires_at: Date;
  used_at: Date | null;
}

export interface AuthDatabase {
  dashboard_sessions: DashboardSessionsTable;
  dashboard_sign_in_links: DashboardSignInLinksTable;
}
