#!/usr/bin/env bash
# The settlement desk at scale for BENCHMARKS.md (issue 12): one cycle of 1,000,000 RECONCILED
# transactions across 10,000 merchants, batched through the API and the job queue end to end (the
# time from the POST to the job's "completed", and the server's peak resident memory), then the
# batch list API with 100,000 batches, measured with `ab` (p95).
# Usage (after `make run` or `make test` built the release binary):
#   benchmarks/settlements.sh [transactions] [merchants]
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
db_ensure
command -v ab >/dev/null || apt_install apache2-utils
N="${1:-1000000}"
M="${2:-10000}"
bench_server settlepaisa_bench_settlements
FINANCE="$(DATABASE_URL="$BENCH_DB_URL" "$ROOT/target/release/settlepaisa-ops" token create --user finance@settlepaisa.test --name bench 2>/dev/null)"
CYCLE="$(psql "$BENCH_DB_URL" -qtA -c "SELECT (now() AT TIME ZONE 'Asia/Kolkata')::date - 45")"
log "generating $M merchants and $N reconciled transactions on cycle $CYCLE"
start=$(date +%s.%N)
psql "$BENCH_DB_URL" -qtA -v ON_ERROR_STOP=1 <<SQL
INSERT INTO merchants (id, name, legal_name, pan)
SELECT 'MB' || lpad(g::text, 6, '0'), 'Bench merchant ' || g, 'Bench Merchant ' || g || ' Pvt Ltd',
       CASE WHEN g % 10 = 0 THEN NULL ELSE 'ABCDE' || lpad((g % 10000)::text, 4, '0') || 'F' END
FROM generate_series(1, $M) g;
INSERT INTO merchant_bank_accounts (id, merchant_id, holder_name, account_number, ifsc, bank_name)
SELECT gen_random_uuid(), 'MB' || lpad(g::text, 6, '0'), 'Bench Merchant ' || g, '5010' || lpad(g::text, 10, '0'), 'HDFC0001234', 'HDFC Bank'
FROM generate_series(1, $M) g;
INSERT INTO merchant_settlement_config (merchant_id, preferred_rail, tds_enabled, reserve_enabled, reserve_rate, reserve_hold_days)
SELECT 'MB' || lpad(g::text, 6, '0'), (ARRAY['NEFT','IMPS','RTGS'])[1 + g % 3], g % 4 = 0, g % 5 = 0, 0.05, 7
FROM generate_series(1, $M) g;
INSERT INTO merchant_commission_rates (id, merchant_id, payment_method, kind, rate, fixed_paise, effective_from)
SELECT gen_random_uuid(), 'MB' || lpad(g::text, 6, '0'), m,
       CASE WHEN m = 'UPI' AND g % 7 = 0 THEN 'FIXED' ELSE 'PERCENT' END,
       CASE WHEN m = 'UPI' AND g % 7 = 0 THEN NULL ELSE 0.012 + (g % 9) * 0.001 END,
       CASE WHEN m = 'UPI' AND g % 7 = 0 THEN 300 END, '2026-01-01'
FROM generate_series(1, $M) g CROSS JOIN unnest(ARRAY['UPI','CARD','NETBANKING','WALLET']) m;
INSERT INTO merchant_fee_bearers (merchant_id, payment_method, bearer)
SELECT 'MB' || lpad(g::text, 6, '0'), 'CARD', 'payer' FROM generate_series(1, $M) g WHERE g % 6 = 0;
INSERT INTO transactions (txn_id, merchant_id, amount_paise, txn_at, cycle_date, payment_method, acquirer, status)
SELECT 'SB-' || g, 'MB' || lpad((1 + g % $M)::text, 6, '0'), 10000 + (g::bigint * 7919) % 2500000,
       '$CYCLE'::date + time '12:00', '$CYCLE'::date, (ARRAY['UPI','CARD','NETBANKING','WALLET'])[1 + g % 4],
       (ARRAY['HDFC','ICICI','AXIS'])[1 + g % 3], 'RECONCILED'
FROM generate_series(1, $N) g;
VACUUM ANALYZE;
SQL
printf 'generated in %.1f s\n' "$(echo "$(date +%s.%N) - $start" | bc)"

echo "### create batches for cycle $CYCLE ($N transactions, $M merchants)"
start=$(date +%s.%N)
JOB="$(curl -s -X POST -H "Authorization: Bearer $FINANCE" -H 'Content-Type: application/json' \
  -d "{\"cycleDate\":\"$CYCLE\"}" "$BASE/api/settlements/v1/batches" | sed -n 's/.*"jobId":\([0-9]*\).*/\1/p')"
[ -n "$JOB" ] || { echo "no job id"; exit 1; }
peak=0
while :; do
  status="$(curl -s -H "Authorization: Bearer $FINANCE" "$BASE/api/settlements/v1/jobs/$JOB")"
  rss="$(awk '/VmHWM/ {print $2}' /proc/$PID/status)"
  case "$status" in *'"status":"completed"'*|*'"status":"failed"'*) break ;; esac
  sleep 0.2
done
elapsed="$(echo "$(date +%s.%N) - $start" | bc)"
printf 'end to end: %.1f s\n' "$elapsed"
echo "job: $status"
echo "server peak RSS (VmHWM): $((rss / 1024)) MB"
psql "$BENCH_DB_URL" -qtA -c "SELECT count(*) || ' batches, ' || sum(txn_count) || ' items, every batch balanced: ' || bool_and(gross_paise = commission_paise + gst_paise + tds_paise + reserve_paise + deductions_paise - reserve_released_paise + net_paise - fees_not_deducted_paise) FROM settlement_batches WHERE cycle_date = '$CYCLE'"

log "adding batches on 9 earlier cycles to reach 100,000"
psql "$BENCH_DB_URL" -qtA -v ON_ERROR_STOP=1 <<SQL
INSERT INTO settlement_batches (id, batch_ref, merchant_id, cycle_date, status, txn_count, gross_paise, commission_paise,
                                gst_paise, tds_paise, reserve_paise, deductions_paise, reserve_released_paise, net_paise,
                                rail, created_at, approved_at, payout_due_on, paid_at, payout_utr, failure_reason)
SELECT id, batch_ref, merchant_id, cycle_date, status, 100, 10000000, 0, 0, 0, 0, 0, 0, 10000000, 'NEFT',
       now() - c * interval '1 day', now() - c * interval '1 day', cycle_date + 1,
       CASE WHEN status = 'PAID' THEN now() END, CASE WHEN status = 'PAID' THEN 'UTRB' || substr(md5(id::text), 1, 12) END,
       CASE WHEN status = 'FAILED' THEN 'Bank timeout' END
FROM (SELECT gen_random_uuid() AS id, 'STL-' || to_char('$CYCLE'::date - c, 'YYYYMMDD') || '-' || m.id AS batch_ref,
             m.id AS merchant_id, '$CYCLE'::date - c AS cycle_date, c,
             (ARRAY['PAID','PAID','PAID','SENT','APPROVED','PENDING_APPROVAL','FAILED','REJECTED'])[1 + (c + ascii(right(m.id, 1))) % 8] AS status
      FROM merchants m CROSS JOIN generate_series(1, 9) c WHERE m.id LIKE 'MB%') b;
VACUUM ANALYZE settlement_batches;
SQL
psql "$BENCH_DB_URL" -qtA -c "SELECT count(*) || ' batches' FROM settlement_batches"
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
run "batch list, first page (newest cycle first)" "/api/settlements/v1/batches?limit=25"
run "batch list, status PAID + merchant" "/api/settlements/v1/batches?status=PAID&merchantId=MB004321&limit=25"
run "batch list, one cycle, awaiting approval" "/api/settlements/v1/batches?cycleDate=$CYCLE&status=PENDING_APPROVAL&limit=25"
run "batch list, page 2,000" "/api/settlements/v1/batches?limit=25&offset=50000"
