#!/usr/bin/env bash
# SFTP ingestion at scale for BENCHMARKS.md (issue 14): a 1,000,000-line bank statement (AXIS SFTP
# settlement layout, with its .sha256 sidecar) taken by a BANK_SFTP connector from a real OpenSSH
# sshd on loopback (download + checksum + ingest, run through the job queue), against the same
# statement's HTTP upload. Each on a fresh database and a fresh release server, so neither finds
# the other's rows; the server's peak resident memory during each (VmHWM, reset before).
# Usage (after `make run` or `make test` built the release binary; as root, for sshd):
#   benchmarks/sftp.sh [lines]
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
db_ensure
secrets_key_ensure
N="${1:-1000000}"
[[ "$N" =~ ^[0-9]+$ ]] || { log "lines must be a whole number, not $N"; exit 2; }
WORK="$ROOT/target/bench-sftp"
mkdir -p "$WORK"
CYCLE=2026-11-20
FILE="$WORK/AXIS_SETTLE_${CYCLE}_01-$N.csv"
if [ ! -s "$FILE" ]; then
  log "generating a $N-line bank statement"
  awk -v n="$N" 'BEGIN {
    print "TXNID,CREDIT_AMT,NET_CR_AMT,POST_DATE,VALUE_DATE,UTR,RRN,REMARKS";
    for (i = 0; i < n; i++) {
      amount = 100 + (i * 7919) % 500000;
      printf "AXB%012d,%d.%02d,%d.%02d,20-11-2026,21-11-2026,AXUTR%012d,AXRRN%012d,NEFT CR MERCH_00%d\n", i, amount, i % 100, amount, 0, i, i, 1 + i % 6;
    } }' > "$FILE"
fi
SIZE_MB="$(du -m "$FILE" | cut -f1)"
echo "statement: $N lines, $SIZE_MB MB"

export UPLOAD_MAX_MB=1024 OBJECT_STORE_URL="file://$WORK/objects" FEATURE_BANK_SFTP_INGESTION=true
mkdir -p "$WORK/objects"
now() { date +%s.%N; }
peak_reset() { echo 5 > "/proc/$PID/clear_refs"; }
peak() { awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$PID/status"; }
stop_server() { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }
RESULTS=()

# 1. The connector: sshd serving the file, a connector tested (pins the key) and run.
sftp_server_start "$WORK/sshd"
trap 'stop_server; sftp_server_stop' EXIT
cp "$FILE" "$E2E_SFTP_DIR/AXIS_SETTLE_${CYCLE}_01.csv"
(cd "$E2E_SFTP_DIR" && sha256sum "AXIS_SETTLE_${CYCLE}_01.csv" > "AXIS_SETTLE_${CYCLE}_01.csv.sha256")
bench_server settlepaisa_bench_sftp
trap 'stop_server; sftp_server_stop' EXIT
ADMIN="$(DATABASE_URL="$BENCH_DB_URL" "$ROOT/target/release/settlepaisa-ops" token create --user admin@settlepaisa.test --name bench-sftp 2>/dev/null)"
api() { curl -s -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' "$@"; }
ID="$(api -d "{\"name\": \"AXIS bench\", \"type\": \"BANK_SFTP\", \"schedule\": \"30 6 * * *\", \"autoRecon\": false,
  \"config\": {\"host\": \"127.0.0.1\", \"port\": $E2E_SFTP_PORT, \"username\": \"$E2E_SFTP_USER\", \"directory\": \"/outgoing\",
  \"pattern\": \"AXIS_SETTLE_{YYYY-MM-DD}_*.csv\", \"sidecar\": true, \"layout\": \"AXIS SFTP settlement\"},
  \"secrets\": {\"password\": \"$E2E_SFTP_PASSWORD\"}}" "$BASE/api/ingest/v1/connectors" | python3 -c 'import json,sys;print(json.load(sys.stdin)["id"])')"
api -d "{\"action\": \"test\", \"cycleDate\": \"$CYCLE\"}" "$BASE/api/ingest/v1/connectors/$ID/actions" >/dev/null
peak_reset
T0=$(now)
RUN="$(api -d "{\"action\": \"run\", \"cycleDate\": \"$CYCLE\"}" "$BASE/api/ingest/v1/connectors/$ID/actions" | python3 -c 'import json,sys;print(json.load(sys.stdin)["runIds"][0])')"
while :; do
  STATUS="$(api "$BASE/api/ingest/v1/runs/$RUN" | python3 -c 'import json,sys;d=json.load(sys.stdin);print(d["status"], d["rowsIngested"], d.get("error") or "")')"
  case "$STATUS" in SUCCEEDED*|FAILED*) break ;; esac
  sleep 0.2
done
T1=$(now)
read -r state rows _ <<<"$STATUS"
[ "$state" = SUCCEEDED ] && [ "$rows" = "$N" ] || { log "the run ended $STATUS"; exit 1; }
SFTP_S="$(python3 -c "print(round($T1-$T0, 2))")"
RESULTS+=("$(printf 'SFTP connector run  %8s lines  %6.2f s  %7d lines/s  server peak %4d MB' "$rows" "$SFTP_S" "$(python3 -c "print(int($N/($T1-$T0)))")" "$(peak)")")
echo "${RESULTS[-1]}"
stop_server
sftp_server_stop

# 2. The same statement uploaded over HTTP, on a fresh database.
bench_server settlepaisa_bench_sftp_http
trap 'stop_server' EXIT
peak_reset
T0=$(now)
CODE="$(curl -s -o "$WORK/upload.json" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" -F kind=bank -F cycleDate="$CYCLE" \
  -F mapping="AXIS SFTP settlement" -F file=@"$FILE" "$BASE/api/recon/v1/uploads")"
T1=$(now)
rows="$(python3 -c "import json;print(json.load(open('$WORK/upload.json')).get('rowsAccepted'))")"
[ "$CODE" = 200 ] || [ "$CODE" = 201 ] || { log "upload answered $CODE: $(head -c 300 "$WORK/upload.json")"; exit 1; }
[ "$rows" = "$N" ] || { log "upload took $rows rows"; exit 1; }
HTTP_S="$(python3 -c "print(round($T1-$T0, 2))")"
RESULTS+=("$(printf 'HTTP upload         %8s lines  %6.2f s  %7d lines/s  server peak %4d MB' "$rows" "$HTTP_S" "$(python3 -c "print(int($N/($T1-$T0)))")" "$(peak)")")
echo "${RESULTS[-1]}"

echo
printf 'sftp bench: %s lines (%s MB), cycle %s\n' "$N" "$SIZE_MB" "$CYCLE"
printf '%s\n' "${RESULTS[@]}"
printf 'SFTP / HTTP: %.2f (goal: at most 1.5)\n' "$(python3 -c "print($SFTP_S/$HTTP_S)")"
for db in settlepaisa_bench_sftp settlepaisa_bench_sftp_http; do
  PGOPTIONS="-c client_min_messages=warning" psql "${DATABASE_URL%/*}/postgres" -qtA -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
done
