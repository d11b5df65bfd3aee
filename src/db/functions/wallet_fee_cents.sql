-- The platform fee on a bill of p_spend cents at p_bps basis points: spend × bps / 10,000 to the nearest
-- cent, halves up, in integers. The same rule as platformFeeCents() of src/wallet/fees.ts (billing's
-- mulDivRound); test/wallet/fees.test.ts holds the two to each other. Spend is never negative here.
CREATE OR REPLACE FUNCTION wallet_fee_cents(p_spend bigint, p_bps integer) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT (2 * p_spend * p_bps + 10000) / 20000
$$;
