-- The settlement desk (issue 12): effective-dated merchant terms, the bank-holiday calendar's data,
-- batch creation runs with their progress, carried-forward amounts, refunds to recover, the batch
-- timeline, payout files and the payout failure reasons.

-- Terms are effective-dated: a change is a new version from its date; batches of cycles before it,
-- and batches already calculated, keep the terms they were made with (a batch stores a snapshot).
-- The rows that existed before this migration are the first version, in force from the start.
ALTER TABLE merchant_settlement_config ADD COLUMN effective_from DATE NOT NULL DEFAULT DATE '2000-01-01';
ALTER TABLE merchant_settlement_config DROP CONSTRAINT merchant_settlement_config_pkey;
ALTER TABLE merchant_settlement_config ADD PRIMARY KEY (merchant_id, effective_from);
ALTER TABLE merchant_settlement_config ADD COLUMN updated_by UUID REFERENCES users (id);

ALTER TABLE merchant_fee_bearers ADD COLUMN effective_from DATE NOT NULL DEFAULT DATE '2000-01-01';
ALTER TABLE merchant_fee_bearers DROP CONSTRAINT merchant_fee_bearers_pkey;
ALTER TABLE merchant_fee_bearers ADD PRIMARY KEY (merchant_id, payment_method, effective_from);

-- Holder names go into the bank's bulk-transfer file: letters, digits and a few marks only.
ALTER TABLE merchant_bank_accounts ADD CONSTRAINT merchant_bank_accounts_holder_name_check
    CHECK (holder_name ~ '^[A-Za-z0-9][A-Za-z0-9 .&''()/-]{1,99}$') NOT VALID;

-- India's bank holidays (RBI, Negotiable Instruments Act, Mumbai) of 2026 and 2027 that fall on a
-- weekday; weekends are skipped by the T+N rule itself. Lunar-calendar dates are as announced and
-- may move by a day when the year's notification is published: correct the row then.
INSERT INTO holidays (holiday_date, name) VALUES
 ('2026-01-26', 'Republic Day'),
 ('2026-03-03', 'Holi'),
 ('2026-03-19', 'Gudi Padwa'),
 ('2026-03-26', 'Ram Navami'),
 ('2026-03-31', 'Mahavir Jayanti'),
 ('2026-04-03', 'Good Friday'),
 ('2026-04-14', 'Dr. Babasaheb Ambedkar Jayanti'),
 ('2026-05-01', 'Maharashtra Day'),
 ('2026-05-27', 'Bakri Id (Id-uz-Zuha)'),
 ('2026-06-26', 'Muharram'),
 ('2026-08-26', 'Id-e-Milad'),
 ('2026-09-14', 'Ganesh Chaturthi'),
 ('2026-10-02', 'Mahatma Gandhi Jayanti'),
 ('2026-10-20', 'Dussehra'),
 ('2026-11-10', 'Diwali (Balipratipada)'),
 ('2026-11-24', 'Guru Nanak Jayanti'),
 ('2026-12-25', 'Christmas'),
 ('2027-01-26', 'Republic Day'),
 ('2027-03-10', 'Ramzan Id (Id-ul-Fitr)'),
 ('2027-03-22', 'Holi'),
 ('2027-03-26', 'Good Friday'),
 ('2027-04-14', 'Dr. Babasaheb Ambedkar Jayanti'),
 ('2027-04-15', 'Ram Navami'),
 ('2027-04-20', 'Mahavir Jayanti'),
 ('2027-05-17', 'Bakri Id (Id-uz-Zuha)'),
 ('2027-06-15', 'Muharram'),
 ('2027-10-29', 'Diwali (Laxmi Pujan)'),
 ('2027-12-24', 'Christmas Eve (bank closing)')
ON CONFLICT DO NOTHING;

-- One "create batches for cycle D" request, run by a job: its progress and what it did.
CREATE TABLE settlement_runs (
    id               UUID PRIMARY KEY,
    job_id           BIGINT UNIQUE REFERENCES jobs (id),
    cycle_date       DATE NOT NULL,
    status           TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'completed', 'failed')),
    requested_by     UUID REFERENCES users (id),
    merchants_total  INTEGER NOT NULL DEFAULT 0 CHECK (merchants_total >= 0),
    merchants_done   INTEGER NOT NULL DEFAULT 0 CHECK (merchants_done >= 0),
    created          INTEGER NOT NULL DEFAULT 0 CHECK (created >= 0),
    skipped          INTEGER NOT NULL DEFAULT 0 CHECK (skipped >= 0),
    carried_forward  INTEGER NOT NULL DEFAULT 0 CHECK (carried_forward >= 0),
    -- Merchants left out of the run and why ("MERCH_001: …"); the run itself completed.
    problems         TEXT[] NOT NULL DEFAULT '{}',
    error            TEXT,
    queued_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    started_at       TIMESTAMPTZ,
    finished_at      TIMESTAMPTZ
);
CREATE INDEX settlement_runs_queued_idx ON settlement_runs (queued_at DESC);

ALTER TABLE settlement_batches ADD COLUMN run_id UUID REFERENCES settlement_runs (id);
-- The business day the payout is due (T+N after the cycle, skipping weekends and holidays).
ALTER TABLE settlement_batches ADD COLUMN payout_due_on DATE;
-- The status a held batch returns to when its hold is released.
ALTER TABLE settlement_batches ADD COLUMN held_from TEXT
    CHECK (held_from IS NULL OR held_from IN ('PENDING_APPROVAL', 'APPROVED'));
-- The terms the batch was calculated with (commission per mode, GST, TDS, reserve, bearer, cycle).
ALTER TABLE settlement_batches ADD COLUMN terms JSONB;
ALTER TABLE settlement_batches ADD CONSTRAINT settlement_batches_held_check
    CHECK ((status = 'ON_HOLD') = (held_from IS NOT NULL)) NOT VALID;
-- The list's default order (newest cycle first), alone and within a status or a merchant.
CREATE INDEX settlement_batches_list_idx ON settlement_batches (cycle_date DESC, batch_ref DESC);
CREATE INDEX settlement_batches_status_list_idx ON settlement_batches (status, cycle_date DESC, batch_ref DESC);
CREATE INDEX settlement_batches_merchant_idx ON settlement_batches (merchant_id, cycle_date DESC, batch_ref DESC);
CREATE INDEX settlement_batches_payout_idx ON settlement_batches (payout_due_on) WHERE status = 'APPROVED';

-- A merchant's cycle whose net was below its minimum settlement amount: no batch that cycle; its
-- transactions join the merchant's next batch, which is recorded here.
CREATE TABLE settlement_carry_forwards (
    merchant_id    TEXT NOT NULL REFERENCES merchants (id),
    cycle_date     DATE NOT NULL,
    txn_count      INTEGER NOT NULL CHECK (txn_count > 0),
    gross_paise    BIGINT NOT NULL CHECK (gross_paise >= 0),
    net_paise      BIGINT NOT NULL,
    min_paise      BIGINT NOT NULL CHECK (min_paise >= 0),
    run_id         UUID REFERENCES settlement_runs (id),
    into_batch_id  UUID REFERENCES settlement_batches (id),
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (merchant_id, cycle_date)
);
CREATE INDEX settlement_carry_forwards_open_idx ON settlement_carry_forwards (merchant_id) WHERE into_batch_id IS NULL;

-- Refunds paid to customers that the merchant owes back: deducted from its next batches.
CREATE TABLE merchant_refunds (
    id             UUID PRIMARY KEY,
    merchant_id    TEXT NOT NULL REFERENCES merchants (id),
    txn_ref        TEXT NOT NULL,
    amount_paise   BIGINT NOT NULL CHECK (amount_paise > 0),
    applied_paise  BIGINT NOT NULL DEFAULT 0 CHECK (applied_paise >= 0),
    status         TEXT NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'PARTIALLY_APPLIED', 'APPLIED')),
    refunded_at    TIMESTAMPTZ NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (applied_paise <= amount_paise),
    CHECK ((status = 'APPLIED') = (applied_paise = amount_paise)),
    CHECK ((status = 'PENDING') = (applied_paise = 0))
);
CREATE INDEX merchant_refunds_pending_idx ON merchant_refunds (merchant_id, refunded_at) WHERE status <> 'APPLIED';

ALTER TABLE settlement_deductions ADD COLUMN refund_id UUID REFERENCES merchant_refunds (id);
ALTER TABLE settlement_deductions ADD CONSTRAINT settlement_deductions_source_check
    CHECK ((kind = 'CHARGEBACK' AND recovery_action_id IS NOT NULL AND refund_id IS NULL)
        OR (kind = 'REFUND' AND refund_id IS NOT NULL AND recovery_action_id IS NULL)) NOT VALID;
CREATE INDEX settlement_deductions_recovery_idx ON settlement_deductions (recovery_action_id) WHERE recovery_action_id IS NOT NULL;

-- What a batch run for cycle D takes (spec 4.3): RECONCILED rupee transactions in no batch — of the
-- cycle itself, and of earlier cycles that have been batched already (a run for the cycle completed,
-- or the merchant has a batch of it): what was carried forward below the minimum, matched late,
-- given back by a rejected batch or left out for a fault in the terms joins the merchant's next
-- batch. Earlier cycles never run are left for their own run. The one copy of that rule.
CREATE FUNCTION settlement_eligible(cycle DATE) RETURNS SETOF transactions LANGUAGE sql STABLE AS $$
    SELECT t.* FROM transactions t
    WHERE t.status = 'RECONCILED' AND t.currency = 'INR' AND t.cycle_date <= cycle
      AND (t.cycle_date = cycle
           OR EXISTS (SELECT 1 FROM settlement_runs r WHERE r.cycle_date = t.cycle_date AND r.status = 'completed')
           OR EXISTS (SELECT 1 FROM settlement_batches b WHERE b.merchant_id = t.merchant_id AND b.cycle_date = t.cycle_date))
      AND NOT EXISTS (SELECT 1 FROM settlement_items si WHERE si.transaction_id = t.id)
$$;
-- The reconciled transactions not yet settled: few at any time, so this index stays small.
CREATE INDEX transactions_reconciled_idx ON transactions (merchant_id, cycle_date) WHERE status = 'RECONCILED';
-- Payout UTRs are matched to statement lines whatever the case the bank wrote them in.
CREATE INDEX bank_lines_utr_upper_idx ON bank_statement_lines (upper(utr)) WHERE utr IS NOT NULL;

-- The batch timeline: every step and who took it.
CREATE TABLE settlement_batch_events (
    id         BIGSERIAL PRIMARY KEY,
    batch_id   UUID NOT NULL REFERENCES settlement_batches (id),
    event      TEXT NOT NULL CHECK (event IN ('CALCULATED', 'SUBMITTED', 'AUTO_APPROVED', 'APPROVED', 'REJECTED',
                                              'ON_HOLD', 'HOLD_RELEASED', 'SENT', 'PAID', 'FAILED', 'REQUEUED',
                                              'VERIFIED', 'AMOUNT_MISMATCH', 'NO_BANK_ACCOUNT', 'ACCOUNT_CHANGED')),
    actor_id   UUID REFERENCES users (id),
    note       TEXT,
    at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX settlement_batch_events_batch_idx ON settlement_batch_events (batch_id, at, id);

-- A bank bulk-transfer file: who made it, when, its bytes' SHA-256 and the batches in it.
CREATE TABLE payout_files (
    id            UUID PRIMARY KEY,
    payout_date   DATE NOT NULL,
    file_name     TEXT NOT NULL,
    storage_key   TEXT NOT NULL,
    sha256        TEXT NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    batch_count   INTEGER NOT NULL CHECK (batch_count > 0),
    total_paise   BIGINT NOT NULL CHECK (total_paise > 0),
    generated_by  UUID REFERENCES users (id),
    generated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX payout_files_date_idx ON payout_files (payout_date DESC, generated_at DESC);

ALTER TABLE settlement_transfers ADD COLUMN payout_file_id UUID REFERENCES payout_files (id);
ALTER TABLE settlement_transfers ADD COLUMN failure_code TEXT
    CHECK (failure_code IS NULL OR failure_code IN ('ACCOUNT_CLOSED', 'INVALID_IFSC', 'NAME_MISMATCH', 'BANK_TIMEOUT', 'OTHER'));
ALTER TABLE settlement_transfers ADD COLUMN verified_at TIMESTAMPTZ;
CREATE INDEX settlement_transfers_file_idx ON settlement_transfers (payout_file_id) WHERE payout_file_id IS NOT NULL;
-- One live attempt per batch: a new transfer only after the last one failed.
CREATE UNIQUE INDEX settlement_transfers_live_key ON settlement_transfers (batch_id) WHERE status IN ('INITIATED', 'SENT', 'PAID');
