-- Reconciliation's bulk write paths, sized with 1,000,000-row files on the 2-core machine
-- (BENCHMARKS.md, "Recon at scale"). Postgres checks a foreign key with one query per written
-- row: writing one run's 2,000,000 result rows took 40.8 s with the three keys of recon_results
-- and 10.8 s without them; the source-file key of transactions and bank lines cost likewise on
-- every uploaded row.
--
-- What those keys guarded (a row pointing at a row that is gone) is kept by a stronger rule
-- instead: ledger rows are never deleted. The product corrects and supersedes; it does not erase.
-- A run's results are written in the same transaction that completes the run, from the
-- transactions and bank lines the run has just read, so they cannot point at rows that never
-- existed; with deletes refused, they cannot come to point at rows that are gone.

CREATE FUNCTION ledger_rows_are_never_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are never deleted: % is not allowed', TG_TABLE_NAME, TG_OP;
END;
$$;

CREATE TRIGGER transactions_never_deleted BEFORE DELETE OR TRUNCATE ON transactions
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_rows_are_never_deleted();
CREATE TRIGGER bank_statement_lines_never_deleted BEFORE DELETE OR TRUNCATE ON bank_statement_lines
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_rows_are_never_deleted();
CREATE TRIGGER uploaded_files_never_deleted BEFORE DELETE OR TRUNCATE ON uploaded_files
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_rows_are_never_deleted();
CREATE TRIGGER recon_runs_never_deleted BEFORE DELETE OR TRUNCATE ON recon_runs
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_rows_are_never_deleted();
CREATE TRIGGER recon_results_never_deleted BEFORE DELETE OR TRUNCATE ON recon_results
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_rows_are_never_deleted();

ALTER TABLE recon_results
    DROP CONSTRAINT recon_results_run_id_fkey,
    DROP CONSTRAINT recon_results_transaction_id_fkey,
    DROP CONSTRAINT recon_results_bank_line_id_fkey;
ALTER TABLE transactions DROP CONSTRAINT transactions_source_file_id_fkey;
ALTER TABLE bank_statement_lines DROP CONSTRAINT bank_statement_lines_source_file_id_fkey;

-- Every reader of transaction statuses filters by cycle date first (transactions_cycle_idx is
-- (cycle_date, status)); this second order was maintained on every write and used by none.
DROP INDEX transactions_status_idx;
