-- The trigger function behind wallet_ledger_no_update_delete and wallet_ledger_no_truncate (the triggers
-- themselves are schema, created by migration 0007): the wallet ledger is append-only.
CREATE OR REPLACE FUNCTION wallet_ledger_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'wallet_ledger is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
