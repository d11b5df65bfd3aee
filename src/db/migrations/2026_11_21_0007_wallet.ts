import { sql, type Kysely } from 'kysely';

/**
 * Frozen in time: never import application code here, never edit after it has shipped.
 *
 * The agency ad-spend wallet (issue 10): one USD wallet per agency-mode org, in integer cents, with its
 * own append-only ledger under the same guarantees as the credit ledger. Money moves only through the
 * wallet_* functions of src/db/functions/ (one transaction, one ledger row per balance change, idempotent
 * on a business key built in src/wallet/ids.ts); src/wallet/reconcile.ts replays the ledger.
 *
 * - wallets.balance_cents is settled money. It may go below zero: ad spend the platforms already billed is
 *   recorded in full, and what the balance cannot cover is owed (it shows on the invoice).
 * - wallets.pending_cents is every top-up started and not yet settled (card charges in flight, ACH in its
 *   1–3 business days): shown, never spendable, never counted toward the floor.
 * - The auto-top-up cap (guarantee 6) is counted from wallet_top_ups (auto top-ups started in the org's
 *   local day, pending or succeeded), never from workflow memory.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE wallets (
      org_id text PRIMARY KEY REFERENCES organizations(id),
      balance_cents bigint NOT NULL DEFAULT 0,
      pending_cents bigint NOT NULL DEFAULT 0 CHECK (pending_cents >= 0),
      floor_cents bigint NOT NULL DEFAULT 0 CHECK (floor_cents >= 0),
      auto_top_up_enabled boolean NOT NULL DEFAULT false,
      auto_top_up_threshold_cents bigint NOT NULL DEFAULT 0 CHECK (auto_top_up_threshold_cents >= 0),
      auto_top_up_amount_cents bigint NOT NULL DEFAULT 0 CHECK (auto_top_up_amount_cents >= 0),
      auto_top_up_daily_cap_cents bigint NOT NULL DEFAULT 0 CHECK (auto_top_up_daily_cap_cents >= 0),
      -- The IANA zone whose calendar days the daily cap counts in.
      time_zone text NOT NULL DEFAULT 'UTC',
      -- Seed 001's platform_fee_percent (default 5%), per org, in basis points.
      platform_fee_bps integer NOT NULL DEFAULT 500 CHECK (platform_fee_bps BETWEEN 0 AND 10000),
      -- Declines of auto top-ups in a row; the breaker (auto_top_up_disabled_reason) trips at the limit.
      consecutive_declines integer NOT NULL DEFAULT 0 CHECK (consecutive_declines >= 0),
      last_decline_at timestamptz,
      auto_top_up_disabled_reason text CHECK (auto_top_up_disabled_reason IN ('declines')),
      ads_paused boolean NOT NULL DEFAULT false,
      ads_paused_reason text,
      ads_paused_at timestamptz,
      updated_at timestamptz NOT NULL DEFAULT now(),
      -- Settings that can run: an amount to charge, a cap that allows it, a trigger at or above the floor.
      CONSTRAINT wallets_auto_top_up_coherent CHECK (NOT auto_top_up_enabled OR (
        auto_top_up_amount_cents > 0 AND auto_top_up_daily_cap_cents >= auto_top_up_amount_cents
        AND auto_top_up_threshold_cents >= floor_cents)),
      CONSTRAINT wallets_pause_has_reason CHECK (ads_paused = (ads_paused_reason IS NOT NULL))
    );
    -- Every existing agency org gets its (empty) wallet: no money, so no ledger row.
    INSERT INTO wallets (org_id) SELECT id FROM organizations WHERE billing_mode = 'agency';

    -- One row per top-up, written before anything is charged: the record a retry, a webhook and the
    -- cap count find. Auto top-ups are card-only (ACH never: its days in flight would hold the cap).
    CREATE TABLE wallet_top_ups (
      id bigserial PRIMARY KEY,
      org_id text NOT NULL REFERENCES organizations(id),
      business_key text NOT NULL,
      amount_cents bigint NOT NULL CHECK (amount_cents > 0),
      method text NOT NULL CHECK (method IN ('card', 'ach', 'wire')),
      trigger text NOT NULL CHECK (trigger IN ('auto', 'manual')),
      status text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
      payment_intent_id text UNIQUE,
      wire_reference text,
      failure_reason text,
      -- The org's calendar day (its time_zone) when the top-up started: the day its cap counts it in.
      local_day date NOT NULL,
      -- Business time (the workflow's clock or the request's), never now().
      started_at timestamptz NOT NULL,
      expected_settlement date,
      settled_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (org_id, business_key),
      CHECK (trigger = 'manual' OR method = 'card'),
      CHECK ((method = 'ach') = (expected_settlement IS NOT NULL)),
      CHECK ((method = 'wire') = (wire_reference IS NOT NULL)),
      CHECK (method <> 'wire' OR status = 'succeeded'),
      CHECK ((status = 'pending') = (settled_at IS NULL))
    );
    CREATE INDEX wallet_top_ups_auto_day ON wallet_top_ups (org_id, local_day)
      WHERE trigger = 'auto' AND status <> 'failed';
    CREATE INDEX wallet_top_ups_org_started ON wallet_top_ups (org_id, started_at DESC, id DESC);
    CREATE UNIQUE INDEX wallet_top_ups_wire_reference ON wallet_top_ups (org_id, wire_reference)
      WHERE wire_reference IS NOT NULL;

    -- One row per platform bill: (org, platform, external id) makes a repeated bill a no-op. The result
    -- of the first recording is kept, so a repeat answers exactly what the first call did.
    CREATE TABLE wallet_debits (
      org_id text NOT NULL REFERENCES organizations(id),
      platform text NOT NULL CHECK (platform IN ('meta', 'tiktok', 'google')),
      external_id text NOT NULL,
      project_id text NOT NULL,
      spend_cents bigint NOT NULL CHECK (spend_cents > 0),
      fee_cents bigint NOT NULL CHECK (fee_cents >= 0),
      fee_bps integer NOT NULL CHECK (fee_bps BETWEEN 0 AND 10000),
      occurred_at timestamptz NOT NULL,
      balance_after_cents bigint NOT NULL,
      crossed_threshold boolean NOT NULL,
      crossed_floor boolean NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (org_id, platform, external_id)
    );
    CREATE INDEX wallet_debits_org_occurred ON wallet_debits (org_id, occurred_at);

    -- A withdrawal is refunds of top-up charges, one leg per charge: the wallet is debited before Stripe
    -- is asked (so it can never be spent twice) and credited back if the refund fails.
    CREATE TABLE wallet_withdrawal_legs (
      id bigserial PRIMARY KEY,
      org_id text NOT NULL REFERENCES organizations(id),
      business_key text NOT NULL,
      withdrawal_key text NOT NULL,
      top_up_id bigint NOT NULL REFERENCES wallet_top_ups(id),
      refund_cents bigint NOT NULL CHECK (refund_cents > 0),
      fee_cents bigint NOT NULL CHECK (fee_cents >= 0),
      status text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
      stripe_refund_id text,
      failure_reason text,
      requested_at timestamptz NOT NULL,
      settled_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (org_id, business_key),
      CHECK ((status = 'pending') = (settled_at IS NULL))
    );
    CREATE INDEX wallet_withdrawal_legs_top_up ON wallet_withdrawal_legs (top_up_id);

    -- Append-only. Replaying the deltas per org reproduces balance_cents and pending_cents.
    CREATE TABLE wallet_ledger (
      id bigserial PRIMARY KEY,
      org_id text NOT NULL,
      entry_type text NOT NULL CHECK (entry_type IN ('spend', 'fee', 'top_up_started', 'top_up_succeeded',
        'top_up_failed', 'wire_credit', 'withdrawal', 'withdrawal_reversed')),
      idempotency_key text NOT NULL,
      balance_delta bigint NOT NULL DEFAULT 0,
      pending_delta bigint NOT NULL DEFAULT 0,
      -- The spend and fee legs of one platform bill share (platform, external_id): they are linked.
      project_id text,
      platform text,
      external_id text,
      top_up_id bigint,
      withdrawal_leg_id bigint,
      effective_at timestamptz NOT NULL,
      detail jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (org_id, idempotency_key)
    );
    CREATE INDEX wallet_ledger_org_effective ON wallet_ledger (org_id, effective_at, id);

    CREATE FUNCTION wallet_ledger_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'wallet_ledger is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
    END $$;
    CREATE TRIGGER wallet_ledger_no_update_delete BEFORE UPDATE OR DELETE ON wallet_ledger
      FOR EACH ROW EXECUTE FUNCTION wallet_ledger_is_append_only();
    CREATE TRIGGER wallet_ledger_no_truncate BEFORE TRUNCATE ON wallet_ledger
      FOR EACH STATEMENT EXECUTE FUNCTION wallet_ledger_is_append_only();
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // CASCADE: the wallet functions of src/db/functions/ take and return these tables' row types.
  await sql`
    DROP TABLE IF EXISTS wallet_ledger, wallet_withdrawal_legs, wallet_debits, wallet_top_ups, wallets CASCADE;
    DROP FUNCTION IF EXISTS wallet_ledger_is_append_only;
  `.execute(db);
}
