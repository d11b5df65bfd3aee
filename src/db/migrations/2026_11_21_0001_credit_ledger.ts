import { sql, type Kysely } from 'kysely';

/**
 * Frozen in time: never import application code here, never edit after it has shipped. A change to a
 * function below is a new migration that `CREATE OR REPLACE`s it.
 *
 * Money-moving operations are PL/pgSQL functions so that each is one round trip and one transaction,
 * holding the org's balance row lock only for the few microseconds the function runs. Their arithmetic
 * mirrors the pure rules in src/credits/ (see the comments there); test/credits/rules-agree.test.ts
 * proves the two agree.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE tiers (
      id text PRIMARY KEY,
      name text NOT NULL,
      included_credits_per_period bigint NOT NULL CHECK (included_credits_per_period >= 0),
      overage_allowed boolean NOT NULL,
      pack_discount_bps integer NOT NULL CHECK (pack_discount_bps BETWEEN 0 AND 10000),
      rollover_days integer NOT NULL CHECK (rollover_days >= 0)
    );

    -- The seeds (003_*): Plus, Max 400, Generative 900, Team 6,000; Max, Generative and Team get 20%
    -- off packs; monthly credits roll over for 30 days. 'pro' (1,000) is the tier of the GET /v1/credits
    -- reference example. Plus's allowance is not in the seeds: 100 is our choice. 'free' has no
    -- allowance and no overage, so its shortfalls are written off instead of billed.
    INSERT INTO tiers VALUES
      ('free', 'Free', 0, false, 0, 0),
      ('plus', 'Plus', 100, true, 0, 30),
      ('pro', 'Pro', 1000, true, 0, 30),
      ('max', 'Max', 400, true, 2000, 30),
      ('generative', 'Generative', 900, true, 2000, 30),
      ('team', 'Team', 6000, true, 2000, 30);

    CREATE TABLE generation_formats (
      format text PRIMARY KEY,
      estimated_credits bigint NOT NULL CHECK (estimated_credits > 0)
    );
    INSERT INTO generation_formats VALUES
      ('slideshow_builder', 50), ('slideshow_remix', 50), ('video_remix', 120), ('ugc_remix', 120), ('auto', 120);

    CREATE TABLE organizations (
      id text PRIMARY KEY,
      name text NOT NULL,
      tier_id text NOT NULL REFERENCES tiers(id),
      billing_mode text NOT NULL CHECK (billing_mode IN ('agency', 'byo')),
      billing_status text NOT NULL DEFAULT 'active'
        CHECK (billing_status IN ('active', 'past_due', 'paused', 'canceled')),
      disabled boolean NOT NULL DEFAULT false,
      billing_anchor timestamptz NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE projects (
      id text PRIMARY KEY,
      org_id text NOT NULL REFERENCES organizations(id),
      name text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (org_id, id)
    );

    -- One row per org; the only mutable money state. Every change to it has exactly one credit_ledger row.
    -- The last CHECK is guarantee 2 enforced by the database itself: holds never exceed the balance.
    CREATE TABLE credit_balances (
      org_id text PRIMARY KEY REFERENCES organizations(id),
      included_remaining bigint NOT NULL DEFAULT 0 CHECK (included_remaining >= 0),
      prepaid_balance bigint NOT NULL DEFAULT 0 CHECK (prepaid_balance >= 0),
      reserved_credits bigint NOT NULL DEFAULT 0 CHECK (reserved_credits >= 0),
      included_this_period bigint NOT NULL DEFAULT 0 CHECK (included_this_period >= 0),
      used_this_period bigint NOT NULL DEFAULT 0 CHECK (used_this_period >= 0),
      overage_this_period bigint NOT NULL DEFAULT 0 CHECK (overage_this_period >= 0),
      written_off_this_period bigint NOT NULL DEFAULT 0 CHECK (written_off_this_period >= 0),
      period_start timestamptz NOT NULL,
      period_end timestamptz NOT NULL CHECK (period_end > period_start),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CHECK (reserved_credits <= included_remaining + prepaid_balance)
    );

    -- No foreign keys on the three hot-path tables below: every row is written only by the ledger
    -- functions, which check the org and project themselves in the same transaction, and a foreign-key
    -- check would take a KEY SHARE lock on the same org/project row for every money movement, making
    -- concurrent generations of one org queue on MultiXacts.
    CREATE TABLE generations (
      id text PRIMARY KEY,
      org_id text NOT NULL,
      project_id text NOT NULL,
      format text NOT NULL,
      status text NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'expired')),
      estimated_credits bigint NOT NULL,
      actual_credits bigint,
      model text,
      failure_reason text,
      created_at timestamptz NOT NULL DEFAULT now(),
      ended_at timestamptz
    );
    CREATE INDEX generations_org_created ON generations (org_id, created_at DESC, id DESC);

    CREATE TABLE reservations (
      generation_id text PRIMARY KEY,
      org_id text NOT NULL,
      amount bigint NOT NULL CHECK (amount > 0),
      status text NOT NULL CHECK (status IN ('held', 'captured', 'released', 'expired')),
      captured_credits bigint,
      created_at timestamptz NOT NULL DEFAULT now(),
      settled_at timestamptz
    );
    CREATE INDEX reservations_held ON reservations (org_id) WHERE status = 'held';

    -- Append-only. Replaying the deltas per org reproduces every column of credit_balances that they name.
    CREATE TABLE credit_ledger (
      id bigserial PRIMARY KEY,
      org_id text NOT NULL,
      entry_type text NOT NULL
        CHECK (entry_type IN ('grant_included', 'grant_prepaid', 'reserve', 'capture', 'release', 'expire')),
      idempotency_key text NOT NULL,
      generation_id text,
      project_id text,
      included_delta bigint NOT NULL DEFAULT 0,
      prepaid_delta bigint NOT NULL DEFAULT 0,
      reserved_delta bigint NOT NULL DEFAULT 0,
      allowance_delta bigint NOT NULL DEFAULT 0,
      used_delta bigint NOT NULL DEFAULT 0,
      overage_delta bigint NOT NULL DEFAULT 0,
      written_off_delta bigint NOT NULL DEFAULT 0,
      reason text,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (org_id, idempotency_key)
    );

    CREATE FUNCTION credit_ledger_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'credit_ledger is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
    END $$;
    CREATE TRIGGER credit_ledger_no_update_delete BEFORE UPDATE OR DELETE ON credit_ledger
      FOR EACH ROW EXECUTE FUNCTION credit_ledger_is_append_only();
    CREATE TRIGGER credit_ledger_no_truncate BEFORE TRUNCATE ON credit_ledger
      FOR EACH STATEMENT EXECUTE FUNCTION credit_ledger_is_append_only();

    -- The snapshot is built from row values the caller already has, so the ledger functions never read
    -- the balance row again while they hold its lock.
    CREATE FUNCTION credit_snapshot_json(b credit_balances, p_tier text, p_status text, p_formats jsonb)
    RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
      SELECT jsonb_build_object(
        'org_id', b.org_id, 'tier_id', p_tier, 'billing_status', p_status,
        'included_remaining', b.included_remaining, 'prepaid_balance', b.prepaid_balance,
        'reserved_credits', b.reserved_credits, 'included_this_period', b.included_this_period,
        'used_this_period', b.used_this_period, 'overage_this_period', b.overage_this_period,
        'written_off_this_period', b.written_off_this_period,
        'period_start', b.period_start, 'period_end', b.period_end,
        'estimated_credits_per_format', p_formats)
    $$;

    CREATE FUNCTION format_estimates() RETURNS jsonb LANGUAGE sql STABLE AS $$
      SELECT jsonb_object_agg(format, estimated_credits) FROM generation_formats
    $$;

    CREATE FUNCTION credit_snapshot(p_org text) RETURNS jsonb LANGUAGE sql STABLE AS $$
      SELECT credit_snapshot_json(b, o.tier_id, o.billing_status, format_estimates())
        FROM credit_balances b JOIN organizations o ON o.id = b.org_id WHERE b.org_id = p_org
    $$;
  `.execute(db);

  // Reserve: the generation row is the idempotency claim (a concurrent duplicate blocks on its primary
  // key, then sees the winner's reservation). Everything that does not need the balance is written
  // before the conditional UPDATE takes the org's row lock; the UPDATE re-checks availability on the
  // latest row version after taking the lock, so no check-then-write race exists.
  await sql`
    CREATE FUNCTION credits_reserve(p_org text, p_project text, p_generation text, p_format text)
    RETURNS TABLE (outcome text, amount bigint, status text, snapshot jsonb)
    LANGUAGE plpgsql AS $$
    DECLARE
      v_amount bigint;
      v_existing reservations%ROWTYPE;
      o organizations%ROWTYPE;
      b credit_balances%ROWTYPE;
    BEGIN
      SELECT estimated_credits INTO v_amount FROM generation_formats WHERE format = p_format;
      IF NOT FOUND THEN
        RETURN QUERY SELECT 'unknown_format'::text, NULL::bigint, NULL::text, NULL::jsonb; RETURN;
      END IF;
      SELECT org.* INTO o FROM organizations org JOIN projects p ON p.org_id = org.id
       WHERE p.id = p_project AND org.id = p_org;
      IF NOT FOUND THEN
        RETURN QUERY SELECT 'project_not_found'::text, NULL::bigint, NULL::text, NULL::jsonb; RETURN;
      END IF;

      INSERT INTO generations (id, org_id, project_id, format, status, estimated_credits)
        VALUES (p_generation, p_org, p_project, p_format, 'running', v_amount)
        ON CONFLICT (id) DO NOTHING;
      IF NOT FOUND THEN
        SELECT * INTO v_existing FROM reservations r WHERE r.generation_id = p_generation AND r.org_id = p_org;
        IF NOT FOUND THEN
          RETURN QUERY SELECT 'generation_conflict'::text, NULL::bigint, NULL::text, NULL::jsonb; RETURN;
        END IF;
        RETURN QUERY SELECT 'duplicate'::text, v_existing.amount, v_existing.status, credit_snapshot(p_org);
        RETURN;
      END IF;
      INSERT INTO reservations (generation_id, org_id, amount, status) VALUES (p_generation, p_org, v_amount, 'held');

      UPDATE credit_balances cb
         SET reserved_credits = cb.reserved_credits + v_amount, updated_at = now()
       WHERE cb.org_id = p_org AND cb.included_remaining + cb.prepaid_balance - cb.reserved_credits >= v_amount
      RETURNING cb.* INTO b;
      IF NOT FOUND THEN
        -- A refusal writes nothing: take back the claim made above.
        DELETE FROM reservations WHERE generation_id = p_generation;
        DELETE FROM generations WHERE id = p_generation;
        RETURN QUERY SELECT 'insufficient'::text, v_amount, NULL::text, credit_snapshot(p_org);
        RETURN;
      END IF;

      INSERT INTO credit_ledger (org_id, entry_type, idempotency_key, generation_id, project_id, reserved_delta)
        VALUES (p_org, 'reserve', 'reservation:' || p_generation || ':reserve', p_generation, p_project, v_amount);
      RETURN QUERY SELECT 'reserved'::text, v_amount, 'held'::text,
        credit_snapshot_json(b, o.tier_id, o.billing_status, format_estimates());
    END $$;
  `.execute(db);

  // Capture: mirrors planCapture() in src/credits/capture.ts. The hold is released and the actual cost
  // charged in one step: first from credits nobody else holds (included before prepaid, guarantee 9),
  // and what those cannot cover becomes overage (billable) or, on tiers without overage, is written off.
  // Either way it is recorded, never dropped. The reservation row lock makes the capture happen once;
  // the balance row is locked last and held only for its UPDATE and the ledger row.
  await sql`
    CREATE FUNCTION credits_capture(p_org text, p_generation text, p_actual bigint, p_model text)
    RETURNS TABLE (outcome text, status text, detail jsonb, snapshot jsonb)
    LANGUAGE plpgsql AS $$
    DECLARE
      r reservations%ROWTYPE;
      b credit_balances%ROWTYPE;
      o organizations%ROWTYPE;
      v_overage_allowed boolean;
      v_project text;
      v_free bigint; v_cover bigint; v_incl bigint; v_pre bigint; v_short bigint; v_over bigint; v_off bigint;
      v_row credit_ledger%ROWTYPE;
    BEGIN
      SELECT * INTO r FROM reservations WHERE generation_id = p_generation AND org_id = p_org FOR UPDATE;
      IF NOT FOUND THEN
        RETURN QUERY SELECT 'not_found'::text, NULL::text, NULL::jsonb, NULL::jsonb; RETURN;
      END IF;
      IF r.status = 'captured' THEN
        SELECT * INTO v_row FROM credit_ledger
         WHERE org_id = p_org AND idempotency_key = 'reservation:' || p_generation || ':settle';
        RETURN QUERY SELECT
          (CASE WHEN r.captured_credits = p_actual THEN 'duplicate' ELSE 'conflict' END)::text, r.status,
          jsonb_build_object('actual', r.captured_credits, 'hold', r.amount,
            'fromIncluded', -v_row.included_delta, 'fromPrepaid', -v_row.prepaid_delta,
            'overage', v_row.overage_delta, 'writtenOff', v_row.written_off_delta),
          credit_snapshot(p_org);
        RETURN;
      END IF;
      IF r.status <> 'held' THEN
        RETURN QUERY SELECT 'not_held'::text, r.status, NULL::jsonb, NULL::jsonb; RETURN;
      END IF;

      SELECT * INTO o FROM organizations WHERE id = p_org;
      SELECT t.overage_allowed INTO v_overage_allowed FROM tiers t WHERE t.id = o.tier_id;
      UPDATE reservations SET status = 'captured', captured_credits = p_actual, settled_at = now()
       WHERE generation_id = p_generation;
      UPDATE generations SET status = 'completed', actual_credits = p_actual, model = p_model, ended_at = now()
       WHERE id = p_generation RETURNING project_id INTO v_project;

      SELECT * INTO b FROM credit_balances WHERE org_id = p_org FOR UPDATE;
      v_free  := b.included_remaining + b.prepaid_balance - (b.reserved_credits - r.amount);
      v_cover := LEAST(p_actual, v_free);
      v_incl  := LEAST(v_cover, b.included_remaining);
      v_pre   := v_cover - v_incl;
      v_short := p_actual - v_cover;
      v_over  := CASE WHEN v_overage_allowed THEN v_short ELSE 0 END;
      v_off   := v_short - v_over;

      UPDATE credit_balances SET
        included_remaining = included_remaining - v_incl,
        prepaid_balance = prepaid_balance - v_pre,
        reserved_credits = reserved_credits - r.amount,
        used_this_period = used_this_period + p_actual,
        overage_this_period = overage_this_period + v_over,
        written_off_this_period = written_off_this_period + v_off,
        updated_at = now()
      WHERE org_id = p_org
      RETURNING * INTO b;
      INSERT INTO credit_ledger (org_id, entry_type, idempotency_key, generation_id, project_id,
          included_delta, prepaid_delta, reserved_delta, used_delta, overage_delta, written_off_delta)
        VALUES (p_org, 'capture', 'reservation:' || p_generation || ':settle', p_generation, v_project,
          -v_incl, -v_pre, -r.amount, p_actual, v_over, v_off);

      RETURN QUERY SELECT 'captured'::text, 'captured'::text,
        jsonb_build_object('actual', p_actual, 'hold', r.amount, 'fromIncluded', v_incl, 'fromPrepaid', v_pre,
          'overage', v_over, 'writtenOff', v_off),
        credit_snapshot_json(b, o.tier_id, o.billing_status, format_estimates());
    END $$;
  `.execute(db);

  // Release (a failed generation) and expire (the hold timer fired) return the whole hold.
  await sql`
    CREATE FUNCTION credits_release(p_org text, p_generation text, p_kind text, p_reason text)
    RETURNS TABLE (outcome text, status text, amount bigint, snapshot jsonb)
    LANGUAGE plpgsql AS $$
    DECLARE
      r reservations%ROWTYPE;
      b credit_balances%ROWTYPE;
      o organizations%ROWTYPE;
      v_project text;
      v_status text := CASE p_kind WHEN 'release' THEN 'released' WHEN 'expire' THEN 'expired' END;
    BEGIN
      IF v_status IS NULL THEN
        RAISE EXCEPTION 'credits_release: unknown kind %', p_kind USING ERRCODE = 'invalid_parameter_value';
      END IF;
      SELECT * INTO r FROM reservations WHERE generation_id = p_generation AND org_id = p_org FOR UPDATE;
      IF NOT FOUND THEN
        RETURN QUERY SELECT 'not_found'::text, NULL::text, NULL::bigint, NULL::jsonb; RETURN;
      END IF;
      IF r.status <> 'held' THEN
        RETURN QUERY SELECT (CASE WHEN r.status = v_status THEN 'duplicate' ELSE 'not_held' END)::text,
          r.status, r.amount, credit_snapshot(p_org);
        RETURN;
      END IF;

      SELECT * INTO o FROM organizations WHERE id = p_org;
      UPDATE reservations SET status = v_status, settled_at = now() WHERE generation_id = p_generation;
      UPDATE generations
         SET status = CASE p_kind WHEN 'release' THEN 'failed' ELSE 'expired' END,
             failure_reason = p_reason, ended_at = now()
       WHERE id = p_generation RETURNING project_id INTO v_project;
      UPDATE credit_balances SET reserved_credits = reserved_credits - r.amount, updated_at = now()
       WHERE org_id = p_org RETURNING * INTO b;
      INSERT INTO credit_ledger (org_id, entry_type, idempotency_key, generation_id, project_id, reserved_delta, reason)
        VALUES (p_org, p_kind, 'reservation:' || p_generation || ':settle', p_generation, v_project, -r.amount, p_reason);
      RETURN QUERY SELECT v_status, v_status, r.amount,
        credit_snapshot_json(b, o.tier_id, o.billing_status, format_estimates());
    END $$;
  `.execute(db);

  // Grants are keyed by the caller's business key; the same key with another amount is refused.
  await sql`
    CREATE FUNCTION credits_grant(p_org text, p_bucket text, p_amount bigint, p_key text, p_reason text)
    RETURNS TABLE (outcome text, snapshot jsonb)
    LANGUAGE plpgsql AS $$
    DECLARE
      v_type text := CASE p_bucket WHEN 'included' THEN 'grant_included' WHEN 'prepaid' THEN 'grant_prepaid' END;
      v_incl bigint := CASE p_bucket WHEN 'included' THEN p_amount ELSE 0 END;
      v_pre bigint := CASE p_bucket WHEN 'prepaid' THEN p_amount ELSE 0 END;
      v_row credit_ledger%ROWTYPE;
    BEGIN
      IF v_type IS NULL OR p_amount IS NULL OR p_amount <= 0 THEN
        RAISE EXCEPTION 'credits_grant: bad bucket % or amount %', p_bucket, p_amount USING ERRCODE = 'invalid_parameter_value';
      END IF;
      PERFORM 1 FROM credit_balances WHERE org_id = p_org FOR UPDATE;
      IF NOT FOUND THEN
        RETURN QUERY SELECT 'org_not_found'::text, NULL::jsonb; RETURN;
      END IF;
      INSERT INTO credit_ledger (org_id, entry_type, idempotency_key, included_delta, prepaid_delta, allowance_delta, reason)
        VALUES (p_org, v_type, p_key, v_incl, v_pre, v_incl, p_reason)
        ON CONFLICT (org_id, idempotency_key) DO NOTHING;
      IF NOT FOUND THEN
        SELECT * INTO v_row FROM credit_ledger WHERE org_id = p_org AND idempotency_key = p_key;
        RETURN QUERY SELECT
          (CASE WHEN v_row.entry_type = v_type AND v_row.included_delta = v_incl AND v_row.prepaid_delta = v_pre
                THEN 'duplicate' ELSE 'key_reused' END)::text,
          credit_snapshot(p_org);
        RETURN;
      END IF;
      UPDATE credit_balances SET
        included_remaining = included_remaining + v_incl,
        included_this_period = included_this_period + v_incl,
        prepaid_balance = prepaid_balance + v_pre,
        updated_at = now()
      WHERE org_id = p_org;
      RETURN QUERY SELECT 'granted'::text, credit_snapshot(p_org);
    END $$;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP FUNCTION IF EXISTS credits_grant, credits_release, credits_capture, credits_reserve, credit_snapshot,
      format_estimates, credit_snapshot_json;
    DROP TABLE IF EXISTS credit_ledger, reservations, generations, credit_balances, projects, organizations,
      generation_formats, tiers;
    DROP FUNCTION IF EXISTS credit_ledger_is_append_only;
  `.execute(db);
}
