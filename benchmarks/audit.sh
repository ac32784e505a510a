#!/usr/bin/env bash
# The audit log at scale for BENCHMARKS.md (issue 15): N audit rows (default 5,000,000) written
# through the chain's trigger on top of the demo data — over a year, 2,000 actors, 60 actions,
# 1 in 50 a failure — then `/api/audit/v1/events` (the default view and each single filter) and the
# `/audit` page measured with `ab` at concurrency 1 and 4 (p50 / p95 / p99), as compliance@; then
# `settlepaisa-ops audit verify` over the whole chain, timed.
# Usage (after `make run` or `make test` built the release binary):
#   benchmarks/audit.sh [rows]
# Environment: AB_N (requests per run, 200), KEEP_DB=1 (keep the bench database at the end).
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
db_ensure
command -v ab >/dev/null || apt_install apache2-utils
N="${1:-5000000}"
[[ "$N" =~ ^[0-9]+$ ]] || { log "rows must be a whole number, not $N"; exit 2; }
REQUESTS="${AB_N:-200}"
DB=settlepaisa_bench_audit
bench_server "$DB"
cleanup() {
  kill "$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
  if [ -z "${KEEP_DB:-}" ]; then
    PGOPTIONS="-c client_min_messages=warning" psql "${DATABASE_URL%/*}/postgres" -qtA \
      -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || log "could not drop database $DB"
  fi
}
trap cleanup EXIT

COMPLIANCE="$(DATABASE_URL="$BENCH_DB_URL" "$ROOT/target/release/settlepaisa-ops" token create --user compliance@settlepaisa.test --name bench-audit 2>/dev/null)"
[ -n "$COMPLIANCE" ] || { log "no API token for compliance@"; exit 1; }

log "writing $N audit rows through the chain trigger"
start=$(date +%s.%N)
psql "$BENCH_DB_URL" -q -v ON_ERROR_STOP=1 -c "
  INSERT INTO audit_log (occurred_at, actor_email, actor_roles, action, target_type, target_id, outcome, ip, after)
  SELECT now() - make_interval(secs => (g::double precision / $N) * 365 * 86400),
         'user' || (g % 2000) || '@settlepaisa.test',
         ARRAY[(ARRAY['sp-ops','sp-finance','sp-compliance','admin','sp-ops'])[1 + g % 5]],
         'bench.action' || (g % 60), 'type' || (g % 20), (g % 100000)::text,
         CASE WHEN g % 50 = 0 THEN 'failure' ELSE 'success' END,
         ('10.' || (g % 200) || '.' || (g % 250) || '.' || (g % 199))::inet,
         jsonb_build_object('n', g)
  FROM generate_series($N, 1, -1) g" -c "VACUUM (ANALYZE) audit_log"
# VACUUM as autovacuum leaves an insert-only table (PostgreSQL 13 and later vacuum after inserts,
# autovacuum_vacuum_insert_threshold): its visibility map set, so counting a filter's matches
# reads the index alone.
GEN_SECONDS="$(echo "$(date +%s.%N) - $start" | bc)"
printf 'written in %.0f s (%.0f rows/s); database %s\n' "$GEN_SECONDS" "$(echo "$N / $GEN_SECONDS" | bc -l)" \
  "$(psql "$BENCH_DB_URL" -qtA -c 'SELECT pg_size_pretty(pg_database_size(current_database()))')"

COOKIE="$(curl -s -o /dev/null -D - -H "Origin: $BASE" \
  --data-urlencode email=compliance@settlepaisa.test --data-urlencode password=SettlePaisa@2025 "$BASE/login" \
  | awk -F'[: ;]+' 'tolower($1)=="set-cookie" && $2 ~ /^sp_session=/ {print $2}')"
[ -n "$COOKIE" ] || { log "signing in as compliance@ gave no session cookie"; exit 1; }
read -r TODAY MONTH_AGO <<<"$(psql "$BENCH_DB_URL" -qtA -F ' ' -c "
  SELECT d, d - 30 FROM (SELECT (now() AT TIME ZONE 'Asia/Kolkata')::date AS d) x")"

API_AUTH=(-H "Authorization: Bearer $COMPLIANCE")
PAGE_AUTH=(-H "Cookie: $COOKIE")
BENCH_PATH_WIDTH=72
RESULTS=()
measure() { bench_measure "$@"; }

E="/api/audit/v1/events?limit=50"
measure "default view" "$E" api
measure "actor" "$E&actor=user7@settlepaisa.test" api
measure "role" "$E&role=sp-compliance" api
measure "action" "$E&action=bench.action7" api
measure "target type" "$E&targetType=type3" api
measure "target type and id" "$E&targetType=type3&targetId=4243" api
measure "outcome failure" "$E&outcome=failure" api
measure "last 30 days" "$E&from=$MONTH_AGO&to=$TODAY" api
measure "IP" "$E&ip=10.7.7.7" api
measure "page, default view" "/audit" page
measure "page, actor" "/audit?actor=user7@settlepaisa.test" page

log "audit verify over the whole chain"
start=$(date +%s.%N)
DATABASE_URL="$BENCH_DB_URL" "$ROOT/target/release/settlepaisa-ops" audit verify
VERIFY_SECONDS="$(echo "$(date +%s.%N) - $start" | bc)"

echo
printf 'audit bench: %s rows written in %.0f s; audit verify %.1f s; ab -n %s\n' "$N" "$GEN_SECONDS" "$VERIFY_SECONDS" "$REQUESTS"
printf '%-72s %2s %6s %6s %6s %7s %6s\n' 'GET (ms)' c p50 p95 p99 'req/s' non2xx
printf '%s\n' "${RESULTS[@]}"
