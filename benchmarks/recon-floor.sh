#!/usr/bin/env bash
# The floor of the partitioned design (BENCHMARKS.md, "Recon at scale: the floor of the partitioned
# design"): times benchmarks/recon-floor.sql twice on the database benchmarks/recon.sh leaves behind
# (settlepaisa_bench_recon). Its CHECKPOINTs need a superuser, so it runs on the private cluster as
# `postgres` over the cluster's socket, never on a server named by DATABASE_URL or DB_HOST.
# Usage (a release build first, as for recon.sh), with the same [rows]:
#   benchmarks/recon.sh [rows] && benchmarks/recon-floor.sh [rows]
# Full output: target/bench-recon/floor.log.
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
load_dotenv
[ -z "${DATABASE_URL:-}${DB_HOST:-}" ] || { log "recon-floor.sh runs on the private cluster only (unset DATABASE_URL and DB_HOST)"; exit 1; }
db_ensure
ROWS="${1:-1000000}"
[[ "$ROWS" =~ ^[1-9][0-9]*$ ]] || { log "rows must be a positive whole number, not $ROWS"; exit 2; }
DB=settlepaisa_bench_recon
CYCLE=2026-02-10 # recon.sh's cycle
LOG="$ROOT/target/bench-recon/floor.log"
mkdir -p "$(dirname "$LOG")"
# psql as the cluster's superuser, on the benchmark's database.
su_psql() { PGOPTIONS="-c client_min_messages=warning" pg_as_owner "$(pg_bindir)/psql" -X -h "$(cluster_dir)-run" -p "$(db_port)" -U postgres -d "$DB" "$@"; }
RUN="$(su_psql -qtA -c "SELECT id FROM recon_runs WHERE cycle_date = '$CYCLE' AND status = 'completed'
                        ORDER BY finished_at DESC LIMIT 1")" || { log "could not read $DB's runs (does it exist? run benchmarks/recon.sh first)"; exit 1; }
[ -n "$RUN" ] || { log "no completed run of $CYCLE in $DB: run benchmarks/recon.sh first"; exit 1; }
cleanup() {
  # The tables of an interrupted pass (a finished pass leaves them too: dropped here).
  su_psql -q -c "DROP TABLE IF EXISTS floor_txn, floor_bank, floor_results, floor_txn_cycle, floor_stage_txn,
                 floor_stage_bank; DROP SEQUENCE IF EXISTS floor_seq" >/dev/null 2>&1 || true
}
trap cleanup EXIT
: > "$LOG"
# Autovacuum on the database just loaded would share the two cores with the passes: wait for it.
DEADLINE=$(( $(date +%s) + 900 ))
while :; do
  VACUUMING="$(su_psql -qtA -c "SELECT count(*) FROM pg_stat_activity
                                WHERE backend_type = 'autovacuum worker' AND datname = current_database()")"
  [ "$VACUUMING" = 0 ] && break
  [ -n "$VACUUMING" ] && [ "$(date +%s)" -lt "$DEADLINE" ] || { log "autovacuum still running after 15 min (or psql failed)"; exit 1; }
  log "waiting for autovacuum to finish"; sleep 10
done
# Log the installed txn_daily_on_update()'s md5, so the "as built" figures can be tied to a migration.
su_psql -qtA -c "SELECT 'txn_daily_on_update body md5 ' || md5(prosrc) FROM pg_proc WHERE proname = 'txn_daily_on_update'" | tee -a "$LOG"
# The trigger function before migration 20261215000001, as its migration wrote it (migrations are
# append-only, so this is the text production ran until then), with the search path 20261212000001
# gave it, for the comparison in the last part.
PREVIOUS_FUNCTION="$(sed -n '/^CREATE FUNCTION txn_daily_on_update()/,/^END \$\$;/{s/^CREATE FUNCTION/CREATE OR REPLACE FUNCTION/;s/search_path = public AS/search_path = pg_catalog, public, pg_temp AS/;p}' \
  "$ROOT/migrations/20261203000001_daily_rollups.sql")"
case "$PREVIOUS_FUNCTION" in
  *\\*) log "a backslash in the previous function would be a psql command"; exit 1 ;;
  'CREATE OR REPLACE FUNCTION txn_daily_on_update()'*'pg_catalog, public, pg_temp AS $$'*'END $$;') ;;
  *) log "could not read txn_daily_on_update() from migrations/20261203000001_daily_rollups.sql"; exit 1 ;;
esac
# The comparison means nothing on a database still running that function (migrated before 20261215000001).
[ "$(su_psql -qtA -c "SELECT count(*) FROM _sqlx_migrations WHERE version = 20261215000001")" = 1 ] \
  || { log "$DB predates migration 20261215000001: run benchmarks/recon.sh with a current build"; exit 1; }
for pass in 1 2; do
  echo "== pass $pass (run $RUN)" | tee -a "$LOG"
  # The SQL on standard input: the checkout may be out of `postgres`'s reach (under /root).
  if ! su_psql -q -v cycle="$CYCLE" -v run="$RUN" -v rows="$ROWS" -v previous_function="$PREVIOUS_FUNCTION" -f - <"$ROOT/benchmarks/recon-floor.sql" >>"$LOG" 2>&1; then
    cat "$LOG"
    log "recon-floor.sql failed (full output above and in $LOG)"
    exit 1
  fi
  grep -E '^(==|--)' "$LOG" | sed -n '/^== pass '"$pass"'/,$p' | tail -n +2
done
