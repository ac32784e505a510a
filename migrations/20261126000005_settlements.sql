-- Settlement batches (one per merchant per cycle date), their items, approvals, transfers and the
-- rolling-reserve ledger.

CREATE TABLE settlement_batches (
    id                     UUID PRIMARY KEY,
    batch_ref              TEXT NOT NULL UNIQUE,
    merchant_id            TEXT NOT NULL REFERENCES merchants (id),
    cycle_date             DATE NOT NULL,
    status                 TEXT NOT NULL CHECK (status IN ('CALCULATED', 'PENDING_APPROVAL', 'APPROVED', 'SENT', 'PAID', 'REJECTED', 'ON_HOLD', 'FAILED')),
    txn_count              INTEGER NOT NULL CHECK (txn_count >= 0),
    gross_paise            BIGINT NOT NULL CHECK (gross_paise >= 0),
    commission_paise       BIGINT NOT NULL CHECK (commission_paise >= 0),
    gst_paise              BIGINT NOT NULL CHECK (gst_paise >= 0),
    tds_paise              BIGINT NOT NULL CHECK (tds_paise >= 0),
    reserve_paise          BIGINT NOT NULL CHECK (reserve_paise >= 0),
    deductions_paise       BIGINT NOT NULL CHECK (deductions_paise >= 0),
    reserve_released_paise BIGINT NOT NULL CHECK (reserve_released_paise >= 0),
    -- Commission and GST recorded for payer/bank-borne fees, not deducted from the merchant.
    fees_not_deducted_paise BIGINT NOT NULL DEFAULT 0 CHECK (fees_not_deducted_paise >= 0),
    net_paise              BIGINT NOT NULL CHECK (net_paise >= 0),
    rail                   payout_rail NOT NULL,
    bank_account_id        UUID REFERENCES merchant_bank_accounts (id),
    created_by             UUID REFERENCES users (id),
    created_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    approved_by            UUID REFERENCES users (id),
    approved_at            TIMESTAMPTZ,
    sent_at                TIMESTAMPTZ,
    paid_at                TIMESTAMPTZ,
    payout_utr             TEXT,
    failure_reason         TEXT,
    UNIQUE (merchant_id, cycle_date),
    -- The settlement identity, to the paisa.
    CHECK (gross_paise = commission_paise + gst_paise + tds_paise + reserve_paise + deductions_paise
                         - reserve_released_paise + net_paise - fees_not_deducted_paise),
    CHECK (fees_not_deducted_paise <= commission_paise + gst_paise),
    CHECK (approved_by IS NULL OR approved_by IS DISTINCT FROM created_by),
    CHECK (status <> 'PAID' OR (payout_utr IS NOT NULL AND paid_at IS NOT NULL)),
    CHECK (status <> 'FAILED' OR failure_reason IS NOT NULL)
);
CREATE INDEX settlement_batches_cycle_idx ON settlement_batches (cycle_date, status);
CREATE INDEX settlement_batches_status_idx ON settlement_batches (status, created_at DESC);

CREATE TABLE settlement_items (
    batch_id         UUID NOT NULL REFERENCES settlement_batches (id),
    transaction_id   BIGINT NOT NULL UNIQUE REFERENCES transactions (id),
    amount_paise     BIGINT NOT NULL CHECK (amount_paise > 0),
    commission_paise BIGINT NOT NULL CHECK (commission_paise >= 0),
    gst_paise        BIGINT NOT NULL CHECK (gst_paise >= 0),
    tds_paise        BIGINT NOT NULL CHECK (tds_paise >= 0),
    reserve_paise    BIGINT NOT NULL CHECK (reserve_paise >= 0),
    net_paise        BIGINT NOT NULL CHECK (net_paise >= 0),
    fee_bearer       TEXT NOT NULL CHECK (fee_bearer IN ('merchant', 'payer', 'bank')),
    PRIMARY KEY (batch_id, transaction_id)
);

CREATE TABLE settlement_approvals (
    id         BIGSERIAL PRIMARY KEY,
    batch_id   UUID NOT NULL REFERENCES settlement_batches (id),
    decided_by UUID NOT NULL REFERENCES users (id),
    decision   TEXT NOT NULL CHECK (decision IN ('APPROVED', 'REJECTED', 'ON_HOLD')),
    note       TEXT,
    decided_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX settlement_approvals_batch_idx ON settlement_approvals (batch_id, decided_at);

CREATE TABLE settlement_transfers (
    id                BIGSERIAL PRIMARY KEY,
    batch_id          UUID NOT NULL REFERENCES settlement_batches (id),
    rail              payout_rail NOT NULL,
    amount_paise      BIGINT NOT NULL CHECK (amount_paise > 0),
    status            TEXT NOT NULL CHECK (status IN ('INITIATED', 'SENT', 'PAID', 'FAILED')),
    utr               TEXT,
    bank_line_id      BIGINT REFERENCES bank_statement_lines (id),
    verification      TEXT CHECK (verification IN ('UNVERIFIED', 'VERIFIED', 'AMOUNT_MISMATCH')),
    failure_reason    TEXT,
    initiated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    completed_at      TIMESTAMPTZ
);
CREATE INDEX settlement_transfers_batch_idx ON settlement_transfers (batch_id);
CREATE UNIQUE INDEX settlement_transfers_utr_key ON settlement_transfers (utr) WHERE utr IS NOT NULL;

CREATE TABLE reserve_ledger (
    id                BIGSERIAL PRIMARY KEY,
    merchant_id       TEXT NOT NULL REFERENCES merchants (id),
    batch_id          UUID NOT NULL REFERENCES settlement_batches (id),
    kind              TEXT NOT NULL CHECK (kind IN ('HOLD', 'RELEASE')),
    amount_paise      BIGINT NOT NULL CHECK (amount_paise > 0),
    release_on        DATE,
    released_entry_id BIGINT REFERENCES reserve_ledger (id),
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (kind <> 'HOLD' OR release_on IS NOT NULL),
    CHECK (kind <> 'RELEASE' OR released_entry_id IS NOT NULL)
);
CREATE INDEX reserve_ledger_due_idx ON reserve_ledger (merchant_id, release_on) WHERE kind = 'HOLD';
CREATE UNIQUE INDEX reserve_ledger_release_once ON reserve_ledger (released_entry_id) WHERE kind = 'RELEASE';
