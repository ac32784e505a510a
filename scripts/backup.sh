#!/usr/bin/env bash
# Backups of the SettlePaisa Ops database (the checklist's production bar: RTO < 4 h, RPO < 1 h,
# daily backups kept 30 days). docs/runbooks/backup-and-restore.md says when to run what.
#
#   scripts/backup.sh dump    a logical dump (pg_dump custom format) into $BACKUP_DIR/daily/
#   scripts/backup.sh base    a base backup (pg_basebackup, tar + gzip, its WAL streamed in) into
#                             $BACKUP_DIR/base/: what continuous WAL archiving
#                             (deploy/postgresql-archiving.conf) replays onto for point-in-time
#                             recovery (scripts/restore.sh)
#   scripts/backup.sh prune   deletes dumps and base backups older than $KEEP_DAYS (never the newest
#                             of each), then the archived WAL older than the oldest base backup kept
#
# deploy/settlepaisa-backup.timer runs `dump` and `base` daily, then `prune`.
#
# Environment:
#   BACKUP_DATABASE_URL   the database, as the schema's owner or postgres, WITHOUT a password (peer
#                         authentication over the local socket, or the password in ~/.pgpass /
#                         PGPASSFILE: a URL with a password would show in `ps` for the whole run);
#                         `base` needs a role with REPLICATION
#   BACKUP_DIR            where backups go (default /var/backups/settlepaisa)
#   WAL_ARCHIVE_DIR       the archive_command's directory, for `prune` (default /var/lib/postgresql/wal-archive)
#   KEEP_DAYS             retention in days (default 30)
#   PG_BIN                PostgreSQL's client programs (default: the newest /usr/lib/postgresql/*/bin)
# Every file is written under a temporary name and renamed when complete, with its SHA-256 beside
# it, so a backup cut short never looks like a good one.
set -euo pipefail
# Dumps hold password hashes, account numbers and session ids: readable by their owner only.
umask 077

BACKUP_DIR="${BACKUP_DIR:-/var/backups/settlepaisa}"
WAL_ARCHIVE_DIR="${WAL_ARCHIVE_DIR:-/var/lib/postgresql/wal-archive}"
KEEP_DAYS="${KEEP_DAYS:-30}"
URL="${BACKUP_DATABASE_URL:-}"
if [ -z "${PG_BIN:-}" ]; then
  PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
fi
stamp="$(date -u +%Y%m%dT%H%M%SZ)"

say() { printf '%s backup: %s\n' "$(date -u +%FT%TZ)" "$*" >&2; }
need_url() {
  [ -n "$URL" ] || { say "set BACKUP_DATABASE_URL"; exit 2; }
  # postgres://user:password@… — refused: the password would be on the command line.
  # libpq also takes `password = x` and percent-encoded names (`pass%77ord=`): match the decoded text.
  local decoded
  decoded="$(printf '%b' "${URL//%/\\x}")"
  if [[ "$URL" =~ ^postgres(ql)?://[^/@]*:[^/@]*@ ]] || [[ "${decoded,,}" =~ (^|[?&[:space:]])password[[:space:]]*= ]]; then
    say "BACKUP_DATABASE_URL holds a password: use peer authentication or ~/.pgpass (PGPASSFILE) instead"
    exit 2
  fi
}

dump() {
  need_url
  mkdir -p "$BACKUP_DIR/daily"
  local out="$BACKUP_DIR/daily/settlepaisa-$stamp.dump"
  "$PG_BIN/pg_dump" --format=custom --compress=6 --file="$out.part" "$URL"
  # A dump that pg_restore cannot list is no backup.
  "$PG_BIN/pg_restore" --list "$out.part" >/dev/null
  (cd "$BACKUP_DIR/daily" && sha256sum "$(basename "$out.part")" | sed 's/\.part$//' > "$(basename "$out").sha256")
  mv "$out.part" "$out"
  say "dump written: $out ($(du -h "$out" | cut -f1))"
}

base() {
  need_url
  mkdir -p "$BACKUP_DIR/base"
  local out="$BACKUP_DIR/base/$stamp"
  rm -rf "$out.part"
  "$PG_BIN/pg_basebackup" --dbname="$URL" --pgdata="$out.part" --format=tar --gzip \
    --wal-method=stream --checkpoint=fast --label="settlepaisa-$stamp"
  (cd "$out.part" && sha256sum ./*.tar.gz > SHA256SUMS)
  mv "$out.part" "$out"
  say "base backup written: $out ($(du -sh "$out" | cut -f1))"
}

# The WAL segment a base backup starts at (from its backup_label): the oldest segment it needs.
start_segment() {
  tar -xzOf "$1/base.tar.gz" backup_label | sed -n 's/^START WAL LOCATION: .*(file \([0-9A-F]*\))$/\1/p'
}

prune() {
  # Keep the newest of each kind whatever its age: a stopped timer must not delete the last backup.
  local newest
  if [ -d "$BACKUP_DIR/daily" ]; then
    newest="$(ls -1 "$BACKUP_DIR/daily"/*.dump 2>/dev/null | sort | tail -1 || true)"
    find "$BACKUP_DIR/daily" -maxdepth 1 -name '*.dump' -mtime +"$KEEP_DAYS" ! -path "$newest" -print |
      while read -r f; do rm -f "$f" "$f.sha256"; say "deleted $f"; done
  fi
  if [ -d "$BACKUP_DIR/base" ]; then
    newest="$(ls -1d "$BACKUP_DIR/base"/2* 2>/dev/null | grep -v '\.part$' | sort | tail -1 || true)"
    find "$BACKUP_DIR/base" -mindepth 1 -maxdepth 1 -type d -mtime +"$KEEP_DAYS" ! -path "$newest" -print |
      while read -r d; do rm -rf "$d"; say "deleted $d"; done
    local oldest
    oldest="$(ls -1d "$BACKUP_DIR/base"/2* 2>/dev/null | grep -v '\.part$' | sort | head -1 || true)"
    if [ -n "$oldest" ] && [ -d "$WAL_ARCHIVE_DIR" ]; then
      local segment; segment="$(start_segment "$oldest")"
      if [ -n "$segment" ]; then
        "$PG_BIN/pg_archivecleanup" "$WAL_ARCHIVE_DIR" "$segment"
        say "archived WAL before $segment deleted (the oldest base backup kept, $(basename "$oldest"), starts there)"
      fi
    fi
  fi
}

case "${1:-}" in
  dump) dump ;;
  base) base ;;
  prune) prune ;;
  *) echo "usage: $0 dump|base|prune" >&2; exit 2 ;;
esac
