-- Merchants and their commercial configuration: commission, fee bearer, TDS, reserve, cycle, bank account.

-- Value sets used by several tables, defined once.
CREATE DOMAIN payment_method AS TEXT CHECK (VALUE IN ('UPI', 'CARD', 'NETBANKING', 'WALLET', 'NEFT', 'RTGS', 'IMPS'));
CREATE DOMAIN payout_rail AS TEXT CHECK (VALUE IN ('NEFT', 'RTGS', 'IMPS'));

CREATE TABLE merchants (
    id         TEXT PRIMARY KEY CHECK (id ~ '^[A-Z0-9_]{3,32}$'),
    name       TEXT NOT NULL,
    legal_name TEXT NOT NULL,
    pan        TEXT CHECK (pan IS NULL OR pan ~ '^[A-Z]{5}[0-9]{4}[A-Z]$'),
    gstin      TEXT,
    is_active  BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE merchant_bank_accounts (
    id             UUID PRIMARY KEY,
    merchant_id    TEXT NOT NULL REFERENCES merchants (id),
    holder_name    TEXT NOT NULL,
    account_number TEXT NOT NULL CHECK (account_number ~ '^[0-9]{9,18}$'),
    ifsc           TEXT NOT NULL CHECK (ifsc ~ '^[A-Z]{4}0[A-Z0-9]{6}$'),
    bank_name      TEXT NOT NULL,
    is_primary     BOOLEAN NOT NULL DEFAULT TRUE,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (merchant_id, account_number, ifsc)
);
CREATE UNIQUE INDEX merchant_bank_accounts_one_primary ON merchant_bank_accounts (merchant_id) WHERE is_primary;

CREATE TABLE merchant_settlement_config (
    merchant_id           TEXT PRIMARY KEY REFERENCES merchants (id),
    cycle_days            SMALLINT NOT NULL DEFAULT 1 CHECK (cycle_days BETWEEN 0 AND 30),
    min_settlement_paise  BIGINT NOT NULL DEFAULT 10000 CHECK (min_settlement_paise >= 0),
    preferred_rail        payout_rail NOT NULL DEFAULT 'NEFT',
    gst_rate              NUMERIC(7, 4) NOT NULL DEFAULT 0.18 CHECK (gst_rate >= 0 AND gst_rate < 1),
    tds_enabled           BOOLEAN NOT NULL DEFAULT FALSE,
    tds_rate              NUMERIC(7, 4) NOT NULL DEFAULT 0.001 CHECK (tds_rate >= 0 AND tds_rate < 1),
    reserve_enabled       BOOLEAN NOT NULL DEFAULT FALSE,
    reserve_rate          NUMERIC(7, 4) NOT NULL DEFAULT 0 CHECK (reserve_rate >= 0 AND reserve_rate < 1),
    reserve_hold_days     SMALLINT NOT NULL DEFAULT 0 CHECK (reserve_hold_days >= 0),
    updated_at            TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE merchant_commission_rates (
    id             UUID PRIMARY KEY,
    merchant_id    TEXT NOT NULL REFERENCES merchants (id),
    payment_method payment_method NOT NULL,
    bank_code      TEXT,
    kind           TEXT NOT NULL CHECK (kind IN ('PERCENT', 'FIXED')),
    rate           NUMERIC(9, 6) CHECK (rate IS NULL OR (rate >= 0 AND rate < 1)),
    fixed_paise    BIGINT CHECK (fixed_paise IS NULL OR fixed_paise >= 0),
    effective_from DATE NOT NULL,
    CHECK ((kind = 'PERCENT' AND rate IS NOT NULL AND fixed_paise IS NULL)
        OR (kind = 'FIXED' AND fixed_paise IS NOT NULL AND rate IS NULL))
);
CREATE UNIQUE INDEX merchant_commission_rates_key
    ON merchant_commission_rates (merchant_id, payment_method, coalesce(bank_code, ''), effective_from);

CREATE TABLE merchant_fee_bearers (
    merchant_id    TEXT NOT NULL REFERENCES merchants (id),
    payment_method payment_method NOT NULL,
    bearer         TEXT NOT NULL CHECK (bearer IN ('merchant', 'payer', 'bank')),
    PRIMARY KEY (merchant_id, payment_method)
);

CREATE TABLE holidays (
    holiday_date DATE PRIMARY KEY,
    name         TEXT NOT NULL
);
