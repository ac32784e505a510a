-- Reconciliation: uploaded files, PG transactions, bank statement lines, column mappings,
-- tolerances, runs and their per-row results.

CREATE TABLE bank_column_mappings (
    id                  UUID PRIMARY KEY,
    bank_code           TEXT NOT NULL,
    layout_name         TEXT NOT NULL,
    file_type           TEXT NOT NULL CHECK (file_type IN ('csv', 'txt', 'xlsx')),
    delimiter           TEXT NOT NULL DEFAULT ',' CHECK (length(delimiter) = 1),
    header_row          SMALLINT NOT NULL DEFAULT 1 CHECK (header_row >= 1),
    date_format         TEXT NOT NULL,
    reference_column    TEXT NOT NULL,
    gross_amount_column TEXT NOT NULL,
    net_amount_column   TEXT,
    txn_date_column     TEXT NOT NULL,
    value_date_column   TEXT,
    utr_column          TEXT,
    rrn_column          TEXT,
    direction_column    TEXT,
    remarks_column      TEXT,
    amounts_in          TEXT NOT NULL DEFAULT 'rupees' CHECK (amounts_in IN ('rupees', 'paise')),
    is_active           BOOLEAN NOT NULL DEFAULT TRUE,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (bank_code, layout_name)
);

CREATE TABLE uploaded_files (
    id              UUID PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('pg', 'bank', 'chargeback')),
    cycle_date      DATE,
    original_name   TEXT NOT NULL,
    sha256          TEXT NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size_bytes      BIGINT NOT NULL CHECK (size_bytes >= 0),
    storage_key     TEXT NOT NULL,
    detected_format TEXT,
    mapping_id      UUID REFERENCES bank_column_mappings (id),
    rows_total      INTEGER NOT NULL DEFAULT 0 CHECK (rows_total >= 0),
    rows_accepted   INTEGER NOT NULL DEFAULT 0 CHECK (rows_accepted >= 0),
    rows_rejected   INTEGER NOT NULL DEFAULT 0 CHECK (rows_rejected >= 0),
    source          TEXT NOT NULL DEFAULT 'upload' CHECK (source IN ('upload', 'connector', 'demo')),
    uploaded_by     UUID REFERENCES users (id),
    uploaded_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (rows_accepted + rows_rejected <= rows_total),
    UNIQUE (kind, sha256)
);
CREATE INDEX uploaded_files_cycle_idx ON uploaded_files (kind, cycle_date);

CREATE TABLE upload_row_errors (
    file_id     UUID NOT NULL REFERENCES uploaded_files (id) ON DELETE CASCADE,
    line_number INTEGER NOT NULL CHECK (line_number >= 1),
    column_name TEXT,
    message     TEXT NOT NULL,
    PRIMARY KEY (file_id, line_number, message)
);

CREATE TABLE transactions (
    id                        BIGSERIAL PRIMARY KEY,
    txn_id                    TEXT NOT NULL UNIQUE,
    merchant_id               TEXT NOT NULL REFERENCES merchants (id),
    amount_paise              BIGINT NOT NULL CHECK (amount_paise > 0),
    gross_paise               BIGINT CHECK (gross_paise IS NULL OR gross_paise > 0),
    currency                  TEXT NOT NULL DEFAULT 'INR' CHECK (currency ~ '^[A-Z]{3}$'),
    txn_at                    TIMESTAMPTZ NOT NULL,
    cycle_date                DATE NOT NULL,
    payment_method            payment_method NOT NULL,
    acquirer                  TEXT,
    utr                       TEXT,
    rrn                       TEXT,
    gateway_status            TEXT NOT NULL DEFAULT 'SUCCESS',
    bank_fee_paise            BIGINT CHECK (bank_fee_paise IS NULL OR bank_fee_paise >= 0),
    expected_settlement_paise BIGINT CHECK (expected_settlement_paise IS NULL OR expected_settlement_paise >= 0),
    status                    TEXT NOT NULL DEFAULT 'PENDING'
                              CHECK (status IN ('PENDING', 'RECONCILED', 'EXCEPTION', 'SETTLED', 'PAID')),
    source_file_id            UUID REFERENCES uploaded_files (id),
    created_at                TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at                TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX transactions_cycle_idx ON transactions (cycle_date, status);
CREATE INDEX transactions_merchant_cycle_idx ON transactions (merchant_id, cycle_date);
CREATE INDEX transactions_utr_idx ON transactions (utr) WHERE utr IS NOT NULL;
CREATE INDEX transactions_rrn_idx ON transactions (rrn) WHERE rrn IS NOT NULL;
CREATE INDEX transactions_status_idx ON transactions (status, cycle_date);

CREATE TABLE bank_statement_lines (
    id             BIGSERIAL PRIMARY KEY,
    -- Bank reference when the bank gives one, else a hash of bank + UTR + amount + date + direction.
    natural_key    TEXT NOT NULL UNIQUE,
    bank_ref       TEXT,
    bank_name      TEXT NOT NULL,
    amount_paise   BIGINT NOT NULL CHECK (amount_paise > 0),
    net_paise      BIGINT CHECK (net_paise IS NULL OR net_paise >= 0),
    direction      TEXT NOT NULL CHECK (direction IN ('CREDIT', 'DEBIT')),
    txn_date       DATE NOT NULL,
    value_date     DATE,
    utr            TEXT,
    rrn            TEXT,
    remarks        TEXT,
    cycle_date     DATE NOT NULL,
    source_file_id UUID REFERENCES uploaded_files (id),
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX bank_lines_cycle_idx ON bank_statement_lines (cycle_date, direction);
CREATE INDEX bank_lines_utr_idx ON bank_statement_lines (utr) WHERE utr IS NOT NULL;

CREATE TABLE recon_settings (
    id                      UUID PRIMARY KEY,
    merchant_id             TEXT REFERENCES merchants (id),
    acquirer                TEXT,
    min_tolerance_paise     BIGINT NOT NULL DEFAULT 100 CHECK (min_tolerance_paise >= 0),
    tolerance_rate          NUMERIC(9, 6) NOT NULL DEFAULT 0.001 CHECK (tolerance_rate >= 0 AND tolerance_rate < 1),
    rounding_paise          BIGINT NOT NULL DEFAULT 1 CHECK (rounding_paise >= 0),
    fee_band_low_paise      BIGINT NOT NULL DEFAULT 200 CHECK (fee_band_low_paise >= 0),
    fee_band_high_paise     BIGINT NOT NULL DEFAULT 500 CHECK (fee_band_high_paise >= fee_band_low_paise),
    fee_variance_paise      BIGINT NOT NULL DEFAULT 100 CHECK (fee_variance_paise >= 0),
    date_window_days        SMALLINT NOT NULL DEFAULT 2 CHECK (date_window_days >= 0),
    updated_at              TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX recon_settings_scope_key ON recon_settings (coalesce(merchant_id, ''), coalesce(acquirer, ''));

CREATE TABLE recon_runs (
    id                 UUID PRIMARY KEY,
    cycle_date         DATE NOT NULL,
    source             TEXT NOT NULL CHECK (source IN ('manual', 'connector', 'demo')),
    started_by         UUID REFERENCES users (id),
    status             TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'completed', 'failed')),
    stage              TEXT CHECK (stage IN ('validate', 'load', 'match', 'persist')),
    progress_pct       SMALLINT NOT NULL DEFAULT 0 CHECK (progress_pct BETWEEN 0 AND 100),
    pg_rows            INTEGER NOT NULL DEFAULT 0 CHECK (pg_rows >= 0),
    bank_rows          INTEGER NOT NULL DEFAULT 0 CHECK (bank_rows >= 0),
    matched            INTEGER NOT NULL DEFAULT 0 CHECK (matched >= 0),
    exceptions         INTEGER NOT NULL DEFAULT 0 CHECK (exceptions >= 0),
    unmatched_pg       INTEGER NOT NULL DEFAULT 0 CHECK (unmatched_pg >= 0),
    unmatched_bank     INTEGER NOT NULL DEFAULT 0 CHECK (unmatched_bank >= 0),
    superseded_by      UUID REFERENCES recon_runs (id),
    error              TEXT,
    queued_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    started_at         TIMESTAMPTZ,
    finished_at        TIMESTAMPTZ,
    CHECK (status <> 'failed' OR error IS NOT NULL)
);
CREATE INDEX recon_runs_cycle_idx ON recon_runs (cycle_date, queued_at DESC);

CREATE TABLE recon_results (
    id                BIGSERIAL PRIMARY KEY,
    run_id            UUID NOT NULL REFERENCES recon_runs (id) ON DELETE CASCADE,
    side              TEXT NOT NULL CHECK (side IN ('pg', 'bank')),
    transaction_id    BIGINT REFERENCES transactions (id),
    bank_line_id      BIGINT REFERENCES bank_statement_lines (id),
    class             TEXT NOT NULL CHECK (class IN ('MATCHED', 'UNMATCHED_PG', 'UNMATCHED_BANK', 'EXCEPTION')),
    reason_code       TEXT,
    pg_amount_paise   BIGINT CHECK (pg_amount_paise IS NULL OR pg_amount_paise >= 0),
    bank_amount_paise BIGINT CHECK (bank_amount_paise IS NULL OR bank_amount_paise >= 0),
    delta_paise       BIGINT,
    match_score       SMALLINT CHECK (match_score BETWEEN 0 AND 100),
    CHECK (side <> 'pg' OR transaction_id IS NOT NULL),
    CHECK (side <> 'bank' OR bank_line_id IS NOT NULL)
);
CREATE INDEX recon_results_run_class_idx ON recon_results (run_id, class, id);
CREATE UNIQUE INDEX recon_results_pg_once ON recon_results (run_id, transaction_id) WHERE side = 'pg';
CREATE UNIQUE INDEX recon_results_bank_once ON recon_results (run_id, bank_line_id) WHERE side = 'bank';

-- The AXIS SFTP settlement layout (spec 2.1); the other banks' layouts ship with ingestion.
INSERT INTO bank_column_mappings (id, bank_code, layout_name, file_type, delimiter, header_row, date_format,
    reference_column, gross_amount_column, net_amount_column, txn_date_column, value_date_column,
    utr_column, rrn_column, remarks_column)
VALUES ('0b5e1c2a-0000-4000-8000-00000000a715', 'AXIS', 'AXIS SFTP settlement', 'csv', ',', 1, '%d-%m-%Y',
    'TXNID', 'CREDIT_AMT', 'NET_CR_AMT', 'POST_DATE', 'VALUE_DATE', 'UTR', 'RRN', 'REMARKS');
