-- A transaction's merchant, checked once per statement instead of once per row (BENCHMARKS.md,
-- "Recon at scale: a transaction's merchant checked once per statement"). The foreign key
-- transactions → merchants ran one query, and took one row lock, for every written row: about 4 s
-- of the 1,000,000-row upload's 19 s upsert, whose rows name a handful of merchants. The rule is
-- the same, kept by three triggers instead, and broken the same way (SQLSTATE 23503, the foreign
-- key's name and messages):
--   1. after an INSERT (or COPY) statement, every merchant its rows name exists;
--   2. after an UPDATE that changes a row's merchant, that merchant exists;
--   3. a merchant that a transaction names is neither deleted nor given another id.
-- (1) and (2) lock each merchant they check FOR KEY SHARE until the transaction ends, as the
-- foreign key did, so a merchant being deleted waits for them. The lock is taken before the check:
-- a deletion that commits while the lock waits is then seen by the check (READ COMMITTED, a new
-- snapshot per statement) and the insert fails. (3) checks in the deleting transaction's own
-- snapshot; only READ COMMITTED makes that snapshot see a writer that committed while it waited
-- for the merchant's row, so (3) refuses other isolation levels (the foreign key used a special
-- snapshot that plain SQL has not; the product deletes merchants in one place,
-- `merchant_map_unknown`, in READ COMMITTED).
-- The functions run as their owner, as the foreign key's checks did: a writer of transactions
-- needs no privilege on merchants for them.

-- Dropping the key and adding the triggers lock transactions and merchants briefly; as in
-- 20261214000001, give up after 10 s waiting for a lock (an upload or a run in progress) rather
-- than hold every later reader behind it. Nothing to rebuild: the migration takes milliseconds.
SET LOCAL lock_timeout = '10s';
ALTER TABLE transactions DROP CONSTRAINT transactions_merchant_id_fkey;

CREATE FUNCTION transaction_merchant_missing(missing TEXT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'insert or update on table "transactions" violates foreign key constraint "transactions_merchant_id_fkey"'
        USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'transactions_merchant_id_fkey',
              TABLE = 'transactions', COLUMN = 'merchant_id',
              DETAIL = format('Key (merchant_id)=(%s) is not present in table "merchants".', missing);
END $$;

-- (1) The statement's merchants, once each.
CREATE FUNCTION transactions_merchants_exist() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = public AS $$
DECLARE
    named TEXT[];
    missing TEXT;
BEGIN
    SELECT array_agg(merchant_id ORDER BY merchant_id) INTO named
    FROM (SELECT DISTINCT merchant_id FROM new_rows) AS d;
    IF named IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM 1 FROM merchants WHERE id = ANY (named) ORDER BY id FOR KEY SHARE;
    SELECT n INTO missing FROM unnest(named) AS n
    WHERE NOT EXISTS (SELECT 1 FROM merchants m WHERE m.id = n)
    LIMIT 1;
    IF FOUND THEN
        PERFORM transaction_merchant_missing(missing);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER transactions_merchants_exist AFTER INSERT ON transactions
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION transactions_merchants_exist();

-- (2) Rare (an unknown code mapped to a merchant): row by row, as the foreign key did.
CREATE FUNCTION transaction_merchant_exists() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = public AS $$
BEGIN
    PERFORM 1 FROM merchants WHERE id = NEW.merchant_id FOR KEY SHARE;
    IF NOT FOUND THEN
        PERFORM transaction_merchant_missing(NEW.merchant_id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER transactions_merchant_exists AFTER UPDATE OF merchant_id ON transactions
    FOR EACH ROW WHEN (OLD.merchant_id IS DISTINCT FROM NEW.merchant_id)
    EXECUTE FUNCTION transaction_merchant_exists();

-- (3) After the merchant's row is deleted or changed, so its lock is held: every writer that
-- locked it has ended by then.
CREATE FUNCTION merchant_not_named_by_transactions() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = public AS $$
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'a merchant is deleted or given another id only in a READ COMMITTED transaction (isolation is %)',
            current_setting('transaction_isolation')
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF EXISTS (SELECT 1 FROM transactions WHERE merchant_id = OLD.id) THEN
        RAISE EXCEPTION 'update or delete on table "merchants" violates foreign key constraint "transactions_merchant_id_fkey" on table "transactions"'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'transactions_merchant_id_fkey',
                  TABLE = 'merchants', COLUMN = 'id',
                  DETAIL = format('Key (id)=(%s) is still referenced from table "transactions".', OLD.id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER merchants_deleted_unnamed AFTER DELETE ON merchants
    FOR EACH ROW EXECUTE FUNCTION merchant_not_named_by_transactions();
CREATE TRIGGER merchants_renamed_unnamed AFTER UPDATE OF id ON merchants
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION merchant_not_named_by_transactions();
