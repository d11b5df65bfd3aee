-- Ends the rolled-over grants of an org whose expiry is at or before p_at (every live grant when p_all):
-- each keeps what it had as expired_credits and has nothing left. Returns what they had in total and the
-- earliest expiry among the grants still live. The caller holds the org's credit_balances row lock and
-- decides which part of the credits leaves the balance and which part running generations hold
-- (pending_expiry); this function only closes the grants.
CREATE OR REPLACE FUNCTION credit_grants_expire(p_org text, p_at timestamptz, p_all boolean)
RETURNS TABLE (expired bigint, next_expiry timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
  v_expired bigint;
  v_next timestamptz;
BEGIN
  WITH ended AS (
    UPDATE credit_grants SET expired_at = p_at, expired_credits = remaining, remaining = 0
     WHERE org_id = p_org AND remaining > 0 AND (p_all OR expires_at <= p_at)
    RETURNING expired_credits
  )
  SELECT coalesce(sum(expired_credits), 0)::bigint INTO v_expired FROM ended;
  SELECT min(expires_at) INTO v_next FROM credit_grants WHERE org_id = p_org AND remaining > 0;
  RETURN QUERY SELECT v_expired, v_next;
END $$;
