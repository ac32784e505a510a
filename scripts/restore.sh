#!/usr/bin/env bash
# Point-in-time recovery of the SettlePaisa Ops database into a NEW data directory, from a base
# backup of scripts/backup.sh and the WAL archive of deploy/postgresql-archiving.conf.
#
#   scripts/restore.sh BASE_BACKUP_DIR WAL_ARCHIVE_DIR NEW_DATA_DIR ['2026-12-03 14:05:00+00']
#
# Without a target time it replays every archived segment (the latest state the archive holds).
# It prepares the directory only; start it with
#   pg_ctl -D NEW_DATA_DIR -l NEW_DATA_DIR/recovery.log start
# and the server replays the WAL, stops at the target and promotes itself (a normal primary again,
# on a new timeline). docs/runbooks/restore.md is the whole procedure. Run as the cluster's owner
# (postgres). The old data directory is never touched.
set -euo pipefail

if [ $# -lt 3 ]; then
  echo "usage: $0 BASE_BACKUP_DIR WAL_ARCHIVE_DIR NEW_DATA_DIR [TARGET_TIME]" >&2
  exit 2
fi
base="$1" archive="$2" target_dir="$3" target_time="${4:-}"

# Both go into postgresql.auto.conf: nothing that could close the quotes or add a setting.
if [[ ! "$archive" =~ ^[A-Za-z0-9/_.-]+$ ]]; then
  echo "the WAL archive path may hold only letters, digits and / _ . -" >&2; exit 2
fi
if [ -n "$target_time" ] && { [[ ! "$target_time" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}[\ T][0-9:.]+([+-][0-9:]+|Z|\ UTC)?$ ]] || ! date -d "$target_time" >/dev/null 2>&1; }; then
  echo "not an instant: $target_time (e.g. '2026-12-03 14:05:00+00')" >&2; exit 2
fi
[ -f "$base/base.tar.gz" ] || { echo "no base.tar.gz in $base" >&2; exit 2; }
[ -d "$archive" ] || { echo "no WAL archive at $archive" >&2; exit 2; }
if [ -e "$target_dir" ] && [ -n "$(ls -A "$target_dir" 2>/dev/null)" ]; then
  echo "$target_dir is not empty: restore into a new directory, never over a cluster" >&2
  exit 2
fi
if [ -f "$base/SHA256SUMS" ]; then
  (cd "$base" && sha256sum --quiet -c SHA256SUMS) || { echo "the base backup's checksums do not match" >&2; exit 1; }
fi

mkdir -p "$target_dir"
chmod 700 "$target_dir"
tar -xzf "$base/base.tar.gz" -C "$target_dir"
if [ -f "$base/pg_wal.tar.gz" ]; then
  tar -xzf "$base/pg_wal.tar.gz" -C "$target_dir/pg_wal"
fi
archive_abs="$(cd "$archive" && pwd)"
{
  echo "# written by scripts/restore.sh on $(date -u +%FT%TZ)"
  echo "restore_command = 'cp $archive_abs/%f %p'"
  # Recovery must not archive into the same directory the primary did (a new timeline's segments
  # would mix with the old one's); archiving is switched on again by the operator after checking.
  echo "archive_mode = off"
  if [ -n "$target_time" ]; then
    echo "recovery_target_time = '$target_time'"
    echo "recovery_target_inclusive = true"
  fi
  echo "recovery_target_action = 'promote'"
} >> "$target_dir/postgresql.auto.conf"
touch "$target_dir/recovery.signal"
echo "prepared $target_dir: start it with pg_ctl -D $target_dir start" >&2
