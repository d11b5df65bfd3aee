-- One refund leg of a withdrawal (planWithdrawal() of src/wallet/withdrawal.ts decides the legs): debits
-- the settled balance by p_refund + p_fee before Stripe is asked for the refund, so the money cannot be
-- spent meanwhile, with one 'withdrawal' ledger row (p_debit_key). Refused, writing nothing: a top-up that
-- is not a succeeded card charge of this org ('not_refundable', 'top_up_not_found'), more back to that
-- charge than it charged, earlier legs not failed included ('exceeds_charge'), or more than the settled
-- balance ('insufficient'). Idempotent on p_leg_key (withdrawalLegKey() of src/wallet/ids.ts: one refund
-- per charge per withdrawal): a repeat answers 'duplicate', other amounts 'conflict'.
CREATE OR REPLACE FUNCTION wallet_withdraw_leg(
  p_org text, p_withdrawal_key text, p_top_up_id bigint, p_refund bigint, p_fee bigint, p_leg_key text,
  p_debit_key text, p_at timestamptz)
RETURNS TABLE (outcome text, leg jsonb, refundable_cents bigint, wallet jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  w wallets%ROWTYPE;
  t wallet_top_ups%ROWTYPE;
  l wallet_withdrawal_legs%ROWTYPE;
  v_refunded bigint;
BEGIN
  IF p_withdrawal_key IS NULL OR p_top_up_id IS NULL OR p_refund IS NULL OR p_refund <= 0 OR p_fee IS NULL
     OR p_fee < 0 OR p_leg_key IS NULL OR p_debit_key IS NULL OR p_at IS NULL THEN
    RAISE EXCEPTION 'wallet_withdraw_leg: bad arguments' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT * INTO w FROM wallets WHERE org_id = p_org FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT wallet_missing(p_org), NULL::jsonb, NULL::bigint, NULL::jsonb; RETURN;
  END IF;
  SELECT * INTO l FROM wallet_withdrawal_legs wl WHERE wl.org_id = p_org AND wl.business_key = p_leg_key;
  IF FOUND THEN
    RETURN QUERY SELECT
      (CASE WHEN (l.withdrawal_key, l.top_up_id, l.refund_cents, l.fee_cents)
                 = (p_withdrawal_key, p_top_up_id, p_refund, p_fee)
            THEN 'duplicate' ELSE 'conflict' END)::text,
      to_jsonb(l), NULL::bigint, to_jsonb(w);
    RETURN;
  END IF;
  SELECT * INTO t FROM wallet_top_ups tu WHERE tu.id = p_top_up_id AND tu.org_id = p_org;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'top_up_not_found'::text, NULL::jsonb, NULL::bigint, to_jsonb(w); RETURN;
  END IF;
  IF t.method <> 'card' OR t.status <> 'succeeded' THEN
    RETURN QUERY SELECT 'not_refundable'::text, NULL::jsonb, 0::bigint, to_jsonb(w); RETURN;
  END IF;
  SELECT coalesce(sum(wl.refund_cents), 0) INTO v_refunded FROM wallet_withdrawal_legs wl
   WHERE wl.top_up_id = p_top_up_id AND wl.status <> 'failed';
  IF v_refunded + p_refund > t.amount_cents THEN
    RETURN QUERY SELECT 'exceeds_charge'::text, NULL::jsonb, t.amount_cents - v_refunded, to_jsonb(w); RETURN;
  END IF;
  IF w.balance_cents < p_refund + p_fee THEN
    RETURN QUERY SELECT 'insufficient'::text, NULL::jsonb, t.amount_cents - v_refunded, to_jsonb(w); RETURN;
  END IF;

  INSERT INTO wallet_withdrawal_legs (org_id, business_key, withdrawal_key, top_up_id, refund_cents, fee_cents,
      status, requested_at)
    VALUES (p_org, p_leg_key, p_withdrawal_key, p_top_up_id, p_refund, p_fee, 'pending', p_at)
    RETURNING * INTO l;
  UPDATE wallets SET balance_cents = balance_cents - p_refund - p_fee, updated_at = now()
   WHERE org_id = p_org
  RETURNING * INTO w;
  INSERT INTO wallet_ledger (org_id, entry_type, idempotency_key, balance_delta, top_up_id, withdrawal_leg_id,
      effective_at, detail)
    VALUES (p_org, 'withdrawal', p_debit_key, -(p_refund + p_fee), p_top_up_id, l.id, p_at,
      jsonb_build_object('withdrawalKey', p_withdrawal_key, 'refundCents', p_refund, 'feeCents', p_fee));
  RETURN QUERY SELECT 'debited'::text, to_jsonb(l), t.amount_cents - v_refunded - p_refund, to_jsonb(w);
END $$;
