-- Issue 15: the settlement-transactions report of a million rows as CSV in under 3 s.
--
-- The report lists every settled transaction with its batch. Read through `transactions`, each of
-- its rows cost a random index lookup into a table of many millions, and the million rows had to be
-- sorted (BENCHMARKS.md, "Reports"). So an item carries the identity of its transaction as the
-- report shows it (id, time, method, acquirer, UTR, RRN), written in the statement that writes the
-- item, and the report reads batches in order and each batch's items by its primary key
-- (batch_id, transaction_id): no join into `transactions` and no sort.
--
-- The copies never drift: they are NOT NULL where the transaction's are, every writer of items
-- selects them from `transactions` in the same statement, and a change to a transaction's identity
-- (a corrected file re-uploaded while the transaction is still pending; a merchant code mapped) is
-- carried to its item by the trigger below, in the same transaction. `tests/reports.rs` checks the
-- copies against `transactions` after the demo data and after such a change.
ALTER TABLE settlement_items
    ADD COLUMN txn_id         TEXT,
    ADD COLUMN txn_at         TIMESTAMPTZ,
    ADD COLUMN payment_method payment_method,
    ADD COLUMN acquirer       TEXT,
    ADD COLUMN utr            TEXT,
    ADD COLUMN rrn            TEXT;

UPDATE settlement_items i
SET txn_id = t.txn_id, txn_at = t.txn_at, payment_method = t.payment_method, acquirer = t.acquirer, utr = t.utr,
    rrn = t.rrn
FROM transactions t
WHERE t.id = i.transaction_id;

ALTER TABLE settlement_items
    ALTER COLUMN txn_id SET NOT NULL,
    ALTER COLUMN txn_at SET NOT NULL,
    ALTER COLUMN payment_method SET NOT NULL;

-- A transaction whose identity changes takes its item along (at most one: `transaction_id` is
-- unique). Fires only for statements that set one of these columns, and only for rows where one of
-- them changed, so recon's status updates never pay for it.
CREATE FUNCTION settlement_item_identity_follows() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public AS $$
BEGIN
    UPDATE settlement_items
    SET txn_id = NEW.txn_id, txn_at = NEW.txn_at, payment_method = NEW.payment_method, acquirer = NEW.acquirer,
        utr = NEW.utr, rrn = NEW.rrn
    WHERE transaction_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER transactions_identity_to_items
    AFTER UPDATE OF txn_id, txn_at, payment_method, acquirer, utr, rrn ON transactions
    FOR EACH ROW
    WHEN ((OLD.txn_id, OLD.txn_at, OLD.payment_method, OLD.acquirer, OLD.utr, OLD.rrn)
          IS DISTINCT FROM (NEW.txn_id, NEW.txn_at, NEW.payment_method, NEW.acquirer, NEW.utr, NEW.rrn))
    EXECUTE FUNCTION settlement_item_identity_follows();
