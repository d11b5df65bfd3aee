import { sql, type Kysely } from 'kysely';

/**
 * Frozen in time: never import application code here, never edit after it has shipped.
 *
 * The audit trail (issue 11): one append-only row per action that changes money or billing settings,
 * chained per org so that an edit made behind the application's back is detected.
 *
 * - audit_events: who (actor_type + actor_id: an API key prefix, an admin, a workflow id), what (action),
 *   before and after (jsonb), when (occurred_at, the action's business time) and the request or business
 *   key it was done under. (org_id, key, action) is unique: a retried hook records nothing twice.
 * - Each row's hash is SHA-256 over the canonical JSON of its content and prev_hash, the hash of the
 *   org's previous row (64 zeros before the first); seq counts an org's rows from 1 without gaps. The
 *   hashes are computed by the application (src/audit/hash.ts), which is also what verifies them.
 * - audit_chain_heads: each org's last seq and hash. Appending locks this row, so an org's appends are
 *   serialized and its seq has no gaps under any concurrency; verifying compares it with the last row, so
 *   rows deleted from the end of a chain are detected too.
 * - Rows are never updated or deleted: triggers refuse UPDATE, DELETE and TRUNCATE.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE audit_chain_heads (
      org_id text PRIMARY KEY REFERENCES organizations(id),
      seq bigint NOT NULL CHECK (seq >= 0),
      hash text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$')
    );

    CREATE TABLE audit_events (
      org_id text NOT NULL REFERENCES organizations(id),
      seq bigint NOT NULL CHECK (seq >= 1),
      occurred_at timestamptz NOT NULL,
      actor_type text NOT NULL CHECK (actor_type IN ('api_key', 'admin', 'workflow')),
      actor_id text NOT NULL CHECK (actor_id <> ''),
      -- Dotted lower-case names (wallet.floor.updated); the list lives in src/audit/actions.ts.
      action text NOT NULL CHECK (action ~ '^[a-z_]+([.][a-z_]+)+$'),
      key text NOT NULL CHECK (key <> ''),
      before jsonb,
      after jsonb,
      prev_hash text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
      hash text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
      PRIMARY KEY (org_id, seq),
      UNIQUE (org_id, key, action)
    );
    -- The export's range (occurred_at in [from, to)) in chain order.
    CREATE INDEX audit_events_org_occurred ON audit_events (org_id, occurred_at, seq);

    CREATE FUNCTION audit_events_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
    END $$;
    CREATE TRIGGER audit_events_no_update_delete BEFORE UPDATE OR DELETE ON audit_events
      FOR EACH ROW EXECUTE FUNCTION audit_events_are_append_only();
    CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
      FOR EACH STATEMENT EXECUTE FUNCTION audit_events_are_append_only();
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE IF EXISTS audit_events;
    DROP FUNCTION IF EXISTS audit_events_are_append_only();
    DROP TABLE IF EXISTS audit_chain_heads;
  `.execute(db);
}
