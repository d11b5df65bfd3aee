-- Starts a top-up, for wallet_claim_auto_top_up and wallet_start_top_up, which hold the wallet row's lock
-- and have checked everything else: the top-up row (pending), its amount added to pending_cents, and the
-- one 'top_up_started' ledger row (key p_start_key, topUpStartKey() of src/wallet/ids.ts).
CREATE OR REPLACE FUNCTION wallet_add_top_up(
  p_org text, p_key text, p_start_key text, p_method text, p_trigger text, p_amount bigint,
  p_local_day date, p_expected date, p_at timestamptz)
RETURNS wallet_top_ups
LANGUAGE plpgsql AS $$
DECLARE
  t wallet_top_ups%ROWTYPE;
BEGIN
  INSERT INTO wallet_top_ups (org_id, business_key, amount_cents, method, trigger, status, local_day,
      started_at, expected_settlement)
    VALUES (p_org, p_key, p_amount, p_method, p_trigger, 'pending', p_local_day, p_at, p_expected)
    RETURNING * INTO t;
  UPDATE wallets SET pending_cents = pending_cents + p_amount, updated_at = now() WHERE org_id = p_org;
  INSERT INTO wallet_ledger (org_id, entry_type, idempotency_key, pending_delta, top_up_id, effective_at, detail)
    VALUES (p_org, 'top_up_started', p_start_key, p_amount, t.id, p_at,
      jsonb_build_object('method', p_method, 'trigger', p_trigger, 'topUpKey', p_key));
  RETURN t;
END $$;
