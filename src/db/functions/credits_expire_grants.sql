-- Expires the rolled-over grants whose expiry is at or before business time p_at, between two closes
-- (a 30-day rollover ends before a 31-day month does): the org-billing workflow calls it from a timer at
-- the earliest expiry (rolloverExpiresAt). One 'expire_rollover' ledger row under p_key
-- (rolloverExpiryKey() of src/credits/ids.ts). As at a close, the part that running generations hold
-- stays in the balance as pending_expiry and only the rest leaves it. Nothing due: 'nothing_due', and
-- nothing is written.
CREATE OR REPLACE FUNCTION credits_expire_grants(p_org text, p_at timestamptz, p_key text)
RETURNS TABLE (outcome text, detail jsonb, snapshot jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  b credit_balances%ROWTYPE;
  o organizations%ROWTYPE;
  v_row credit_ledger%ROWTYPE;
  v_due bigint; v_next timestamptz; v_held bigint; v_detail jsonb;
BEGIN
  IF p_at IS NULL OR p_key IS NULL THEN
    RAISE EXCEPTION 'credits_expire_grants: bad arguments' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT * INTO b FROM credit_balances WHERE org_id = p_org FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'org_not_found'::text, NULL::jsonb, NULL::jsonb; RETURN;
  END IF;
  SELECT * INTO v_row FROM credit_ledger l WHERE l.org_id = p_org AND l.idempotency_key = p_key;
  IF FOUND THEN
    RETURN QUERY SELECT
      (CASE WHEN v_row.entry_type = 'expire_rollover' AND v_row.effective_at = p_at
            THEN 'duplicate' ELSE 'conflict' END)::text,
      v_row.detail, credit_snapshot(p_org);
    RETURN;
  END IF;

  SELECT e.expired, e.next_expiry INTO v_due, v_next FROM credit_grants_expire(p_org, p_at, false) e;
  IF v_due = 0 THEN
    RETURN QUERY SELECT 'nothing_due'::text, jsonb_build_object('expired', 0, 'held', 0), credit_snapshot(p_org);
    RETURN;
  END IF;
  SELECT * INTO o FROM organizations WHERE id = p_org;
  v_held := LEAST(v_due, b.reserved_credits - b.pending_expiry);
  v_detail := jsonb_build_object('expired', v_due - v_held, 'held', v_held);
  UPDATE credit_balances SET
    rolled_over_remaining = rolled_over_remaining - v_due,
    rollover_expires_at = v_next,
    pending_expiry = pending_expiry + v_held,
    rollover_expired_this_period = rollover_expired_this_period + v_due - v_held,
    expired_this_period = expired_this_period + v_due - v_held,
    updated_at = now()
  WHERE org_id = p_org
  RETURNING * INTO b;
  INSERT INTO credit_ledger (org_id, entry_type, idempotency_key, rolled_over_delta, pending_expiry_delta,
      rollover_expired_delta, expired_delta, effective_at, detail)
    VALUES (p_org, 'expire_rollover', p_key, -v_due, v_held, v_due - v_held, v_due - v_held, p_at, v_detail);
  RETURN QUERY SELECT 'expired'::text, v_detail,
    credit_snapshot_json(b, o.tier_id, o.billing_status, format_estimates());
END $$;
