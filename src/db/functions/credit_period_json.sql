-- A closed credit period (credit_periods row) as the ledger functions return it; src/credits/periods.ts
-- maps it to PeriodSummary.
CREATE OR REPLACE FUNCTION credit_period_json(p credit_periods)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object(
    'org_id', p.org_id, 'period_start', p.period_start, 'period_end', p.period_end, 'tier_id', p.tier_id,
    'included_granted', p.included_granted, 'used', p.used, 'overage', p.overage,
    'written_off', p.written_off, 'rolled_over_in', p.rolled_over_in, 'rollover_expired', p.rollover_expired,
    'expired', p.expired, 'rolled_over_out', p.rolled_over_out, 'held_at_close', p.held_at_close,
    'next_period_end', p.next_period_end, 'next_allowance', p.next_allowance,
    'rollover_days', p.rollover_days, 'rollover_cap', p.rollover_cap)
$$;
