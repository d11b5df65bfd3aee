-- Closes an org's credit period at business time p_at (never now()), in one transaction with one ledger
-- row ('period_close', key p_key = periodCloseKey() of src/credits/ids.ts) and one credit_periods row:
--  1. rolled-over grants whose expiry is at or before p_at expire;
--  2. this period's unused included credits become a rollover grant of LEAST(unused, p_rollover_cap)
--     expiring p_rollover_days × 24 h after p_at (no grant when p_rollover_days = 0: a plain reset), and
--     the rest expires;
--  3. the period summary is written from the *_this_period counters (with this close's expiries), the
--     counters are reset and the next period [p_at, p_next_end) starts with p_allowance included credits.
-- Holds across the boundary: running generations keep what they hold. Holds sit in the credits that
-- expire first, so of the credits expiring here, as many as the holds not yet backed by pending_expiry
-- stay in the balance as pending_expiry (they expire when released unused, or are spent by their
-- capture); only the rest leaves the balance. Nothing held is taken and the CHECKs hold throughout.
-- The rollover policy and the allowance are arguments: the billing rules (src/billing/) decide them.
-- A repeat with the same key and arguments answers 'duplicate' with the summary written the first time;
-- with other arguments, 'conflict'. A close of any period but the open one ('period_mismatch') writes
-- nothing.
CREATE OR REPLACE FUNCTION credits_close_period(
  p_org text, p_period_start timestamptz, p_at timestamptz, p_next_end timestamptz, p_allowance bigint,
  p_rollover_days integer, p_rollover_cap bigint, p_key text)
RETURNS TABLE (outcome text, period jsonb, snapshot jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  b credit_balances%ROWTYPE;
  o organizations%ROWTYPE;
  p credit_periods%ROWTYPE;
  v_due bigint; v_next timestamptz; v_roll bigint; v_roll_expires timestamptz;
  v_expiring bigint; v_held bigint; v_held_due bigint; v_rollover_expired bigint; v_expired bigint;
BEGIN
  IF p_period_start IS NULL OR p_at IS NULL OR p_at <= p_period_start OR p_next_end IS NULL OR p_next_end <= p_at
     OR p_allowance IS NULL OR p_allowance < 0 OR p_rollover_days IS NULL OR p_rollover_days < 0
     OR p_rollover_cap IS NULL OR p_rollover_cap < 0 OR p_key IS NULL THEN
    RAISE EXCEPTION 'credits_close_period: bad arguments' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT * INTO b FROM credit_balances WHERE org_id = p_org FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'org_not_found'::text, NULL::jsonb, NULL::jsonb; RETURN;
  END IF;
  SELECT * INTO p FROM credit_periods cp WHERE cp.org_id = p_org AND cp.idempotency_key = p_key;
  IF FOUND THEN
    RETURN QUERY SELECT
      (CASE WHEN (p.period_start, p.period_end, p.next_period_end, p.next_allowance, p.rollover_days,
                  p.rollover_cap)
               = (p_period_start, p_at, p_next_end, p_allowance, p_rollover_days, p_rollover_cap)
            THEN 'duplicate' ELSE 'conflict' END)::text,
      credit_period_json(p), credit_snapshot(p_org);
    RETURN;
  END IF;
  IF b.period_start <> p_period_start THEN
    RETURN QUERY SELECT 'period_mismatch'::text, NULL::jsonb, credit_snapshot(p_org); RETURN;
  END IF;
  SELECT * INTO o FROM organizations WHERE id = p_org;

  SELECT e.expired, e.next_expiry INTO v_due, v_next FROM credit_grants_expire(p_org, p_at, false) e;
  v_roll := CASE WHEN p_rollover_days > 0 THEN LEAST(b.included_remaining, p_rollover_cap) ELSE 0 END;
  v_expiring := v_due + b.included_remaining - v_roll;
  v_held := LEAST(v_expiring, b.reserved_credits - b.pending_expiry);
  -- The grants expired before this period's included credits did: the holds sit in them first.
  v_held_due := LEAST(v_held, v_due);
  v_rollover_expired := v_due - v_held_due;
  v_expired := v_expiring - v_held;
  IF v_roll > 0 THEN
    v_roll_expires := p_at + p_rollover_days * interval '24 hours';
    INSERT INTO credit_grants (org_id, idempotency_key, granted, remaining, granted_at, expires_at)
      VALUES (p_org, p_key, v_roll, v_roll, p_at, v_roll_expires);
    v_next := LEAST(v_next, v_roll_expires);
  END IF;

  INSERT INTO credit_periods (org_id, period_start, period_end, tier_id, included_granted, used, overage,
      written_off, rolled_over_in, rollover_expired, expired, rolled_over_out, held_at_close,
      next_period_end, next_allowance, rollover_days, rollover_cap, idempotency_key)
    VALUES (p_org, b.period_start, p_at, o.tier_id, b.included_this_period, b.used_this_period,
      b.overage_this_period, b.written_off_this_period, b.rolled_over_in_this_period,
      b.rollover_expired_this_period + v_rollover_expired, b.expired_this_period + v_expired, v_roll, v_held,
      p_next_end, p_allowance, p_rollover_days, p_rollover_cap, p_key)
    RETURNING * INTO p;

  INSERT INTO credit_ledger (org_id, entry_type, idempotency_key, included_delta, rolled_over_delta,
      pending_expiry_delta, allowance_delta, used_delta, overage_delta, written_off_delta,
      rolled_over_in_delta, rollover_expired_delta, expired_delta, effective_at, detail)
    VALUES (p_org, 'period_close', p_key, p_allowance - b.included_remaining, v_roll - v_due, v_held,
      p_allowance - b.included_this_period, -b.used_this_period, -b.overage_this_period,
      -b.written_off_this_period, v_roll - b.rolled_over_in_this_period, -b.rollover_expired_this_period,
      -b.expired_this_period, p_at,
      jsonb_build_object('periodStart', b.period_start, 'nextPeriodEnd', p_next_end,
        'allowance', p_allowance, 'rolloverDays', p_rollover_days, 'rolloverCap', p_rollover_cap,
        'rolledOver', v_roll, 'rolloverExpired', v_rollover_expired, 'expired', v_expired, 'held', v_held));

  UPDATE credit_balances SET
    included_remaining = p_allowance,
    rolled_over_remaining = rolled_over_remaining - v_due + v_roll,
    rollover_expires_at = v_next,
    pending_expiry = pending_expiry + v_held,
    included_this_period = p_allowance,
    used_this_period = 0,
    overage_this_period = 0,
    written_off_this_period = 0,
    rolled_over_in_this_period = v_roll,
    rollover_expired_this_period = 0,
    expired_this_period = 0,
    period_start = p_at,
    period_end = p_next_end,
    updated_at = now()
  WHERE org_id = p_org
  RETURNING * INTO b;

  RETURN QUERY SELECT 'closed'::text, credit_period_json(p),
    credit_snapshot_json(b, o.tier_id, o.billing_status, format_estimates());
END $$;
