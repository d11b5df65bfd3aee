-- The snapshot is built from row values the caller already has, so the ledger functions never read the
-- balance row again while they hold its lock. src/credits/snapshot.ts maps it to GET /v1/credits.
CREATE OR REPLACE FUNCTION credit_snapshot_json(b credit_balances, p_tier text, p_status text, p_formats jsonb)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object(
    'org_id', b.org_id, 'tier_id', p_tier, 'billing_status', p_status,
    'included_remaining', b.included_remaining, 'prepaid_balance', b.prepaid_balance,
    'reserved_credits', b.reserved_credits, 'included_this_period', b.included_this_period,
    'used_this_period', b.used_this_period, 'overage_this_period', b.overage_this_period,
    'written_off_this_period', b.written_off_this_period,
    'rolled_over_remaining', b.rolled_over_remaining, 'rollover_expires_at', b.rollover_expires_at,
    'pending_expiry', b.pending_expiry,
    'period_start', b.period_start, 'period_end', b.period_end,
    'estimated_credits_per_format', p_formats)
$$;
