-- A transaction's merchant, checked once per statement instead of once per row (BENCHMARKS.md,
-- "Recon at scale: a transaction's merchant checked once per statement"). The foreign key
-- transactions → merchants ran one query, and took one row lock, for every written row: about
-- 2–4 s of the 1,000,000-row upload's 19 s upsert, whose rows name a handful of merchants. Five
-- triggers keep the same rule instead, and a violation raises the foreign key's error (SQLSTATE
-- 23503, its constraint name, table, message and detail):
--   1. after an INSERT (or COPY) statement, every merchant its rows name exists;
--   2. after an UPDATE that changes a row's merchant, that merchant exists;
--   3. a merchant that a transaction names is neither deleted nor given another id, nor is
--      merchants truncated while any transaction names one.
-- The constraint `transactions_merchant_id_fkey` is no longer in the catalogue (`\d transactions`
-- lists these triggers instead); the errors still carry its name, so callers matching its SQLSTATE
-- or name see no difference. (1) and (2) lock each merchant they check FOR KEY SHARE until the
-- transaction ends, as the foreign key did, so a merchant being deleted waits for them.
-- The functions run as their owner, as the foreign key's checks did (a writer of transactions
-- needs no privilege on merchants), with the temporary schema searched last (20261212000001).
-- Their cost is within the noise of the upsert (15.07 s with them, 15.02 s with no check at all):
-- the rollup's statement trigger already keeps the statement's new rows, which (1) reads.
-- What differs from a foreign key: a deletion, new id or truncate outside READ COMMITTED is
-- refused (3); the table's owner can switch triggers off (`DISABLE TRIGGER USER`; a foreign key's
-- needed a superuser) — the application's role owns nothing and cannot; TRUNCATE merchants CASCADE
-- fails with 23503 rather than transactions' never-deleted error (P0001); and a restore
-- (`pg_restore`) no longer re-checks the restored rows when it re-creates the rule.

-- Dropping the key and adding the triggers lock transactions and merchants briefly; as in
-- 20261214000001, give up after 10 s waiting for a lock (an upload or a run in progress) rather
-- than hold every later reader behind it. Nothing to rebuild: the migration takes milliseconds.
SET LOCAL lock_timeout = '10s';
ALTER TABLE transactions DROP CONSTRAINT transactions_merchant_id_fkey;

CREATE FUNCTION raise_transaction_merchant_missing(missing TEXT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'insert or update on table "transactions" violates foreign key constraint "transactions_merchant_id_fkey"'
        USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'transactions_merchant_id_fkey',
              SCHEMA = 'public', TABLE = 'transactions',
              DETAIL = format('Key (merchant_id)=(%s) is not present in table "merchants".', missing);
END $$;

-- (1) The statement's merchants, once each.
CREATE FUNCTION transactions_merchants_checked_per_statement() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    named TEXT[];
    locked TEXT[];
    missing TEXT;
BEGIN
    SELECT array_agg(merchant_id ORDER BY merchant_id) INTO named
    FROM (SELECT DISTINCT merchant_id FROM new_rows) AS d;
    IF named IS NULL THEN
        RETURN NULL;
    END IF;
    -- What is locked is what counts. One deleted or given another id while the lock waited is
    -- skipped by it (READ COMMITTED re-reads the row), and one created meanwhile is not in the
    -- lock's snapshot: either is reported missing, so none passes unlocked. (A REPEATABLE READ
    -- writer fails here with a serialization failure, 40001, when the lock meets a row deleted
    -- after its snapshot.)
    SELECT array_agg(id) INTO locked
    FROM (SELECT id FROM public.merchants WHERE id = ANY (named) ORDER BY id FOR KEY SHARE) AS l;
    -- `locked` is a part of `named` (ids are unique): all are there when the counts agree. Else
    -- name one that is not (a set difference: linear, however many merchants a statement names).
    IF coalesce(cardinality(locked), 0) < cardinality(named) THEN
        SELECT n INTO missing FROM (SELECT unnest(named) EXCEPT SELECT unnest(locked)) AS m(n)
        ORDER BY n LIMIT 1;
        PERFORM public.raise_transaction_merchant_missing(missing);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER transactions_merchants_checked_per_statement AFTER INSERT ON transactions
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION transactions_merchants_checked_per_statement();

-- (2) Rare (an unknown code mapped to a merchant): row by row, as the foreign key did. Only for an
-- UPDATE that names merchant_id (so a run's million status changes never queue it): a BEFORE
-- UPDATE trigger that rewrote NEW.merchant_id would go round it, and none may be added.
CREATE FUNCTION transactions_merchant_checked_on_update() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    PERFORM 1 FROM public.merchants WHERE id = NEW.merchant_id FOR KEY SHARE;
    IF NOT FOUND THEN
        PERFORM public.raise_transaction_merchant_missing(NEW.merchant_id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER transactions_merchant_checked_on_update AFTER UPDATE OF merchant_id ON transactions
    FOR EACH ROW WHEN (OLD.merchant_id IS DISTINCT FROM NEW.merchant_id)
    EXECUTE FUNCTION transactions_merchant_checked_on_update();

-- (3) After the merchant's row is deleted or re-keyed, so its lock is held: every writer that
-- locked it has ended by then. The check runs in the deleting transaction's own snapshot; only
-- READ COMMITTED makes that snapshot see a writer that committed while the deletion waited for the
-- row, so other isolation levels are refused (the foreign key used a special snapshot that plain
-- SQL has not; the product deletes merchants in one place, `merchant_map_unknown`, in READ
-- COMMITTED). The same function refuses TRUNCATE merchants while any transaction exists (before,
-- TRUNCATE merchants CASCADE reached transactions through the key, and transactions' own trigger
-- refused it; only the owner may truncate).
CREATE FUNCTION merchants_kept_while_named() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'merchants are deleted, given another id or truncated only in a READ COMMITTED transaction (isolation is %)',
            current_setting('transaction_isolation')
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF TG_OP = 'TRUNCATE' THEN
        IF EXISTS (SELECT 1 FROM public.transactions) THEN
            RAISE EXCEPTION 'cannot truncate table "merchants": transactions name its merchants'
                USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'transactions_merchant_id_fkey',
                      SCHEMA = 'public', TABLE = 'transactions';
        END IF;
    ELSIF EXISTS (SELECT 1 FROM public.transactions WHERE merchant_id = OLD.id) THEN
        RAISE EXCEPTION 'update or delete on table "merchants" violates foreign key constraint "transactions_merchant_id_fkey" on table "transactions"'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'transactions_merchant_id_fkey',
                  SCHEMA = 'public', TABLE = 'transactions',
                  DETAIL = format('Key (id)=(%s) is still referenced from table "transactions".', OLD.id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER merchants_kept_while_named_on_truncate BEFORE TRUNCATE ON merchants
    FOR EACH STATEMENT EXECUTE FUNCTION merchants_kept_while_named();
CREATE TRIGGER merchants_kept_while_named_on_delete AFTER DELETE ON merchants
    FOR EACH ROW EXECUTE FUNCTION merchants_kept_while_named();
CREATE TRIGGER merchants_kept_while_named_on_new_id AFTER UPDATE OF id ON merchants
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION merchants_kept_while_named();
