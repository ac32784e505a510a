-- A recon run sets the reconciliation status (and `updated_at`) of every transaction of its cycle
-- (a million rows at scale). Writing a new version of a row costs one entry in each of its
-- indexes, unless the update is HOT (heap-only): no indexed column changes and the new version
-- fits on the row's own page. Measured on 1,000,000 transactions (benchmarks/recon.sh, 2 cores;
-- BENCHMARKS.md "Recon at scale", 2026-12-04): the status step went from 26.1 s to under 9 s.
--
-- 1. No index may hold `status` or `updated_at`, not even in a predicate or an expression (that
--    too makes the update write every index); tests/recon.rs checks a run's updates are all
--    heap-only. Every reader of statuses filters by cycle date first, which
--    transactions_cycle_id_idx (cycle_date, id) serves; the price is that an explorer status
--    filter matching only a few rows of a large cycle reads that cycle's rows (0.9 s for 20 of
--    1,000,000), where this index found them at once.
DROP INDEX transactions_cycle_idx;
-- 2. Pages are filled to half, so that every row of a page can get its new version on the same
--    page within one statement (a run's own dead versions are not reclaimable until it commits).
--    The cost is space: the table's pages hold half as many rows (about 390 MB per million rows
--    instead of about 200 MB). Pages written before this keep their layout, so re-running a cycle
--    loaded before it is not heap-only; cycles loaded after it are.
ALTER TABLE transactions SET (fillfactor = 50);
