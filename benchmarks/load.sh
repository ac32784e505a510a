#!/usr/bin/env bash
# Load goals of issue 16 (BENCHMARKS.md, "Load"): the release server on a freshly seeded demo
# database, oha (and wrk for the closed loop) on loopback (load tool, server and PostgreSQL on the
# same 2 cores).
#   1. the KPI call, closed loop (every connection sending as fast as it can), 1,000 then 10,000
#      connections: throughput, p99, slowest request, errors and timeouts (2 s), and the server's
#      CPU time per answer — with wrk, then with oha (BENCHMARKS.md says why both);
#   2. 10,000 keep-alive connections at an offered 5,000 req/s in total (open loop, latency corrected
#      for coordinated omission): the KPI call, /exceptions and /disputes (one user: the page cache
#      answers all but about one render a second), the queue under twelve filters at once; and a
#      new search on every request (none cached) at 500 and 5,000 req/s: the load shedding's 503s
#      beyond what this machine renders;
#   3. a soak (SOAK_SECS, default 600) at a steady mixed load — pages, API reads, uploads, recon runs,
#      exception actions — with the server's memory each minute and its open descriptors and
#      database connections before and after.
# Usage (after `make run` or `make test` built the release binary):
#   benchmarks/load.sh [closed|open|soak|all]
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
db_ensure
command -v wrk >/dev/null || apt_install wrk
OHA_VERSION=1.16.0
if [ "$(oha --version 2>/dev/null | awk '{print $2}')" != "$OHA_VERSION" ]; then
  log "installing oha $OHA_VERSION (the load tool; a few minutes, once)"
  cargo install oha --version "$OHA_VERSION" --locked
fi
WHAT="${1:-all}"
ulimit -n "$(ulimit -Hn)"
export BENCH_LOG_LEVEL=warn
bench_server settlepaisa_bench_load
COOKIE="$(curl -s -o /dev/null -D - -H "Origin: $BASE" \
  --data-urlencode email=ops@settlepaisa.test --data-urlencode password=SettlePaisa@2025 "$BASE/login" \
  | awk -F'[: ;]+' 'tolower($1)=="set-cookie" && $2 ~ /^sp_session=/ {print $2}')"
KPI="$BASE/api/disputes/v1/chargebacks/kpis"
OUT="$ROOT/target/bench-load"
mkdir -p "$OUT"

# One oha run, summarised: label, then oha's arguments. Each request is also recorded (oha's
# --db-url), and a second line gives the same figures for the requests due after the first
# RAMP_SECS (default 5) seconds, in which the 10,000 connections are still being opened: the
# steady state. oha records answered requests only, with no time for the others: that line counts
# answers, and its last column repeats the whole run's errors and non-2xx answers when there were any.
measure() {
  local label="$1"; shift
  local base="$OUT/$(echo "$label" | tr -c 'a-zA-Z0-9' '_')"
  rm -f "$base.db"
  oha --no-tui --output-format json -w -t 2s --db-url "$base.db" "$@" > "$base.json" 2>/dev/null
  python3 - "$label" "$base.json" "$base.db" "${RAMP_SECS:-5}" <<'PY'
import json, sqlite3, sys
label, path, db, ramp = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
d = json.load(open(path))
s, p = d["summary"], d["latencyPercentiles"]
codes = d.get("statusCodeDistribution", {})
errors = d.get("errorDistribution", {})
ok = sum(v for k, v in codes.items() if k.startswith("2"))
bad = sum(v for k, v in codes.items() if not k.startswith("2"))
ms = lambda v: "—" if v is None else f"{v * 1000:.1f} ms"  # no answer at all gives no latency
size = s.get("sizePerRequest")
print(f"| {label} | {s['requestsPerSec']:,.0f} | {ms(p['p50'])} | {ms(p['p99'])} | "
      f"{ms(s['slowest'])} | {ok:,} | {bad} {dict((k, v) for k, v in codes.items() if not k.startswith('2')) if bad else ''} | "
      f"{sum(errors.values())} {dict(errors) if errors else ''} | {'—' if size is None else f'{size:,}'} |")
# The recorded (answered) requests; latency from when the request was due (latency correction).
# Closed loop: no latency correction, so the request's own start.
due = "coalesce(start_latency_correction, start)"
rows = sqlite3.connect(db).execute(f"SELECT end - {due} FROM oha WHERE {due} >= ?", (ramp,)).fetchall()
if rows:
    lat = sorted(r[0] for r in rows)
    q = lambda f: lat[min(len(lat) - 1, int(len(lat) * f))]
    failed = sum(errors.values()) + bad
    print(f"| {label}, requests due after the first {ramp:g} s | — | {ms(q(0.5))} | {ms(q(0.99))} | "
          f"{ms(lat[-1])} | {len(lat):,} answered | — | {'—' if not failed else f'{failed} in the whole run'} | — |")
PY
}

# The server's CPU time (user + system) so far, in seconds.
server_cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$PID/stat"; }

# One closed-loop wrk run, summarised: label, connections. wrk is C and costs the shared cores
# less per request than oha, and it keeps every connection busy (its mean latency is about
# connections ÷ throughput). With `--timeout 2s` wrk 4.1 counts an answer that came after 2 s as a
# timeout and leaves it out of the latencies (so "slowest" is at most 2 s: read it with the
# time-outs column); a request still unanswered when the run ends is counted nowhere. Its
# "Non-2xx or 3xx" line counts statuses above 399 only.
measure_wrk() {
  local label="$1" conns="$2" base before after
  base="$OUT/$(echo "$label" | tr -c 'a-zA-Z0-9' '_')"
  before="$(server_cpu)"
  wrk -t2 -c"$conns" -d20s --timeout 2s --latency -H "Authorization: Bearer $TOKEN" "$KPI" > "$base.txt" 2>&1 \
    || { cat "$base.txt"; exit 1; }
  after="$(server_cpu)"
  python3 - "$label" "$base.txt" "$before" "$after" <<'PY'
import re, sys
label, path, before, after = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
text = open(path).read()
def secs(v):  # wrk's units: 950.00us, 12.52ms, 1.31s, 2.00m
    n, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", v).groups()
    return float(n) * {"us": 1e-6, "ms": 1e-3, "s": 1, "m": 60}[unit]
ms = lambda v: f"{secs(v) * 1000:.1f} ms"
lat = re.search(r"^\s+Latency\s+(\S+)\s+(\S+)\s+(\S+)", text, re.M)
pct = dict(re.findall(r"^\s*(\d+)%\s+(\S+)\s*$", text, re.M))  # wrk pads "1.20s " with a space
answered = int(re.search(r"(\d+) requests in", text).group(1))
if not answered or lat is None:
    sys.exit(f"{label}: wrk got no answer:\n{text}")
rate = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
non2xx = int(non2xx.group(1)) if non2xx else 0
sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
connect, read, write, timeout = map(int, sock.groups()) if sock else (0, 0, 0, 0)
errors = f"{connect + read + write} (connect {connect}, read {read}, write {write})" if sock and connect + read + write else "0"
print(f"| wrk: {label} | {rate:,.0f} | {ms(pct['50'])} | {ms(pct['99'])} | {ms(lat.group(3))} (mean {ms(lat.group(1))}) | "
      f"{answered - non2xx:,} | {non2xx} | {errors} | {timeout} | {(after - before) / answered * 1e6:.1f} µs |")
PY
}

if [ "$WHAT" = closed ] || [ "$WHAT" = all ]; then
  echo "| closed loop, 20 s | req/s | p50 | p99 | slowest | 2xx | other status | errors | timeouts (2 s) | server CPU per answer |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  measure_wrk "KPI call, 1,000 connections" 1000
  measure_wrk "KPI call, 10,000 connections" 10000
  # The same with oha (its errors column holds its timeouts): oha's per-request recording and its
  # own CPU take more of the two shared cores at 10,000 connections than at 1,000.
  echo "| closed loop with oha, 20 s | req/s | p50 | p99 | slowest | 2xx | other status | errors (timeouts 2 s) | bytes per answer |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  measure "KPI call, 1,000 connections" -c 1000 -z 20s -H "Authorization: Bearer $TOKEN" "$KPI"
  measure "KPI call, 10,000 connections" -c 10000 -z 20s -H "Authorization: Bearer $TOKEN" "$KPI"
fi
if [ "$WHAT" = open ] || [ "$WHAT" = all ]; then
  echo "| open loop, 10,000 connections, 5,000 req/s offered, 30 s | req/s | p50 | p99 | slowest | 2xx | other status | errors | bytes per answer |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  measure "KPI call" -c 10000 -q 5000 --latency-correction -z 30s -H "Authorization: Bearer $TOKEN" "$KPI"
  measure "GET /exceptions (page)" -c 10000 -q 5000 --latency-correction -z 30s -H "Cookie: $COOKIE" "$BASE/exceptions"
  measure "GET /disputes (page)" -c 10000 -q 5000 --latency-correction -z 30s -H "Cookie: $COOKIE" "$BASE/disputes"
  # Twelve filters of the queue at once (oha draws each request's URL from the pattern, in which
  # a dot is a dot): twelve pages rendered at least once a second each.
  measure "GET /exceptions, 12 filters" -c 10000 -q 5000 --latency-correction -z 30s -H "Cookie: $COOKIE" \
    --rand-regex-url "$BASE/exceptions\\?status=(open|investigating|snoozed|escalated)&page=[1-3]"
  # Every request a new search, so none is answered from memory: at 500 req/s, and at the goal's
  # 5,000 req/s, above what this machine renders: those beyond the renders in progress and their
  # queue are answered 503 at once ("other status"), and none may time out ("errors").
  for rate in 500 5000; do
    measure "GET /exceptions, every request a new search, $rate req/s" -c 10000 -q "$rate" --latency-correction -z 30s \
      -H "Cookie: $COOKIE" --rand-regex-url "$BASE/exceptions\\?q=[a-z]{12}"
  done
fi
if [ "$WHAT" = soak ] || [ "$WHAT" = all ]; then
  SOAK="${SOAK_SECS:-600}"
  pool() { psql "$BENCH_DB_URL" -qAt -c "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"; }
  fds() { ls /proc/$PID/fd | wc -l; }
  rss() { awk '/VmRSS/ {print $2}' /proc/$PID/status; }
  echo "soak: ${SOAK}s; before: $(fds) open descriptors, $(pool) database connections, RSS $(rss) kB"
  LOADERS=()
  oha --no-tui --output-format json -w -t 2s -c 50 -q 200 -z "${SOAK}s" -H "Cookie: $COOKIE" "$BASE/exceptions" > "$OUT/soak-exceptions.json" 2>/dev/null &
  LOADERS+=($!)
  oha --no-tui --output-format json -w -t 2s -c 50 -q 200 -z "${SOAK}s" -H "Cookie: $COOKIE" "$BASE/disputes" > "$OUT/soak-disputes.json" 2>/dev/null &
  LOADERS+=($!)
  oha --no-tui --output-format json -w -t 2s -c 100 -q 1000 -z "${SOAK}s" -H "Authorization: Bearer $TOKEN" "$KPI" > "$OUT/soak-kpi.json" 2>/dev/null &
  LOADERS+=($!)
  oha --no-tui --output-format json -w -t 2s -c 20 -q 100 -z "${SOAK}s" -H "Authorization: Bearer $TOKEN" "$BASE/api/recon/v1/exceptions?limit=50" > "$OUT/soak-exceptions-api.json" 2>/dev/null &
  LOADERS+=($!)
  # Writes: an upload pair and a recon run per cycle, and an exception action, in turn.
  (
    end=$(( $(date +%s) + SOAK )) n=0 failures=0
    while [ "$(date +%s)" -lt "$end" ]; do
      n=$((n + 1)); cycle="$(date -d "2025-01-01 + $n days" +%F)"
      python3 -c "
import sys
n, cycle = int(sys.argv[1]), sys.argv[2]
with open('/tmp/soak-pg.csv', 'w') as f:
    f.write('Transaction ID,Merchant ID,Amount,Currency,Transaction Date,Transaction Time,Payment Method,UTR,RRN,Status\n')
    for i in range(2000): f.write(f'SK{n:04d}T{i:06d},MERCH_00{1 + i % 3},{100 + i}.00,INR,{cycle},10:00:00,UPI,SK{n:04d}U{i:06d},,SUCCESS\n')
with open('/tmp/soak-bank.csv', 'w') as f:
    f.write('Bank Reference,Bank Name,Amount,Transaction Date,Value Date,UTR,Remarks,Debit/Credit\n')
    for i in range(2000): f.write(f'SK{n:04d}B{i:06d},HDFC,{100 + i + (i % 50 == 0)}.00,{cycle},{cycle},SK{n:04d}U{i:06d},,CR\n')
" "$n" "$cycle"
      for kind in pg bank; do
        code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" -H "Origin: $BASE" \
          -F kind=$kind -F cycleDate="$cycle" -F file=@/tmp/soak-$kind.csv "$BASE/api/recon/v1/uploads")
        [ "$code" = 201 ] || failures=$((failures + 1))   # 201: stored
      done
      code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" -H "Origin: $BASE" \
        -H 'Content-Type: application/json' -d "{\"cycleDate\":\"$cycle\"}" "$BASE/api/recon/v1/runs")
      [ "$code" = 202 ] || failures=$((failures + 1))
      id=$(curl -s -H "Authorization: Bearer $TOKEN" "$BASE/api/recon/v1/exceptions?status=open&limit=1" | python3 -c 'import json,sys; i=json.load(sys.stdin)["items"]; print(i[0]["id"] if i else "")')
      if [ -n "$id" ]; then
        code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" -H "Origin: $BASE" \
          -H 'Content-Type: application/json' -d '{"action":"investigate"}' "$BASE/api/recon/v1/exceptions/$id/actions")
        [ "$code" = 200 ] || failures=$((failures + 1))
      fi
      sleep 5
    done
    echo "soak writes: $n cycles uploaded and run, $failures failed writes" > "$OUT/soak-writes.txt"
  ) &
  LOADERS+=($!)
  for minute in $(seq 1 $(( SOAK / 60 ))); do
    sleep 60
    echo "minute $minute: RSS $(rss) kB, $(fds) descriptors, $(pool) database connections"
  done
  # The loaders only: a bare `wait` would wait for the server too.
  wait "${LOADERS[@]}"
  sleep 5
  echo "after: $(fds) open descriptors, $(pool) database connections, RSS $(rss) kB"
  cat "$OUT/soak-writes.txt"
  for f in soak-exceptions soak-disputes soak-kpi soak-exceptions-api; do
    python3 - "$f" "$OUT/$f.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[2])); s, p = d["summary"], d["latencyPercentiles"]
codes = d.get("statusCodeDistribution", {}); errors = d.get("errorDistribution", {})
ms = lambda v: "—" if v is None else f"{v * 1000:.1f} ms"
print(f"{sys.argv[1]}: {s['requestsPerSec']:,.0f} req/s, p99 {ms(p['p99'])}, slowest {ms(s['slowest'])}, statuses {codes}, errors {errors or 0}")
PY
  done
  psql "$BENCH_DB_URL" -qAt -c "SELECT status, count(*) FROM recon_runs GROUP BY 1 ORDER BY 1"
fi
