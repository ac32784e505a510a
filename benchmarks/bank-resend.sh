#!/usr/bin/env bash
# A bank statement sent again, for BENCHMARKS.md: against the release server on a fresh database,
# uploads a 1,000,000-line bank CSV (every line new), then the same lines again in another file
# (CRLF line ends, one new line at the end: every other line is skipped as already on file), then
# the same references with other amounts (every line a clash: refused whole past the row-error
# limit). Prints each upload's answer, wall time and the server's peak memory.
# Usage (after `make run` or `make test` built the release binary):  benchmarks/bank-resend.sh [rows]
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
db_ensure
ROWS="${1:-1000000}"
WORK="$ROOT/target/bench-bank-resend"
mkdir -p "$WORK"
gen() { # $1 = amount offset in paise
  awk -v n="$ROWS" -v off="$1" 'BEGIN {
    print "Bank Reference,Bank Name,Amount,Transaction Date,Value Date,UTR,Remarks,Debit/Credit";
    for (i = 0; i < n; i++) {
      paise = 10000 + (i * 7919) % 50000000 + off;
      printf "RS%012d,HDFC,%d.%02d,2026-02-10,2026-02-10,RSUTR%012d,,CR\n", i, paise / 100, paise % 100, i;
    } }'
}
[ -s "$WORK/new-$ROWS.csv" ] || gen 0 > "$WORK/new-$ROWS.csv"
[ -s "$WORK/again-$ROWS.csv" ] || { sed 's/$/\r/' "$WORK/new-$ROWS.csv"; printf 'RSNEW,HDFC,1.00,2026-02-10,,RSUTRNEW,,CR\r\n'; } > "$WORK/again-$ROWS.csv"
[ -s "$WORK/clash-$ROWS.csv" ] || gen 1 > "$WORK/clash-$ROWS.csv"
export UPLOAD_MAX_MB=512 OBJECT_STORE_URL="file://$WORK/objects" BENCH_LOG_LEVEL=info BENCH_LOG="$WORK/server.log"
bench_server settlepaisa_bench_resend
now() { date +%s.%N; }
upload() {
  local name="$1" t0 t1 code
  t0=$(now)
  code=$(curl -s -o "$WORK/answer.json" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
    -F kind=bank -F cycleDate=2026-02-10 -F file=@"$WORK/$name-$ROWS.csv" "$BASE/api/recon/v1/uploads") || true
  t1=$(now)
  echo "$name: HTTP $code in $(python3 -c "print(round($t1-$t0,2))") s — $(python3 -c "
import json; d = json.load(open('$WORK/answer.json'))
print({k: d[k] for k in ('rowsAccepted', 'rowsRejected', 'rowsSkipped', 'skipped') if k in d} or d.get('message', '')[:160])")"
  echo "  server peak memory so far: $(awk '/VmHWM/ {print $2, $3}' /proc/$PID/status)"
}
upload new
upload again
upload clash
echo "server log (upload steps):"
sed -E 's/\x1b\[[0-9;]*m//g' "$WORK/server.log" | grep -E "recon upload stored" || true
