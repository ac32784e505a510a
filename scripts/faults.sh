#!/usr/bin/env bash
# Faults survived (scripts/faults.py): the release server and a PostgreSQL cluster of its own are
# broken on purpose mid-work, and nothing acknowledged may be lost, nothing unacknowledged half
# written. `make test` runs it with 60,000 rows per cycle; `scripts/faults.sh [BIN] [rows]` alone.
source "$(dirname "$0")/lib.sh"
BIN="${1:-$ROOT/target/release/settlepaisa-ops}"
ROWS="${2:-60000}"
[ -x "$BIN" ] || { echo "no server binary at $BIN (build it first)" >&2; exit 2; }
PGBIN="$(pg_bindir)" || { echo "PostgreSQL's server programs are not installed (make tools)" >&2; exit 2; }
WORK="$(mktemp -d /tmp/settlepaisa-faults.XXXXXX)"
chmod 755 "$WORK"
cleanup() {
  mountpoint -q "$WORK/small-store" 2>/dev/null && umount "$WORK/small-store"
  [ -f "$WORK/pg/postmaster.pid" ] && pg_as_owner "$PGBIN/pg_ctl" -D "$WORK/pg" -m immediate stop >/dev/null 2>&1
  mkdir -p "$ROOT/target/faults" && cp "$WORK"/faults.json "$WORK"/server-*.log "$ROOT/target/faults/" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
python3 "$ROOT/scripts/faults.py" "$BIN" "$ROOT/target/site" "$WORK" "$PGBIN" "$ROWS"
