#!/usr/bin/env bash
# Recon at scale for BENCHMARKS.md: generates a 1,000,000-row PG CSV and a 1,000,000-line bank CSV,
# then, against the release server on a fresh database: uploads each (ingestion rows/s), runs the
# cycle (queue → match → persist) and reports wall times and the server's peak memory.
# Usage (after `make run` or `make test` built the release binary):  benchmarks/recon.sh [rows]
# RECON_UPLOADS=together sends the two files at once instead of one after the other.
# It leaves its database (settlepaisa_bench_recon) behind for benchmarks/recon-floor.sh; the next run
# recreates it.
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
db_ensure
ROWS="${1:-1000000}"
WORK="$ROOT/target/bench-recon"
mkdir -p "$WORK"
if [ ! -s "$WORK/pg-$ROWS.csv" ]; then
  log "generating $ROWS PG rows and $ROWS bank lines"
  awk -v n="$ROWS" 'BEGIN {
    print "Transaction ID,Merchant ID,Amount,Currency,Transaction Date,Transaction Time,Payment Method,UTR,RRN,Status" > "/dev/stdout";
    for (i = 0; i < n; i++) {
      amount = 100 + (i * 7919) % 500000; k = i % 100;
      utr = (k == 90) ? "" : sprintf("BUTR%012d", i);
      printf "BT%012d,MERCH_00%d,%d.%02d,INR,2026-02-10,10:%02d:00,UPI,%s,BRRN%012d,SUCCESS\n", i, 1 + i % 3, amount, i % 100, i % 60, utr, i;
    } }' > "$WORK/pg-$ROWS.csv"
  awk -v n="$ROWS" 'BEGIN {
    print "Bank Reference,Bank Name,Amount,Transaction Date,Value Date,UTR,Remarks,Debit/Credit";
    for (i = 0; i < n; i++) {
      amount = 100 + (i * 7919) % 500000; k = i % 100; paise = i % 100;
      if (k == 80) { paise = paise - 1; if (paise < 0) { paise = 99; amount = amount - 1 } }
      utr = (k == 94) ? sprintf("ONLYBANK%09d", i) : sprintf("BUTR%012d", i);
      printf "BREF%012d,HDFC,%d.%02d,2026-02-10,2026-02-10,%s,,CR\n", i, amount, paise, utr;
    } }' > "$WORK/bank-$ROWS.csv"
fi
ls -l "$WORK/pg-$ROWS.csv" "$WORK/bank-$ROWS.csv" | awk '{print $5, $9}'

export UPLOAD_MAX_MB=512 OBJECT_STORE_URL="file://$WORK/objects" BENCH_LOG_LEVEL=info BENCH_LOG="$WORK/server.log"
bench_server settlepaisa_bench_recon
now() { date +%s.%N; }
upload() {
  local kind="$1" file="$2" t0 t1 code
  t0=$(now)
  code=$(curl -s -o "$WORK/upload-$kind.json" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
    -F kind="$kind" -F cycleDate=2026-02-10 -F file=@"$file" "$BASE/api/recon/v1/uploads") || true
  t1=$(now)
  [ "$code" = 201 ] || { echo "upload $kind failed: HTTP $code $(head -c 300 "$WORK/upload-$kind.json")"; return 1; }
  echo "upload $kind: $(python3 -c "import json;d=json.load(open('$WORK/upload-$kind.json'));print(d.get('rowsAccepted'), 'accepted', d.get('rowsRejected'), 'rejected')") in $(python3 -c "print(round($t1-$t0,2))") s = $(python3 -c "print(int($ROWS/($t1-$t0)))") rows/s"
}
T0=$(now)
case "${RECON_UPLOADS:-one_after_the_other}" in
  together)
    # Both files sent at once (as two analysts or two connectors would): each upload's database
    # upsert runs on one core, so the second file's parse and upsert use the other.
    upload pg "$WORK/pg-$ROWS.csv" & UP_PG=$!
    upload bank "$WORK/bank-$ROWS.csv" & UP_BANK=$!
    FAILED=0
    wait "$UP_PG" || FAILED=1
    wait "$UP_BANK" || FAILED=1
    [ "$FAILED" = 0 ] || exit 1
    ;;
  one_after_the_other)
    upload pg "$WORK/pg-$ROWS.csv" || exit 1
    upload bank "$WORK/bank-$ROWS.csv" || exit 1
    ;;
  *) echo "RECON_UPLOADS is together or one_after_the_other, not ${RECON_UPLOADS}" >&2; exit 2 ;;
esac
T1=$(now)
echo "both uploads (${RECON_UPLOADS:-one_after_the_other}): $(python3 -c "print(round($T1-$T0,2))") s"
echo "server peak memory after both uploads: $(awk '/VmHWM/ {print $2, $3}' /proc/$PID/status)"
RUN=$(curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"cycleDate":"2026-02-10"}' "$BASE/api/recon/v1/runs" | python3 -c 'import json,sys;print(json.load(sys.stdin)["id"])')
DEADLINE=$(( $(date +%s) + 900 ))
while [ "$(date +%s)" -lt "$DEADLINE" ]; do
  STATUS=$(curl -s -H "Authorization: Bearer $TOKEN" "$BASE/api/recon/v1/runs/$RUN" | python3 -c 'import json,sys;d=json.load(sys.stdin);print(d["status"])')
  [ "$STATUS" = completed ] || [ "$STATUS" = failed ] && break
  sleep 0.2
done
T2=$(now)
curl -s -H "Authorization: Bearer $TOKEN" "$BASE/api/recon/v1/runs/$RUN" | python3 -c 'import json,sys;d=json.load(sys.stdin);print("run", d["status"], d["counts"], d["byReason"], d.get("error") or "")'
echo "run (queue → match → persist): $(python3 -c "print(round($T2-$T1,2))") s"
echo "whole (both uploads + run): $(python3 -c "print(round($T2-$T0,2))") s"
echo "server peak memory (uploads and run): $(awk '/VmHWM/ {print $2, $3}' /proc/$PID/status)"
echo "steps (server log):"
sed -E 's/\x1b\[[0-9;]*m//g' "$WORK/server.log" | grep -E "recon (upload stored|run step)"
[ "$STATUS" = completed ] || { echo "the run did not complete: $STATUS" >&2; exit 1; }
