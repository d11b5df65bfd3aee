-- Settles a pending top-up once, at business time p_at, with one ledger row under p_settle_key
-- (topUpSettleKey() of src/wallet/ids.ts):
--  - 'succeeded': its amount moves from pending_cents to the settled balance ('top_up_succeeded'). A
--    succeeded auto top-up ends a run of declines; so does a manual card top-up, which also resets the
--    breaker (the card works again).
--  - 'declined' (the card was declined) or 'failed' (anything else: an ACH return, a top-up cancelled
--    before it was sent to Stripe): its amount leaves pending_cents ('top_up_failed'). A declined auto
--    top-up counts toward the breaker: at p_breaker_declines in a row (BREAKER_DECLINES of
--    src/wallet/auto-top-up.ts) auto-top-up is switched off in this same transaction and
--    breaker_tripped says so, once, for the one notification.
-- A repeat answers 'duplicate'; settling a settled top-up the other way answers 'conflict' and writes
-- nothing.
CREATE OR REPLACE FUNCTION wallet_settle_top_up(
  p_org text, p_key text, p_outcome text, p_payment_intent text, p_reason text, p_settle_key text,
  p_breaker_declines integer, p_at timestamptz)
RETURNS TABLE (outcome text, top_up jsonb, breaker_tripped boolean, wallet jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  w wallets%ROWTYPE;
  t wallet_top_ups%ROWTYPE;
  v_status text := CASE p_outcome WHEN 'succeeded' THEN 'succeeded' WHEN 'declined' THEN 'failed'
                                  WHEN 'failed' THEN 'failed' END;
  v_declined boolean;
  v_tripped boolean := false;
BEGIN
  IF v_status IS NULL OR p_key IS NULL OR p_settle_key IS NULL OR p_breaker_declines IS NULL
     OR p_breaker_declines < 1 OR p_at IS NULL THEN
    RAISE EXCEPTION 'wallet_settle_top_up: bad arguments' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- The wallet row first, as every wallet function locks it: one lock order, no deadlock.
  SELECT * INTO w FROM wallets WHERE org_id = p_org FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT wallet_missing(p_org), NULL::jsonb, false, NULL::jsonb; RETURN;
  END IF;
  SELECT * INTO t FROM wallet_top_ups tu WHERE tu.org_id = p_org AND tu.business_key = p_key FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'not_found'::text, NULL::jsonb, false, to_jsonb(w); RETURN;
  END IF;
  IF t.status <> 'pending' THEN
    RETURN QUERY SELECT (CASE WHEN t.status = v_status THEN 'duplicate' ELSE 'conflict' END)::text,
      to_jsonb(t), false, to_jsonb(w);
    RETURN;
  END IF;

  UPDATE wallet_top_ups SET status = v_status, settled_at = p_at,
      payment_intent_id = coalesce(p_payment_intent, payment_intent_id),
      failure_reason = CASE WHEN v_status = 'failed' THEN coalesce(p_reason, p_outcome) END
   WHERE id = t.id
  RETURNING * INTO t;

  IF v_status = 'succeeded' THEN
    UPDATE wallets SET
      balance_cents = balance_cents + t.amount_cents,
      pending_cents = pending_cents - t.amount_cents,
      consecutive_declines = CASE WHEN t.method = 'card' THEN 0 ELSE consecutive_declines END,
      auto_top_up_disabled_reason =
        CASE WHEN t.trigger = 'manual' AND t.method = 'card' THEN NULL ELSE auto_top_up_disabled_reason END,
      updated_at = now()
    WHERE org_id = p_org
    RETURNING * INTO w;
    INSERT INTO wallet_ledger (org_id, entry_type, idempotency_key, balance_delta, pending_delta, top_up_id,
        effective_at, detail)
      VALUES (p_org, 'top_up_succeeded', p_settle_key, t.amount_cents, -t.amount_cents, t.id, p_at,
        jsonb_build_object('method', t.method, 'trigger', t.trigger, 'paymentIntentId', t.payment_intent_id));
  ELSE
    v_declined := p_outcome = 'declined' AND t.trigger = 'auto';
    v_tripped := v_declined AND w.auto_top_up_disabled_reason IS NULL
      AND w.consecutive_declines + 1 >= p_breaker_declines;
    UPDATE wallets SET
      pending_cents = pending_cents - t.amount_cents,
      consecutive_declines = consecutive_declines + (CASE WHEN v_declined THEN 1 ELSE 0 END),
      last_decline_at = CASE WHEN v_declined THEN p_at ELSE last_decline_at END,
      auto_top_up_disabled_reason = CASE WHEN v_tripped THEN 'declines' ELSE auto_top_up_disabled_reason END,
      updated_at = now()
    WHERE org_id = p_org
    RETURNING * INTO w;
    INSERT INTO wallet_ledger (org_id, entry_type, idempotency_key, pending_delta, top_up_id, effective_at, detail)
      VALUES (p_org, 'top_up_failed', p_settle_key, -t.amount_cents, t.id, p_at,
        jsonb_build_object('method', t.method, 'trigger', t.trigger, 'outcome', p_outcome,
          'reason', t.failure_reason));
  END IF;
  RETURN QUERY SELECT v_status, to_jsonb(t), v_tripped, to_jsonb(w);
END $$;
