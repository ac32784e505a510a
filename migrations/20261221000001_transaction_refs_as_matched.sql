-- Transactions hold their acquirer (trimmed, upper case), UTR and RRN (upper case, without spaces;
-- a blank or a placeholder such as `N/A` is none) as the engine compares them: uploads store them
-- so, chargebacks keep theirs so, and a chargeback's link, the explorer's filters and the queue's
-- search compare by equality. Rows stored before keep their file's spelling; they are brought to
-- the same form once (the daily rollup's update trigger moves a row whose acquirer changes), and
-- so are the UTRs of exception records that migration 20261220000001 left with inner spaces.
CREATE FUNCTION pg_temp.as_matched(value text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN upper(btrim(value, E' \t\r\n')) IN ('', 'NULL', 'UNDEFINED', 'N/A', 'NA', 'NONE', '-')
                THEN NULL ELSE upper(regexp_replace(value, '\s', '', 'g')) END
$$;

UPDATE transactions
   SET acquirer = nullif(upper(btrim(acquirer, E' \t\r\n')), ''),
       utr = pg_temp.as_matched(utr),
       rrn = pg_temp.as_matched(rrn)
 WHERE acquirer IS DISTINCT FROM nullif(upper(btrim(acquirer, E' \t\r\n')), '')
    OR utr IS DISTINCT FROM pg_temp.as_matched(utr)
    OR rrn IS DISTINCT FROM pg_temp.as_matched(rrn);

UPDATE exceptions SET utr = pg_temp.as_matched(utr)
 WHERE utr IS NOT NULL AND utr IS DISTINCT FROM pg_temp.as_matched(utr);

UPDATE chargebacks SET utr = pg_temp.as_matched(utr), rrn = pg_temp.as_matched(rrn)
 WHERE utr IS DISTINCT FROM pg_temp.as_matched(utr) OR rrn IS DISTINCT FROM pg_temp.as_matched(rrn);

DROP FUNCTION pg_temp.as_matched(text);
