#!/usr/bin/env bash
# The exception queue at scale for BENCHMARKS.md: 1,000,000 exception records (15 % active, the
# rest closed history — the shape a queue has after months) on top of the demo data, then the list
# API's first page with filters, measured with `ab` (p95) against the release server.
# Usage (after `make run` or `make test` built the release binary):  benchmarks/exceptions.sh [records]
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
db_ensure
command -v ab >/dev/null || apt_install apache2-utils
N="${1:-1000000}"
bench_server settlepaisa_bench_exceptions
log "generating $N exception records (and their PG rows)"
start=$(date +%s.%N)
psql "$BENCH_DB_URL" -qtA -v ON_ERROR_STOP=1 <<SQL
INSERT INTO transactions (txn_id, merchant_id, amount_paise, txn_at, cycle_date, payment_method, status)
SELECT 'BX-' || g, (ARRAY['MERCH_001','MERCH_002','MERCH_003'])[1 + g % 3], 1000 + g % 500000,
       now() - (g % 90) * interval '1 day', (now() - (g % 90) * interval '1 day')::date, 'UPI', 'EXCEPTION'
FROM generate_series(1, $N) g;
INSERT INTO exceptions (id, reason_code, severity, status, assignee_id, sla_due_at, snoozed_until, pg_amount_paise,
                        bank_amount_paise, delta_paise, merchant_id, acquirer, cycle_date, utr, transaction_id,
                        resolution, resolved_at, created_at)
SELECT 'EXC-20260101-' || lpad((1000000 + t.id)::text, 7, '0'),
       (ARRAY['AMOUNT_MISMATCH','PG_TXN_MISSING_IN_BANK','FEE_MISMATCH','ROUNDING_ERROR','DATE_OUT_OF_WINDOW','UTR_MISMATCH'])[1 + t.id % 6],
       (ARRAY['LOW','MEDIUM','HIGH','CRITICAL'])[1 + t.id % 4],
       CASE WHEN t.id % 100 < 15 THEN (ARRAY['open','open','investigating','snoozed','escalated'])[1 + t.id % 5] ELSE 'resolved' END,
       CASE WHEN t.id % 3 = 0 THEN (SELECT id FROM users WHERE email = 'ops@settlepaisa.test') END,
       t.txn_at + (t.id % 48) * interval '1 hour',
       CASE WHEN t.id % 100 < 15 AND t.id % 5 = 3 THEN now() + interval '1 day' END,
       t.amount_paise, t.amount_paise - t.id % 700, t.id % 700, t.merchant_id, 'HDFC', t.cycle_date, 'BXUTR' || t.id, t.id,
       CASE WHEN t.id % 100 < 15 THEN NULL ELSE 'MANUAL_MATCH' END,
       CASE WHEN t.id % 100 < 15 THEN NULL ELSE t.txn_at + interval '2 days' END,
       t.txn_at
FROM transactions t WHERE t.txn_id LIKE 'BX-%';
VACUUM ANALYZE exceptions;
SQL
printf 'generated in %.1f s: ' "$(echo "$(date +%s.%N) - $start" | bc)"
psql "$BENCH_DB_URL" -qtA -c "SELECT count(*) || ' records, ' || count(*) FILTER (WHERE status NOT IN ('resolved','wont_fix')) || ' active, ' || count(*) FILTER (WHERE status NOT IN ('resolved','wont_fix') AND sla_due_at < now()) || ' SLA breached' FROM exceptions"
run() {
  local label="$1" path="$2"
  echo "### $label"
  curl -s -H "Authorization: Bearer $TOKEN" "$BASE$path" | head -c 160; echo
  for c in 1 4; do
    echo "concurrency $c:"
    ab -q -n 400 -c "$c" -H "Authorization: Bearer $TOKEN" "$BASE$path" \
      | grep -E 'Requests per second|Failed requests|Non-2xx|^  50%|^  95%|^  99%'
  done
}
run "first page, default (active, SLA order)" "/api/recon/v1/exceptions?limit=25"
run "SLA breached" "/api/recon/v1/exceptions?slaBreached=true&limit=25"
run "open + critical + merchant" "/api/recon/v1/exceptions?status=open&severity=CRITICAL&merchantId=MERCH_002&limit=25"
run "search by UTR" "/api/recon/v1/exceptions?status=all&q=BXUTR777777"
run "all statuses, AMOUNT_MISMATCH, Δ ≥ ₹5" "/api/recon/v1/exceptions?status=all&reason=AMOUNT_MISMATCH&deltaMinPaise=500&limit=25"
