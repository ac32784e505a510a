-- Replaces `txn_daily_on_update()`, the function of the daily rollup's statement-level update
-- trigger `txn_daily_update` on `transactions` (first written in 20261203000001_daily_rollups.sql,
-- whose rules still hold). It now sums the changed rows once by old key, new key and batch
-- status, then splits those few sums into the old keys' minus and the new keys' plus; it used to
-- split every changed row into two rows first, so a recon run's million status changes became two
-- million rows to sum. On a million-row status update the trigger's share fell from about 2.8 s to
-- 1.5 s (benchmarks/recon-floor.sh; BENCHMARKS.md, "Recon at scale: the floor of the partitioned
-- design, measured in parts"). It writes the same deltas as before: `tests/analytics.rs`
-- `a_paid_transaction_changing_key_moves_its_seconds_to_payment` and
-- `rollups_equal_the_ledger_after_random_operations` compare them with `rollup_differences()`.
-- `CREATE OR REPLACE` replaces every attribute of the function, so `SECURITY DEFINER` and the search
-- path that 20261212000001_definer_search_path_and_item_identity.sql gave every owner function are
-- restated.
CREATE OR REPLACE FUNCTION txn_daily_on_update() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    WITH moved AS (
        SELECT o.cycle_date AS o_cycle, coalesce(o.acquirer, '') AS o_acq, o.payment_method::text AS o_method,
               o.status AS o_status,
               n.cycle_date AS n_cycle, coalesce(n.acquirer, '') AS n_acq, n.payment_method::text AS n_method,
               n.status AS n_status,
               coalesce(b.status, '') AS batch_status,
               count(*) AS n, sum(o.amount_paise) AS o_amount, sum(n.amount_paise) AS n_amount,
               coalesce(sum(settle_seconds(b.paid_at, o.txn_at)) FILTER (WHERE b.status = 'PAID'), 0) AS o_paid,
               coalesce(sum(settle_seconds(b.paid_at, n.txn_at)) FILTER (WHERE b.status = 'PAID'), 0) AS n_paid
        FROM old_rows o
        JOIN new_rows n ON n.id = o.id
        LEFT JOIN settlement_items si ON si.transaction_id = o.id
        LEFT JOIN settlement_batches b ON b.id = si.batch_id
        WHERE (o.cycle_date, o.acquirer, o.payment_method, o.status, o.amount_paise, o.txn_at)
              IS DISTINCT FROM (n.cycle_date, n.acquirer, n.payment_method, n.status, n.amount_paise, n.txn_at)
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
    )
    INSERT INTO txn_daily_delta (cycle_date, acquirer, payment_method, status, batch_status, txn_count, amount_paise, paid_seconds)
    SELECT v.cycle_date, v.acquirer, v.payment_method, v.status, m.batch_status, sum(v.n), sum(v.amount), sum(v.paid)
    FROM moved m
    CROSS JOIN LATERAL (VALUES (m.o_cycle, m.o_acq, m.o_method, m.o_status, -m.n, -m.o_amount, -m.o_paid),
                               (m.n_cycle, m.n_acq, m.n_method, m.n_status, m.n, m.n_amount, m.n_paid))
         AS v (cycle_date, acquirer, payment_method, status, n, amount, paid)
    GROUP BY 1, 2, 3, 4, 5
    HAVING sum(v.n) <> 0 OR sum(v.amount) <> 0 OR sum(v.paid) <> 0;
    RETURN NULL;
END $$;
