-- Batch creation at scale (issue 12, BENCHMARKS.md "Settlements at scale"): one cycle of
-- 1,000,000 transactions took 42–47 s. Timed per statement (log_min_duration_statement) in a 41.8 s
-- run: 16.5 s was moving every transaction RECONCILED → SETTLED (a new row version and four index
-- entries each), 16 s writing the items, of which about 11 s was their two foreign keys (one query,
-- and a row lock on the referenced row, per written item; measured in psql on 1,000,000 items).
--
-- 1. Whether a transaction is settled or paid is where it is, not a second copy of it:
--    `transactions.status` keeps the reconciliation state (PENDING, RECONCILED, EXCEPTION), and
--    "in settlement / sent / paid" is read from its settlement item and that batch's status (as the
--    Overview pipeline already did). Batching, rejecting and paying no longer write transactions.
DO $$
BEGIN
    -- A settled or paid transaction outside every batch would look unsettled from now on (and be
    -- paid again): refuse to go on rather than guess.
    IF EXISTS (SELECT 1 FROM transactions t WHERE t.status IN ('SETTLED', 'PAID')
               AND NOT EXISTS (SELECT 1 FROM settlement_items si WHERE si.transaction_id = t.id)) THEN
        RAISE EXCEPTION 'transactions marked SETTLED or PAID without a settlement item: settle them by hand first';
    END IF;
END $$;
UPDATE transactions SET status = 'RECONCILED' WHERE status IN ('SETTLED', 'PAID');
ALTER TABLE transactions DROP CONSTRAINT transactions_status_check;
ALTER TABLE transactions ADD CONSTRAINT transactions_status_check CHECK (status IN ('PENDING', 'RECONCILED', 'EXCEPTION'));
-- It indexed the reconciled transactions not yet settled; every reconciled one now stays RECONCILED.
DROP INDEX transactions_reconciled_idx;
-- A transaction's status as spec 02 and 04 name it (PENDING → RECONCILED → SETTLED → PAID, EXCEPTION
-- aside): the one place that says how it is read, for every page and export that shows it.
CREATE VIEW transaction_lifecycle AS
SELECT t.id AS transaction_id,
       CASE WHEN t.status <> 'RECONCILED' OR b.id IS NULL OR b.status = 'REJECTED' THEN t.status
            WHEN b.status = 'PAID' THEN 'PAID'
            ELSE 'SETTLED' END AS status,
       b.id AS batch_id, b.status AS batch_status
FROM transactions t
LEFT JOIN settlement_items si ON si.transaction_id = t.id
LEFT JOIN settlement_batches b ON b.id = si.batch_id;

-- 2. What an earlier cycle still has to settle, kept as a short list instead of found by scanning
--    history: a reconciled transaction of a cycle that has been batched (its run completed, or its
--    merchant has a batch of it) and that is in no batch — carried forward below the minimum, left
--    out (terms at fault or missing), given back by a rejected batch, or matched after its cycle was
--    batched. Rows are added where that happens (batching.rs, commands.rs, src/domain.rs, each under
--    the settlement lock `domain::SETTLEMENT_LOCK`, shared or not) and removed by the batch run that
--    takes them, or by an exception reopened (its transaction is not reconciled any more).
CREATE TABLE settlement_backlog (
    transaction_id BIGINT PRIMARY KEY REFERENCES transactions (id),
    merchant_id    TEXT NOT NULL,
    cycle_date     DATE NOT NULL,
    added_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX settlement_backlog_merchant_idx ON settlement_backlog (merchant_id, cycle_date);

-- Whether `merchant`'s cycle `cycle` has been batched: its run completed, or the merchant has a
-- batch of it. A transaction of such a cycle reconciled later joins the backlog.
CREATE FUNCTION settlement_cycle_batched(merchant TEXT, cycle DATE) RETURNS BOOLEAN LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM settlement_runs r WHERE r.cycle_date = cycle AND r.status = 'completed')
        OR EXISTS (SELECT 1 FROM settlement_batches b WHERE b.merchant_id = merchant AND b.cycle_date = cycle)
$$;

-- The backlog as it stands (the migration's start, and the demo data's load): every reconciled
-- rupee transaction of a batched cycle in no batch. Returns how many rows were added.
CREATE FUNCTION settlement_backlog_rebuild() RETURNS BIGINT LANGUAGE sql AS $$
    WITH added AS (
        INSERT INTO settlement_backlog (transaction_id, merchant_id, cycle_date)
        SELECT t.id, t.merchant_id, t.cycle_date FROM transactions t
        WHERE t.status = 'RECONCILED' AND t.currency = 'INR'
          AND settlement_cycle_batched(t.merchant_id, t.cycle_date)
          AND NOT EXISTS (SELECT 1 FROM settlement_items si WHERE si.transaction_id = t.id)
        ON CONFLICT (transaction_id) DO NOTHING
        RETURNING 1
    )
    SELECT count(*) FROM added
$$;
-- A REJECTED batch that still holds items was loaded without going through reject (an older demo
-- set): its items, reserve entries and deductions were never given back, and doing half of that
-- here could pay a reserve twice. Refuse, as above; such a demo database is seeded again.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM settlement_items si JOIN settlement_batches b ON b.id = si.batch_id
               WHERE b.status = 'REJECTED') THEN
        RAISE EXCEPTION 'REJECTED settlement batches still hold items (data loaded without a reject): seed the demo database again';
    END IF;
END $$;
SELECT settlement_backlog_rebuild();

-- What a batch run for cycle D takes (spec 4.3): the cycle's own reconciled rupee transactions in
-- no batch, and the backlog of earlier cycles. Earlier cycles never batched are left for their own
-- run. The one copy of that rule.
CREATE OR REPLACE FUNCTION settlement_eligible(cycle DATE) RETURNS SETOF transactions LANGUAGE sql STABLE AS $$
    SELECT t.* FROM transactions t
    WHERE t.cycle_date = cycle AND t.status = 'RECONCILED' AND t.currency = 'INR'
      AND NOT EXISTS (SELECT 1 FROM settlement_items si WHERE si.transaction_id = t.id)
    UNION ALL
    SELECT t.* FROM settlement_backlog k JOIN transactions t ON t.id = k.transaction_id
    WHERE k.cycle_date < cycle AND t.status = 'RECONCILED' AND t.currency = 'INR'
      AND NOT EXISTS (SELECT 1 FROM settlement_items si WHERE si.transaction_id = t.id)
$$;

-- 3. settlement_items' keys are kept by the rule recon's bulk paths follow
--    (20261127000003_bulk_write_paths.sql): items are written in the transaction that creates their
--    batches, from transactions that statement has just read, and neither batches nor transactions
--    are ever deleted (a rejected batch stays, REJECTED, for the record).
CREATE TRIGGER settlement_batches_never_deleted BEFORE DELETE OR TRUNCATE ON settlement_batches
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_rows_are_never_deleted();
ALTER TABLE settlement_items
    DROP CONSTRAINT settlement_items_batch_id_fkey,
    DROP CONSTRAINT settlement_items_transaction_id_fkey;

-- 4. Who made an account a merchant's primary one, and when: until a checker has approved a batch
--    into it since then, its batches wait for approval whatever their amount, and not by that
--    person (maker-checker on the account). Accounts on file before this was recorded count as
--    checked.
ALTER TABLE merchant_bank_accounts
    ADD COLUMN made_primary_by UUID REFERENCES users (id),
    ADD COLUMN made_primary_at TIMESTAMPTZ;
-- Who made `account` primary, while no checker has approved a batch into it since (approved, sent
-- or paid; a batch into it that failed does not count); NULL when it is checked.
CREATE FUNCTION settlement_account_unchecked_by(account UUID) RETURNS UUID LANGUAGE sql STABLE AS $$
    SELECT a.made_primary_by FROM merchant_bank_accounts a
    WHERE a.id = account AND a.made_primary_by IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM settlement_batches b
                      WHERE b.merchant_id = a.merchant_id AND b.bank_account_id = a.id AND b.approved_by IS NOT NULL
                        AND b.approved_at >= a.made_primary_at AND b.status IN ('APPROVED', 'SENT', 'PAID'))
$$;
-- The timeline step that says so.
ALTER TABLE settlement_batch_events DROP CONSTRAINT settlement_batch_events_event_check;
ALTER TABLE settlement_batch_events ADD CONSTRAINT settlement_batch_events_event_check
    CHECK (event IN ('CALCULATED', 'SUBMITTED', 'AUTO_APPROVED', 'APPROVED', 'REJECTED', 'ON_HOLD', 'HOLD_RELEASED',
                     'SENT', 'PAID', 'FAILED', 'REQUEUED', 'VERIFIED', 'AMOUNT_MISMATCH', 'NO_BANK_ACCOUNT',
                     'ACCOUNT_CHANGED', 'ACCOUNT_UNCHECKED'));
