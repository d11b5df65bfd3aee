-- The trigger function behind usage_events_no_update_delete and usage_events_no_truncate (the triggers
-- themselves are schema, created by migration 0010): metered usage is append-only.
CREATE OR REPLACE FUNCTION usage_events_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'usage_events is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
