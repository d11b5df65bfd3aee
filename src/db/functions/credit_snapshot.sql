CREATE OR REPLACE FUNCTION credit_snapshot(p_org text) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT credit_snapshot_json(b, o.tier_id, o.billing_status, format_estimates())
    FROM credit_balances b JOIN organizations o ON o.id = b.org_id WHERE b.org_id = p_org
$$;
