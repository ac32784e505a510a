#!/usr/bin/env bash
# Overview, Analytics and the transaction explorer at scale for BENCHMARKS.md (issue 13): a 90-day
# history of 10,000,000 transactions across 1,000 merchants (benchmarks/analytics-data.sql: batches,
# items, exceptions, recon runs and chargebacks to match) on top of the demo data, then each API call
# and page measured with `ab -n 200` at concurrency 1 and 4 (p50 / p95 / p99), as finance@ (so the
# finance-only tiles are included): APIs with an API token, pages with a signed-in session cookie.
# Usage (after `make run` or `make test` built the release binary):
#   benchmarks/analytics.sh [transactions] [days] [merchants]
# Environment: AB_N (requests per run, 200), ROLLUP_CHECK=1 (compare the daily rollups with the
# ledger after loading), KEEP_DB=1 (keep the bench database instead of dropping it at the end).
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
db_ensure
command -v ab >/dev/null || apt_install apache2-utils
N="${1:-10000000}"
DAYS="${2:-90}"
M="${3:-1000}"
REQUESTS="${AB_N:-200}"
DB=settlepaisa_bench_analytics
bench_server "$DB"
# Stop the server, then drop the bench database (replaces bench_server's trap, which only stops it).
cleanup() {
  kill "$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
  if [ -z "${KEEP_DB:-}" ]; then
    PGOPTIONS="-c client_min_messages=warning" psql "${DATABASE_URL%/*}/postgres" -qtA \
      -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || log "could not drop database $DB"
  fi
}
trap cleanup EXIT

FINANCE="$(DATABASE_URL="$BENCH_DB_URL" "$ROOT/target/release/settlepaisa-ops" token create --user finance@settlepaisa.test --name bench-analytics 2>/dev/null)"
[ -n "$FINANCE" ] || { log "no API token for finance@"; exit 1; }

log "generating $N transactions over $DAYS days across $M merchants (benchmarks/analytics-data.sql)"
start=$(date +%s.%N)
# Each step's label and time (psql's \timing; the sub-second ones left out).
psql "$BENCH_DB_URL" -q -v ON_ERROR_STOP=1 -v n="$N" -v days="$DAYS" -v merchants="$M" \
  -f "$ROOT/benchmarks/analytics-data.sql" | { grep -v '^Time: [0-9.]* ms$' || true; }
GEN_SECONDS="$(echo "$(date +%s.%N) - $start" | bc)"
printf 'generated in %.0f s\n' "$GEN_SECONDS"
psql "$BENCH_DB_URL" -qtA -F ' ' -c "
  SELECT (SELECT count(*) FROM transactions) || ' transactions, '
      || (SELECT count(*) FROM settlement_batches) || ' batches, '
      || (SELECT count(*) FROM settlement_items) || ' items, '
      || (SELECT count(*) FROM exceptions) || ' exceptions, '
      || (SELECT count(*) FROM chargebacks) || ' chargebacks; database '
      || pg_size_pretty(pg_database_size(current_database()))"
if [ -n "${ROLLUP_CHECK:-}" ]; then
  echo "rollup keys that disagree with the ledger: $(psql "$BENCH_DB_URL" -qtA -c 'SELECT count(*) FROM rollup_differences()')"
fi

# Signed in after the load (sessions end after 15 idle minutes).
COOKIE="$(curl -s -o /dev/null -D - -H "Origin: $BASE" \
  --data-urlencode email=finance@settlepaisa.test --data-urlencode password=SettlePaisa@2025 "$BASE/login" \
  | awk -F'[: ;]+' 'tolower($1)=="set-cookie" && $2 ~ /^sp_session=/ {print $2}')"
[ -n "$COOKIE" ] || { log "signing in as finance@ gave no session cookie"; exit 1; }

# Dates (IST) and a real transaction to search for.
read -r TO FROM7 FROM90 <<<"$(psql "$BENCH_DB_URL" -qtA -F ' ' -c "
  SELECT d - 1, d - 7, d - $DAYS FROM (SELECT (now() AT TIME ZONE 'Asia/Kolkata')::date AS d) x")"
read -r TXN_ID UTR <<<"$(psql "$BENCH_DB_URL" -qtA -F ' ' -c "
  (SELECT txn_id, utr FROM transactions
   WHERE merchant_id = 'MA000123' AND cycle_date = DATE '$TO' - $((DAYS / 2)) AND utr IS NOT NULL ORDER BY id LIMIT 1)
  UNION ALL (SELECT txn_id, utr FROM transactions WHERE merchant_id LIKE 'MA%' AND utr IS NOT NULL LIMIT 1) LIMIT 1")"
echo "search terms: txn_id $TXN_ID, UTR $UTR"

API_AUTH=(-H "Authorization: Bearer $FINANCE")
PAGE_AUTH=(-H "Cookie: $COOKIE")
RESULTS=()
measure() { bench_measure "$@"; }

measure "Overview API, 30 days" "/api/overview/overview?range=30d" api
measure "Overview page, 30 days" "/overview?range=30d" page

A=/api/analytics/v1/summary
measure "Analytics API, 30 days" "$A?range=30d" api
measure "Analytics API, $DAYS days" "$A?from=$FROM90&to=$TO" api
measure "Analytics API, 30 days, acquirer HDFC" "$A?range=30d&acquirer=HDFC" api
measure "Analytics API, 30 days, mode UPI" "$A?range=30d&mode=UPI" api
measure "Analytics API, $DAYS days, acquirer HDFC" "$A?from=$FROM90&to=$TO&acquirer=HDFC" api
measure "Analytics API, $DAYS days, mode UPI" "$A?from=$FROM90&to=$TO&mode=UPI" api
measure "Analytics page, 30 days" "/analytics?range=30d" page
measure "Analytics page, $DAYS days" "/analytics?from=$FROM90&to=$TO" page

T="/api/recon/v1/transactions?limit=50"
measure "Explorer API, no filter" "$T" api
measure "Explorer API, last 7 days" "$T&from=$FROM7&to=$TO" api
measure "Explorer API, merchant" "$T&merchantId=MA000123" api
measure "Explorer API, acquirer" "$T&acquirer=AXIS" api
measure "Explorer API, method" "$T&method=CARD" api
for s in PAID PENDING EXCEPTION; do measure "Explorer API, status $s" "$T&status=$s" api; done
for b in captured inSettlement sentToBank credited unsettled; do measure "Explorer API, bucket $b" "$T&bucket=$b" api; done
measure "Explorer API, Rs 1,000-2,000" "$T&minPaise=100000&maxPaise=200000" api
measure "Explorer API, search txn id" "$T&q=$TXN_ID" api
measure "Explorer API, search UTR" "$T&q=$UTR" api
measure "Explorer page, bucket credited" "/transactions?bucket=credited" page
measure "Explorer page, no filter" "/transactions" page

echo
printf 'analytics bench: %s transactions, %s days, %s merchants; generated in %.0f s; ab -n %s\n' \
  "$N" "$DAYS" "$M" "$GEN_SECONDS" "$REQUESTS"
printf '%-66s %2s %6s %6s %6s %7s %6s\n' 'GET (ms)' c p50 p95 p99 'req/s' non2xx
printf '%s\n' "${RESULTS[@]}"
