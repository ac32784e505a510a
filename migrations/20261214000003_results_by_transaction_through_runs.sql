-- A transaction's recon results (its detail page) are found through its cycle's runs, by
-- recon_results_pg_once (run_id, transaction_id); the index by transaction id alone was written
-- for every result row naming a transaction (about 2,000,000 a run at scale) and served only that.
-- Releases before this one read a transaction's results by that index: rolling back past this
-- migration means recreating it (docs/runbooks/rollback.md).
-- As in 20261214000001: rather fail than stall every reader behind a long upload or run.
SET LOCAL lock_timeout = '10s';
DROP INDEX recon_results_transaction_idx;

-- That read relies on a transaction never changing cycle (a run loads only its cycle's rows; the
-- upload's upsert keeps the cycle a transaction was first given): the database now holds to it.
CREATE FUNCTION transaction_cycle_is_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'transaction % belongs to cycle %; a transaction never changes cycle', OLD.txn_id, OLD.cycle_date
        USING ERRCODE = 'check_violation';
END $$;
CREATE TRIGGER transactions_cycle_is_fixed BEFORE UPDATE OF cycle_date ON transactions
    FOR EACH ROW WHEN (OLD.cycle_date IS DISTINCT FROM NEW.cycle_date) EXECUTE FUNCTION transaction_cycle_is_fixed();
