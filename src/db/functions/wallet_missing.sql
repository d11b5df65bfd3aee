-- Why an org has no wallet row: it is a BYO org ('not_available': every wallet operation answers 409
-- WALLET_NOT_AVAILABLE), or there is no such org.
CREATE OR REPLACE FUNCTION wallet_missing(p_org text) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN EXISTS (SELECT 1 FROM organizations WHERE id = p_org) THEN 'not_available' ELSE 'org_not_found' END
$$;
