-- Daily rollups for Overview, Analytics and the transaction explorer's counts (issue 13).
--
-- Every figure of those pages is a sum over a window of cycle dates. At ten million transactions a
-- plain aggregate takes seconds, so the sums are kept per cycle date, exactly, by statement-level
-- triggers on the tables they summarise, in the same transaction as each change (a rolled-back change
-- leaves them as they were).
--
-- The triggers only ever APPEND signed deltas (`…_delta`), one row per key a statement changed: an
-- insert takes no lock that another writer waits for, so the rollups add no lock order, no deadlock
-- and no hot row to the writers (a recon run, a batch run, exception work and payouts all touch the
-- same keys of a cycle). `rollup_compact()` folds the committed deltas into `…_base` (the server runs
-- it every few seconds; one compactor at a time). Readers read the views `txn_daily` and
-- `exception_daily`: base plus deltas summed per key, the same answer before and after a compaction.
--
-- `txn_daily`: per cycle date × acquirer × payment method × transaction status × status of the
-- settlement batch the transaction is in ('' when in none): how many, their amount, and for those in
-- a PAID batch the seconds from the transaction to the batch's payment (the average settlement time).
-- `exception_daily`: per cycle date × reason × severity × status: how many, their amount (the PG
-- amount, else the bank amount — as the exception queue shows it).
--
-- The views `txn_daily_truth` and `exception_daily_truth` are the same sums straight from the ledger,
-- and `rollup_differences()` lists every key where a rollup and its truth disagree (the consistency
-- test's oracle, and an on-call check). `rollup_rebuild()` recomputes both from the ledger.
--
-- The rules the triggers rely on (kept by every writer in src/): a settlement item is written after
-- its batch and its transaction (items carry no foreign keys, see 20261202000002); a transaction and
-- the items and batches it is in are never changed by one statement (no data-modifying CTE that
-- moves both); none of the four tables is truncated (refused below).

-- An exception's payment method (its transaction's; none for a bank-side one), for Analytics' mode
-- filter on the open exceptions' ageing without a lookup per exception; filled on insert.
ALTER TABLE exceptions ADD COLUMN payment_method TEXT;
UPDATE exceptions e SET payment_method = t.payment_method FROM transactions t WHERE t.id = e.transaction_id;
CREATE FUNCTION exceptions_payment_method() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.transaction_id IS NULL THEN
        NEW.payment_method := NULL;
    ELSIF TG_OP = 'INSERT' OR NEW.transaction_id IS DISTINCT FROM OLD.transaction_id THEN
        SELECT t.payment_method INTO NEW.payment_method FROM transactions t WHERE t.id = NEW.transaction_id;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER exceptions_payment_method BEFORE INSERT OR UPDATE OF transaction_id ON exceptions
    FOR EACH ROW EXECUTE FUNCTION exceptions_payment_method();

CREATE TABLE txn_daily_base (
    cycle_date     DATE NOT NULL,
    acquirer       TEXT NOT NULL,
    payment_method TEXT NOT NULL,
    status         TEXT NOT NULL,
    batch_status   TEXT NOT NULL,
    txn_count      BIGINT NOT NULL,
    amount_paise   BIGINT NOT NULL,
    paid_seconds   BIGINT NOT NULL,
    PRIMARY KEY (cycle_date, acquirer, payment_method, status, batch_status)
);
CREATE TABLE txn_daily_delta (LIKE txn_daily_base);
CREATE INDEX txn_daily_delta_cycle_idx ON txn_daily_delta (cycle_date);

CREATE TABLE exception_daily_base (
    cycle_date   DATE NOT NULL,
    reason_code  TEXT NOT NULL,
    severity     TEXT NOT NULL,
    status       TEXT NOT NULL,
    exc_count    BIGINT NOT NULL,
    amount_paise BIGINT NOT NULL,
    PRIMARY KEY (cycle_date, reason_code, severity, status)
);
CREATE TABLE exception_daily_delta (LIKE exception_daily_base);
CREATE INDEX exception_daily_delta_cycle_idx ON exception_daily_delta (cycle_date);

-- What readers read: a filter on the keys (a window of cycle dates) reaches both tables' indexes.
CREATE VIEW txn_daily AS
SELECT cycle_date, acquirer, payment_method, status, batch_status,
       sum(txn_count)::bigint AS txn_count, sum(amount_paise)::bigint AS amount_paise,
       sum(paid_seconds)::bigint AS paid_seconds
FROM (SELECT * FROM txn_daily_base UNION ALL SELECT * FROM txn_daily_delta) r
GROUP BY cycle_date, acquirer, payment_method, status, batch_status;

CREATE VIEW exception_daily AS
SELECT cycle_date, reason_code, severity, status, sum(exc_count)::bigint AS exc_count,
       sum(amount_paise)::bigint AS amount_paise
FROM (SELECT * FROM exception_daily_base UNION ALL SELECT * FROM exception_daily_delta) r
GROUP BY cycle_date, reason_code, severity, status;

-- Whole seconds from a transaction to the payment of its batch (one definition for the triggers and
-- the truth view).
CREATE FUNCTION settle_seconds(paid_at TIMESTAMPTZ, txn_at TIMESTAMPTZ) RETURNS BIGINT
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN paid_at IS NULL THEN 0 ELSE floor(extract(epoch FROM paid_at - txn_at))::bigint END;

CREATE VIEW txn_daily_truth AS
SELECT t.cycle_date, coalesce(t.acquirer, '') AS acquirer, t.payment_method::text AS payment_method, t.status,
       coalesce(b.status, '') AS batch_status, count(*)::bigint AS txn_count,
       sum(t.amount_paise)::bigint AS amount_paise,
       coalesce(sum(settle_seconds(b.paid_at, t.txn_at)) FILTER (WHERE b.status = 'PAID'), 0)::bigint AS paid_seconds
FROM transactions t
LEFT JOIN settlement_items si ON si.transaction_id = t.id
LEFT JOIN settlement_batches b ON b.id = si.batch_id
GROUP BY 1, 2, 3, 4, 5;

CREATE VIEW exception_daily_truth AS
SELECT cycle_date, reason_code, severity::text AS severity, status, count(*)::bigint AS exc_count,
       sum(coalesce(pg_amount_paise, bank_amount_paise, 0))::bigint AS amount_paise
FROM exceptions
GROUP BY 1, 2, 3, 4;

-- The trigger functions run as their owner (SECURITY DEFINER): the application's role reads the
-- rollups but cannot write them (db::grant_app_role), so only the ledger's own changes move them.

-- transactions: a new row joins its key with no batch (items come after their transaction).
CREATE FUNCTION txn_daily_on_insert() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    INSERT INTO txn_daily_delta (cycle_date, acquirer, payment_method, status, batch_status, txn_count, amount_paise, paid_seconds)
    SELECT cycle_date, coalesce(acquirer, ''), payment_method, status, '', count(*), sum(amount_paise), 0
    FROM new_rows
    GROUP BY 1, 2, 3, 4;
    RETURN NULL;
END $$;

-- transactions: a row whose key, amount or time changed leaves its old key and joins the new one,
-- with the batch it is in (a statement on transactions does not move items). Rows left unchanged
-- (most re-runs set `updated_at` only) cost the join of the two transition tables and nothing more.
CREATE FUNCTION txn_daily_on_update() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    WITH changed AS (
        SELECT o.id, o.cycle_date AS o_cycle, coalesce(o.acquirer, '') AS o_acq, o.payment_method::text AS o_method,
               o.status AS o_status, o.amount_paise AS o_amount, o.txn_at AS o_at,
               n.cycle_date AS n_cycle, coalesce(n.acquirer, '') AS n_acq, n.payment_method::text AS n_method,
               n.status AS n_status, n.amount_paise AS n_amount, n.txn_at AS n_at
        FROM old_rows o JOIN new_rows n ON n.id = o.id
        WHERE (o.cycle_date, o.acquirer, o.payment_method, o.status, o.amount_paise, o.txn_at)
              IS DISTINCT FROM (n.cycle_date, n.acquirer, n.payment_method, n.status, n.amount_paise, n.txn_at)
    )
    INSERT INTO txn_daily_delta (cycle_date, acquirer, payment_method, status, batch_status, txn_count, amount_paise, paid_seconds)
    SELECT v.cycle_date, v.acquirer, v.payment_method, v.status, coalesce(b.status, ''),
           sum(v.n), sum(v.amount), sum(CASE WHEN b.status = 'PAID' THEN v.n * settle_seconds(b.paid_at, v.at) ELSE 0 END)
    FROM changed c
    LEFT JOIN settlement_items si ON si.transaction_id = c.id
    LEFT JOIN settlement_batches b ON b.id = si.batch_id
    CROSS JOIN LATERAL (VALUES (c.o_cycle, c.o_acq, c.o_method, c.o_status, -1, -c.o_amount, c.o_at),
                               (c.n_cycle, c.n_acq, c.n_method, c.n_status, 1, c.n_amount, c.n_at))
         AS v (cycle_date, acquirer, payment_method, status, n, amount, at)
    GROUP BY 1, 2, 3, 4, 5
    HAVING sum(v.n) <> 0 OR sum(v.amount) <> 0
        OR sum(CASE WHEN b.status = 'PAID' THEN v.n * settle_seconds(b.paid_at, v.at) ELSE 0 END) <> 0;
    RETURN NULL;
END $$;

-- settlement_items: an item added moves its transaction from "no batch" to its batch's status; an
-- item removed moves it back. Each item's transaction is read once (a batch run adds a million).
CREATE FUNCTION txn_daily_on_items() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    side TEXT;
    sign INTEGER;
BEGIN
    FOREACH side IN ARRAY CASE TG_OP WHEN 'INSERT' THEN ARRAY['new_rows'] WHEN 'DELETE' THEN ARRAY['old_rows']
                                    ELSE ARRAY['old_rows', 'new_rows'] END LOOP
        sign := CASE side WHEN 'new_rows' THEN 1 ELSE -1 END;
        EXECUTE format($q$
            INSERT INTO txn_daily_delta (cycle_date, acquirer, payment_method, status, batch_status, txn_count, amount_paise, paid_seconds)
            SELECT t.cycle_date, coalesce(t.acquirer, ''), t.payment_method, t.status, v.batch_status,
                   sum(v.n), sum(v.n * t.amount_paise), sum(v.n * v.secs)
            FROM %I i
            JOIN transactions t ON t.id = i.transaction_id
            JOIN settlement_batches b ON b.id = i.batch_id
            CROSS JOIN LATERAL (VALUES ('', -$1, 0::bigint),
                                       (b.status, $1, CASE WHEN b.status = 'PAID' THEN settle_seconds(b.paid_at, t.txn_at) ELSE 0 END))
                 AS v (batch_status, n, secs)
            GROUP BY 1, 2, 3, 4, 5
            HAVING sum(v.n) <> 0 OR sum(v.n * t.amount_paise) <> 0 OR sum(v.n * v.secs) <> 0$q$, side)
        USING sign;
    END LOOP;
    RETURN NULL;
END $$;

-- settlement_batches: a batch whose status or payment time changed moves its transactions from the
-- old status (and paid time) to the new.
CREATE FUNCTION txn_daily_on_batches() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    WITH changed AS (
        SELECT n.id, o.status AS o_status, o.paid_at AS o_paid, n.status AS n_status, n.paid_at AS n_paid
        FROM old_rows o JOIN new_rows n ON n.id = o.id
        WHERE (o.status, o.paid_at) IS DISTINCT FROM (n.status, n.paid_at)
    )
    INSERT INTO txn_daily_delta (cycle_date, acquirer, payment_method, status, batch_status, txn_count, amount_paise, paid_seconds)
    SELECT t.cycle_date, coalesce(t.acquirer, ''), t.payment_method, t.status, v.batch_status,
           sum(v.n), sum(v.n * t.amount_paise), sum(v.n * v.secs)
    FROM changed c
    JOIN settlement_items si ON si.batch_id = c.id
    JOIN transactions t ON t.id = si.transaction_id
    CROSS JOIN LATERAL (VALUES (c.o_status, -1, CASE WHEN c.o_status = 'PAID' THEN settle_seconds(c.o_paid, t.txn_at) ELSE 0 END),
                               (c.n_status, 1, CASE WHEN c.n_status = 'PAID' THEN settle_seconds(c.n_paid, t.txn_at) ELSE 0 END))
         AS v (batch_status, n, secs)
    GROUP BY 1, 2, 3, 4, 5
    HAVING sum(v.n) <> 0 OR sum(v.n * t.amount_paise) <> 0 OR sum(v.n * v.secs) <> 0;
    RETURN NULL;
END $$;

-- exceptions: inserted rows count +1 under their key, deleted rows -1, updated rows (whose key or
-- amount changed) both, in one grouped insert.
CREATE FUNCTION exception_daily_on_change() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO exception_daily_delta (cycle_date, reason_code, severity, status, exc_count, amount_paise)
        SELECT v.cycle_date, v.reason_code, v.severity, v.status, sum(v.n), sum(v.amount)
        FROM old_rows o JOIN new_rows n ON n.id = o.id
        CROSS JOIN LATERAL (VALUES (o.cycle_date, o.reason_code, o.severity::text, o.status, -1,
                                    -coalesce(o.pg_amount_paise, o.bank_amount_paise, 0)),
                                   (n.cycle_date, n.reason_code, n.severity::text, n.status, 1,
                                    coalesce(n.pg_amount_paise, n.bank_amount_paise, 0)))
             AS v (cycle_date, reason_code, severity, status, n, amount)
        WHERE (o.cycle_date, o.reason_code, o.severity, o.status, coalesce(o.pg_amount_paise, o.bank_amount_paise, 0))
              IS DISTINCT FROM (n.cycle_date, n.reason_code, n.severity, n.status, coalesce(n.pg_amount_paise, n.bank_amount_paise, 0))
        GROUP BY 1, 2, 3, 4
        HAVING sum(v.n) <> 0 OR sum(v.amount) <> 0;
    ELSIF TG_OP = 'INSERT' THEN
        INSERT INTO exception_daily_delta (cycle_date, reason_code, severity, status, exc_count, amount_paise)
        SELECT cycle_date, reason_code, severity, status, count(*), sum(coalesce(pg_amount_paise, bank_amount_paise, 0))
        FROM new_rows GROUP BY 1, 2, 3, 4;
    ELSE
        INSERT INTO exception_daily_delta (cycle_date, reason_code, severity, status, exc_count, amount_paise)
        SELECT cycle_date, reason_code, severity, status, -count(*), -sum(coalesce(pg_amount_paise, bank_amount_paise, 0))
        FROM old_rows GROUP BY 1, 2, 3, 4;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER txn_daily_insert AFTER INSERT ON transactions
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION txn_daily_on_insert();
CREATE TRIGGER txn_daily_update AFTER UPDATE ON transactions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION txn_daily_on_update();
CREATE TRIGGER txn_daily_items_insert AFTER INSERT ON settlement_items
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION txn_daily_on_items();
CREATE TRIGGER txn_daily_items_update AFTER UPDATE ON settlement_items
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION txn_daily_on_items();
CREATE TRIGGER txn_daily_items_delete AFTER DELETE ON settlement_items
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION txn_daily_on_items();
CREATE TRIGGER txn_daily_batches_update AFTER UPDATE ON settlement_batches
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION txn_daily_on_batches();
CREATE TRIGGER exception_daily_insert AFTER INSERT ON exceptions
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION exception_daily_on_change();
CREATE TRIGGER exception_daily_update AFTER UPDATE ON exceptions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION exception_daily_on_change();
CREATE TRIGGER exception_daily_delete AFTER DELETE ON exceptions
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION exception_daily_on_change();

-- A truncate would bypass the statement triggers (transactions and batches refuse it already).
CREATE FUNCTION rollup_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is summarised by the daily rollups; delete its rows instead of truncating it', TG_TABLE_NAME;
END $$;
CREATE TRIGGER settlement_items_no_truncate BEFORE TRUNCATE ON settlement_items
    FOR EACH STATEMENT EXECUTE FUNCTION rollup_refuse_truncate();
CREATE TRIGGER exceptions_no_truncate BEFORE TRUNCATE ON exceptions
    FOR EACH STATEMENT EXECUTE FUNCTION rollup_refuse_truncate();

-- Fold the committed deltas into the bases; how many delta rows it folded. One compactor at a time
-- (another returns 0 at once). Keys that net to nothing are dropped from the base.
CREATE FUNCTION rollup_compact() RETURNS BIGINT LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    folded BIGINT := 0;
    n BIGINT;
BEGIN
    IF NOT pg_try_advisory_xact_lock(7364203019851001) THEN
        RETURN 0;
    END IF;
    WITH moved AS (DELETE FROM txn_daily_delta RETURNING *),
         summed AS (SELECT cycle_date, acquirer, payment_method, status, batch_status,
                           sum(txn_count) AS txn_count, sum(amount_paise) AS amount_paise, sum(paid_seconds) AS paid_seconds,
                           count(*) AS rows_folded
                    FROM moved GROUP BY 1, 2, 3, 4, 5),
         merged AS (INSERT INTO txn_daily_base AS d (cycle_date, acquirer, payment_method, status, batch_status,
                                                     txn_count, amount_paise, paid_seconds)
                    SELECT cycle_date, acquirer, payment_method, status, batch_status, txn_count, amount_paise, paid_seconds
                    FROM summed ORDER BY 1, 2, 3, 4, 5
                    ON CONFLICT (cycle_date, acquirer, payment_method, status, batch_status) DO UPDATE
                        SET txn_count = d.txn_count + EXCLUDED.txn_count,
                            amount_paise = d.amount_paise + EXCLUDED.amount_paise,
                            paid_seconds = d.paid_seconds + EXCLUDED.paid_seconds
                    RETURNING 1)
    SELECT coalesce(sum(rows_folded), 0) INTO n FROM summed;
    folded := folded + n;
    WITH moved AS (DELETE FROM exception_daily_delta RETURNING *),
         summed AS (SELECT cycle_date, reason_code, severity, status, sum(exc_count) AS exc_count,
                           sum(amount_paise) AS amount_paise, count(*) AS rows_folded
                    FROM moved GROUP BY 1, 2, 3, 4),
         merged AS (INSERT INTO exception_daily_base AS d (cycle_date, reason_code, severity, status, exc_count, amount_paise)
                    SELECT cycle_date, reason_code, severity, status, exc_count, amount_paise
                    FROM summed ORDER BY 1, 2, 3, 4
                    ON CONFLICT (cycle_date, reason_code, severity, status) DO UPDATE
                        SET exc_count = d.exc_count + EXCLUDED.exc_count,
                            amount_paise = d.amount_paise + EXCLUDED.amount_paise
                    RETURNING 1)
    SELECT coalesce(sum(rows_folded), 0) INTO n FROM summed;
    folded := folded + n;
    IF folded > 0 THEN
        DELETE FROM txn_daily_base WHERE txn_count = 0 AND amount_paise = 0 AND paid_seconds = 0;
        DELETE FROM exception_daily_base WHERE exc_count = 0 AND amount_paise = 0;
    END IF;
    RETURN folded;
END $$;

-- Every key where a rollup and the ledger disagree (zero rows: consistent).
CREATE FUNCTION rollup_differences()
RETURNS TABLE (rollup TEXT, cycle_date DATE, key TEXT, rollup_value TEXT, ledger_value TEXT)
LANGUAGE sql STABLE AS $$
    SELECT 'txn_daily', coalesce(r.cycle_date, t.cycle_date),
           concat_ws('/', coalesce(r.acquirer, t.acquirer), coalesce(r.payment_method, t.payment_method),
                     coalesce(r.status, t.status), coalesce(r.batch_status, t.batch_status)),
           concat_ws(' ', r.txn_count, r.amount_paise, r.paid_seconds), concat_ws(' ', t.txn_count, t.amount_paise, t.paid_seconds)
    FROM (SELECT * FROM txn_daily WHERE txn_count <> 0 OR amount_paise <> 0 OR paid_seconds <> 0) r
    FULL JOIN txn_daily_truth t USING (cycle_date, acquirer, payment_method, status, batch_status)
    WHERE (r.txn_count, r.amount_paise, r.paid_seconds) IS DISTINCT FROM (t.txn_count, t.amount_paise, t.paid_seconds)
    UNION ALL
    SELECT 'exception_daily', coalesce(r.cycle_date, t.cycle_date),
           concat_ws('/', coalesce(r.reason_code, t.reason_code), coalesce(r.severity, t.severity), coalesce(r.status, t.status)),
           concat_ws(' ', r.exc_count, r.amount_paise), concat_ws(' ', t.exc_count, t.amount_paise)
    FROM (SELECT * FROM exception_daily WHERE exc_count <> 0 OR amount_paise <> 0) r
    FULL JOIN exception_daily_truth t USING (cycle_date, reason_code, severity, status)
    WHERE (r.exc_count, r.amount_paise) IS DISTINCT FROM (t.exc_count, t.amount_paise)
$$;

-- Recompute both rollups from the ledger (the migration's backfill; a repair if a check ever fails).
-- The share-row-exclusive locks hold off every writer of the summarised tables meanwhile.
CREATE FUNCTION rollup_rebuild() RETURNS VOID LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE transactions, settlement_items, settlement_batches, exceptions IN SHARE ROW EXCLUSIVE MODE;
    DELETE FROM txn_daily_delta;
    DELETE FROM txn_daily_base;
    INSERT INTO txn_daily_base SELECT * FROM txn_daily_truth;
    DELETE FROM exception_daily_delta;
    DELETE FROM exception_daily_base;
    INSERT INTO exception_daily_base SELECT * FROM exception_daily_truth;
END $$;

SELECT rollup_rebuild();

-- The transaction explorer's orders (newest cycle first, then newest row; or by amount) and the
-- open exceptions' ageing by creation time within a window of cycles.
CREATE INDEX transactions_cycle_id_idx ON transactions (cycle_date, id);
CREATE INDEX transactions_amount_idx ON transactions (amount_paise, id);
CREATE INDEX exceptions_open_age_idx ON exceptions (cycle_date, created_at) INCLUDE (acquirer, payment_method)
    WHERE status IN ('open', 'investigating', 'snoozed', 'escalated');
-- A transaction's recon results, newest run first, on its detail page; its chargebacks.
CREATE INDEX recon_results_transaction_idx ON recon_results (transaction_id) WHERE transaction_id IS NOT NULL;
CREATE INDEX chargebacks_transaction_idx ON chargebacks (transaction_id) WHERE transaction_id IS NOT NULL;
