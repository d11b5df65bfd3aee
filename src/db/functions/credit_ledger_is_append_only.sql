-- The trigger function behind credit_ledger_no_update_delete and credit_ledger_no_truncate (the triggers
-- themselves are schema, created by the first migration): the ledger is append-only.
CREATE OR REPLACE FUNCTION credit_ledger_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'credit_ledger is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
