-- A run's amounts and its exception records by reason are stored on the run when it is persisted,
-- so the runs list is one query (it aggregated every run's results three times per page view).
-- One definition of those figures: the function below, called by the recon persist step and the
-- demo loader, and here to fill in the runs that already exist.
ALTER TABLE recon_runs
    ADD COLUMN matched_paise        BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN exceptions_paise     BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN unmatched_pg_paise   BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN unmatched_bank_paise BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN by_reason            JSONB NOT NULL DEFAULT '{}'::jsonb;

-- Amounts per class (PG amounts of PG rows; bank amounts of PG-less bank lines) and exception
-- records by reason (PG rows with a reason, and bank lines that are duplicates or missing in PG).
CREATE FUNCTION recon_store_run_totals(run_ids UUID[]) RETURNS void LANGUAGE sql AS $$
    UPDATE recon_runs r
    SET matched_paise = coalesce(a.matched_paise, 0),
        exceptions_paise = coalesce(a.exceptions_paise, 0),
        unmatched_pg_paise = coalesce(a.unmatched_pg_paise, 0),
        unmatched_bank_paise = coalesce(a.unmatched_bank_paise, 0),
        by_reason = coalesce(b.by_reason, '{}'::jsonb)
    FROM unnest(run_ids) AS ids (id)
    LEFT JOIN (SELECT run_id,
                      sum(pg_amount_paise) FILTER (WHERE side = 'pg' AND class = 'MATCHED')::bigint AS matched_paise,
                      sum(pg_amount_paise) FILTER (WHERE side = 'pg' AND class = 'EXCEPTION')::bigint AS exceptions_paise,
                      sum(pg_amount_paise) FILTER (WHERE side = 'pg' AND class = 'UNMATCHED_PG')::bigint AS unmatched_pg_paise,
                      sum(bank_amount_paise) FILTER (WHERE side = 'bank' AND class = 'UNMATCHED_BANK')::bigint AS unmatched_bank_paise
               FROM recon_results WHERE run_id = ANY (run_ids) GROUP BY run_id) a ON a.run_id = ids.id
    LEFT JOIN (SELECT run_id, jsonb_object_agg(reason_code, n) AS by_reason
               FROM (SELECT run_id, reason_code, count(*) AS n FROM recon_results
                     WHERE run_id = ANY (run_ids) AND reason_code IS NOT NULL
                       AND (side = 'pg' OR reason_code IN ('DUPLICATE_BANK_ENTRY', 'BANK_TXN_MISSING_IN_PG'))
                     GROUP BY 1, 2) x
               GROUP BY run_id) b ON b.run_id = ids.id
    WHERE r.id = ids.id
$$;

SELECT recon_store_run_totals(array_agg(id)) FROM recon_runs;
