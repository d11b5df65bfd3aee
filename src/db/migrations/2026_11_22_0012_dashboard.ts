import { sql, type Kysely } from 'kysely';

/**
 * Frozen in time: never import application code here, never edit after it has shipped.
 *
 * The dashboard's sign-in (issue 13):
 * - api_keys.scopes gains `dashboard`: only a key carrying it can be exchanged for a browser session.
 * - dashboard_sessions: one row per signed-in browser. Only SHA-256 hashes of the cookie's token and of
 *   the CSRF token are stored, so a leaked table signs nobody in. The session acts with the key that
 *   opened it (api_key_prefix): disabling that key or its org ends every session it opened.
 * - dashboard_sign_in_links: one-time links (`/dashboard/sign-in?token=`) that open a session without
 *   pasting a key (npm run dev's banner, the CLI). used_at marks a link spent; a second visit finds it so.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE api_keys
      DROP CONSTRAINT api_keys_scopes_check,
      ADD CONSTRAINT api_keys_scopes_check CHECK (scopes <@ ARRAY['wallet:spend', 'dashboard']::text[]);

    CREATE TABLE dashboard_sessions (
      token_hash bytea PRIMARY KEY CHECK (octet_length(token_hash) = 32),
      org_id text NOT NULL REFERENCES organizations(id),
      api_key_prefix text NOT NULL REFERENCES api_keys(prefix),
      csrf_token_hash bytea NOT NULL CHECK (octet_length(csrf_token_hash) = 32),
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL CHECK (expires_at > created_at)
    );
    CREATE INDEX dashboard_sessions_expiry ON dashboard_sessions (expires_at);

    CREATE TABLE dashboard_sign_in_links (
      token_hash bytea PRIMARY KEY CHECK (octet_length(token_hash) = 32),
      org_id text NOT NULL REFERENCES organizations(id),
      api_key_prefix text NOT NULL REFERENCES api_keys(prefix),
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL CHECK (expires_at > created_at),
      used_at timestamptz
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE IF EXISTS dashboard_sign_in_links;
    DROP TABLE IF EXISTS dashboard_sessions;
    UPDATE api_keys SET scopes = array_remove(scopes, 'dashboard');
    ALTER TABLE api_keys
      DROP CONSTRAINT api_keys_scopes_check,
      ADD CONSTRAINT api_keys_scopes_check CHECK (scopes <@ ARRAY['wallet:spend']::text[]);
  `.execute(db);
}
