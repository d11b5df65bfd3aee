import { sql, type Kysely } from 'kysely';

/**
 * Frozen in time: never import application code here, never edit after it has shipped.
 *
 * What the wallet workflow (`wallet:<orgId>`) and its routes need beyond the money model of 0007:
 * - wallet_ad_actions: every pause and resume of an org's agency ads, with its reason and the balance
 *   that decided it, keyed by the business key the workflow derived (one row per decision, however often
 *   the activity is retried). It is the record a finance team or support reads: why were my ads paused?
 * - api_keys.scopes: what a key may do beyond the partner API. `wallet:spend` lets the ad-platform
 *   billing ingest debit the wallet; an ordinary partner key never can.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE wallet_ad_actions (
      id bigserial PRIMARY KEY,
      org_id text NOT NULL REFERENCES organizations(id),
      business_key text NOT NULL,
      action text NOT NULL CHECK (action IN ('pause', 'resume')),
      reason text NOT NULL CHECK (reason IN ('below_floor', 'funded')),
      balance_cents bigint NOT NULL,
      floor_cents bigint NOT NULL,
      -- The projects whose campaigns the platforms were asked to pause or resume, and what they answered.
      projects jsonb NOT NULL,
      -- Business time of the decision (the workflow's clock).
      decided_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (org_id, business_key)
    );
    CREATE INDEX wallet_ad_actions_org ON wallet_ad_actions (org_id, decided_at DESC, id DESC);

    ALTER TABLE api_keys ADD COLUMN scopes text[] NOT NULL DEFAULT '{}'
      CHECK (scopes <@ ARRAY['wallet:spend']::text[]);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE api_keys DROP COLUMN IF EXISTS scopes;
    DROP TABLE IF EXISTS wallet_ad_actions;
  `.execute(db);
}
