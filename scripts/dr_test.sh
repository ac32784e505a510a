#!/usr/bin/env bash
# Disaster-recovery test (run by `make test` after the release build; alone:
# `scripts/dr_test.sh [BIN]`). On a throw-away PostgreSQL cluster of its own, archiving WAL with
# deploy/postgresql-archiving.conf exactly as shipped (only the directory replaced):
#
#   1. migrate and seed the demo data; take a base backup (scripts/backup.sh base);
#   2. write after it (a user created: a user row and an audit row); take the daily dump
#      (scripts/backup.sh dump); note the chosen instant T and every table's content at T;
#   3. write after T (another user), then lose the primary (pg_ctl stop -m immediate);
#   4. restore into a fresh cluster to T (scripts/restore.sh) and time it (the RTO's measurable part);
#   5. check: every table of the restored database has exactly T's content (so every Overview,
#      disputes and settlement figure, all read from these tables, is identical), the write
#      after T is absent, the audit chain verifies (`settlepaisa-ops audit verify`); and the daily
#      dump restored with pg_restore into another database has that same content.
#
# DR_ROWS=N adds N generated PG transactions first, to measure the restore of a larger database.
source "$(dirname "$0")/lib.sh"
BIN="${1:-$ROOT/target/release/settlepaisa-ops}"
[ -x "$BIN" ] || { echo "no server binary at $BIN (build it first)" >&2; exit 2; }
PGBIN="$(pg_bindir)" || { echo "PostgreSQL's server programs are not installed (make tools)" >&2; exit 2; }

WORK="$(mktemp -d /tmp/settlepaisa-dr.XXXXXX)"
chmod 755 "$WORK"
mkdir -p "$WORK/archive" "$WORK/backups" "$WORK/run" "$WORK/bin"
# The scripts run as the cluster's owner, who may not be able to read the checkout.
cp "$ROOT/scripts/backup.sh" "$ROOT/scripts/restore.sh" "$WORK/bin/"
if [ "$(id -u)" = 0 ]; then chown -R postgres:postgres "$WORK"; fi
PRIMARY="$WORK/primary" RESTORED="$WORK/restored"
P1="$(free_port)"
cleanup() {
  for d in "$PRIMARY" "$RESTORED"; do
    [ -f "$d/postmaster.pid" ] && pg_as_owner "$PGBIN/pg_ctl" -D "$d" -m immediate stop >/dev/null 2>&1 || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
as_owner() { pg_as_owner "$@"; }
url() { echo "postgres://postgres@127.0.0.1:$1/settlepaisa_dr"; }
sql() { psql "$(url "$1")" -qAt -v ON_ERROR_STOP=1 -c "$2"; }

log "DR: a primary archiving WAL as deploy/postgresql-archiving.conf says (port $P1)"
as_owner "$PGBIN/initdb" -D "$PRIMARY" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
{
  echo "listen_addresses = '127.0.0.1'"
  echo "port = $P1"
  echo "unix_socket_directories = '$WORK/run'"
  sed "s|/var/lib/postgresql/wal-archive|$WORK/archive|g" "$ROOT/deploy/postgresql-archiving.conf"
} | as_owner tee -a "$PRIMARY/postgresql.conf" >/dev/null
as_owner "$PGBIN/pg_ctl" -D "$PRIMARY" -l "$WORK/primary.log" -w -t 60 start >/dev/null
psql "postgres://postgres@127.0.0.1:$P1/postgres" -qAt -c "CREATE DATABASE settlepaisa_dr" >/dev/null
export APP_ENV=demo
DATABASE_URL="$(url "$P1")" "$BIN" migrate >/dev/null
DATABASE_URL="$(url "$P1")" "$BIN" seed demo >/dev/null
if [ -n "${DR_ROWS:-}" ]; then
  log "DR: adding $DR_ROWS generated PG transactions"
  sql "$P1" "INSERT INTO transactions (txn_id, merchant_id, amount_paise, txn_at, cycle_date, payment_method, acquirer, utr)
             SELECT 'DR' || g, t.merchant_id, 10000 + g % 100000, t.txn_at, DATE '2020-01-01' + g / 50000,
                    t.payment_method, t.acquirer, 'DRUTR' || g
             FROM generate_series(1, $DR_ROWS) g, (SELECT * FROM transactions LIMIT 1) t" >/dev/null
fi

log "DR: base backup (scripts/backup.sh base)"

as_owner env BACKUP_DATABASE_URL="$(url "$P1")" BACKUP_DIR="$WORK/backups" PG_BIN="$PGBIN" "$WORK/bin/backup.sh" base
BASE="$(ls -1d "$WORK/backups/base"/2* | tail -1)"

# A write after the base backup, replayed from the archive.
printf '%s\n' "Before-Instant-2026" | DATABASE_URL="$(url "$P1")" "$BIN" user create \
  --email dr-before@settlepaisa.test --role sp-ops --name "DR before" >/dev/null
as_owner env BACKUP_DATABASE_URL="$(url "$P1")" BACKUP_DIR="$WORK/backups" PG_BIN="$PGBIN" "$WORK/bin/backup.sh" dump
DUMP="$(ls -1 "$WORK/backups/daily"/*.dump | tail -1)"

# Every table's rows, by content (each table: its row count and an order-free digest of its rows).
checksums() {
  psql "$1" -qAt -v ON_ERROR_STOP=1 <<'SQL'
SELECT format('SELECT %L, count(*), md5(coalesce(string_agg(md5(t::text), '''' ORDER BY md5(t::text)), '''')) FROM %I.%I t',
              schemaname || '.' || tablename, schemaname, tablename)
FROM pg_tables WHERE schemaname IN ('public', 'tower_sessions') ORDER BY schemaname, tablename
\gexec
SQL
}
AT_T="$(checksums "$(url "$P1")")"
T="$(sql "$P1" "SELECT now()")"
[ "$(printf '%s\n' "$AT_T" | wc -l)" -gt 40 ] || { echo "DR: too few tables read: $AT_T" >&2; exit 1; }
sleep 1.2

# Written after the chosen instant: the restore to T must not have it.
printf '%s\n' "After-Instant-2026" | DATABASE_URL="$(url "$P1")" "$BIN" user create \
  --email dr-after@settlepaisa.test --role sp-ops --name "DR after" >/dev/null
# Close the segment holding it and wait until archive_command has it: else a restore that ignored
# T would pass too.
SEGMENT="$(sql "$P1" "SELECT pg_walfile_name(pg_switch_wal())")"
archived=no
for _ in $(seq 1 200); do
  if [ "$(sql "$P1" "SELECT coalesce(last_archived_wal >= '$SEGMENT', false) FROM pg_stat_archiver")" = t ]; then archived=yes; break; fi
  sleep 0.1
done
[ "$archived" = yes ] || { echo "DR: segment $SEGMENT (the write after T) was not archived within 20 s" >&2; exit 1; }
log "DR: the primary is lost (pg_ctl stop -m immediate)"
as_owner "$PGBIN/pg_ctl" -D "$PRIMARY" -m immediate stop >/dev/null

log "DR: point-in-time recovery to $T into a fresh cluster"
P2="$(free_port)"
started="$(date +%s.%N)"
as_owner "$WORK/bin/restore.sh" "$BASE" "$WORK/archive" "$RESTORED" "$T"
as_owner "$PGBIN/pg_ctl" -D "$RESTORED" -l "$WORK/restored.log" -w -t 600 \
  -o "-p $P2 -c unix_socket_directories=$WORK/run" start >/dev/null
for _ in $(seq 1 6000); do
  [ "$(psql "postgres://postgres@127.0.0.1:$P2/postgres" -qAt -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" = f ] && break
  sleep 0.1
done
finished="$(date +%s.%N)"
[ "$(psql "postgres://postgres@127.0.0.1:$P2/postgres" -qAt -c 'SELECT pg_is_in_recovery()')" = f ] ||
  { echo "DR: the restored cluster did not finish recovery" >&2; tail -20 "$WORK/restored.log" >&2; exit 1; }
restore_s="$(awk "BEGIN { printf \"%.1f\", $finished - $started }")"

RESTORED_AT_T="$(checksums "$(url "$P2")")"
if [ "$AT_T" != "$RESTORED_AT_T" ]; then
  echo "DR: the restored database differs from the instant chosen:" >&2
  diff <(printf '%s\n' "$AT_T") <(printf '%s\n' "$RESTORED_AT_T") >&2 || true
  exit 1
fi
[ "$(sql "$P2" "SELECT count(*) FROM users WHERE email = 'dr-before@settlepaisa.test'")" = 1 ] ||
  { echo "DR: the write before T is missing" >&2; exit 1; }
[ "$(sql "$P2" "SELECT count(*) FROM users WHERE email = 'dr-after@settlepaisa.test'")" = 0 ] ||
  { echo "DR: the write after T was restored too" >&2; exit 1; }
DATABASE_URL="$(url "$P2")" "$BIN" audit verify

log "DR: the daily dump restored with pg_restore into another database"
psql "postgres://postgres@127.0.0.1:$P2/postgres" -qAt -c "CREATE DATABASE settlepaisa_dump" >/dev/null
"$PGBIN/pg_restore" --exit-on-error --no-owner --dbname="postgres://postgres@127.0.0.1:$P2/settlepaisa_dump" "$DUMP"
FROM_DUMP="$(checksums "postgres://postgres@127.0.0.1:$P2/settlepaisa_dump")"
if [ "$AT_T" != "$FROM_DUMP" ]; then
  echo "DR: the dump's database differs from the instant it was taken:" >&2
  diff <(printf '%s\n' "$AT_T") <(printf '%s\n' "$FROM_DUMP") >&2 || true
  exit 1
fi
size="$(du -sh "$BASE" | cut -f1)"
wal="$(ls "$WORK/archive" | grep -c '^[0-9A-F]\{24\}$')"
tables="$(printf '%s\n' "$AT_T" | wc -l)"
log "DR: restored to T in ${restore_s}s (base backup $size, $wal archived WAL segments); $tables tables identical to T; the write after T absent; audit chain verified; the dump identical too"
