CREATE OR REPLACE FUNCTION format_estimates() RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_object_agg(format, estimated_credits) FROM generation_formats
$$;
