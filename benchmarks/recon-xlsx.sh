#!/usr/bin/env bash
# XLSX ingestion for BENCHMARKS.md: a PG simple workbook of N rows (default 500,000: about 24 MB,
# inside the default 25 MB upload limit), uploaded to the release server on a fresh database;
# prints the time, rows/s and the server's peak memory before and after.
# Usage (after `make run` or `make test` built the release binary):  benchmarks/recon-xlsx.sh [rows]
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
db_ensure
ROWS="${1:-500000}"
WORK="$ROOT/target/bench-recon"
mkdir -p "$WORK"
if [ ! -s "$WORK/pg-$ROWS.xlsx" ]; then
  log "writing a $ROWS-row PG workbook"
  cargo run --quiet --release --example xlsx_pg_file -- "$ROWS" "$WORK/pg-$ROWS.xlsx"
fi
ls -l "$WORK/pg-$ROWS.xlsx" | awk '{print $5, $9}'
export OBJECT_STORE_URL="file://$WORK/objects" BENCH_LOG_LEVEL=info BENCH_LOG="$WORK/server-xlsx.log"
bench_server settlepaisa_bench_recon_xlsx
echo "server peak memory before: $(awk '/VmHWM/ {print $2, $3}' /proc/$PID/status)"
T0=$(date +%s.%N)
curl -s -o "$WORK/upload-xlsx.json" -H "Authorization: Bearer $TOKEN" \
  -F kind=pg -F cycleDate=2026-02-10 -F file=@"$WORK/pg-$ROWS.xlsx" "$BASE/api/recon/v1/uploads"
T1=$(date +%s.%N)
python3 -c "import json;d=json.load(open('$WORK/upload-xlsx.json'));print(d.get('format'), d.get('rowsAccepted'), 'accepted', d.get('rowsRejected'), 'rejected', d.get('message') or '')"
echo "upload: $(python3 -c "print(round($T1-$T0,2))") s = $(python3 -c "print(int($ROWS/($T1-$T0)))") rows/s"
echo "server peak memory after: $(awk '/VmHWM/ {print $2, $3}' /proc/$PID/status)"
sed -E 's/\x1b\[[0-9;]*m//g' "$WORK/server-xlsx.log" | grep -E "recon upload stored"
