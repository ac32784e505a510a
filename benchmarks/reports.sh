#!/usr/bin/env bash
# Reports at scale for BENCHMARKS.md (issue 15): N settled transactions (default 1,000,000) in
# settlement batches of the demo merchants over 20 cycle dates, then the settlement-transactions
# report of those cycles downloaded whole as XLSX and as CSV with curl, as finance@: the wall time,
# the time to the first byte, the file's size and rows, and the server's peak resident memory
# during the download (VmHWM, reset before each one through /proc/PID/clear_refs).
# Usage (after `make run` or `make test` built the release binary):
#   benchmarks/reports.sh [rows]
# Environment: KEEP_DB=1 (keep the bench database at the end).
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
db_ensure
N="${1:-1000000}"
[[ "$N" =~ ^[0-9]+$ ]] || { log "rows must be a whole number, not $N"; exit 2; }
DB=settlepaisa_bench_reports
bench_server "$DB"
OUT="$(mktemp -d)"
cleanup() {
  kill "$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
  rm -rf "$OUT"
  if [ -z "${KEEP_DB:-}" ]; then
    PGOPTIONS="-c client_min_messages=warning" psql "${DATABASE_URL%/*}/postgres" -qtA \
      -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || log "could not drop database $DB"
  fi
}
trap cleanup EXIT

FINANCE="$(DATABASE_URL="$BENCH_DB_URL" "$ROOT/target/release/settlepaisa-ops" token create --user finance@settlepaisa.test --name bench-reports 2>/dev/null)"
[ -n "$FINANCE" ] || { log "no API token for finance@"; exit 1; }
# Twenty cycles half a year back, clear of the demo's own batches (one batch per merchant and cycle).
read -r FROM TO <<<"$(psql "$BENCH_DB_URL" -qtA -F ' ' -c "
  SELECT d - 200, d - 181 FROM (SELECT (now() AT TIME ZONE 'Asia/Kolkata')::date AS d) x")"
MERCHANTS="$(psql "$BENCH_DB_URL" -qtA -c "SELECT string_agg(quote_literal(id), ',' ORDER BY id) FROM merchants")"

log "writing $N settled transactions in batches of cycles $FROM to $TO"
start=$(date +%s.%N)
psql "$BENCH_DB_URL" -q -v ON_ERROR_STOP=1 <<SQL
INSERT INTO transactions (txn_id, merchant_id, amount_paise, txn_at, cycle_date, payment_method, acquirer, utr, rrn, status)
SELECT 'RB-' || lpad(g::text, 8, '0'), m.ids[1 + g % cardinality(m.ids)], 10000 + (g::bigint * 7919) % 2500000,
       ('$FROM'::date + g % 20) + time '09:00' + make_interval(secs => g % 36000), '$FROM'::date + g % 20,
       (ARRAY['UPI','CARD','NETBANKING','WALLET'])[1 + g % 4], (ARRAY['HDFC','ICICI','AXIS'])[1 + g % 3],
       'UTRRB' || g, lpad((g % 1000000000000)::text, 12, '0'), 'RECONCILED'
FROM generate_series(1, $N) g, (SELECT ARRAY[$MERCHANTS] AS ids) m;
CREATE TEMP TABLE bench_items AS
SELECT t.id, t.merchant_id, t.cycle_date, t.amount_paise, t.amount_paise * 2 / 100 AS commission,
       (t.amount_paise * 2 / 100) * 18 / 100 AS gst
FROM transactions t WHERE t.txn_id LIKE 'RB-%';
INSERT INTO settlement_batches (id, batch_ref, merchant_id, cycle_date, status, txn_count, gross_paise, commission_paise,
                                gst_paise, tds_paise, reserve_paise, deductions_paise, reserve_released_paise, net_paise, rail)
SELECT gen_random_uuid(), 'RB-' || merchant_id || '-' || to_char(cycle_date, 'YYYYMMDD'), merchant_id, cycle_date,
       'CALCULATED', count(*), sum(amount_paise), sum(commission), sum(gst), 0, 0, 0, 0,
       sum(amount_paise - commission - gst), 'NEFT'
FROM bench_items GROUP BY merchant_id, cycle_date;
-- As batch creation writes them: one cycle at a time, each batch's items together, each with its
-- transaction's identity.
INSERT INTO settlement_items (batch_id, transaction_id, amount_paise, commission_paise, gst_paise, tds_paise, reserve_paise,
                              net_paise, fee_bearer, txn_id, txn_at, payment_method, acquirer, utr, rrn)
SELECT b.id, i.id, i.amount_paise, i.commission, i.gst, 0, 0, i.amount_paise - i.commission - i.gst, 'merchant',
       t.txn_id, t.txn_at, t.payment_method, t.acquirer, t.utr, t.rrn
FROM bench_items i JOIN settlement_batches b ON b.merchant_id = i.merchant_id AND b.cycle_date = i.cycle_date
JOIN transactions t ON t.id = i.id
ORDER BY b.cycle_date, b.merchant_id, i.id;
VACUUM ANALYZE;
SQL
printf 'written in %.0f s; database %s\n' "$(echo "$(date +%s.%N) - $start" | bc)" \
  "$(psql "$BENCH_DB_URL" -qtA -c 'SELECT pg_size_pretty(pg_database_size(current_database()))')"

rss() { awk "/$1/ {print \$2}" "/proc/$PID/status"; }
RESULTS=()
download() { # format
  local file="$OUT/report.$1" line code size first total peak rows
  echo 5 > "/proc/$PID/clear_refs"
  local before; before="$(rss VmRSS)"
  line="$(curl -s -o "$file" -w '%{http_code} %{size_download} %{time_starttransfer} %{time_total}' \
    -H "Authorization: Bearer $FINANCE" "$BASE/api/reports/v1/settlement-transactions.$1?from=$FROM&to=$TO")"
  read -r code size first total <<<"$line"
  peak="$(rss VmHWM)"
  [ "$code" = 200 ] || { log "$1 download answered $code: $(head -c 300 "$file")"; exit 1; }
  if [ "$1" = csv ]; then
    rows=$(( $(wc -l < "$file") - 1 ))
  else
    rows="$(python3 - "$file" <<'PY'
import sys, zipfile
n = 0
with zipfile.ZipFile(sys.argv[1]) as z, z.open("xl/worksheets/sheet1.xml") as s:
    tail = b""
    for chunk in iter(lambda: s.read(1 << 20), b""):
        data = tail + chunk
        n += data.count(b"<row ")
        tail = data[-4:]
print(n - 1)
PY
)"
  fi
  [ "$rows" = "$N" ] || { log "$1 has $rows rows, not $N"; exit 1; }
  RESULTS+=("$(printf '%-5s %9s rows  %7.1f MB  first byte %6.2f s  total %6.2f s  server RSS %4d MB before, peak %4d MB' \
    "$1" "$rows" "$(echo "$size / 1048576" | bc -l)" "$first" "$total" $((before / 1024)) $((peak / 1024)))")
  echo "${RESULTS[-1]}"
}
download xlsx
download csv

echo
printf 'reports bench: settlement-transactions, cycles %s to %s, %s rows\n' "$FROM" "$TO" "$N"
printf '%s\n' "${RESULTS[@]}"
