-- Issue 11: every file the system being replaced used is read out of the box.

-- 1. Two of its PG exports do not say how a payment was made: such a transaction's method is
--    UNKNOWN (commission rates stay per known method: the desk's terms never name UNKNOWN).
ALTER DOMAIN payment_method DROP CONSTRAINT payment_method_check;
ALTER DOMAIN payment_method ADD CONSTRAINT payment_method_check
    CHECK (VALUE IN ('UPI', 'CARD', 'NETBANKING', 'WALLET', 'NEFT', 'RTGS', 'IMPS', 'UNKNOWN'));

-- 2. Bank layouts may name a status column (a line the bank reports as failed moved no money and
--    is skipped), a bank-name column (an export covering several banks) and the charges a statement
--    without a net column deducted (net = gross less them). Its five bank layouts
--    (`shipped_mappings` in src/features/recon/ingest/layouts.rs lists the same rows; a test keeps
--    them equal).
ALTER TABLE bank_column_mappings
    ADD COLUMN status_column    TEXT,
    ADD COLUMN bank_name_column TEXT,
    ADD COLUMN charges_columns  TEXT;
INSERT INTO bank_column_mappings (id, bank_code, layout_name, file_type, delimiter, header_row, date_format,
    reference_column, gross_amount_column, net_amount_column, txn_date_column, value_date_column,
    utr_column, rrn_column, direction_column, remarks_column, status_column, bank_name_column, amounts_in,
    charges_columns)
VALUES
 ('0b5e1c2a-0000-4000-8000-00000000a717', 'AXIS', 'AXIS recon export', 'csv', ',', 1, '%d-%b-%y',
  'TXN_REF', 'AMOUNT_INR', 'NET_AMOUNT_INR', 'TXN_DATE_TIME', 'SETTLEMENT_DATE', 'UTR_NO', NULL, NULL, 'REMARKS',
  'TXN_STATUS', NULL, 'rupees', NULL),
 ('0b5e1c2a-0000-4000-8000-0000000000c2', 'ICICI', 'ICICI NEFT report', 'csv', ',', 1, '%d-%b-%y %H:%M:%S',
  'TXN_ID', 'AMOUNT_INR', NULL, 'TXN_DATE', NULL, 'UTR', NULL, NULL, NULL, 'STATUS', NULL, 'rupees', 'FEE_INR,GST_INR'),
 ('0b5e1c2a-0000-4000-8000-00000000a718', 'AXIS', 'AXIS SFTP drop', 'csv', ',', 1, '%Y-%m-%d',
  'TRANSACTION_ID', 'AMOUNT', NULL, 'DATE', NULL, 'UTR', NULL, NULL, NULL, NULL, NULL, 'paise', NULL),
 ('0b5e1c2a-0000-4000-8000-0000000000e1', 'ANY', 'Bank credits export', 'csv', ',', 1, '%Y-%m-%d',
  'bank_reference', 'amount', NULL, 'credited_at', NULL, 'utr', NULL, NULL, NULL, NULL, 'bank_name', 'rupees', NULL),
 ('0b5e1c2a-0000-4000-8000-0000000000e2', 'ANY', 'Bank statement export (paise)', 'csv', ',', 1, '%Y-%m-%d',
  'bank_ref', 'amount_paise', NULL, 'transaction_date', 'value_date', 'utr', NULL, 'debit_credit', 'remarks',
  NULL, 'bank_name', 'paise', NULL);

-- 3. What an upload skipped (rows well formed but not money to reconcile), by reason, and the
--    merchant codes it brought that were not known.
ALTER TABLE uploaded_files
    ADD COLUMN rows_skipped      INTEGER NOT NULL DEFAULT 0 CHECK (rows_skipped >= 0),
    ADD COLUMN skipped           JSONB NOT NULL DEFAULT '[]',
    ADD COLUMN unknown_merchants JSONB NOT NULL DEFAULT '[]',
    ADD CONSTRAINT uploaded_files_rows_add_up CHECK (rows_accepted + rows_rejected + rows_skipped <= rows_total);

-- 4. Merchants a file names before the product knows them: a row is created, flagged unknown
--    (since when, from which file), so the file's rows are accepted and reconciled; an admin clears
--    the flag by completing the merchant or by mapping the code to an existing merchant (an alias).
ALTER TABLE merchants
    ADD COLUMN unknown_since   TIMESTAMPTZ,
    ADD COLUMN first_seen_file UUID REFERENCES uploaded_files (id);
CREATE INDEX merchants_unknown_idx ON merchants (id) WHERE unknown_since IS NOT NULL;

CREATE TABLE merchant_aliases (
    alias       TEXT PRIMARY KEY CHECK (alias ~ '^[A-Z0-9_]{3,32}$'),
    merchant_id TEXT NOT NULL REFERENCES merchants (id),
    created_by  UUID REFERENCES users (id),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX merchant_aliases_merchant_idx ON merchant_aliases (merchant_id);

-- An alias is never also a merchant's own code.
CREATE FUNCTION merchant_alias_not_a_merchant() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM merchants WHERE id = NEW.alias) THEN
        RAISE EXCEPTION 'merchant code % is a merchant of its own', NEW.alias USING ERRCODE = 'unique_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER merchant_alias_not_a_merchant BEFORE INSERT OR UPDATE ON merchant_aliases
    FOR EACH ROW EXECUTE FUNCTION merchant_alias_not_a_merchant();

-- 5. Settlement takes no transaction of a merchant still unknown: its reconciled transactions of a
--    batched cycle wait in the backlog (recon adds them as for any merchant), and those of cycles
--    batched while it was unknown join the backlog when it is cleared (`merchant_backlog_catch_up`).
CREATE OR REPLACE FUNCTION settlement_eligible(cycle DATE) RETURNS SETOF transactions LANGUAGE sql STABLE AS $$
    SELECT t.* FROM transactions t
    WHERE t.cycle_date = cycle AND t.status = 'RECONCILED' AND t.currency = 'INR'
      AND NOT EXISTS (SELECT 1 FROM settlement_items si WHERE si.transaction_id = t.id)
      AND NOT EXISTS (SELECT 1 FROM merchants m WHERE m.id = t.merchant_id AND m.unknown_since IS NOT NULL)
    UNION ALL
    SELECT t.* FROM settlement_backlog k JOIN transactions t ON t.id = k.transaction_id
    WHERE k.cycle_date < cycle AND t.status = 'RECONCILED' AND t.currency = 'INR'
      AND NOT EXISTS (SELECT 1 FROM settlement_items si WHERE si.transaction_id = t.id)
      AND NOT EXISTS (SELECT 1 FROM merchants m WHERE m.id = t.merchant_id AND m.unknown_since IS NOT NULL)
$$;

CREATE FUNCTION merchant_backlog_catch_up(merchant TEXT) RETURNS BIGINT LANGUAGE sql AS $$
    WITH added AS (
        INSERT INTO settlement_backlog (transaction_id, merchant_id, cycle_date)
        SELECT t.id, t.merchant_id, t.cycle_date FROM transactions t
        WHERE t.merchant_id = merchant AND t.status = 'RECONCILED' AND t.currency = 'INR'
          AND settlement_cycle_batched(t.merchant_id, t.cycle_date)
          AND NOT EXISTS (SELECT 1 FROM settlement_items si WHERE si.transaction_id = t.id)
        ON CONFLICT (transaction_id) DO NOTHING
        RETURNING 1
    )
    SELECT count(*) FROM added
$$;

-- 6. Mapping an unknown code to an existing merchant: the ledger rows that name the code name the
--    merchant instead, the code becomes the merchant's alias, and the placeholder goes. Only the
--    ledger moves: a placeholder with terms, an account, tolerances or settlement rows of its own
--    (none can be saved for an unknown merchant: `merchants::commands::save_terms`) is refused rather than
--    merged into the merchant's configuration; any other row still naming the code makes the
--    placeholder's DELETE fail, so nothing is half moved. Refused for a merchant that is not unknown
--    (a real merchant is never merged away). The caller holds the settlement lock (shared) and the
--    merchant-code lock.
CREATE FUNCTION merchant_map_unknown(code TEXT, target TEXT, actor UUID) RETURNS BIGINT LANGUAGE plpgsql AS $$
DECLARE
    moved BIGINT;
BEGIN
    PERFORM 1 FROM merchants WHERE id = code AND unknown_since IS NOT NULL FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'merchant code % is not an unknown merchant', code USING ERRCODE = 'check_violation';
    END IF;
    PERFORM 1 FROM merchants WHERE id = target AND unknown_since IS NULL FOR SHARE;
    IF NOT FOUND OR code = target THEN
        RAISE EXCEPTION 'merchant % is not a known merchant', target USING ERRCODE = 'check_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM merchant_bank_accounts WHERE merchant_id = code)
       OR EXISTS (SELECT 1 FROM merchant_settlement_config WHERE merchant_id = code)
       OR EXISTS (SELECT 1 FROM merchant_commission_rates WHERE merchant_id = code)
       OR EXISTS (SELECT 1 FROM merchant_fee_bearers WHERE merchant_id = code)
       OR EXISTS (SELECT 1 FROM recon_settings WHERE merchant_id = code)
       OR EXISTS (SELECT 1 FROM settlement_batches WHERE merchant_id = code)
       OR EXISTS (SELECT 1 FROM reserve_ledger WHERE merchant_id = code)
       OR EXISTS (SELECT 1 FROM settlement_carry_forwards WHERE merchant_id = code) THEN
        RAISE EXCEPTION 'merchant code % has configuration or settlements of its own', code
            USING ERRCODE = 'check_violation';
    END IF;
    UPDATE transactions SET merchant_id = target WHERE merchant_id = code;
    GET DIAGNOSTICS moved = ROW_COUNT;
    UPDATE exceptions SET merchant_id = target WHERE merchant_id = code;
    UPDATE settlement_backlog SET merchant_id = target WHERE merchant_id = code;
    UPDATE chargebacks SET merchant_id = target WHERE merchant_id = code;
    UPDATE chargeback_recovery_actions SET merchant_id = target WHERE merchant_id = code;
    UPDATE merchant_refunds SET merchant_id = target WHERE merchant_id = code;
    DELETE FROM merchants WHERE id = code;
    INSERT INTO merchant_aliases (alias, merchant_id, created_by) VALUES (code, target, actor);
    PERFORM merchant_backlog_catch_up(target);
    RETURN moved;
END $$;

-- …and a merchant's own code is never an alias.
CREATE FUNCTION merchant_not_an_alias() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM merchant_aliases WHERE alias = NEW.id) THEN
        RAISE EXCEPTION 'merchant code % is an alias of merchant %', NEW.id,
            (SELECT merchant_id FROM merchant_aliases WHERE alias = NEW.id) USING ERRCODE = 'unique_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER merchant_not_an_alias BEFORE INSERT ON merchants
    FOR EACH ROW EXECUTE FUNCTION merchant_not_an_alias();
