-- Grants are keyed by the caller's business key; the same key with another amount is refused.
CREATE OR REPLACE FUNCTION credits_grant(p_org text, p_bucket text, p_amount bigint, p_key text, p_reason text)
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
