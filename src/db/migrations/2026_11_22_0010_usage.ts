import { sql, type Kysely } from 'kysely';

/**
 * Frozen in time: never import application code here, never edit after it has shipped.
 *
 * Metered usage (seed 000: "workflow runs, SDK events, media storage") and the billing history's reads:
 * - usage_allowances: per tier and metric, what a credit period includes and the price of the rest. Data,
 *   like the tiers: inserted here once, kept equal to src/db/seed/catalog.ts by the catalog seed after.
 * - usage_events: append-only, one row per event, once per (org, idempotency key): the key is the
 *   primary key, so a retried event is applied once, and no surrogate id costs a sequence and an index
 *   per row at SDK-event volumes. No foreign key to organizations: the org comes from the API key that
 *   sent the batch, and a key check per row would lock the org's row a thousand times per batch. The
 *   period queries read (org, metric, occurred_at) with the quantity from the index alone.
 * - credit_ledger (org_id, id): GET /v1/credits/history pages an org's ledger by id, newest first, and
 *   sums the rows after a page for its running balance; without it both walk the whole ledger.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE usage_allowances (
      tier_id text NOT NULL REFERENCES tiers(id),
      metric text NOT NULL CHECK (metric IN ('workflow_runs', 'sdk_events', 'media_storage_gb')),
      included bigint NOT NULL CHECK (included >= 0),
      unit_size integer NOT NULL CHECK (unit_size >= 1),
      -- NULL: usage beyond the allowance is not billed on this tier (free).
      unit_cents integer CHECK (unit_cents >= 0),
      PRIMARY KEY (tier_id, metric)
    );
    -- The catalog's rows as they first shipped (src/db/seed/catalog.ts USAGE_ALLOWANCES, which is the
    -- source of truth from now on): runs per run, SDK events per 1,000, storage per GB of peak.
    INSERT INTO usage_allowances (tier_id, metric, included, unit_size, unit_cents) VALUES
      ('free', 'workflow_runs', 100, 1, NULL), ('free', 'sdk_events', 10000, 1000, NULL),
      ('free', 'media_storage_gb', 1, 1, NULL),
      ('plus', 'workflow_runs', 1000, 1, 2), ('plus', 'sdk_events', 100000, 1000, 10),
      ('plus', 'media_storage_gb', 10, 1, 25),
      ('max', 'workflow_runs', 5000, 1, 2), ('max', 'sdk_events', 500000, 1000, 8),
      ('max', 'media_storage_gb', 50, 1, 20),
      ('generative', 'workflow_runs', 10000, 1, 1), ('generative', 'sdk_events', 1000000, 1000, 8),
      ('generative', 'media_storage_gb', 100, 1, 20),
      ('pro', 'workflow_runs', 10000, 1, 1), ('pro', 'sdk_events', 1000000, 1000, 8),
      ('pro', 'media_storage_gb', 100, 1, 20),
      ('team', 'workflow_runs', 50000, 1, 1), ('team', 'sdk_events', 10000000, 1000, 5),
      ('team', 'media_storage_gb', 1000, 1, 15);

    CREATE TABLE usage_events (
      org_id text NOT NULL,
      idempotency_key text NOT NULL,
      metric text NOT NULL CHECK (metric IN ('workflow_runs', 'sdk_events', 'media_storage_gb')),
      quantity bigint NOT NULL CHECK (quantity > 0),
      occurred_at timestamptz NOT NULL,
      recorded_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (org_id, idempotency_key)
    );
    CREATE INDEX usage_events_org_metric_occurred ON usage_events (org_id, metric, occurred_at)
      INCLUDE (quantity);

    CREATE FUNCTION usage_events_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'usage_events is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
    END $$;
    CREATE TRIGGER usage_events_no_update_delete BEFORE UPDATE OR DELETE ON usage_events
      FOR EACH ROW EXECUTE FUNCTION usage_events_is_append_only();
    CREATE TRIGGER usage_events_no_truncate BEFORE TRUNCATE ON usage_events
      FOR EACH STATEMENT EXECUTE FUNCTION usage_events_is_append_only();

    CREATE INDEX credit_ledger_org_id ON credit_ledger (org_id, id);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX IF EXISTS credit_ledger_org_id;
    DROP TABLE IF EXISTS usage_events, usage_allowances;
    DROP FUNCTION IF EXISTS usage_events_is_append_only;
  `.execute(db);
}
