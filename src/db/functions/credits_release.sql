-- Earlier signatures of credits_release: without p_key (the first migration built the key itself), then
-- without p_expire_key. CREATE OR REPLACE with another argument list would add an overload beside the
-- old one, not replace it (nor could it change the result columns), so the old signatures are dropped by
-- name first. Keep these lines: they are no-ops once the old overloads are gone, and a database migrated
-- from scratch still gets the first one from the frozen migration.
DROP FUNCTION IF EXISTS credits_release(text, text, text, text);
DROP FUNCTION IF EXISTS credits_release(text, text, text, text, text);

-- Release (a failed generation) and expire (the hold timer fired) return the whole hold. p_key is the
-- settlement's ledger key, built by settleKey() in src/credits/ids.ts: the same key as a capture's, so a
-- generation settles once whichever way. Credits that expired while held (pending_expiry) and that the
-- remaining holds no longer cover expire now, with their own 'expire_pending' row under p_expire_key
-- (pendingExpiryKey()); `expired` says how many.
CREATE OR REPLACE FUNCTION credits_release(
  p_org text, p_generation text, p_kind text, p_reason text, p_key text, p_expire_key text)
RETURNS TABLE (outcome text, status text, amount bigint, expired bigint, snapshot jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  r reservations%ROWTYPE;
  b credit_balances%ROWTYPE;
  o organizations%ROWTYPE;
  v_project text;
  v_expire bigint;
  v_status text := CASE p_kind WHEN 'release' THEN 'released' WHEN 'expire' THEN 'expired' END;
BEGIN
  IF v_status IS NULL THEN
    RAISE EXCEPTION 'credits_release: unknown kind %', p_kind USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT * INTO r FROM reservations WHERE generation_id = p_generation AND org_id = p_org FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'not_found'::text, NULL::text, NULL::bigint, NULL::bigint, NULL::jsonb; RETURN;
  END IF;
  IF r.status <> 'held' THEN
    SELECT l.expired_delta INTO v_expire FROM credit_ledger l
     WHERE l.org_id = p_org AND l.idempotency_key = p_expire_key;
    RETURN QUERY SELECT (CASE WHEN r.status = v_status THEN 'duplicate' ELSE 'not_held' END)::text,
      r.status, r.amount, coalesce(v_expire, 0), credit_snapshot(p_org);
    RETURN;
  END IF;

  SELECT * INTO o FROM organizations WHERE id = p_org;
  UPDATE reservations SET status = v_status, settled_at = now() WHERE generation_id = p_generation;
  UPDATE generations
     SET status = CASE p_kind WHEN 'release' THEN 'failed' ELSE 'expired' END,
         failure_reason = p_reason, ended_at = now()
   WHERE id = p_generation RETURNING project_id INTO v_project;
  SELECT * INTO b FROM credit_balances WHERE org_id = p_org FOR UPDATE;
  v_expire := GREATEST(0, b.pending_expiry - (b.reserved_credits - r.amount));
  UPDATE credit_balances SET
    reserved_credits = reserved_credits - r.amount,
    pending_expiry = pending_expiry - v_expire,
    expired_this_period = expired_this_period + v_expire,
    updated_at = now()
   WHERE org_id = p_org RETURNING * INTO b;
  INSERT INTO credit_ledger (org_id, entry_type, idempotency_key, generation_id, project_id, reserved_delta, reason)
    VALUES (p_org, p_kind, p_key, p_generation, v_project, -r.amount, p_reason);
  IF v_expire > 0 THEN
    INSERT INTO credit_ledger (org_id, entry_type, idempotency_key, generation_id, project_id,
        pending_expiry_delta, expired_delta, reason)
      VALUES (p_org, 'expire_pending', p_expire_key, p_generation, v_project, -v_expire, v_expire,
        'expired while held; released unused');
  END IF;
  RETURN QUERY SELECT v_status, v_status, r.amount, v_expire,
    credit_snapshot_json(b, o.tier_id, o.billing_status, format_estimates());
END $$;
