-- Starts a top-up the org asked for (card, or ACH with its expected settlement date), before anything is
-- charged: the top-up row (pending), pending_cents, and one 'top_up_started' ledger row. No cap: the cap
-- bounds only what the wallet charges on its own. p_local_day must be the day PostgreSQL finds for p_at
-- in the wallet's time zone ('day_mismatch' otherwise). Idempotent on p_key (manualTopUpKey() of
-- src/wallet/ids.ts): a repeat answers 'duplicate', a reuse for another method or amount 'conflict'.
CREATE OR REPLACE FUNCTION wallet_start_top_up(
  p_org text, p_method text, p_amount bigint, p_local_day date, p_expected date, p_key text,
  p_start_key text, p_at timestamptz)
RETURNS TABLE (outcome text, top_up jsonb, wallet jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  w wallets%ROWTYPE;
  t wallet_top_ups%ROWTYPE;
BEGIN
  IF p_method IS NULL OR p_method NOT IN ('card', 'ach') OR (p_method = 'ach') <> (p_expected IS NOT NULL)
     OR p_amount IS NULL OR p_amount <= 0 OR p_local_day IS NULL OR p_key IS NULL OR p_start_key IS NULL
     OR p_at IS NULL THEN
    RAISE EXCEPTION 'wallet_start_top_up: bad arguments' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT * INTO w FROM wallets WHERE org_id = p_org FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT wallet_missing(p_org), NULL::jsonb, NULL::jsonb; RETURN;
  END IF;
  SELECT * INTO t FROM wallet_top_ups tu WHERE tu.org_id = p_org AND tu.business_key = p_key;
  IF FOUND THEN
    RETURN QUERY SELECT
      (CASE WHEN (t.trigger, t.method, t.amount_cents) = ('manual', p_method, p_amount)
            THEN 'duplicate' ELSE 'conflict' END)::text,
      to_jsonb(t), to_jsonb(w);
    RETURN;
  END IF;
  IF p_local_day <> (p_at AT TIME ZONE w.time_zone)::date THEN
    RETURN QUERY SELECT 'day_mismatch'::text, NULL::jsonb, to_jsonb(w); RETURN;
  END IF;
  t := wallet_add_top_up(p_org, p_key, p_start_key, p_method, 'manual', p_amount, p_local_day, p_expected, p_at);
  SELECT * INTO w FROM wallets WHERE org_id = p_org;
  RETURN QUERY SELECT 'started'::text, to_jsonb(t), to_jsonb(w);
END $$;
