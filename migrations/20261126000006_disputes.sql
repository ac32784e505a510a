-- Chargebacks: cases, reason codes, evidence documents, audit trail, recovery actions, webhook events.

CREATE DOMAIN chargeback_category AS TEXT CHECK (VALUE IN ('FRAUD', 'AUTHORIZATION', 'PROCESSING', 'NON_RECEIPT', 'QUALITY', 'OTHER'));

CREATE TABLE chargeback_reason_codes (
    network_family TEXT NOT NULL CHECK (network_family IN ('VISA', 'MASTERCARD', 'RUPAY', 'UPI', 'OTHER')),
    code           TEXT NOT NULL,
    description    TEXT NOT NULL,
    category       chargeback_category NOT NULL,
    PRIMARY KEY (network_family, code)
);

INSERT INTO chargeback_reason_codes (network_family, code, description, category) VALUES
 ('VISA', '10.4', 'Other fraud: card-absent environment', 'FRAUD'),
 ('VISA', '10.5', 'Visa fraud monitoring programme', 'FRAUD'),
 ('VISA', '11.1', 'Card recovery bulletin', 'AUTHORIZATION'),
 ('VISA', '11.2', 'Declined authorisation', 'AUTHORIZATION'),
 ('VISA', '11.3', 'No authorisation', 'AUTHORIZATION'),
 ('VISA', '12.5', 'Incorrect amount', 'PROCESSING'),
 ('VISA', '12.6', 'Duplicate processing or paid by other means', 'PROCESSING'),
 ('VISA', '13.1', 'Merchandise or services not received', 'NON_RECEIPT'),
 ('VISA', '13.2', 'Cancelled recurring transaction', 'OTHER'),
 ('VISA', '13.3', 'Not as described or defective merchandise', 'QUALITY'),
 ('MASTERCARD', '4837', 'No cardholder authorisation', 'FRAUD'),
 ('MASTERCARD', '4808', 'Authorisation-related chargeback', 'AUTHORIZATION'),
 ('MASTERCARD', '4834', 'Point-of-interaction error', 'PROCESSING'),
 ('MASTERCARD', '4853', 'Cardholder dispute: not as described or defective', 'QUALITY'),
 ('MASTERCARD', '4855', 'Goods or services not provided', 'NON_RECEIPT'),
 ('RUPAY', '1061', 'Transaction not authorised by cardholder', 'FRAUD'),
 ('RUPAY', '1064', 'Goods or services not received', 'NON_RECEIPT'),
 ('RUPAY', '1065', 'Duplicate transaction', 'PROCESSING'),
 ('UPI', 'U008', 'Credit not processed for cancelled or returned goods', 'PROCESSING'),
 ('UPI', 'U010', 'Goods or services not provided', 'NON_RECEIPT');

CREATE TABLE chargebacks (
    id                     UUID PRIMARY KEY,
    case_ref               TEXT NOT NULL UNIQUE,
    acquirer               TEXT NOT NULL CHECK (acquirer IN ('VISA', 'MASTERCARD', 'RUPAY', 'PAYTM', 'PHONEPE', 'UPI', 'BANK', 'OTHER')),
    network_case_id        TEXT NOT NULL,
    merchant_id            TEXT NOT NULL REFERENCES merchants (id),
    merchant_name          TEXT NOT NULL,
    transaction_id         BIGINT REFERENCES transactions (id),
    txn_ref                TEXT,
    rrn                    TEXT,
    utr                    TEXT,
    original_gross_paise   BIGINT NOT NULL CHECK (original_gross_paise > 0),
    chargeback_paise       BIGINT NOT NULL CHECK (chargeback_paise > 0),
    fees_paise             BIGINT NOT NULL DEFAULT 0 CHECK (fees_paise >= 0),
    recovered_paise        BIGINT NOT NULL DEFAULT 0 CHECK (recovered_paise >= 0),
    pending_recovery_paise BIGINT NOT NULL DEFAULT 0 CHECK (pending_recovery_paise >= 0),
    written_off_paise      BIGINT NOT NULL DEFAULT 0 CHECK (written_off_paise >= 0),
    reason_code            TEXT NOT NULL,
    reason_description     TEXT NOT NULL,
    category               chargeback_category NOT NULL,
    stage                  TEXT NOT NULL CHECK (stage IN ('NEW', 'UNDER_REVIEW', 'REPRESENTMENT', 'PRE_ARBIT', 'ARBITRATION', 'CLOSED')),
    status                 TEXT NOT NULL CHECK (status IN ('OPEN', 'RECOVERED', 'WRITEOFF')),
    outcome                TEXT NOT NULL CHECK (outcome IN ('PENDING', 'WON', 'LOST', 'PARTIAL')),
    assigned_to            UUID REFERENCES users (id),
    assigned_team          TEXT CHECK (assigned_team IN ('OPS', 'FINANCE', 'COMPLIANCE', 'MERCHANT_OPS')),
    received_at            TIMESTAMPTZ NOT NULL,
    evidence_due_at        TIMESTAMPTZ,
    deadline_at            TIMESTAMPTZ,
    responded_at           TIMESTAMPTZ,
    closed_at              TIMESTAMPTZ,
    notes                  TEXT,
    tags                   TEXT[] NOT NULL DEFAULT '{}',
    created_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (acquirer, network_case_id),
    CHECK (recovered_paise + pending_recovery_paise + written_off_paise <= chargeback_paise + fees_paise),
    CHECK ((closed_at IS NOT NULL) = (status <> 'OPEN')),
    CHECK ((status = 'OPEN') = (stage <> 'CLOSED')),
    CHECK (chargeback_paise <= original_gross_paise)
);
CREATE INDEX chargebacks_status_received_idx ON chargebacks (status, received_at DESC);
CREATE INDEX chargebacks_received_idx ON chargebacks (received_at DESC);
CREATE INDEX chargebacks_stage_status_idx ON chargebacks (stage, status);
CREATE INDEX chargebacks_merchant_idx ON chargebacks (merchant_id, received_at DESC);
CREATE INDEX chargebacks_acquirer_idx ON chargebacks (acquirer, received_at DESC);
CREATE INDEX chargebacks_evidence_due_idx ON chargebacks (evidence_due_at) WHERE status = 'OPEN';
CREATE INDEX chargebacks_txn_ref_idx ON chargebacks (txn_ref);
CREATE INDEX chargebacks_rrn_idx ON chargebacks (rrn);
CREATE INDEX chargebacks_utr_idx ON chargebacks (utr);

CREATE TABLE chargeback_documents (
    id            UUID PRIMARY KEY,
    chargeback_id UUID NOT NULL REFERENCES chargebacks (id),
    kind          TEXT NOT NULL CHECK (kind IN ('NOTICE', 'EVIDENCE', 'DECISION', 'CORRESPONDENCE', 'OTHER')),
    file_name     TEXT NOT NULL,
    content_type  TEXT NOT NULL CHECK (content_type IN ('application/pdf', 'image/png', 'image/jpeg',
                                       'application/vnd.openxmlformats-officedocument.wordprocessingml.document')),
    size_bytes    BIGINT NOT NULL CHECK (size_bytes > 0 AND size_bytes <= 10485760),
    sha256        TEXT NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    storage_key   TEXT NOT NULL UNIQUE,
    uploaded_by   UUID NOT NULL REFERENCES users (id),
    uploaded_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX chargeback_documents_case_idx ON chargeback_documents (chargeback_id, uploaded_at DESC);

CREATE TABLE chargeback_audit (
    id            BIGSERIAL PRIMARY KEY,
    chargeback_id UUID NOT NULL REFERENCES chargebacks (id),
    action        TEXT NOT NULL,
    actor_id      UUID REFERENCES users (id),
    actor_role    TEXT,
    ip            INET,
    before        JSONB,
    after         JSONB,
    occurred_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX chargeback_audit_case_idx ON chargeback_audit (chargeback_id, occurred_at DESC);
CREATE TRIGGER chargeback_audit_no_update_delete
    BEFORE UPDATE OR DELETE ON chargeback_audit
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();

CREATE TABLE chargeback_recovery_actions (
    id               UUID PRIMARY KEY,
    chargeback_id    UUID NOT NULL UNIQUE REFERENCES chargebacks (id),
    merchant_id      TEXT NOT NULL REFERENCES merchants (id),
    kind             TEXT NOT NULL DEFAULT 'SETTLEMENT_DEDUCTION' CHECK (kind IN ('SETTLEMENT_DEDUCTION')),
    amount_paise     BIGINT NOT NULL CHECK (amount_paise > 0),
    applied_paise    BIGINT NOT NULL DEFAULT 0 CHECK (applied_paise >= 0),
    status           TEXT NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'PARTIALLY_APPLIED', 'APPLIED', 'CANCELLED')),
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (applied_paise <= amount_paise)
);
CREATE INDEX chargeback_recovery_pending_idx ON chargeback_recovery_actions (merchant_id) WHERE status IN ('PENDING', 'PARTIALLY_APPLIED');

CREATE TABLE settlement_deductions (
    id                 BIGSERIAL PRIMARY KEY,
    batch_id           UUID NOT NULL REFERENCES settlement_batches (id),
    recovery_action_id UUID REFERENCES chargeback_recovery_actions (id),
    kind               TEXT NOT NULL CHECK (kind IN ('CHARGEBACK', 'REFUND')),
    amount_paise       BIGINT NOT NULL CHECK (amount_paise > 0),
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX settlement_deductions_batch_idx ON settlement_deductions (batch_id);

CREATE TABLE dispute_webhook_events (
    network      TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    event_type   TEXT NOT NULL,
    body_sha256  TEXT NOT NULL CHECK (body_sha256 ~ '^[0-9a-f]{64}$'),
    chargeback_id UUID REFERENCES chargebacks (id),
    received_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (network, event_id)
);
