-- Settles a refund leg once Stripe has answered, at business time p_at: 'succeeded' records the refund
-- (the wallet was debited when the leg started: no balance change, no ledger row); 'failed' credits the
-- refund and its fee back to the settled balance with one 'withdrawal_reversed' ledger row (p_reverse_key).
-- A repeat answers 'duplicate'; the other outcome after one was recorded, 'conflict'.
CREATE OR REPLACE FUNCTION wallet_settle_withdrawal_leg(
  p_org text, p_leg_key text, p_outcome text, p_stripe_refund text, p_reason text, p_reverse_key text,
  p_at timestamptz)
RETURNS TABLE (outcome text, leg jsonb, wallet jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  w wallets%ROWTYPE;
  l wallet_withdrawal_legs%ROWTYPE;
BEGIN
  IF p_outcome IS NULL OR p_outcome NOT IN ('succeeded', 'failed') OR p_leg_key IS NULL
     OR p_reverse_key IS NULL OR p_at IS NULL THEN
    RAISE EXCEPTION 'wallet_settle_withdrawal_leg: bad arguments' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT * INTO w FROM wallets WHERE org_id = p_org FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT wallet_missing(p_org), NULL::jsonb, NULL::jsonb; RETURN;
  END IF;
  SELECT * INTO l FROM wallet_withdrawal_legs wl WHERE wl.org_id = p_org AND wl.business_key = p_leg_key FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'not_found'::text, NULL::jsonb, to_jsonb(w); RETURN;
  END IF;
  IF l.status <> 'pending' THEN
    RETURN QUERY SELECT (CASE WHEN l.status = p_outcome THEN 'duplicate' ELSE 'conflict' END)::text,
      to_jsonb(l), to_jsonb(w);
    RETURN;
  END IF;

  UPDATE wallet_withdrawal_legs SET status = p_outcome, settled_at = p_at,
      stripe_refund_id = coalesce(p_stripe_refund, stripe_refund_id),
      failure_reason = CASE WHEN p_outcome = 'failed' THEN p_reason END
   WHERE id = l.id
  RETURNING * INTO l;
  IF p_outcome = 'failed' THEN
    UPDATE wallets SET balance_cents = balance_cents + l.refund_cents + l.fee_cents, updated_at = now()
     WHERE org_id = p_org
    RETURNING * INTO w;
    INSERT INTO wallet_ledger (org_id, entry_type, idempotency_key, balance_delta, top_up_id, withdrawal_leg_id,
        effective_at, detail)
      VALUES (p_org, 'withdrawal_reversed', p_reverse_key, l.refund_cents + l.fee_cents, l.top_up_id, l.id, p_at,
        jsonb_build_object('withdrawalKey', l.withdrawal_key, 'reason', p_reason));
  END IF;
  RETURN QUERY SELECT p_outcome, to_jsonb(l), to_jsonb(w);
END $$;
