-- A recon run sets the reconciliation status (and `updated_at`) of every transaction of its cycle
-- (a million rows at scale). Writing a new version of a row costs one entry in each of its
-- indexes, unless the update is HOT (heap-only): no indexed column changes and the new version
-- fits on the row's own page. Measured on 1,000,000 transactions (benchmarks/recon.sh, 2 cores;
-- BENCHMARKS.md "Recon at scale", 2026-12-04): the status step went from 26.1 s to 7.7–10.3 s.
--
-- 1. No index may hold `status` or `updated_at`, not even in a predicate or an expression (that
--    too makes the update write every index); tests/recon.rs checks a run's updates are all
--    heap-only. No reader needs the status in an index: each narrows by cycle date (served by
--    transactions_cycle_id_idx (cycle_date, id)), merchant or id first. The price is that an
--    explorer status filter matching only a few rows of a large cycle reads that cycle's rows
--    (0.9 s for 20 of 1,000,000), where this index found them at once.
--
-- Dropping an index waits for every open transaction on the table (an upload or a run holds it for
-- tens of seconds at scale, a CSV export longer) while every new reader queues behind it: give up
-- after 10 s instead; `migrate` then fails and is run again later (docs/runbooks/deploy.md).
SET LOCAL lock_timeout = '10s';
DROP INDEX transactions_cycle_idx;
-- 2. Pages are filled to 45 %, so that every row of a page can get its new version on the same
--    page within one statement (a run's own dead versions are not reclaimable until it commits),
--    with room for the longer status ('PENDING' → 'RECONCILED') and each new version's line
--    pointer: at 50 % about one row a page did not fit (588 of 600 in tests/recon.rs, whose rows
--    vary in shape as a real file's do). The cost is space: the table's pages hold under half as
--    many rows (about 430 MB per million rows instead of about 200 MB). Pages written before this
--    keep their layout, so re-running a cycle loaded before it is not heap-only; cycles loaded
--    after it are. A correcting re-upload of pending rows before the run uses some of the room.
ALTER TABLE transactions SET (fillfactor = 45);
