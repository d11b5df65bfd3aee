import { sql, type Kysely } from 'kysely';

/**
 * Frozen in time: never import application code here, never edit after it has shipped.
 *
 * Subscriptions on a durable clock. The org-billing workflow (workflows/billing.ts) is the source of
 * truth for an org's subscription; these tables are what its activities write for readers (the API, the
 * CLI, invoices) and the idempotency records of the money it moves. The tier and status stay on
 * organizations, where the credit snapshot and the capture rule already read them.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE subscriptions (
      org_id text PRIMARY KEY REFERENCES organizations(id),
      billing_interval text NOT NULL CHECK (billing_interval IN ('month', 'year')),
      seats integer NOT NULL CHECK (seats > 0),
      -- Renewals fall on this anniversary (monthly or yearly); credits refresh monthly from it.
      renewal_anchor timestamptz NOT NULL,
      period_start timestamptz NOT NULL,
      period_end timestamptz NOT NULL CHECK (period_end > period_start),
      cancel_at_period_end boolean NOT NULL DEFAULT false,
      -- A downgrade or interval change waiting for the renewal: {tier, interval, seats}.
      scheduled_change jsonb,
      -- Business time of the last change the workflow made (the workflow clock, not now()).
      changed_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    );

    -- Every charge or refund of a subscription, one row per business key: the record a retry finds.
    CREATE TABLE billing_charges (
      business_key text PRIMARY KEY,
      org_id text NOT NULL REFERENCES organizations(id),
      kind text NOT NULL CHECK (kind IN ('renewal', 'overage', 'upgrade', 'refund')),
      amount_cents bigint NOT NULL CHECK (amount_cents > 0),
      -- The invoice lines the amount is the sum of (description, amountCents), signed.
      lines jsonb NOT NULL,
      status text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
      payment_intent_id text,
      refund_id text,
      decline_code text,
      attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
      charged_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX billing_charges_org ON billing_charges (org_id, charged_at);

    -- Credit alerts (seed 003): one threshold per org, fired at most once per credit period.
    CREATE TABLE credit_alerts (
      org_id text PRIMARY KEY REFERENCES organizations(id),
      threshold_credits bigint NOT NULL CHECK (threshold_credits > 0),
      fired_for_period timestamptz,
      updated_at timestamptz NOT NULL DEFAULT now()
    );

    -- The notifier's outbox: written in the transaction that decides to notify, delivered afterwards.
    CREATE TABLE notifications (
      id bigserial PRIMARY KEY,
      org_id text NOT NULL REFERENCES organizations(id),
      kind text NOT NULL,
      business_key text NOT NULL UNIQUE,
      payload jsonb NOT NULL,
      created_at timestamptz NOT NULL,
      delivered_at timestamptz
    );
    CREATE INDEX notifications_undelivered ON notifications (id) WHERE delivered_at IS NULL;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE notifications, credit_alerts, billing_charges, subscriptions`.execute(db);
}
