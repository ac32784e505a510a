-- The exception catalogue, SLA settings, exception records, their action log, comments and saved views.

CREATE DOMAIN severity AS TEXT CHECK (VALUE IN ('LOW', 'MEDIUM', 'HIGH', 'CRITICAL'));

CREATE TABLE exception_types (
    code             TEXT PRIMARY KEY,
    label            TEXT NOT NULL,
    description      TEXT NOT NULL,
    default_severity severity NOT NULL,
    sla_hours        INTEGER NOT NULL CHECK (sla_hours > 0),
    resolution_hint  TEXT NOT NULL,
    -- The 11 types of the old system's V1 catalogue; extensions (FEES_VARIANCE) are listed apart.
    is_v1            BOOLEAN NOT NULL,
    sort_order       SMALLINT NOT NULL UNIQUE
);

INSERT INTO exception_types (code, label, description, default_severity, sla_hours, resolution_hint, is_v1, sort_order) VALUES
 ('BANK_FILE_MISSING', 'Bank file missing', 'No bank statement lines exist for the cycle date', 'CRITICAL', 2, 'Fetch the bank statement for the cycle (connector run or upload) and re-run reconciliation', TRUE, 1),
 ('UTR_MISSING_OR_INVALID', 'UTR missing or invalid', 'The PG transaction carries no usable UTR', 'CRITICAL', 4, 'Ask the gateway for the UTR, correct the transaction and re-run', TRUE, 2),
 ('DUPLICATE_PG_ENTRY', 'Duplicate PG entry', 'The same UTR appears on more than one PG transaction', 'CRITICAL', 2, 'Identify the genuine transaction; mark the others as duplicates', TRUE, 3),
 ('DUPLICATE_BANK_ENTRY', 'Duplicate bank entry', 'The same UTR appears on more than one bank credit line', 'CRITICAL', 2, 'Confirm with the bank whether the credit was posted twice', TRUE, 4),
 ('DATE_OUT_OF_WINDOW', 'Date out of window', 'Credited more than the allowed number of days from the PG date', 'HIGH', 8, 'Verify the value date with the bank; match manually if the credit is genuine', TRUE, 5),
 ('UTR_MISMATCH', 'UTR mismatch', 'The PG RRN equals a bank UTR (UTR recorded wrongly)', 'HIGH', 6, 'Correct the UTR on the PG record and match manually', TRUE, 6),
 ('AMOUNT_MISMATCH', 'Amount mismatch', 'PG and bank amounts differ beyond tolerance', 'HIGH', 4, 'Check for partial credit, fees or a wrong amount; adjust or raise with the bank', TRUE, 7),
 ('FEE_MISMATCH', 'Fee mismatch', 'PG and bank amounts differ by between ₹2 and ₹5', 'MEDIUM', 12, 'Check the bank charges for the transaction; book an accounting adjustment', TRUE, 8),
 ('ROUNDING_ERROR', 'Rounding error', 'PG and bank amounts differ by one paisa', 'MEDIUM', 12, 'Book a rounding adjustment', TRUE, 9),
 ('PG_TXN_MISSING_IN_BANK', 'PG transaction missing in bank', 'The PG transaction has no bank credit', 'HIGH', 8, 'Check later statements; chase the bank if the credit is overdue', TRUE, 10),
 ('BANK_TXN_MISSING_IN_PG', 'Bank credit missing in PG', 'A bank credit has no PG transaction', 'HIGH', 8, 'Find the PG transaction (other cycle, other merchant) or flag as unknown credit', TRUE, 11),
 ('FEES_VARIANCE', 'Fees variance', 'The bank fee or expected settlement amount is inconsistent with the credit', 'HIGH', 6, 'Recompute the fee with the bank''s charge schedule and book the difference', FALSE, 12);

CREATE TABLE sla_settings (
    reason_code TEXT NOT NULL REFERENCES exception_types (code),
    severity    severity NOT NULL,
    sla_hours   INTEGER NOT NULL CHECK (sla_hours > 0),
    updated_by  UUID REFERENCES users (id),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (reason_code, severity)
);
-- Defaults: the type's SLA at its own severity, halved (at least 1 h) when raised to CRITICAL.
INSERT INTO sla_settings (reason_code, severity, sla_hours)
SELECT t.code, s.severity,
       CASE WHEN s.severity = 'CRITICAL' AND t.default_severity <> 'CRITICAL' THEN greatest(1, t.sla_hours / 2)
            ELSE t.sla_hours END
FROM exception_types t
CROSS JOIN (VALUES ('LOW'), ('MEDIUM'), ('HIGH'), ('CRITICAL')) AS s (severity);

CREATE SEQUENCE exception_number_seq;

CREATE TABLE exceptions (
    id                TEXT PRIMARY KEY CHECK (id ~ '^EXC-[0-9]{8}-[0-9]{6,}$'),
    run_id            UUID REFERENCES recon_runs (id),
    reason_code       TEXT NOT NULL REFERENCES exception_types (code),
    severity          severity NOT NULL,
    status            TEXT NOT NULL DEFAULT 'open'
                      CHECK (status IN ('open', 'investigating', 'snoozed', 'escalated', 'resolved', 'wont_fix')),
    assignee_id       UUID REFERENCES users (id),
    tags              TEXT[] NOT NULL DEFAULT '{}',
    sla_due_at        TIMESTAMPTZ NOT NULL,
    snoozed_until     TIMESTAMPTZ,
    pg_amount_paise   BIGINT CHECK (pg_amount_paise IS NULL OR pg_amount_paise >= 0),
    bank_amount_paise BIGINT CHECK (bank_amount_paise IS NULL OR bank_amount_paise >= 0),
    delta_paise       BIGINT,
    merchant_id       TEXT REFERENCES merchants (id),
    acquirer          TEXT,
    cycle_date        DATE NOT NULL,
    utr               TEXT,
    transaction_id    BIGINT REFERENCES transactions (id),
    bank_line_id      BIGINT REFERENCES bank_statement_lines (id),
    resolution        TEXT CHECK (resolution IN ('MANUAL_MATCH', 'AUTO_MATCHED', 'ACCOUNTING_ADJUSTMENT', 'WRITE_OFF', 'DUPLICATE', 'FALSE_POSITIVE', 'WONT_FIX')),
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    resolved_at       TIMESTAMPTZ,
    CHECK (transaction_id IS NOT NULL OR bank_line_id IS NOT NULL),
    CHECK ((status IN ('resolved', 'wont_fix')) = (resolved_at IS NOT NULL)),
    CHECK (status <> 'snoozed' OR snoozed_until IS NOT NULL)
);
-- One live exception per PG row and per bank line: re-runs update it instead of duplicating it.
CREATE UNIQUE INDEX exceptions_one_per_pg_row ON exceptions (transaction_id) WHERE transaction_id IS NOT NULL;
CREATE UNIQUE INDEX exceptions_one_per_bank_line ON exceptions (bank_line_id) WHERE transaction_id IS NULL;
CREATE INDEX exceptions_queue_idx ON exceptions (status, sla_due_at);
CREATE INDEX exceptions_cycle_idx ON exceptions (cycle_date, status);
CREATE INDEX exceptions_reason_idx ON exceptions (reason_code, status);
CREATE INDEX exceptions_assignee_idx ON exceptions (assignee_id, status);
CREATE INDEX exceptions_merchant_idx ON exceptions (merchant_id, status);
CREATE INDEX exceptions_created_idx ON exceptions (created_at DESC);

CREATE TABLE exception_actions (
    id           BIGSERIAL PRIMARY KEY,
    exception_id TEXT NOT NULL REFERENCES exceptions (id),
    action       TEXT NOT NULL,
    actor_id     UUID REFERENCES users (id),
    acted_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    before       JSONB,
    after        JSONB,
    note         TEXT
);
CREATE INDEX exception_actions_exception_idx ON exception_actions (exception_id, acted_at DESC);

CREATE TABLE exception_comments (
    id           BIGSERIAL PRIMARY KEY,
    exception_id TEXT NOT NULL REFERENCES exceptions (id),
    author_id    UUID NOT NULL REFERENCES users (id),
    body         TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 5000),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX exception_comments_exception_idx ON exception_comments (exception_id, created_at);

CREATE TABLE saved_views (
    id         UUID PRIMARY KEY,
    page       TEXT NOT NULL DEFAULT 'exceptions',
    name       TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    owner_id   UUID REFERENCES users (id) ON DELETE CASCADE,
    is_shared  BOOLEAN NOT NULL DEFAULT FALSE,
    filters    JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (owner_id IS NOT NULL OR is_shared)
);
CREATE UNIQUE INDEX saved_views_name_key ON saved_views (page, coalesce(owner_id, '00000000-0000-0000-0000-000000000000'::uuid), name);

INSERT INTO saved_views (id, page, name, owner_id, is_shared, filters) VALUES
 ('6a1f0c1e-0000-4000-8000-000000000001', 'exceptions', 'My open exceptions', NULL, TRUE, '{"assignee": "me", "status": ["open", "investigating"]}'),
 ('6a1f0c1e-0000-4000-8000-000000000002', 'exceptions', 'SLA breached', NULL, TRUE, '{"slaBreached": true}'),
 ('6a1f0c1e-0000-4000-8000-000000000003', 'exceptions', 'Critical & high', NULL, TRUE, '{"severity": ["CRITICAL", "HIGH"]}'),
 ('6a1f0c1e-0000-4000-8000-000000000004', 'exceptions', 'Amount mismatches', NULL, TRUE, '{"reason": ["AMOUNT_MISMATCH"]}');
