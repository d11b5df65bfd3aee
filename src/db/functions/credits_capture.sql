-- The first migration created credits_capture without p_key (it built the key itself). CREATE OR REPLACE
-- with another argument list would add an overload beside it, not replace it, so the old signature is
-- dropped by name first. Keep this line: it is a no-op once the old overload is gone, and a database
-- migrated from scratch still gets the old one from the frozen migration.
DROP FUNCTION IF EXISTS credits_capture(text, text, bigint, text);

-- Capture: mirrors planCapture() in src/credits/capture.ts. The hold is released and the actual cost
-- charged in one step: first from credits nobody else holds (included before prepaid, guarantee 9), and
-- what those cannot cover becomes overage (billable) or, on tiers without overage, is written off. Either
-- way it is recorded, never dropped. The reservation row lock makes the capture happen once; the balance
-- row is locked last and held only for its UPDATE and the ledger row. p_key is the settlement's ledger
-- key, built by settleKey() in src/credits/ids.ts; a duplicate capture finds the first one's row by it.
CREATE OR REPLACE FUNCTION credits_capture(p_org text, p_generation text, p_actual bigint, p_model text, p_key text)
RETURNS TABLE (outcome text, status text, detail jsonb, snapshot jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  r reservations%ROWTYPE;
  b credit_balances%ROWTYPE;
  o organizations%ROWTYPE;
  v_overage_allowed boolean;
  v_project text;
  v_free bigint; v_cover bigint; v_incl bigint; v_pre bigint; v_short bigint; v_over bigint; v_off bigint;
  v_row credit_ledger%ROWTYPE;
BEGIN
  SELECT * INTO r FROM reservations WHERE generation_id = p_generation AND org_id = p_org FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'not_found'::text, NULL::text, NULL::jsonb, NULL::jsonb; RETURN;
  END IF;
  IF r.status = 'captured' THEN
    SELECT * INTO v_row FROM credit_ledger WHERE org_id = p_org AND idempotency_key = p_key;
    RETURN QUERY SELECT
      (CASE WHEN r.captured_credits = p_actual THEN 'duplicate' ELSE 'conflict' END)::text, r.status,
      jsonb_build_object('actual', r.captured_credits, 'hold', r.amount,
        'fromIncluded', -v_row.included_delta, 'fromPrepaid', -v_row.prepaid_delta,
        'overage', v_row.overage_delta, 'writtenOff', v_row.written_off_delta),
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
  v_free  := b.included_remaining + b.prepaid_balance - (b.reserved_credits - r.amount);
  v_cover := LEAST(p_actual, v_free);
  v_incl  := LEAST(v_cover, b.included_remaining);
  v_pre   := v_cover - v_incl;
  v_short := p_actual - v_cover;
  v_over  := CASE WHEN v_overage_allowed THEN v_short ELSE 0 END;
  v_off   := v_short - v_over;

  UPDATE credit_balances SET
    included_remaining = included_remaining - v_incl,
    prepaid_balance = prepaid_balance - v_pre,
    reserved_credits = reserved_credits - r.amount,
    used_this_period = used_this_period + p_actual,
    overage_this_period = overage_this_period + v_over,
    written_off_this_period = written_off_this_period + v_off,
    updated_at = now()
  WHERE org_id = p_org
  RETURNING * INTO b;
  INSERT INTO credit_ledger (org_id, entry_type, idempotency_key, generation_id, project_id,
      included_delta, prepaid_delta, reserved_delta, used_delta, overage_delta, written_off_delta)
    VALUES (p_org, 'capture', p_key, p_generation, v_project,
      -v_incl, -v_pre, -r.amount, p_actual, v_over, v_off);

  RETURN QUERY SELECT 'captured'::text, 'captured'::text,
    jsonb_build_object('actual', p_actual, 'hold', r.amount, 'fromIncluded', v_incl, 'fromPrepaid', v_pre,
      'overage', v_over, 'writtenOff', v_off),
    credit_snapshot_json(b, o.tier_id, o.billing_status, format_estimates());
END $$;
