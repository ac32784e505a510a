-- A run's results: one row per PG row (a paired bank line rides on it: bank_line_id, the bank
-- amount and the delta) plus one row per bank line that no PG row pairs (side 'bank', no
-- transaction). Runs before this migration also wrote a bank-side copy of every pair (side 'bank'
-- with a transaction id): the same class, reason, amounts and pair, about a million extra rows a
-- run at scale (half of the results step, BENCHMARKS.md). Those copies stay in the runs that wrote
-- them (results are never deleted) and every reader skips them: the rows that speak for a run are
-- `side = 'pg' OR transaction_id IS NULL`, which is what the results page, the CSV export and the
-- recon-outcome report read already.
-- Releases before this one read a pair's bank line from its bank-side copy (the Bank MIS report)
-- and write the copies: rolling back past this migration means the steps in
-- docs/runbooks/rollback.md.
-- As in 20261214000001: rather fail than stall every reader behind a long upload or run.
SET LOCAL lock_timeout = '10s';

-- A bank line appears in at most one of a run's speaking rows: its PG row's when paired, its own
-- otherwise. (recon_results_bank_once held it for the side 'bank' rows, copies included.)
CREATE UNIQUE INDEX recon_results_bank_line_once ON recon_results (run_id, bank_line_id)
    WHERE bank_line_id IS NOT NULL AND (side = 'pg' OR transaction_id IS NULL);
DROP INDEX recon_results_bank_once;

-- No new copies. NOT VALID: checked for every row written from now on, not for the copies already
-- stored (pg_dump restores it the same way).
ALTER TABLE recon_results ADD CONSTRAINT recon_results_bank_rows_are_unpaired
    CHECK (side <> 'bank' OR transaction_id IS NULL) NOT VALID;
