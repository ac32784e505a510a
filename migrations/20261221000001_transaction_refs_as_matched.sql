-- Transactions hold their acquirer (trimmed, upper case), UTR and RRN (upper case, without spaces;
-- a blank or a placeholder such as `N/A` is none) as the engine compares them
-- (`domain::normalise_ref`): uploads store them so, chargebacks keep theirs so, and the
-- explorer's filters, the queue's search and a new chargeback's link compare by equality. Rows
-- stored before keep their file's spelling; they are brought to the same form once:
-- - transactions (the daily rollup's update trigger moves a row whose acquirer changes, and a
--   settled transaction's item takes the new values through `transactions_identity_to_items`);
-- - exception records' acquirer and UTR (the queue filters and searches them; migration
--   20261220000001 upper-cased the UTR but left inner spaces);
-- - chargebacks' UTR and RRN (intake upper-cased them without spaces already: only a placeholder
--   or a tab changes). A case stored without a link stays so: links are made at intake.
-- Rows written meanwhile by instances still on the previous release keep their spelling (matching
-- ignores it; docs/runbooks/deploy.md step 3).
-- As in 20261214000001: rather fail than wait behind a long upload or run holding these rows.
SET LOCAL lock_timeout = '10s';

CREATE FUNCTION pg_temp.as_matched(value text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN upper(regexp_replace(value, '\s', '', 'g')) IN ('', 'NULL', 'UNDEFINED', 'N/A', 'NA', 'NONE', '-')
                THEN NULL ELSE upper(regexp_replace(value, '\s', '', 'g')) END
$$;
CREATE FUNCTION pg_temp.acquirer(value text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT nullif(upper(btrim(value, E' \t\r\n')), '')
$$;

UPDATE transactions
   SET acquirer = pg_temp.acquirer(acquirer), utr = pg_temp.as_matched(utr), rrn = pg_temp.as_matched(rrn)
 WHERE acquirer IS DISTINCT FROM pg_temp.acquirer(acquirer)
    OR utr IS DISTINCT FROM pg_temp.as_matched(utr)
    OR rrn IS DISTINCT FROM pg_temp.as_matched(rrn);

UPDATE exceptions SET acquirer = pg_temp.acquirer(acquirer), utr = pg_temp.as_matched(utr)
 WHERE acquirer IS DISTINCT FROM pg_temp.acquirer(acquirer) OR utr IS DISTINCT FROM pg_temp.as_matched(utr);

UPDATE chargebacks SET utr = pg_temp.as_matched(utr), rrn = pg_temp.as_matched(rrn)
 WHERE utr IS DISTINCT FROM pg_temp.as_matched(utr) OR rrn IS DISTINCT FROM pg_temp.as_matched(rrn);

DROP FUNCTION pg_temp.as_matched(text);
DROP FUNCTION pg_temp.acquirer(text);
