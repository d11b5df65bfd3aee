-- Guarantee 6: claims an auto top-up of p_amount cents on the org's local day p_local_day, before any card
-- is charged. Under the wallet row's lock, which every claim of the org takes first, it sums the auto
-- top-ups started that local day, pending and succeeded (failed ones charged nothing, so they do not use
-- the cap; the breaker and the back-off bound how often a declining card is tried), and starts this one
-- only if that sum + p_amount stays within the daily cap. Concurrent claims queue on the lock, and each
-- sums after the previous one committed, so no interleaving of debits, retries, restarts or duplicate
-- triggers can start more than the cap in one day. Also refused under the lock: auto-top-up switched off
-- by the org ('disabled') or by the breaker ('breaker'): disabling takes effect for every top-up not
-- yet claimed. Auto top-ups are card charges, never ACH.
-- p_local_day must be the day PostgreSQL itself finds for p_at in the wallet's time zone
-- ('day_mismatch' otherwise): a caller cannot count a charge in a day whose cap is still unused.
-- Idempotent on p_key (autoTopUpKey() of src/wallet/ids.ts): a repeat answers 'duplicate', a reuse with
-- another amount or day 'conflict'. Refusals write nothing.
CREATE OR REPLACE FUNCTION wallet_claim_auto_top_up(
  p_org text, p_local_day date, p_amount bigint, p_key text, p_start_key text, p_at timestamptz)
RETURNS TABLE (outcome text, top_up jsonb, used_cents bigint, cap_cents bigint, wallet jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  w wallets%ROWTYPE;
  t wallet_top_ups%ROWTYPE;
  v_used bigint;
BEGIN
  IF p_local_day IS NULL OR p_amount IS NULL OR p_amount <= 0 OR p_key IS NULL OR p_start_key IS NULL
     OR p_at IS NULL THEN
    RAISE EXCEPTION 'wallet_claim_auto_top_up: bad arguments' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT * INTO w FROM wallets WHERE org_id = p_org FOR UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT wallet_missing(p_org), NULL::jsonb, NULL::bigint, NULL::bigint, NULL::jsonb; RETURN;
  END IF;
  SELECT * INTO t FROM wallet_top_ups tu WHERE tu.org_id = p_org AND tu.business_key = p_key;
  IF FOUND THEN
    SELECT coalesce(sum(tu.amount_cents), 0) INTO v_used FROM wallet_top_ups tu
     WHERE tu.org_id = p_org AND tu.trigger = 'auto' AND tu.status <> 'failed' AND tu.local_day = t.local_day;
    RETURN QUERY SELECT
      (CASE WHEN (t.trigger, t.amount_cents, t.local_day) = ('auto', p_amount, p_local_day)
            THEN 'duplicate' ELSE 'conflict' END)::text,
      to_jsonb(t), v_used, w.auto_top_up_daily_cap_cents, to_jsonb(w);
    RETURN;
  END IF;
  IF p_local_day <> (p_at AT TIME ZONE w.time_zone)::date THEN
    RETURN QUERY SELECT 'day_mismatch'::text, NULL::jsonb, NULL::bigint, NULL::bigint, to_jsonb(w); RETURN;
  END IF;

  SELECT coalesce(sum(tu.amount_cents), 0) INTO v_used FROM wallet_top_ups tu
   WHERE tu.org_id = p_org AND tu.trigger = 'auto' AND tu.status <> 'failed' AND tu.local_day = p_local_day;
  IF NOT w.auto_top_up_enabled OR w.auto_top_up_disabled_reason IS NOT NULL THEN
    RETURN QUERY SELECT (CASE WHEN w.auto_top_up_enabled THEN 'breaker' ELSE 'disabled' END)::text,
      NULL::jsonb, v_used, w.auto_top_up_daily_cap_cents, to_jsonb(w);
    RETURN;
  END IF;
  IF v_used + p_amount > w.auto_top_up_daily_cap_cents THEN
    RETURN QUERY SELECT 'cap_exceeded'::text, NULL::jsonb, v_used, w.auto_top_up_daily_cap_cents, to_jsonb(w);
    RETURN;
  END IF;

  t := wallet_add_top_up(p_org, p_key, p_start_key, 'card', 'auto', p_amount, p_local_day, NULL, p_at);
  SELECT * INTO w FROM wallets WHERE org_id = p_org;
  RETURN QUERY SELECT 'claimed'::text, to_jsonb(t), v_used + p_amount, w.auto_top_up_daily_cap_cents, to_jsonb(w);
END $$;
