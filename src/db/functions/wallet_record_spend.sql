-- Records one ad-platform bill: the spend and the platform fee (wallet_fee_cents at the wallet's own
-- platform_fee_bps, read under its row lock) leave the settled balance in one transaction, as two linked
-- ledger legs ('spend' under p_spend_key, 'fee' under p_fee_key; both carry the platform, external id and
-- project). Spend already incurred is recorded in full, even below zero. (org, platform, external id) is
-- the bill's identity: a repeat with the same project, amount and time answers 'duplicate' with what the
-- first recording answered (its balance after, and whether it crossed below the auto-top-up threshold,
-- counted only while auto-top-up can run, and below the floor); with other ones, 'conflict'. An unknown
-- or foreign project writes nothing.
CREATE OR REPLACE FUNCTION wallet_record_spend(
  p_org text, p_platform text, p_project text, p_spend bigint, p_occurred_at timestamptz,
  p_external_id text, p_spend_key text, p_fee_key text)
RETURNS TABLE (outcome text, debit jsonb, wallet jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  w wallets%ROWTYPE;
  d wallet_debits%ROWTYPE;
  v_fee bigint;
  v_before bigint;
BEGIN
  IF p_platform IS NULL OR p_project IS NULL OR p_spend IS NULL OR p_spend <= 0 OR p_occurred_at IS NULL
     OR p_external_id IS NULL OR p_spend_key IS NULL OR p_fee_key IS NULL THEN
    RAISE EXCEPTION 'wallet_record_spend: bad arguments' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT * INTO w FROM wallets WHERE org_id = p_org FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT wallet_missing(p_org), NULL::jsonb, NULL::jsonb; RETURN;
  END IF;
  SELECT * INTO d FROM wallet_debits wd
   WHERE wd.org_id = p_org AND wd.platform = p_platform AND wd.external_id = p_external_id;
  IF FOUND THEN
    RETURN QUERY SELECT
      (CASE WHEN (d.project_id, d.spend_cents, d.occurred_at) = (p_project, p_spend, p_occurred_at)
            THEN 'duplicate' ELSE 'conflict' END)::text,
      to_jsonb(d), to_jsonb(w);
    RETURN;
  END IF;
  PERFORM 1 FROM projects WHERE id = p_project AND org_id = p_org;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'project_not_found'::text, NULL::jsonb, to_jsonb(w); RETURN;
  END IF;

  v_fee := wallet_fee_cents(p_spend, w.platform_fee_bps);
  v_before := w.balance_cents;
  UPDATE wallets SET balance_cents = balance_cents - p_spend - v_fee, updated_at = now()
   WHERE org_id = p_org
  RETURNING * INTO w;
  INSERT INTO wallet_debits (org_id, platform, external_id, project_id, spend_cents, fee_cents, fee_bps,
      occurred_at, balance_after_cents, crossed_threshold, crossed_floor)
    VALUES (p_org, p_platform, p_external_id, p_project, p_spend, v_fee, w.platform_fee_bps, p_occurred_at,
      w.balance_cents,
      w.auto_top_up_enabled AND w.auto_top_up_disabled_reason IS NULL
        AND v_before >= w.auto_top_up_threshold_cents AND w.balance_cents < w.auto_top_up_threshold_cents,
      v_before >= w.floor_cents AND w.balance_cents < w.floor_cents)
    RETURNING * INTO d;
  INSERT INTO wallet_ledger (org_id, entry_type, idempotency_key, balance_delta, project_id, platform,
      external_id, effective_at, detail)
    VALUES
      (p_org, 'spend', p_spend_key, -p_spend, p_project, p_platform, p_external_id, p_occurred_at, NULL),
      (p_org, 'fee', p_fee_key, -v_fee, p_project, p_platform, p_external_id, p_occurred_at,
        jsonb_build_object('feeBps', w.platform_fee_bps, 'spendCents', p_spend));
  RETURN QUERY SELECT 'recorded'::text, to_jsonb(d), to_jsonb(w);
END $$;
