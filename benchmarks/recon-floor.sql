-- What the partitioned design of issue 16 would cost in the database at 1M x 1M (BENCHMARKS.md,
-- "Recon at scale: the floor of the partitioned design"): each of its database steps timed on the
-- benchmark's own rows, in tables (and a sequence) of its own, dropped before each pass and by the
-- script afterwards; then a status update like the run's with the daily rollup's trigger off, with
-- its previous function and as built (rolled back). Run by
-- benchmarks/recon-floor.sh after benchmarks/recon.sh, which leaves its database behind.
-- Variables: cycle (the benchmark's cycle date), run (its completed run's id), rows (its size),
-- previous_function (the trigger function before migration 20261215000001).
\set ON_ERROR_STOP 1
\pset pager off
SET work_mem = '256MB';
SET maintenance_work_mem = '256MB';
DROP TABLE IF EXISTS floor_txn, floor_bank, floor_results, floor_txn_cycle, floor_stage_txn, floor_stage_bank;
DROP SEQUENCE IF EXISTS floor_seq;
CREATE SEQUENCE floor_seq;
-- Stand-ins for the uploads' staging tables (not timed: the upload's read-and-COPY covers them).
CREATE UNLOGGED TABLE floor_stage_txn AS
SELECT txn_id, merchant_id, amount_paise, gross_paise, currency, txn_at, cycle_date, payment_method, acquirer, utr, rrn,
       gateway_status, bank_fee_paise, expected_settlement_paise, source_file_id
FROM transactions WHERE cycle_date = :'cycle' ORDER BY id;
CREATE UNLOGGED TABLE floor_stage_bank AS
SELECT natural_key, bank_ref, bank_name, amount_paise, net_paise, direction, txn_date, value_date, utr, rrn, remarks,
       cycle_date, source_file_id
FROM bank_statement_lines WHERE cycle_date = :'cycle' ORDER BY id;
-- The narrow txn_id -> cycle table, holding every other cycle's ids (only the demo's few hundred on
-- the benchmark's database: with years of history this step costs more).
CREATE TABLE floor_txn_cycle (txn_id text PRIMARY KEY, cycle_date date NOT NULL);
INSERT INTO floor_txn_cycle SELECT txn_id, cycle_date FROM transactions WHERE cycle_date <> :'cycle';
-- The benchmark's rows must all be there, or the figures would time empty tables.
SELECT (SELECT count(*) FROM floor_stage_txn) AS pg_rows, (SELECT count(*) FROM floor_stage_bank) AS bank_rows,
       (SELECT count(*) FROM recon_results WHERE run_id = :'run' AND side = 'pg') AS result_rows \gset
\echo -- rows: PG :pg_rows, bank :bank_rows, PG results of the run :result_rows (expected :rows each)
SELECT :pg_rows = :rows AND :bank_rows = :rows AND :result_rows = :rows AS complete \gset
\if :complete
\else
  DO $$ BEGIN RAISE EXCEPTION 'the benchmark database does not hold the expected rows: run benchmarks/recon.sh with the same [rows] first'; END $$;
\endif
VACUUM ANALYZE floor_stage_txn;
VACUUM ANALYZE floor_stage_bank;
VACUUM ANALYZE floor_txn_cycle;
CHECKPOINT;

-- Each step's seconds (wall clock) and each part's total: :start notes the time in t; :lap sets s to
-- the seconds since t and t to now; :part_start notes the time in p; :part_total sets s to the seconds since p.
\set start 'SELECT clock_timestamp() AS t \\gset'
\set lap 'SELECT to_char(extract(epoch FROM clock_timestamp() - :''t''::timestamptz), ''FM990.00'') AS s, clock_timestamp() AS t \\gset'
\set part_start 'SELECT clock_timestamp() AS p \\gset'
\set part_total 'SELECT to_char(extract(epoch FROM clock_timestamp() - :''p''::timestamptz), ''FM990.00'') AS s \\gset'

\echo == PG upload into a fresh partition
BEGIN;
:part_start
:start
CREATE TABLE floor_txn (LIKE transactions INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
ALTER TABLE floor_txn ALTER COLUMN id SET DEFAULT nextval('floor_seq');
INSERT INTO floor_txn (txn_id, merchant_id, amount_paise, gross_paise, currency, txn_at, cycle_date, payment_method,
                       acquirer, utr, rrn, gateway_status, bank_fee_paise, expected_settlement_paise, source_file_id)
SELECT DISTINCT ON (txn_id) txn_id, merchant_id, amount_paise, gross_paise, currency, txn_at, cycle_date, payment_method,
       acquirer, utr, rrn, gateway_status, bank_fee_paise, expected_settlement_paise, source_file_id
FROM floor_stage_txn ORDER BY txn_id, ctid DESC;
:lap
\echo -- load, deduplicated by txn_id: :s s
INSERT INTO floor_txn_cycle SELECT txn_id, cycle_date FROM floor_txn;
:lap
\echo -- txn_id -> cycle (txn_id unique across cycles): :s s
CREATE UNIQUE INDEX ON floor_txn (id);
CREATE UNIQUE INDEX ON floor_txn (txn_id);
CREATE INDEX ON floor_txn (merchant_id, cycle_date);
CREATE INDEX ON floor_txn (cycle_date, id);
CREATE INDEX ON floor_txn (amount_paise, id);
CREATE INDEX ON floor_txn (utr) WHERE utr IS NOT NULL;
CREATE INDEX ON floor_txn (rrn) WHERE rrn IS NOT NULL;
:lap
\echo -- the seven indexes of transactions, built after the load: :s s
ALTER TABLE floor_txn ADD FOREIGN KEY (merchant_id) REFERENCES merchants (id);
:lap
\echo -- merchant foreign key, validated: :s s
COMMIT;
:part_total
\echo -- PG part: :s s
CHECKPOINT;

\echo == bank upload into a fresh partition
BEGIN;
:part_start
:start
CREATE TABLE floor_bank (LIKE bank_statement_lines INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
ALTER TABLE floor_bank ALTER COLUMN id SET DEFAULT nextval('floor_seq');
INSERT INTO floor_bank (natural_key, bank_ref, bank_name, amount_paise, net_paise, direction, txn_date, value_date, utr,
                        rrn, remarks, cycle_date, source_file_id)
SELECT natural_key, bank_ref, bank_name, amount_paise, net_paise, direction, txn_date, value_date, utr, rrn, remarks,
       cycle_date, source_file_id
FROM floor_stage_bank;
:lap
\echo -- load: :s s
CREATE UNIQUE INDEX ON floor_bank (id);
CREATE UNIQUE INDEX ON floor_bank (natural_key);
CREATE INDEX ON floor_bank (cycle_date, direction);
CREATE INDEX ON floor_bank (upper(utr)) WHERE utr IS NOT NULL;
:lap
\echo -- the four indexes of bank_statement_lines: :s s
COMMIT;
:part_total
\echo -- bank part: :s s
CHECKPOINT;

\echo == the run results into a fresh partition (a row per PG row, one per unpaired bank line; migration 20261216000001)
BEGIN;
:part_start
:start
CREATE TABLE floor_results (LIKE recon_results INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
-- The rows that speak for the run (a run stored before migration 20261216000001 also holds a
-- bank-side copy of each pair, which is left out so the figure is the current shape's).
INSERT INTO floor_results SELECT * FROM recon_results WHERE run_id = :'run' AND (side = 'pg' OR transaction_id IS NULL);
:lap
\echo -- load: :s s
CREATE UNIQUE INDEX ON floor_results (id);
CREATE INDEX ON floor_results (run_id, class, id);
CREATE UNIQUE INDEX ON floor_results (run_id, transaction_id) WHERE side = 'pg';
CREATE UNIQUE INDEX ON floor_results (run_id, bank_line_id)
    WHERE bank_line_id IS NOT NULL AND (side = 'pg' OR transaction_id IS NULL);
:lap
\echo -- the four indexes a run needs (recon_results_bank_once serves only releases before 20261216000001): :s s
COMMIT;
:part_total
\echo -- results part: :s s

-- A stand-in for the run's status step's statement (every one of the cycle's million rows changes
-- status, RECONCILED to PENDING and the others to RECONCILED; the run's own statement joins its results), rolled back, VACUUM and
-- CHECKPOINT before each, with the daily rollup's update trigger off, with the trigger's body before migration
-- 20261215000001 (:previous_function, read by recon-floor.sh from 20261203000001_daily_rollups.sql with
-- 20261212000001's search path; replaced inside the rolled-back transaction only), and as built.
\set flip 'UPDATE transactions SET status = CASE WHEN status = ''RECONCILED'' THEN ''PENDING'' ELSE ''RECONCILED'' END, updated_at = now() WHERE cycle_date = :''cycle'''
\echo == a status update like the run status step, of :rows rows
VACUUM transactions;
CHECKPOINT;
BEGIN;
ALTER TABLE transactions DISABLE TRIGGER txn_daily_update;
:start
:flip;
:lap
\echo -- without the rollup trigger: :s s
ROLLBACK;
VACUUM transactions;
CHECKPOINT;
BEGIN;
:previous_function
:start
:flip;
:lap
\echo -- with the trigger body of 20261203000001: :s s
ROLLBACK;
VACUUM transactions;
CHECKPOINT;
BEGIN;
:start
:flip;
:lap
\echo -- with the trigger as built: :s s
ROLLBACK;
VACUUM transactions;

-- benchmarks/recon-floor.sh drops the tables and the sequence (also after a failed pass).
