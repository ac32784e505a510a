-- Bench data for Overview, Analytics and the transaction explorer at scale (issue 13): a 90-day
-- history ending yesterday (IST) on a migrated database, beside the demo data if it is there.
--
--   psql "$URL" -v ON_ERROR_STOP=1 -v n=10000000 -v days=90 -v merchants=1000 [-v chargebacks=400] \
--        -f benchmarks/analytics-data.sql
--
-- What it writes (all set-based, one statement per table; the demo's rows are left alone except
-- that its recon runs of the same cycles are marked superseded by the bench runs, as a re-run does):
--   merchants MA000001…, one primary bank account, settlement terms, commission rates (CARD payer-borne
--     for every 6th merchant), as benchmarks/settlements.sh fills them;
--   transactions: :n over the :days cycle dates (the same number per day, in cycle order), merchants
--     skewed (merchant k has a share of about √(k/M) − √((k−1)/M)), UPI 55 % / CARD 25 % /
--     NETBANKING 12 % / WALLET 8 %, HDFC 30 % / ICICI 25 % / AXIS 20 % / SBI 15 % / KOTAK 10 %,
--     amounts ₹100–₹5,000 for 80 % (log-uniform), up to ₹10,00,000 for the rest; 3 % EXCEPTION,
--     PENDING 25 % yesterday, 10 % the day before, 1.5 % before that, the rest RECONCILED;
--   recon_runs: one completed run per cycle (source 'demo') counting the cycle's transactions;
--   exceptions: one per EXCEPTION transaction (status by age, closed ones with non-reconciling
--     resolutions, since resolving with a match would have reconciled the transaction) and, for 1 % of
--     the RECONCILED transactions of batched cycles, a resolved one (MANUAL_MATCH, AUTO_MATCHED,
--     ACCOUNTING_ADJUSTMENT) closed before the batch run;
--   settlement_batches: one per merchant and cycle up to 3 days back, mostly PAID, recent ones in
--     the approval pipeline, a few FAILED / REJECTED / ON_HOLD; totals are the sums of the items
--     (a REJECTED batch keeps the totals it was calculated with and holds no items, as a reject
--     leaves it; its transactions are in settlement_backlog);
--   settlement_items: every RECONCILED transaction of a batched cycle in its batch;
--   chargebacks: :chargebacks cases on CARD / UPI / WALLET transactions, about a third OPEN.
-- Pseudo-random draws come from random() after setseed(): the same arguments on the same day give
-- the same data. Inserts are ordered transactions → batches (final status) → items, so the daily
-- rollup triggers see each row once.
\set ON_ERROR_STOP on
\if :{?n}
\else
\set n 10000000
\endif
\if :{?days}
\else
\set days 90
\endif
\if :{?merchants}
\else
\set merchants 1000
\endif
\if :{?chargebacks}
\else
\set chargebacks 400
\endif
\timing on
SET client_min_messages = warning;
SET work_mem = '256MB';
SET maintenance_work_mem = '512MB';

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM merchants WHERE id = 'MA000001') THEN
        RAISE EXCEPTION 'bench data (merchant MA000001) is already loaded: use a fresh database';
    END IF;
END $$;

SELECT setseed(0.2026) \gset
-- The IST calendar day, the demo users (NULL when the database has none) and where the new
-- transaction ids start.
SELECT (now() AT TIME ZONE 'Asia/Kolkata')::date AS today,
       coalesce((SELECT id::text FROM users WHERE email = 'finance@settlepaisa.test'), '') AS maker,
       coalesce((SELECT id::text FROM users WHERE email = 'finance2@settlepaisa.test'), '') AS checker,
       coalesce((SELECT id::text FROM users WHERE email = 'ops@settlepaisa.test'), '') AS ops,
       (SELECT coalesce(max(id), 0) FROM transactions) AS first_id \gset
\echo bench data: :n transactions over :days cycles up to :today (exclusive), :merchants merchants

\echo merchants, bank accounts, terms
INSERT INTO merchants (id, name, legal_name, pan, created_at)
SELECT 'MA' || lpad(g::text, 6, '0'), 'Analytics merchant ' || g, 'Analytics Merchant ' || g || ' Pvt Ltd',
       CASE WHEN g % 10 = 0 THEN NULL ELSE 'ABCDE' || lpad((g % 10000)::text, 4, '0') || 'F' END,
       now() - interval '400 days'
FROM generate_series(1, :merchants) g;
INSERT INTO merchant_bank_accounts (id, merchant_id, holder_name, account_number, ifsc, bank_name)
SELECT gen_random_uuid(), 'MA' || lpad(g::text, 6, '0'), 'Analytics Merchant ' || g || ' Pvt Ltd',
       '5020' || lpad(g::text, 10, '0'),
       (ARRAY['HDFC','ICIC','UTIB','SBIN','KKBK'])[1 + g % 5] || '0' || lpad((g % 1000000)::text, 6, '0'),
       (ARRAY['HDFC Bank','ICICI Bank','Axis Bank','State Bank of India','Kotak Mahindra Bank'])[1 + g % 5]
FROM generate_series(1, :merchants) g;
INSERT INTO merchant_settlement_config (merchant_id, preferred_rail, tds_enabled, reserve_enabled, reserve_rate, reserve_hold_days)
SELECT 'MA' || lpad(g::text, 6, '0'), (ARRAY['NEFT','IMPS','RTGS'])[1 + g % 3], g % 4 = 0, g % 5 = 0, 0.05, 7
FROM generate_series(1, :merchants) g;
INSERT INTO merchant_commission_rates (id, merchant_id, payment_method, kind, rate, fixed_paise, effective_from)
SELECT gen_random_uuid(), 'MA' || lpad(g::text, 6, '0'), m,
       CASE WHEN m = 'UPI' AND g % 7 = 0 THEN 'FIXED' ELSE 'PERCENT' END,
       CASE WHEN m = 'UPI' AND g % 7 = 0 THEN NULL ELSE 0.012 + (g % 9) * 0.001 END,
       CASE WHEN m = 'UPI' AND g % 7 = 0 THEN 300 END, :'today'::date - 400
FROM generate_series(1, :merchants) g CROSS JOIN unnest(ARRAY['UPI','CARD','NETBANKING','WALLET']) m;
INSERT INTO merchant_fee_bearers (merchant_id, payment_method, bearer)
SELECT 'MA' || lpad(g::text, 6, '0'), 'CARD', 'payer' FROM generate_series(1, :merchants) g WHERE g % 6 = 0;

-- Each bench merchant's terms per method, for the items below (session-local).
CREATE TEMP TABLE bench_terms AS
SELECT r.merchant_id, r.payment_method::text AS payment_method, r.kind, r.rate, r.fixed_paise, c.gst_rate,
       CASE WHEN c.tds_enabled THEN c.tds_rate ELSE 0 END AS tds_rate,
       CASE WHEN c.reserve_enabled THEN c.reserve_rate ELSE 0 END AS reserve_rate,
       fb.bearer IS NOT NULL AS payer_bears
FROM merchant_commission_rates r
JOIN merchant_settlement_config c ON c.merchant_id = r.merchant_id
LEFT JOIN merchant_fee_bearers fb ON fb.merchant_id = r.merchant_id AND fb.payment_method = r.payment_method
WHERE r.merchant_id LIKE 'MA%';
ALTER TABLE bench_terms ADD PRIMARY KEY (merchant_id, payment_method);
ANALYZE bench_terms;

\echo transactions
-- Building the secondary indexes once after the load is about twice as fast as maintaining them
-- row by row (measured at 1,000,000 rows: 17 s against 30 s); in one transaction, so a failed load
-- leaves the schema as it was. The indexes that back constraints (primary key, txn_id) stay.
BEGIN;
CREATE TEMP TABLE bench_txn_indexes AS
SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def
FROM pg_index i
WHERE i.indrelid = 'transactions'::regclass
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid);
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT name FROM bench_txn_indexes LOOP EXECUTE 'DROP INDEX ' || r.name; END LOOP;
END $$;
-- Ids, txn_ids, UTRs and RRNs rise with the cycle (as a live feed writes them).
INSERT INTO transactions (txn_id, merchant_id, amount_paise, txn_at, cycle_date, payment_method, acquirer, utr, rrn,
                          status, created_at, updated_at)
SELECT 'TXN' || to_char(s.cycle, 'YYYYMMDD') || lpad(s.g::text, 8, '0'),
       'MA' || lpad((1 + floor(:merchants * s.r_m * s.r_m))::int::text, 6, '0'),
       s.amount,
       s.at,
       s.cycle,
       CASE WHEN s.r_x < 0.55 THEN 'UPI' WHEN s.r_x < 0.80 THEN 'CARD' WHEN s.r_x < 0.92 THEN 'NETBANKING' ELSE 'WALLET' END,
       CASE WHEN s.r_q < 0.30 THEN 'HDFC' WHEN s.r_q < 0.55 THEN 'ICICI' WHEN s.r_q < 0.75 THEN 'AXIS'
            WHEN s.r_q < 0.90 THEN 'SBI' ELSE 'KOTAK' END,
       CASE WHEN s.r_u < 0.97 THEN 'UTR' || to_char(s.cycle, 'YYMMDD') || lpad(s.g::text, 9, '0') END,
       CASE WHEN s.r_u < 0.92 THEN to_char(s.cycle, 'YDDD') || lpad((s.g % 100000000)::text, 8, '0') END,
       CASE WHEN s.r_s < 0.03 THEN 'EXCEPTION'
            WHEN s.r_s < 0.03 + CASE :'today'::date - s.cycle WHEN 1 THEN 0.25 WHEN 2 THEN 0.10 ELSE 0.015 END THEN 'PENDING'
            ELSE 'RECONCILED' END,
       s.at, s.at
FROM (SELECT g, cycle, r_m, r_x, r_q, r_u, r_s,
             CASE WHEN r_a < 0.80 THEN round(10000 * exp(r_b * ln(50)))        -- ₹100 – ₹5,000
                  WHEN r_a < 0.95 THEN round(500000 * exp(r_b * ln(10)))       -- ₹5,000 – ₹50,000
                  WHEN r_a < 0.99 THEN round(5000000 * exp(r_b * ln(4)))       -- ₹50,000 – ₹2,00,000
                  ELSE round(20000000 * exp(r_b * ln(5))) END::bigint AS amount -- ₹2,00,000 – ₹10,00,000
             , ((cycle + CASE WHEN r_t < 0.9 THEN 21600 + (r_t / 0.9) * 64799 ELSE ((r_t - 0.9) / 0.1) * 21599 END
                         * interval '1 second') AT TIME ZONE 'Asia/Kolkata') AS at   -- 90 % between 06:00 and 24:00
      FROM (SELECT g, :'today'::date - :days + ((g - 1) * :days / :n)::int AS cycle,
                   random() AS r_m, random() AS r_a, random() AS r_b, random() AS r_x, random() AS r_q,
                   random() AS r_u, random() AS r_s, random() AS r_t
            FROM generate_series(1::bigint, :n) g
            OFFSET 0) r
      OFFSET 0) s;
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT def FROM bench_txn_indexes LOOP EXECUTE r.def; END LOOP;
END $$;
COMMIT;
VACUUM ANALYZE transactions;

\echo recon runs
-- One completed run per cycle, the morning after, counting every transaction of the cycle;
-- earlier completed runs of the same cycles (the demo's) are superseded by it, as a re-run does.
INSERT INTO recon_runs (id, cycle_date, source, started_by, status, stage, progress_pct, pg_rows, bank_rows, matched,
                        exceptions, unmatched_pg, unmatched_bank, matched_paise, exceptions_paise, unmatched_pg_paise,
                        unmatched_bank_paise, queued_at, started_at, finished_at)
SELECT md5('bench recon run ' || a.cycle_date)::uuid, a.cycle_date, 'demo', nullif(:'ops', '')::uuid, 'completed',
       'persist', 100, a.n, a.n - a.pending + a.n / 400, a.matched, a.exceptions, a.pending, a.n / 400,
       a.matched_paise, a.exceptions_paise, a.pending_paise, a.paise / 400,
       q.at, q.at, q.at + interval '20 seconds' + a.n / 15000.0 * interval '1 second'
FROM (SELECT cycle_date, count(*)::int AS n,
             (count(*) FILTER (WHERE status = 'RECONCILED'))::int AS matched,
             (count(*) FILTER (WHERE status = 'EXCEPTION'))::int AS exceptions,
             (count(*) FILTER (WHERE status = 'PENDING'))::int AS pending,
             coalesce(sum(amount_paise) FILTER (WHERE status = 'RECONCILED'), 0)::bigint AS matched_paise,
             coalesce(sum(amount_paise) FILTER (WHERE status = 'EXCEPTION'), 0)::bigint AS exceptions_paise,
             coalesce(sum(amount_paise) FILTER (WHERE status = 'PENDING'), 0)::bigint AS pending_paise,
             sum(amount_paise)::bigint AS paise
      FROM transactions
      WHERE cycle_date BETWEEN :'today'::date - :days AND :'today'::date - 1
      GROUP BY cycle_date) a
CROSS JOIN LATERAL (
    SELECT least(now() - interval '30 minutes',
                 greatest(((a.cycle_date + 1) + time '06:00') AT TIME ZONE 'Asia/Kolkata',
                          (SELECT max(coalesce(finished_at, queued_at)) + interval '1 minute' FROM recon_runs r
                           WHERE r.cycle_date = a.cycle_date))) AS at) q;
UPDATE recon_runs r SET superseded_by = b.id
FROM recon_runs b
WHERE b.cycle_date BETWEEN :'today'::date - :days AND :'today'::date - 1
  AND b.id = md5('bench recon run ' || b.cycle_date)::uuid
  AND r.cycle_date = b.cycle_date AND r.id <> b.id AND r.status = 'completed' AND r.superseded_by IS NULL;

\echo exceptions
-- Status by the cycle's age (cumulative shares of open, investigating, snoozed, escalated,
-- resolved, the rest wont_fix): ≤ 2 days, 3–7, 8–30, older. Created the morning after the cycle by
-- its run, so the open ones age from hours to months. Amount deltas follow the reason. Numbers of
-- nine digits (`lpad` to six would cut a seventh digit off and repeat ids past 999,999).
INSERT INTO exceptions (id, run_id, reason_code, severity, status, assignee_id, sla_due_at, snoozed_until,
                        pg_amount_paise, bank_amount_paise, delta_paise, merchant_id, acquirer, cycle_date, utr,
                        transaction_id, resolution, created_at, updated_at, resolved_at)
SELECT 'EXC-' || to_char(x.cycle_date, 'YYYYMMDD') || '-' || to_char(nextval('exception_number_seq'), 'FM000000000'),
       md5('bench recon run ' || x.cycle_date)::uuid, x.reason, x.severity, x.status,
       CASE WHEN x.status <> 'open' THEN nullif(:'ops', '')::uuid END,
       x.created_at + sla.sla_hours * interval '1 hour',
       CASE WHEN x.status = 'snoozed' THEN now() + (1 + x.r6 * 71) * interval '1 hour' END,
       x.amount_paise,
       CASE WHEN x.reason IN ('PG_TXN_MISSING_IN_BANK', 'BANK_FILE_MISSING') THEN NULL ELSE x.amount_paise - x.delta END,
       CASE WHEN x.reason IN ('PG_TXN_MISSING_IN_BANK', 'BANK_FILE_MISSING') THEN NULL ELSE x.delta END,
       x.merchant_id, x.acquirer, x.cycle_date, x.utr, x.id, x.resolution, x.created_at,
       coalesce(x.resolved_at, greatest(x.created_at, least(now(), x.created_at + x.r6 * interval '24 hours'))),
       x.resolved_at
FROM (
    SELECT y.*,
           CASE WHEN y.status NOT IN ('resolved', 'wont_fix') THEN NULL
                WHEN y.reconciled THEN y.created_at + (15 + y.r6 * 45) * interval '1 minute'
                ELSE greatest(y.created_at, least(now() - interval '1 minute',
                              y.created_at + interval '30 minutes' + y.r6 * least(y.age, 10) * interval '1 day'))
           END AS resolved_at,
           CASE WHEN y.status = 'wont_fix' THEN 'WONT_FIX'
                WHEN y.status <> 'resolved' THEN NULL
                WHEN y.reconciled THEN (ARRAY['MANUAL_MATCH','AUTO_MATCHED','ACCOUNTING_ADJUSTMENT'])[width_bucket(y.r4, ARRAY[0, 0.5, 0.8])]
                ELSE (ARRAY['WRITE_OFF','DUPLICATE','FALSE_POSITIVE'])[width_bucket(y.r4, ARRAY[0, 0.3, 0.6])]
           END AS resolution,
           CASE y.reason
               WHEN 'AMOUNT_MISMATCH' THEN greatest(600, round(y.amount_paise * 0.02 * y.r5)::bigint) * (CASE WHEN y.r4 < 0.5 THEN 1 ELSE -1 END)
               WHEN 'FEE_MISMATCH' THEN 200 + floor(y.r5 * 301)::bigint
               WHEN 'ROUNDING_ERROR' THEN CASE WHEN y.r5 < 0.5 THEN 1 ELSE -1 END
               WHEN 'FEES_VARIANCE' THEN 100 + floor(y.r5 * 1900)::bigint
               ELSE 0 END AS delta,
           CASE WHEN y.r3 < 0.08 THEN 'CRITICAL' ELSE et.default_severity END AS severity
    FROM (
        SELECT w.*,
               CASE WHEN w.reconciled
                    THEN (ARRAY['AMOUNT_MISMATCH','FEE_MISMATCH','ROUNDING_ERROR','DATE_OUT_OF_WINDOW','UTR_MISMATCH'])
                         [width_bucket(w.r1, ARRAY[0, 0.35, 0.6, 0.75, 0.9])]
                    ELSE (ARRAY['PG_TXN_MISSING_IN_BANK','AMOUNT_MISMATCH','FEE_MISMATCH','ROUNDING_ERROR',
                                'UTR_MISSING_OR_INVALID','DATE_OUT_OF_WINDOW','UTR_MISMATCH','FEES_VARIANCE',
                                'DUPLICATE_PG_ENTRY','DUPLICATE_BANK_ENTRY','BANK_FILE_MISSING'])
                         [width_bucket(w.r1, ARRAY[0, 0.30, 0.45, 0.57, 0.65, 0.73, 0.81, 0.87, 0.92, 0.96, 0.98])]
               END AS reason,
               CASE WHEN w.reconciled THEN 'resolved'
                    ELSE (ARRAY['open','investigating','snoozed','escalated','resolved','wont_fix'])[width_bucket(w.r2,
                          CASE WHEN w.age <= 2 THEN ARRAY[0, 0.60, 0.80, 0.85, 0.90, 0.97]
                               WHEN w.age <= 7 THEN ARRAY[0, 0.30, 0.48, 0.53, 0.63, 0.92]
                               WHEN w.age <= 30 THEN ARRAY[0, 0.10, 0.16, 0.18, 0.23, 0.88]
                               ELSE ARRAY[0, 0.03, 0.05, 0.06, 0.08, 0.90] END)]
               END AS status,
               CASE WHEN w.reconciled
                    THEN ((w.cycle_date + 1) + time '06:00') AT TIME ZONE 'Asia/Kolkata' + w.r5 * interval '30 minutes'
                    ELSE least(now() - w.r6 * interval '10 minutes',
                               ((w.cycle_date + 1) + time '06:00') AT TIME ZONE 'Asia/Kolkata' + w.r5 * interval '3 hours')
               END AS created_at
        FROM (SELECT t.id, t.cycle_date, t.amount_paise, t.merchant_id, t.acquirer, t.utr,
                     t.status = 'RECONCILED' AS reconciled, :'today'::date - t.cycle_date AS age,
                     random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5, random() AS r6
              FROM transactions t
              WHERE t.id > :first_id AND t.merchant_id LIKE 'MA%'
                AND (t.status = 'EXCEPTION'
                     OR (t.status = 'RECONCILED' AND t.cycle_date <= :'today'::date - 3 AND random() < 0.01))
              OFFSET 0) w
    ) y
    JOIN exception_types et ON et.code = y.reason
) x
JOIN sla_settings sla ON sla.reason_code = x.reason AND sla.severity = x.severity;
UPDATE recon_runs r SET by_reason = b.by_reason
FROM (SELECT run_id, jsonb_object_agg(reason_code, n) AS by_reason
      FROM (SELECT run_id, reason_code, count(*) AS n FROM exceptions
            WHERE cycle_date BETWEEN :'today'::date - :days AND :'today'::date - 1
              AND run_id = md5('bench recon run ' || cycle_date)::uuid
            GROUP BY 1, 2) c
      GROUP BY run_id) b
WHERE r.id = b.run_id;

\echo settlement batches
-- Each RECONCILED transaction of a batched cycle as its settlement item would be (session-local).
CREATE TEMP VIEW bench_items AS
SELECT t.id AS transaction_id, t.merchant_id, t.cycle_date, t.amount_paise, f.commission, f.gst, f.tds, f.reserve,
       CASE WHEN k.payer_bears THEN t.amount_paise - f.tds - f.reserve
            ELSE t.amount_paise - f.commission - f.gst - f.tds - f.reserve END AS net,
       CASE WHEN k.payer_bears THEN f.commission + f.gst ELSE 0 END AS not_deducted,
       CASE WHEN k.payer_bears THEN 'payer' ELSE 'merchant' END AS fee_bearer
FROM transactions t
JOIN bench_terms k ON k.merchant_id = t.merchant_id AND k.payment_method = t.payment_method::text
CROSS JOIN LATERAL (
    SELECT c.commission, round(c.commission * k.gst_rate)::bigint AS gst,
           round(t.amount_paise * k.tds_rate)::bigint AS tds, round(t.amount_paise * k.reserve_rate)::bigint AS reserve
    FROM (SELECT CASE WHEN k.kind = 'FIXED' THEN least(k.fixed_paise, t.amount_paise)
                      ELSE round(t.amount_paise * k.rate)::bigint END AS commission) c
) f
WHERE t.id > :first_id AND t.status = 'RECONCILED'
  AND t.cycle_date BETWEEN :'today'::date - :days AND :'today'::date - 3;

-- Status by the cycle's age (cumulative shares of CALCULATED, PENDING_APPROVAL, APPROVED, SENT,
-- PAID, FAILED, REJECTED, the rest ON_HOLD). Created 07:30–08:00 IST the day after the cycle, by
-- finance@; approved within two hours (by finance2@ above ₹1,00,000, else automatically), sent 15
-- minutes later, paid 1–3 days after the cycle. Ids are time-ordered (UUIDv7 layout).
INSERT INTO settlement_batches (id, batch_ref, merchant_id, cycle_date, status, txn_count, gross_paise, commission_paise,
                                gst_paise, tds_paise, reserve_paise, deductions_paise, reserve_released_paise,
                                fees_not_deducted_paise, net_paise, rail, bank_account_id, created_by, created_at,
                                approved_by, approved_at, sent_at, paid_at, payout_utr, failure_reason, held_from,
                                payout_due_on)
SELECT (lpad(to_hex((extract(epoch FROM s.created_at) * 1000)::bigint), 12, '0') || '7' || substr(s.h, 1, 3)
        || (ARRAY['8','9','a','b'])[1 + floor(s.r4 * 4)::int] || substr(s.h, 4, 15))::uuid,
       'STL-' || to_char(s.cycle_date, 'YYYYMMDD') || '-' || s.merchant_id, s.merchant_id, s.cycle_date, s.status,
       s.n, s.gross, s.commission, s.gst, s.tds, s.reserve, 0, 0, s.not_deducted, s.net, c.preferred_rail, ba.id,
       nullif(:'maker', '')::uuid, s.created_at,
       CASE WHEN s.approved AND s.net > 10000000 THEN nullif(:'checker', '')::uuid END,
       CASE WHEN s.approved THEN s.created_at + (20 + s.r3 * 100) * interval '1 minute' END,
       CASE WHEN s.status IN ('SENT', 'PAID', 'FAILED') THEN s.created_at + (35 + s.r3 * 100) * interval '1 minute' END,
       CASE WHEN s.status = 'PAID'
            THEN ((s.cycle_date + least(1 + floor(s.r4 * 3)::int, s.age - 1)) + time '11:00') AT TIME ZONE 'Asia/Kolkata'
                 + s.r5 * interval '7 hours' END,
       CASE WHEN s.status = 'PAID'
            THEN (ARRAY['HDFCN','ICICN','UTIBN','SBINN','KKBKN'])[1 + substr(s.merchant_id, 3)::int % 5]
                 || to_char(s.cycle_date, 'YYYYMMDD') || substr(s.merchant_id, 3) END,
       CASE WHEN s.status = 'FAILED'
            THEN (ARRAY['Beneficiary account closed','Invalid IFSC','Bank timeout','NPCI switch down','Account frozen'])
                 [1 + floor(s.r5 * 5)::int] END,
       CASE WHEN s.status = 'ON_HOLD' THEN 'PENDING_APPROVAL' END,
       s.cycle_date + CASE extract(isodow FROM s.cycle_date + 1) WHEN 6 THEN 3 WHEN 7 THEN 2 ELSE 1 END
FROM (
    SELECT a.*, md5(a.merchant_id || a.cycle_date || ' bench batch') AS h, :'today'::date - a.cycle_date AS age,
           st.status, st.status IN ('APPROVED', 'SENT', 'PAID', 'FAILED') AS approved,
           least(now() - interval '1 hour',
                 ((a.cycle_date + 1) + time '07:30') AT TIME ZONE 'Asia/Kolkata' + a.r2 * interval '30 minutes') AS created_at
    FROM (SELECT merchant_id, cycle_date, count(*)::int AS n, sum(amount_paise)::bigint AS gross,
                 sum(commission)::bigint AS commission, sum(gst)::bigint AS gst, sum(tds)::bigint AS tds,
                 sum(reserve)::bigint AS reserve, sum(net)::bigint AS net, sum(not_deducted)::bigint AS not_deducted,
                 random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5
          FROM bench_items GROUP BY merchant_id, cycle_date
          OFFSET 0) a
    CROSS JOIN LATERAL (
        SELECT (ARRAY['CALCULATED','PENDING_APPROVAL','APPROVED','SENT','PAID','FAILED','REJECTED','ON_HOLD'])[width_bucket(a.r1,
                CASE :'today'::date - a.cycle_date
                    WHEN 3 THEN ARRAY[0, 0.05, 0.25, 0.50, 0.75, 0.93, 0.96, 0.98]
                    WHEN 4 THEN ARRAY[0, 0.01, 0.06, 0.14, 0.30, 0.95, 0.975, 0.99]
                    WHEN 5 THEN ARRAY[0, 0, 0.01, 0.02, 0.04, 0.97, 0.985, 0.995]
                    WHEN 6 THEN ARRAY[0, 0, 0.01, 0.02, 0.04, 0.97, 0.985, 0.995]
                    WHEN 7 THEN ARRAY[0, 0, 0.01, 0.02, 0.04, 0.97, 0.985, 0.995]
                    ELSE ARRAY[0, 0, 0, 0, 0, 0.984, 0.992, 0.997] END)] AS status
    ) st
) s
JOIN merchant_settlement_config c ON c.merchant_id = s.merchant_id
JOIN merchant_bank_accounts ba ON ba.merchant_id = s.merchant_id AND ba.is_primary
ORDER BY s.cycle_date, s.merchant_id;

\echo settlement items
INSERT INTO settlement_items (batch_id, transaction_id, amount_paise, commission_paise, gst_paise, tds_paise,
                              reserve_paise, net_paise, fee_bearer, txn_id, txn_at, payment_method, acquirer, utr, rrn)
SELECT b.id, i.transaction_id, i.amount_paise, i.commission, i.gst, i.tds, i.reserve, i.net, i.fee_bearer,
       t.txn_id, t.txn_at, t.payment_method, t.acquirer, t.utr, t.rrn
FROM bench_items i
JOIN settlement_batches b ON b.merchant_id = i.merchant_id AND b.cycle_date = i.cycle_date
JOIN transactions t ON t.id = i.transaction_id
WHERE b.status <> 'REJECTED';
-- A rejected batch gave its transactions back: they wait for the merchant's next batch.
INSERT INTO settlement_backlog (transaction_id, merchant_id, cycle_date, added_at)
SELECT t.id, t.merchant_id, t.cycle_date, b.created_at + interval '3 hours'
FROM settlement_batches b
JOIN transactions t ON t.merchant_id = b.merchant_id AND t.cycle_date = b.cycle_date AND t.status = 'RECONCILED'
WHERE b.status = 'REJECTED' AND b.merchant_id LIKE 'MA%'
ON CONFLICT (transaction_id) DO NOTHING;

\echo chargebacks
-- Cases on transactions a week old or more; about a third OPEN (received in the last ten days),
-- the rest closed (recovered, written off). Case numbers continue each year's CB-YYYY-NNNN series.
INSERT INTO chargebacks (id, case_ref, acquirer, network_case_id, merchant_id, merchant_name, transaction_id, txn_ref,
                         rrn, utr, original_gross_paise, chargeback_paise, fees_paise, recovered_paise,
                         written_off_paise, reason_code, reason_description, category, stage, status, outcome,
                         assigned_to, assigned_team, received_at, evidence_due_at, deadline_at, responded_at,
                         closed_at, created_at, updated_at)
WITH candidates AS (
    SELECT t.id, t.txn_id, t.merchant_id, t.rrn, t.utr, t.amount_paise, t.txn_at, t.payment_method::text AS method
    FROM transactions t
    WHERE t.id IN (SELECT (:first_id + 1 + floor(random() * :n))::bigint FROM generate_series(1, 4 * :chargebacks))
      AND t.merchant_id LIKE 'MA%' AND t.payment_method IN ('CARD', 'UPI', 'WALLET') AND t.status = 'RECONCILED'
      AND t.cycle_date <= :'today'::date - 8
    ORDER BY md5(t.txn_id)
    LIMIT :chargebacks
), picked AS (
    SELECT c.*, row_number() OVER (ORDER BY c.id) AS k,
           random() AS r1, random() AS r2, random() AS r3, random() AS r4
    FROM candidates c
), planned AS (
    SELECT p.*, pl.stage, pl.status, pl.outcome,
           CASE p.method WHEN 'CARD' THEN (ARRAY['VISA','MASTERCARD','RUPAY'])[width_bucket(p.r3, ARRAY[0, 0.5, 0.8])]
                         WHEN 'UPI' THEN (ARRAY['UPI','PHONEPE'])[width_bucket(p.r3, ARRAY[0, 0.6])]
                         ELSE 'PAYTM' END AS network
    FROM picked p
    CROSS JOIN LATERAL (
        SELECT CASE WHEN p.r1 < 0.35 THEN (ARRAY['NEW','UNDER_REVIEW','REPRESENTMENT','PRE_ARBIT','ARBITRATION'])
                                          [width_bucket(p.r2, ARRAY[0, 0.25, 0.60, 0.80, 0.95])]
                    ELSE 'CLOSED' END AS stage,
               CASE WHEN p.r1 < 0.35 THEN 'OPEN' WHEN p.r1 < 0.75 THEN 'RECOVERED' ELSE 'WRITEOFF' END AS status,
               CASE WHEN p.r1 < 0.35 THEN 'PENDING' WHEN p.r1 < 0.75 THEN 'WON' WHEN p.r1 < 0.95 THEN 'LOST'
                    ELSE 'PARTIAL' END AS outcome
    ) pl
), timed AS (
    SELECT q.*, q.received_at + interval '8 days' AS evidence_due_at,
           CASE WHEN q.stage IN ('REPRESENTMENT', 'PRE_ARBIT', 'ARBITRATION') OR q.outcome IN ('WON', 'PARTIAL')
                THEN greatest(q.received_at, least(now() - interval '2 hours', q.received_at + (2 + q.r3 * 3) * interval '1 day'))
           END AS responded_at,
           CASE WHEN q.status <> 'OPEN'
                THEN greatest(q.received_at, least(now() - interval '1 hour', q.received_at + (5 + q.r2 * 20) * interval '1 day'))
           END AS closed_at,
           CASE WHEN q.r3 < 0.15 THEN greatest(1, q.amount_paise / 2) ELSE q.amount_paise END AS cb_paise
    FROM (SELECT pd.*,
                 CASE WHEN pd.status = 'OPEN'
                      THEN greatest(pd.txn_at + interval '2 days', now() - (1 + pd.r4 * 9) * interval '1 day')
                      ELSE least(now() - interval '2 days', pd.txn_at + (3 + pd.r4 * 10) * interval '1 day')
                 END AS received_at
          FROM planned pd) q
)
SELECT gen_random_uuid(),
       'CB-' || to_char(x.received_at AT TIME ZONE 'Asia/Kolkata', 'YYYY') || '-'
       || lpad((coalesce((SELECT max(substr(c.case_ref, 9)::bigint) FROM chargebacks c
                          WHERE c.case_ref LIKE 'CB-' || to_char(x.received_at AT TIME ZONE 'Asia/Kolkata', 'YYYY') || '-%'
                            AND substr(c.case_ref, 9) ~ '^[0-9]+$'), 0)
                + row_number() OVER (PARTITION BY to_char(x.received_at AT TIME ZONE 'Asia/Kolkata', 'YYYY')
                                     ORDER BY x.received_at, x.id))::text, 4, '0'),
       x.network, 'BN' || lpad((9000000000 + x.k)::text, 10, '0'), x.merchant_id, m.name, x.id, x.txn_id, x.rrn, x.utr,
       x.amount_paise, x.cb_paise, 5000,
       CASE WHEN x.status = 'RECOVERED' THEN x.cb_paise ELSE 0 END,
       CASE WHEN x.status = 'WRITEOFF' THEN x.cb_paise ELSE 0 END,
       rc.code, rc.description, rc.category, x.stage, x.status, x.outcome,
       CASE WHEN x.stage <> 'NEW' THEN nullif(:'ops', '')::uuid END,
       CASE WHEN x.stage <> 'NEW' AND :'ops' <> '' THEN 'OPS' END,
       x.received_at, x.evidence_due_at, x.evidence_due_at + interval '10 days', x.responded_at, x.closed_at,
       x.received_at, coalesce(x.closed_at, x.responded_at, x.received_at)
FROM timed x
JOIN merchants m ON m.id = x.merchant_id
CROSS JOIN LATERAL (
    SELECT r.code, r.description, r.category FROM chargeback_reason_codes r
    WHERE r.network_family = CASE WHEN x.network IN ('VISA', 'MASTERCARD', 'RUPAY') THEN x.network ELSE 'UPI' END
    ORDER BY md5(r.code || x.id) LIMIT 1
) rc;

\echo payout transfers
-- One transfer per batch that reached the bank: PAID ones paid (a few after a failed first try),
-- FAILED ones failed, with the bank's failure code (the analytics Pareto reads these).
INSERT INTO settlement_transfers (batch_id, rail, amount_paise, status, utr, failure_reason, failure_code, initiated_at, completed_at)
SELECT b.id, b.rail, greatest(b.net_paise, 1), 'FAILED', NULL, c.reason, c.code,
       b.created_at + interval '1 hour', b.created_at + interval '3 hours'
FROM settlement_batches b
CROSS JOIN LATERAL (SELECT (ARRAY['ACCOUNT_CLOSED','INVALID_IFSC','NAME_MISMATCH','BANK_TIMEOUT','BANK_TIMEOUT','BANK_TIMEOUT','OTHER'])
                             [1 + abs(hashtext(b.id::text)) % 7] AS code) f
CROSS JOIN LATERAL (SELECT f.code, CASE f.code WHEN 'ACCOUNT_CLOSED' THEN 'Beneficiary account closed'
                                               WHEN 'INVALID_IFSC' THEN 'Invalid IFSC' WHEN 'NAME_MISMATCH' THEN 'Beneficiary name mismatch'
                                               WHEN 'BANK_TIMEOUT' THEN 'Bank timeout' ELSE 'Other: returned by the bank' END AS reason) c
WHERE b.merchant_id LIKE 'MA%' AND (b.status = 'FAILED' OR (b.status = 'PAID' AND abs(hashtext(b.batch_ref)) % 40 = 0));
INSERT INTO settlement_transfers (batch_id, rail, amount_paise, status, utr, initiated_at, completed_at)
SELECT b.id, b.rail, greatest(b.net_paise, 1), 'PAID', b.payout_utr, b.paid_at - interval '2 hours', b.paid_at
FROM settlement_batches b WHERE b.merchant_id LIKE 'MA%' AND b.status = 'PAID' AND b.net_paise > 0;

\echo vacuum analyze
-- The whole database (the rollup tables too); as a non-superuser it skips the shared catalogs.
SET client_min_messages = error;
VACUUM ANALYZE;
