-- Credits a wire transfer finance has seen arrive (the admin CLI's `wallet credit --wire`): a succeeded
-- 'wire' top-up row and one 'wire_credit' ledger row (p_ledger_key) adding p_amount to the settled balance.
-- The key is built from the wire's reference (wireCreditKey() of src/wallet/ids.ts), so a wire is
-- credited once: a repeat answers 'duplicate', the same reference with another amount 'conflict'.
-- p_local_day must be the day PostgreSQL finds for p_at in the wallet's time zone.
CREATE OR REPLACE FUNCTION wallet_credit_wire(
  p_org text, p_amount bigint, p_reference text, p_local_day date, p_key text, p_ledger_key text,
  p_at timestamptz)
RETURNS TABLE (outcome text, top_up jsonb, wallet jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  w wallets%ROWTYPE;
  t wallet_top_ups%ROWTYPE;
BEGIN
  IF p_amount IS NULL OR p_amount <= 0 OR p_reference IS NULL OR p_local_day IS NULL OR p_key IS NULL
     OR p_ledger_key IS NULL OR p_at IS NULL THEN
    RAISE EXCEPTION 'wallet_credit_wire: bad arguments' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT * INTO w FROM wallets WHERE org_id = p_org FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT wallet_missing(p_org), NULL::jsonb, NULL::jsonb; RETURN;
  END IF;
  SELECT * INTO t FROM wallet_top_ups tu WHERE tu.org_id = p_org AND tu.business_key = p_key;
  IF FOUND THEN
    RETURN QUERY SELECT
      (CASE WHEN (t.method, t.amount_cents, t.wire_reference) = ('wire', p_amount, p_reference)
            THEN 'duplicate' ELSE 'conflict' END)::text,
      to_jsonb(t), to_jsonb(w);
    RETURN;
  END IF;
  IF p_local_day <> (p_at AT TIME ZONE w.time_zone)::date THEN
    RETURN QUERY SELECT 'day_mismatch'::text, NULL::jsonb, to_jsonb(w); RETURN;
  END IF;

  INSERT INTO wallet_top_ups (org_id, business_key, amount_cents, method, trigger, status, wire_reference,
      local_day, started_at, settled_at)
    VALUES (p_org, p_key, p_amount, 'wire', 'manual', 'succeeded', p_reference, p_local_day, p_at, p_at)
    RETURNING * INTO t;
  UPDATE wallets SET balance_cents = balance_cents + p_amount, updated_at = now()
   WHERE org_id = p_org
  RETURNING * INTO w;
  INSERT INTO wallet_ledger (org_id, entry_type, idempotency_key, balance_delta, top_up_id, effective_at, detail)
    VALUES (p_org, 'wire_credit', p_ledger_key, p_amount, t.id, p_at, jsonb_build_object('reference', p_reference));
  RETURN QUERY SELECT 'credited'::text, to_jsonb(t), to_jsonb(w);
END $$;
