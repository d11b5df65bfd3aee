-- Spends p_amount of an org's rolled-over credits, earliest expiry first (guarantee 9), and returns the
-- earliest expiry among the grants that still have credits (NULL when none has): the caller writes it
-- to credit_balances.rollover_expires_at with rolled_over_remaining. The caller holds the org's
-- credit_balances row lock, which every writer of credit_grants takes first, so the grants read here
-- cannot change under it; and it never asks for more than rolled_over_remaining, their sum.
CREATE OR REPLACE FUNCTION credit_grants_spend(p_org text, p_amount bigint)
RETURNS timestamptz
LANGUAGE plpgsql AS $$
DECLARE
  v_next timestamptz;
BEGIN
  IF p_amount > 0 THEN
    -- Each grant gives what is left of the amount after the grants that expire before it.
    UPDATE credit_grants g SET remaining = g.remaining - s.take
      FROM (SELECT id, LEAST(remaining, GREATEST(0,
                   p_amount - (sum(remaining) OVER (ORDER BY expires_at, id) - remaining))) AS take
              FROM credit_grants WHERE org_id = p_org AND remaining > 0) s
     WHERE g.id = s.id AND s.take > 0;
  END IF;
  SELECT min(expires_at) INTO v_next FROM credit_grants WHERE org_id = p_org AND remaining > 0;
  RETURN v_next;
END $$;
