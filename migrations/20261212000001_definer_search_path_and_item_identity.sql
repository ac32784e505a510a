-- Review fixes to 20261211000001 (settlement items carry their transaction's identity), and to the
-- search path of every SECURITY DEFINER function.
--
-- 1. A SECURITY DEFINER function runs as the schema's owner. With `search_path = public` alone,
--    PostgreSQL still looks in the session's temporary schema first, so a session of the app role
--    (which may create temporary tables) could stand a temporary table named like one of ours in
--    front of it and have the owner act on it. Every such function now searches `pg_catalog`, then
--    `public`, and the temporary schema last (as `audit_chain` already does).
DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN SELECT p.oid::regprocedure FROM pg_proc p WHERE p.prosecdef AND p.pronamespace = 'public'::regnamespace LOOP
        EXECUTE format('ALTER FUNCTION %s SET search_path = pg_catalog, public, pg_temp', f);
    END LOOP;
END $$;

-- 2. A transaction's identity changing reaches its item (if it has one) without an UPDATE
--    statement per changed row otherwise: a corrected file re-uploaded changes pending
--    transactions, which have no item, and an empty UPDATE still fired the items' statement
--    triggers (the daily rollups) once per row. (The identity of a settled transaction does not
--    change in the product today: uploads only touch pending transactions, and a merchant code is
--    mapped only while it has no batch. The trigger keeps the copies equal if one ever does.)
CREATE OR REPLACE FUNCTION settlement_item_identity_follows() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM public.settlement_items WHERE transaction_id = NEW.id) THEN
        UPDATE public.settlement_items
        SET txn_id = NEW.txn_id, txn_at = NEW.txn_at, payment_method = NEW.payment_method, acquirer = NEW.acquirer,
            utr = NEW.utr, rrn = NEW.rrn
        WHERE transaction_id = NEW.id;
    END IF;
    RETURN NULL;
END $$;

-- 3. An item written without the copies — by a server of the release before 20261211000001 still
--    running during a rolling deploy (docs/runbooks/deploy.md), or any writer that leaves them out —
--    gets them from its transaction before the NOT NULL checks, instead of failing its batch run.
--    Writers of this release pass them, so the trigger's condition keeps it from firing for them.
CREATE FUNCTION settlement_item_identity_filled() RETURNS trigger LANGUAGE plpgsql
    SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    SELECT t.txn_id, t.txn_at, t.payment_method, t.acquirer, t.utr, t.rrn
    INTO NEW.txn_id, NEW.txn_at, NEW.payment_method, NEW.acquirer, NEW.utr, NEW.rrn
    FROM public.transactions t WHERE t.id = NEW.transaction_id;
    RETURN NEW;
END $$;
CREATE TRIGGER settlement_items_identity_filled
    BEFORE INSERT ON settlement_items
    FOR EACH ROW
    WHEN (NEW.txn_id IS NULL)
    EXECUTE FUNCTION settlement_item_identity_filled();
