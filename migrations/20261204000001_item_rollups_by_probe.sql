-- Batch creation after the daily rollups (issue 13): the items trigger of 20261203000001 merged each
-- chunk of a batch run's items with a scan of the whole transactions index (the planner's choice for
-- 50,000 rows), which put 1,000,000 items at 21.1 s against issue 12's 20 s. Same deltas, found
-- with one index probe per item.

-- settlement_items: an item added moves its transaction from "no batch" to its batch's status; an
-- item removed moves it back. Each item's transaction is looked up by its key, one index probe per
-- item (OFFSET 0 keeps the planner from scanning the whole table to merge with a batch run's chunk),
-- the items are summed per key and batch status before they are split into the two moves, and a function
-- this cheap is not worth compiling (jit off).
CREATE OR REPLACE FUNCTION txn_daily_on_items() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public SET jit = off AS $$
DECLARE
    side TEXT;
    sign INTEGER;
BEGIN
    FOREACH side IN ARRAY CASE TG_OP WHEN 'INSERT' THEN ARRAY['new_rows'] WHEN 'DELETE' THEN ARRAY['old_rows']
                                    ELSE ARRAY['old_rows', 'new_rows'] END LOOP
        sign := CASE side WHEN 'new_rows' THEN 1 ELSE -1 END;
        EXECUTE format($q$
            WITH per_key AS (
                SELECT t.cycle_date, t.acquirer, t.payment_method, t.status, b.status AS batch_status,
                       count(*) * $1 AS n, sum(t.amount_paise) * $1 AS amount,
                       sum(CASE WHEN b.status = 'PAID' THEN settle_seconds(b.paid_at, t.txn_at) ELSE 0 END) * $1 AS secs
                FROM %I i
                CROSS JOIN LATERAL (SELECT x.cycle_date, coalesce(x.acquirer, '') AS acquirer, x.payment_method,
                                           x.status, x.amount_paise, x.txn_at
                                    FROM transactions x WHERE x.id = i.transaction_id OFFSET 0) t
                JOIN settlement_batches b ON b.id = i.batch_id
                GROUP BY 1, 2, 3, 4, 5
            )
            INSERT INTO txn_daily_delta (cycle_date, acquirer, payment_method, status, batch_status, txn_count, amount_paise, paid_seconds)
            SELECT p.cycle_date, p.acquirer, p.payment_method, p.status, v.batch_status, sum(v.n), sum(v.amount), sum(v.secs)
            FROM per_key p
            CROSS JOIN LATERAL (VALUES ('', -p.n, -p.amount, 0::numeric), (p.batch_status, p.n, p.amount, p.secs))
                 AS v (batch_status, n, amount, secs)
            GROUP BY 1, 2, 3, 4, 5
            HAVING sum(v.n) <> 0 OR sum(v.amount) <> 0 OR sum(v.secs) <> 0$q$, side)
        USING sign;
    END LOOP;
    RETURN NULL;
END $$;
