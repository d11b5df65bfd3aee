import { sql, type Kysely } from 'kysely';

/**
 * Frozen in time: never import application code here, never edit after it has shipped.
 *
 * Card payments through Stripe: the org's Stripe customer, credit-pack purchases, and the Stripe events
 * already handled (webhook de-duplication, guarantee 4).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- The durable source of truth for "which Stripe customer is this org": Stripe's idempotency keys
    -- expire after 24 h, this row does not.
    CREATE TABLE stripe_customers (
      org_id text PRIMARY KEY REFERENCES organizations(id),
      stripe_customer_id text NOT NULL UNIQUE,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );

    -- One row per purchase, written before anything is charged; the price is snapshotted here so a
    -- retried request (same idempotency key) pays what the first one was quoted, whatever the tier is
    -- by then. The credits themselves move only through credit_ledger (key credit-pack:<id>).
    CREATE TABLE credit_pack_purchases (
      id text PRIMARY KEY,
      org_id text NOT NULL REFERENCES organizations(id),
      idempotency_key text NOT NULL,
      pack_id text NOT NULL,
      credits bigint NOT NULL CHECK (credits > 0),
      list_price_cents bigint NOT NULL CHECK (list_price_cents > 0),
      discount_bps integer NOT NULL CHECK (discount_bps BETWEEN 0 AND 10000),
      amount_cents bigint NOT NULL CHECK (amount_cents > 0 AND amount_cents <= list_price_cents),
      status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
      payment_intent_id text UNIQUE,
      decline_code text,
      failure_reason text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      settled_at timestamptz,
      UNIQUE (org_id, idempotency_key),
      CHECK (status <> 'succeeded' OR payment_intent_id IS NOT NULL),
      CHECK ((status = 'pending') = (settled_at IS NULL))
    );
    CREATE INDEX credit_pack_purchases_org_created ON credit_pack_purchases (org_id, created_at DESC);

    -- Stripe delivers at least once; an event whose processed_at is set has been handed to its owner
    -- and a redelivery is acknowledged without being applied again.
    CREATE TABLE stripe_events (
      id text PRIMARY KEY,
      type text NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now(),
      processed_at timestamptz,
      outcome text
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS stripe_events, credit_pack_purchases, stripe_customers`.execute(db);
}
