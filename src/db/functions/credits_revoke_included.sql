-- Takes away every included credit, this period's and rolled-over, at business time p_at: a paused or
-- canceled subscription has none (prepaid credits stay). One 'revoke_included' ledger row under p_key
-- (includedRevokeKey() of src/credits/ids.ts). included_this_period becomes 0, so the snapshot shows no
-- allowance until the next close grants one. As for every expiry, the part running generations hold
-- stays in the balance as pending_expiry and expires when released unused. A repeat with the same key
-- and time answers 'duplicate', with another time 'conflict'; a revocation dated before the open period
-- ('before_period') writes nothing.
CREATE OR REPLACE FUNCTION credits_revoke_included(p_org text, p_key text, p_at timestamptz)
RETURNS TABLE (outcome text, detail jsonb, snapshot jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  b credit_balances%ROWTYPE;
  o organizations%ROWTYPE;
  v_row credit_ledger%ROWTYPE;
  v_allowance bigint; v_included bigint; v_grants bigint; v_removed bigint; v_held bigint; v_held_grants bigint;
  v_detail jsonb;
BEGIN
  IF p_at IS NULL OR p_key IS NULL THEN
    RAISE EXCEPTION 'credits_revoke_included: bad arguments' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT * INTO b FROM credit_balances WHERE org_id = p_org FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'org_not_found'::text, NULL::jsonb, NULL::jsonb; RETURN;
  END IF;
  SELECT * INTO v_row FROM credit_ledger l WHERE l.org_id = p_org AND l.idempotency_key = p_key;
  IF FOUND THEN
    RETURN QUERY SELECT
      (CASE WHEN v_row.entry_type = 'revoke_included' AND v_row.effective_at = p_at
            THEN 'duplicate' ELSE 'conflict' END)::text,
      v_row.detail, credit_snapshot(p_org);
    RETURN;
  END IF;
  IF p_at < b.period_start THEN
    RETURN QUERY SELECT 'before_period'::text, NULL::jsonb, credit_snapshot(p_org); RETURN;
  END IF;
  SELECT * INTO o FROM organizations WHERE id = p_org;

  v_allowance := b.included_this_period;
  v_included := b.included_remaining;
  SELECT e.expired INTO v_grants FROM credit_grants_expire(p_org, p_at, true) e;
  v_removed := v_grants + v_included;
  v_held := LEAST(v_removed, b.reserved_credits - b.pending_expiry);
  -- The grants would have expired before this period's included credits: the holds sit in them first.
  v_held_grants := LEAST(v_held, v_grants);
  v_detail := jsonb_build_object('previousAllowance', v_allowance,
    'rolloverExpired', v_grants - v_held_grants, 'expired', v_removed - v_held, 'held', v_held);
  UPDATE credit_balances SET
    included_remaining = 0,
    included_this_period = 0,
    -- Less what the grants had rather than 0: a sum that disagreed with them would fail the CHECK.
    rolled_over_remaining = rolled_over_remaining - v_grants,
    rollover_expires_at = NULL,
    pending_expiry = pending_expiry + v_held,
    rollover_expired_this_period = rollover_expired_this_period + v_grants - v_held_grants,
    expired_this_period = expired_this_period + v_removed - v_held,
    updated_at = now()
  WHERE org_id = p_org
  RETURNING * INTO b;
  INSERT INTO credit_ledger (org_id, entry_type, idempotency_key, included_delta, allowance_delta,
      rolled_over_delta, pending_expiry_delta, rollover_expired_delta, expired_delta, effective_at, detail)
    VALUES (p_org, 'revoke_included', p_key, -v_included, -v_allowance,
      -v_grants, v_held, v_grants - v_held_grants, v_removed - v_held, p_at, v_detail);
  RETURN QUERY SELECT 'revoked'::text, v_detail,
    credit_snapshot_json(b, o.tier_id, o.billing_status, format_estimates());
END $$;
