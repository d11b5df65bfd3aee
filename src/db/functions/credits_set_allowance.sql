-- Changes this period's included allowance now, at business time p_at (an upgrade, or a downgrade with
-- effective "now"), with one 'allowance_change' ledger row under p_key (allowanceChangeKey() of
-- src/credits/ids.ts):
--  - up: included_this_period becomes p_allowance and included_remaining grows by the difference;
--  - down: included_this_period becomes p_allowance and included_remaining is clamped to
--    GREATEST(0, p_allowance - used from included this period), where the used part is what the
--    period's allowance lost to captures (included_this_period - included_remaining). The credits that
--    clamp removes expire, except the part running generations hold, which stays as pending_expiry.
-- Rolled-over grants are not touched. A repeat with the same key answers 'duplicate' for the same
-- allowance and time, 'conflict' otherwise; a change dated before the open period ('before_period')
-- writes nothing.
CREATE OR REPLACE FUNCTION credits_set_allowance(p_org text, p_allowance bigint, p_key text, p_at timestamptz)
RETURNS TABLE (outcome text, detail jsonb, snapshot jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  b credit_balances%ROWTYPE;
  o organizations%ROWTYPE;
  v_row credit_ledger%ROWTYPE;
  v_previous bigint; v_add bigint := 0; v_removed bigint := 0; v_held bigint; v_detail jsonb;
BEGIN
  IF p_allowance IS NULL OR p_allowance < 0 OR p_at IS NULL OR p_key IS NULL THEN
    RAISE EXCEPTION 'credits_set_allowance: bad arguments' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT * INTO b FROM credit_balances WHERE org_id = p_org FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'org_not_found'::text, NULL::jsonb, NULL::jsonb; RETURN;
  END IF;
  SELECT * INTO v_row FROM credit_ledger l WHERE l.org_id = p_org AND l.idempotency_key = p_key;
  IF FOUND THEN
    RETURN QUERY SELECT
      (CASE WHEN v_row.entry_type = 'allowance_change' AND v_row.effective_at = p_at
                 AND (v_row.detail->>'allowance')::bigint = p_allowance
            THEN 'duplicate' ELSE 'conflict' END)::text,
      v_row.detail, credit_snapshot(p_org);
    RETURN;
  END IF;
  IF p_at < b.period_start THEN
    RETURN QUERY SELECT 'before_period'::text, NULL::jsonb, credit_snapshot(p_org); RETURN;
  END IF;
  SELECT * INTO o FROM organizations WHERE id = p_org;

  v_previous := b.included_this_period;
  IF p_allowance >= b.included_this_period THEN
    v_add := p_allowance - b.included_this_period;
  ELSE
    v_removed := GREATEST(0, b.included_remaining
      - GREATEST(0, p_allowance - GREATEST(0, b.included_this_period - b.included_remaining)));
  END IF;
  v_held := LEAST(v_removed, b.reserved_credits - b.pending_expiry);
  v_detail := jsonb_build_object('allowance', p_allowance, 'previousAllowance', v_previous,
    'added', v_add, 'expired', v_removed - v_held, 'held', v_held);
  UPDATE credit_balances SET
    included_remaining = included_remaining + v_add - v_removed,
    included_this_period = p_allowance,
    pending_expiry = pending_expiry + v_held,
    expired_this_period = expired_this_period + v_removed - v_held,
    updated_at = now()
  WHERE org_id = p_org
  RETURNING * INTO b;
  INSERT INTO credit_ledger (org_id, entry_type, idempotency_key, included_delta, allowance_delta,
      pending_expiry_delta, expired_delta, effective_at, detail)
    VALUES (p_org, 'allowance_change', p_key, v_add - v_removed, p_allowance - v_previous,
      v_held, v_removed - v_held, p_at, v_detail);
  RETURN QUERY SELECT 'changed'::text, v_detail,
    credit_snapshot_json(b, o.tier_id, o.billing_status, format_estimates());
END $$;
