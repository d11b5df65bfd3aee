-- The first migration created credits_reserve without p_key (it built the key itself). CREATE OR REPLACE
-- with another argument list would add an overload beside it, not replace it, so the old signature is
-- dropped by name first. Keep this line: it is a no-op once the old overload is gone, and a database
-- migrated from scratch still gets the old one from the frozen migration.
DROP FUNCTION IF EXISTS credits_reserve(text, text, text, text);

-- Reserve: the generation row is the idempotency claim (a concurrent duplicate blocks on its primary key,
-- then sees the winner's reservation). Everything that does not need the balance is written before the
-- conditional UPDATE takes the org's row lock; the UPDATE re-checks availability on the latest row version
-- after taking the lock, so no check-then-write race exists. The balance is every bucket the CHECK
-- credit_balances_holds_within_balance counts (pending_expiry is always held, so it never makes room).
-- p_key is the ledger row's idempotency key, built by reserveKey() in src/credits/ids.ts.
CREATE OR REPLACE FUNCTION credits_reserve(p_org text, p_project text, p_generation text, p_format text, p_key text)
RETURNS TABLE (outcome text, amount bigint, status text, snapshot jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  v_amount bigint;
  v_existing reservations%ROWTYPE;
  o organizations%ROWTYPE;
  b credit_balances%ROWTYPE;
BEGIN
  SELECT estimated_credits INTO v_amount FROM generation_formats WHERE format = p_format;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'unknown_format'::text, NULL::bigint, NULL::text, NULL::jsonb; RETURN;
  END IF;
  SELECT org.* INTO o FROM organizations org JOIN projects p ON p.org_id = org.id
   WHERE p.id = p_project AND org.id = p_org;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'project_not_found'::text, NULL::bigint, NULL::text, NULL::jsonb; RETURN;
  END IF;

  INSERT INTO generations (id, org_id, project_id, format, status, estimated_credits)
    VALUES (p_generation, p_org, p_project, p_format, 'running', v_amount)
    ON CONFLICT (id) DO NOTHING;
  IF NOT FOUND THEN
    SELECT * INTO v_existing FROM reservations r WHERE r.generation_id = p_generation AND r.org_id = p_org;
    IF NOT FOUND THEN
      RETURN QUERY SELECT 'generation_conflict'::text, NULL::bigint, NULL::text, NULL::jsonb; RETURN;
    END IF;
    RETURN QUERY SELECT 'duplicate'::text, v_existing.amount, v_existing.status, credit_snapshot(p_org);
    RETURN;
  END IF;
  INSERT INTO reservations (generation_id, org_id, amount, status) VALUES (p_generation, p_org, v_amount, 'held');

  UPDATE credit_balances cb
     SET reserved_credits = cb.reserved_credits + v_amount, updated_at = now()
   WHERE cb.org_id = p_org
     AND cb.included_remaining + cb.rolled_over_remaining + cb.pending_expiry + cb.prepaid_balance
         - cb.reserved_credits >= v_amount
  RETURNING cb.* INTO b;
  IF NOT FOUND THEN
    -- A refusal writes nothing: take back the claim made above.
    DELETE FROM reservations WHERE generation_id = p_generation;
    DELETE FROM generations WHERE id = p_generation;
    RETURN QUERY SELECT 'insufficient'::text, v_amount, NULL::text, credit_snapshot(p_org);
    RETURN;
  END IF;

  INSERT INTO credit_ledger (org_id, entry_type, idempotency_key, generation_id, project_id, reserved_delta)
    VALUES (p_org, 'reserve', p_key, p_generation, p_project, v_amount);
  RETURN QUERY SELECT 'reserved'::text, v_amount, 'held'::text,
    credit_snapshot_json(b, o.tier_id, o.billing_status, format_estimates());
END $$;
