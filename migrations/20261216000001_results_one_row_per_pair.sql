-- A run's results: one row per PG row (a paired bank line rides on it: bank_line_id, the bank
-- amount, and the PG row's Δ and match score) plus one row per bank line that no PG row pairs
-- (side 'bank', no transaction). Runs before this release also wrote a bank-side row for every
-- pair (side 'bank' with a transaction id): the same class and reason, the gross Δ and a score of
-- 100 or 0 — about a million extra rows a run at scale, half of the results step (BENCHMARKS.md,
-- "a pair stored once"); the result counts in the comments of 20261127000003 and 20261214000003
-- include them. Those rows stay in the runs that wrote them (results are never deleted) and no
-- reader counts them: the rows that speak for a run are `side = 'pg' OR transaction_id IS NULL`,
-- which the results page, its CSV and the recon-outcome report read already, and the Bank MIS now
-- too.
--
-- This index holds every bank line to at most one of a run's speaking rows (its PG partner's when
-- paired, its own otherwise) and serves the Bank MIS's lookup of a line's row.
-- recon_results_bank_once (run_id, bank_line_id) WHERE side = 'bank' stays: a release before this
-- one (beside this schema during a rolling deploy or after a rollback) reads a pair's bank line
-- through it and relies on it to keep its bank-side rows unique. Runs of this release put only
-- their unpaired lines in it. It can go once no release before this one can be rolled back to.
--
-- Built in the migration's transaction, not CONCURRENTLY: a concurrent build outside a transaction
-- can be left built but unrecorded by a dropped `migrate`, or deadlock with a second `migrate`
-- waiting for sqlx's lock. The build holds a SHARE lock on recon_results: reads go on, and a recon
-- run's results wait for it (0.43 s over 2,000,776 rows, cached, on the benchmark's machine: about
-- 0.2 s a million; docs/runbooks/deploy.md step 3 says how to size it).
-- As in 20261214000001, give up after 10 s waiting for the lock (a long run writing its results)
-- rather than hold every later run behind it.
SET LOCAL lock_timeout = '10s';
CREATE UNIQUE INDEX recon_results_bank_line_once ON recon_results (run_id, bank_line_id)
    WHERE bank_line_id IS NOT NULL AND (side = 'pg' OR transaction_id IS NULL);
