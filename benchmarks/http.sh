#!/usr/bin/env bash
# HTTP load figures for BENCHMARKS.md: the release server on the demo data, wrk on loopback
# (10 connections, 2 threads, 20 s each), then the staging checklist's own `ab -n 1000 -c 10` on
# the disputes KPI call. Run from the repository root after `make run` has built the release
# binary once:  benchmarks/http.sh [filter]   (filter: only the runs whose label contains it)
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
db_ensure
command -v wrk >/dev/null || apt_install wrk
command -v ab >/dev/null || apt_install apache2-utils
bench_server settlepaisa_bench
COOKIE="$(curl -s -o /dev/null -D - -H "Origin: $BASE" \
  --data-urlencode email=ops@settlepaisa.test --data-urlencode password=SettlePaisa@2025 "$BASE/login" \
  | awk -F'[: ;]+' 'tolower($1)=="set-cookie" && $2 ~ /^sp_session=/ {print $2}')"
FILTER="${1:-}"
run() {
  local label="$1"; shift
  [[ -z "$FILTER" || "$label" == *"$FILTER"* ]] || return 0
  echo "### $label"
  wrk -t2 -c10 -d20s --latency "$@" | grep -E 'Requests/sec|Latency |50%|90%|99%|Non-2xx|Socket errors'
}
AUTH=(-H "Authorization: Bearer $TOKEN")
run "GET /health" "$BASE/health"
run "GET /api/overview/overview (bearer token)" "${AUTH[@]}" "$BASE/api/overview/overview"
run "GET /overview (server-rendered page, session cookie)" -H "Cookie: $COOKIE" "$BASE/overview"
run "GET /api/disputes/v1/chargebacks/kpis (bearer token)" "${AUTH[@]}" "$BASE/api/disputes/v1/chargebacks/kpis"
run "GET /api/disputes/v1/chargebacks?limit=50 (bearer token)" "${AUTH[@]}" "$BASE/api/disputes/v1/chargebacks?limit=50"
run "GET /disputes (server-rendered page, session cookie)" -H "Cookie: $COOKIE" "$BASE/disputes"
CSS="$(cd "$ROOT/target/site" && ls pkg/settlepaisa-ops.*.css | head -1)"
run "GET /$CSS (static, brotli, keep-alive)" -H "Accept-Encoding: br" "$BASE/$CSS"
run "GET /api/recon/v1/exceptions?limit=100 (bearer token; JSON list)" "${AUTH[@]}" "$BASE/api/recon/v1/exceptions?limit=100"
if [[ -z "$FILTER" || "checklist ab" == *"$FILTER"* ]]; then
  echo "### checklist: ab -n 1000 -c 10 /api/disputes/v1/chargebacks/kpis (bearer token)"
  ab -n 1000 -c 10 -H "Authorization: Bearer $TOKEN" "$BASE/api/disputes/v1/chargebacks/kpis" \
    | grep -E 'Requests per second|Failed requests|Non-2xx|^  95%|^  99%|^ 100%'
fi
if [[ -z "$FILTER" || "page load" == *"$FILTER"* ]]; then
  echo "### page loads in Chromium (cold: empty cache; warm: the same profile again)"
  node "$ROOT/benchmarks/page-load.cjs" "$BASE" 5
fi
