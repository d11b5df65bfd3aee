-- Records a batch of usage events in one statement, each once per (org, idempotency key): a key already
-- recorded with the same metric, quantity and occurredAt is a duplicate and changes nothing; a key
-- recorded with anything else is refused ('key_reused', naming the first such key) and then nothing of
-- the batch is written. Called by recordUsage() (src/invoices/usage.ts), which has checked every event
-- and passes the batch sorted by key, so that concurrent batches sharing keys wait for each other's
-- keys in one order and cannot deadlock.
--
-- The comparison runs after the INSERT, in the statement that follows it: a volatile function's next
-- statement takes a fresh snapshot (READ COMMITTED), which sees the rows of a concurrent batch that the
-- INSERT waited for and then skipped; a check in the INSERT's own snapshot would miss them. Its
-- refusal rolls the INSERT back through the block's savepoint.
CREATE OR REPLACE FUNCTION usage_record(
  p_org text, p_keys text[], p_metrics text[], p_quantities bigint[], p_occurred timestamptz[])
RETURNS TABLE (outcome text, recorded integer, reused_key text)
LANGUAGE plpgsql AS $$
DECLARE
  v_recorded integer;
  v_reused text;
BEGIN
  BEGIN
    INSERT INTO usage_events (org_id, idempotency_key, metric, quantity, occurred_at)
      SELECT p_org, e.k, e.m, e.q, e.o FROM unnest(p_keys, p_metrics, p_quantities, p_occurred) AS e(k, m, q, o)
      ON CONFLICT (org_id, idempotency_key) DO NOTHING;
    GET DIAGNOSTICS v_recorded = ROW_COUNT;
    IF v_recorded < cardinality(p_keys) THEN
      SELECT e.k INTO v_reused
        FROM unnest(p_keys, p_metrics, p_quantities, p_occurred) AS e(k, m, q, o)
        JOIN usage_events u ON u.org_id = p_org AND u.idempotency_key = e.k
       WHERE (u.metric, u.quantity, u.occurred_at) IS DISTINCT FROM (e.m, e.q, e.o)
       ORDER BY e.k
       LIMIT 1;
      IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'unique_violation', MESSAGE = 'usage_record: key reused';
      END IF;
    END IF;
  EXCEPTION WHEN unique_violation THEN
    IF v_reused IS NULL THEN RAISE; END IF;
    RETURN QUERY SELECT 'key_reused'::text, 0, v_reused;
    RETURN;
  END;
  RETURN QUERY SELECT 'recorded'::text, v_recorded, NULL::text;
END $$;
