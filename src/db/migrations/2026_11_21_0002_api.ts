import { sql, type Kysely } from 'kysely';

/**
 * Frozen in time: never import application code here, never edit after it has shipped.
 *
 * Tables of the partner HTTP API: API keys (stored only as hashes) and the Idempotency-Key records of
 * POST /v1/generations.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- The prefix ('lb_live_' + 16 hex characters) is public: it is what a key is looked up by, what
    -- whoami and the admin CLI show, and what an operator disables. The secret part exists only in the
    -- caller's hands; we keep its SHA-256.
    CREATE TABLE api_keys (
      prefix text PRIMARY KEY,
      org_id text NOT NULL REFERENCES organizations(id),
      secret_hash bytea NOT NULL CHECK (octet_length(secret_hash) = 32),
      disabled boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now(),
      disabled_at timestamptz
    );
    CREATE INDEX api_keys_org ON api_keys (org_id);

    -- One row per (org, Idempotency-Key). The row is claimed ('pending', with the generation id the
    -- request will use) before any work starts, so a retry or a concurrent duplicate reuses that id
    -- instead of starting a second generation; 'completed' rows hold the response to replay.
    CREATE TABLE idempotency_keys (
      org_id text NOT NULL REFERENCES organizations(id),
      key text NOT NULL,
      request_hash text NOT NULL,
      generation_id text NOT NULL,
      status text NOT NULL CHECK (status IN ('pending', 'completed')),
      response_status integer,
      response_body jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      completed_at timestamptz,
      PRIMARY KEY (org_id, key),
      CHECK ((status = 'completed') = (response_status IS NOT NULL AND response_body IS NOT NULL))
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS idempotency_keys, api_keys`.execute(db);
}
