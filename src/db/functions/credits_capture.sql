-- Earlier signatures of credits_capture: without p_key (the first migration built the key itself), then
-- without p_expire_key. CREATE OR REPLACE with another argument list would add an overload beside the
-- old one, not replace it, so the old signatures are dropped by name first. Keep these lines: they are
-- no-ops once the old overloads are gone, and a database migrated from scratch still gets the first one
-- from the frozen migration.
DROP FUNCTION IF EXISTS credits_capture(text, text, bigint, text);
DROP FUNCTION IF EXISTS credits_capture(text, text, bigint, text, text);

-- Capture: mirrors planCapture() in src/credits/capture.ts. The hold is released and the actual cost
-- charged in one step: first from credits nobody else holds, earliest expiry first (guarantee 9): credits
-- that already expired while held (pending_expiry), then rolled-over grants by expiry, then this period's
-- included, then prepaid; what those cannot cover becomes overage (billable) or, on tiers without
-- overage, is written off. Either way it is recorded, never dropped. Pending credits are always held
-- (pending_expiry <= reserved_credits): those that the other holds no longer cover once this hold ends
-- expire now, with their own 'expire_pending' row under p_expire_key. The reservation row lock makes the
-- capture happen once; the balance row is locked last and held only for the writes below. p_key and
-- p_expire_key are built by settleKey() and pendingExpiryKey() in src/credits/ids.ts; a duplicate capture
-- finds the first one's rows by them.
CREATE OR REPLACE FUNCTION credits_capture(
  p_org text, p_generation text, p_actual bigint, p_model text, p_key text, p_expire_key text)
RETURNS TABLE (outcome text, status text, detail jsonb, snapshot jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  r reservations%ROWTYPE;
  b credit_balances%ROWTYPE;
  o organizations%ROWTYPE;
  v_overage_allowed boolean;
  v_project text;
  v_others bigint; v_free bigint; v_cover bigint; v_pend bigint; v_roll bigint; v_incl bigint; v_pre bigint;
  v_short bigint; v_over bigint; v_off bigint; v_expire bigint;
  v_next_expiry timestamptz;
  v_row credit_ledger%ROWTYPE;
BEGIN
  SELECT * INTO r FROM reservations WHERE generation_id = p_generation AND org_id = p_org FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'not_found'::text, NULL::text, NULL::jsonb, NULL::jsonb; RETURN;
  END IF;
  IF r.status = 'captured' THEN
    SELECT * INTO v_row FROM credit_ledger WHERE org_id = p_org AND idempotency_key = p_key;
    SELECT l.expired_delta INTO v_expire FROM credit_ledger l
     WHERE l.org_id = p_org AND l.idempotency_key = p_expire_key;
    RETURN QUERY SELECT
      (CASE WHEN r.captured_credits = p_actual THEN 'duplicate' ELSE 'conflict' END)::text, r.status,
      jsonb_build_object('actual', r.captured_credits, 'hold', r.amount,
        'fromPendingExpiry', -v_row.pending_expiry_delta, 'fromRolledOver', -v_row.rolled_over_delta,
        'fromIncluded', -v_row.included_delta, 'fromPrepaid', -v_row.prepaid_delta,
        'overage', v_row.overage_delta, 'writtenOff', v_row.written_off_delta,
        'pendingExpired', coalesce(v_expire, 0)),
      credit_snapshot(p_org);
    RETURN;
  END IF;
  IF r.status <> 'held' THEN
    RETURN QUERY SELECT 'not_held'::text, r.status, NULL::jsonb, NULL::jsonb; RETURN;
  END IF;

  SELECT * INTO o FROM organizations WHERE id = p_org;
  SELECT t.overage_allowed INTO v_overage_allowed FROM tiers t WHERE t.id = o.tier_id;
  UPDATE reservations SET status = 'captured', captured_credits = p_actual, settled_at = now()
   WHERE generation_id = p_generation;
  UPDATE generations SET status = 'completed', actual_credits = p_actual, model = p_model, ended_at = now()
   WHERE id = p_generation RETURNING project_id INTO v_project;

  SELECT * INTO b FROM credit_balances WHERE org_id = p_org FOR UPDATE;
  v_others := b.reserved_credits - r.amount;
  v_free   := b.pending_expiry + b.rolled_over_remaining + b.included_remaining + b.prepaid_balance - v_others;
  v_cover  := LEAST(p_actual, v_free);
  v_pend   := LEAST(v_cover, b.pending_expiry);
  v_roll   := LEAST(v_cover - v_pend, b.rolled_over_remaining);
  v_incl   := LEAST(v_cover - v_pend - v_roll, b.included_remaining);
  v_pre    := v_cover - v_pend - v_roll - v_incl;
  v_short  := p_actual - v_cover;
  v_over   := CASE WHEN v_overage_allowed THEN v_short ELSE 0 END;
  v_off    := v_short - v_over;
  v_expire := GREATEST(0, b.pending_expiry - v_pend - v_others);
  v_next_expiry := b.rollover_expires_at;
  IF v_roll > 0 THEN
    v_next_expiry := credit_grants_spend(p_org, v_roll);
  END IF;

  UPDATE credit_balances SET
    pending_expiry = pending_expiry - v_pend - v_expire,
    rolled_over_remaining = rolled_over_remaining - v_roll,
    rollover_expires_at = v_next_expiry,
    included_remaining = included_remaining - v_incl,
    prepaid_balance = prepaid_balance - v_pre,
    reserved_credits = reserved_credits - r.amount,
    used_this_period = used_this_period + p_actual,
    overage_this_period = overage_this_period + v_over,
    written_off_this_period = written_off_this_period + v_off,
    expired_this_period = expired_this_period + v_expire,
    updated_at = now()
  WHERE org_id = p_org
  RETURNING * INTO b;
  INSERT INTO credit_ledger (org_id, entry_type, idempotency_key, generation_id, project_id,
      pending_expiry_delta, rolled_over_delta, included_delta, prepaid_delta, reserved_delta, used_delta,
      overage_delta, written_off_delta)
    VALUES (p_org, 'capture', p_key, p_generation, v_project,
      -v_pend, -v_roll, -v_incl, -v_pre, -r.amount, p_actual, v_over, v_off);
  IF v_expire > 0 THEN
    INSERT INTO credit_ledger (org_id, entry_type, idempotency_key, generation_id, project_id,
        pending_expiry_delta, expired_delta, reason)
      VALUES (p_org, 'expire_pending', p_expire_key, p_generation, v_project, -v_expire, v_expire,
        'expired while held; the capture did not use them');
  END IF;

  RETURN QUERY SELECT 'captured'::text, 'captured'::text,
    jsonb_build_object('actual', p_actual, 'hold', r.amount, 'fromPendingExpiry', v_pend,
      'fromRolledOver', v_roll, 'fromIncluded', v_incl, 'fromPrepaid', v_pre, 'overage', v_over,
      'writtenOff', v_off, 'pendingExpired', v_expire),
    credit_snapshot_json(b, o.tier_id, o.billing_status, format_estimates());
END $$;
