-- A transaction's recon results (its detail page) are found through its cycle's runs, by
-- recon_results_pg_once (run_id, transaction_id); the index by transaction id alone was written
-- for every result row naming a transaction (about 2,000,000 a run at scale) and served only that.
DROP INDEX recon_results_transaction_idx;
