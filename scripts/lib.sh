#!/usr/bin/env bash
# Shared helpers for the Makefile's scripts: tool installation, the private PostgreSQL cluster and
# the environment every command runs in. Sourced, never executed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA_DIR="$ROOT/.data"
CARGO_LEPTOS_VERSION="0.3.10"
# sqlx-cli for `cargo sqlx prepare` (the offline query cache); the same version as sqlx in Cargo.lock.
SQLX_CLI_VERSION="0.8.6"
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
  log "installing Debian packages: $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# Load .env (if present) without overriding variables already set in the environment.
load_dotenv() {
  local f="$ROOT/.env"
  [ -f "$f" ] || return 0
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in ''|'#'*) continue ;; esac
    local key="${line%%=*}" value="${line#*=}"
    key="${key// /}"
    value="${value%\"}"; value="${value#\"}"
    if [ -z "${!key:-}" ]; then export "$key=$value"; fi
  done < "$f"
}

wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

tools_rust() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    log "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  if [ "$(cargo leptos --version 2>/dev/null | awk '{print $2}')" != "$CARGO_LEPTOS_VERSION" ]; then
    log "installing cargo-leptos $CARGO_LEPTOS_VERSION (15–30 minutes on 2 cores, once)"
    cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked
  fi
  if [ "$(cargo sqlx --version 2>/dev/null | awk '{print $2}')" != "$SQLX_CLI_VERSION" ]; then
    log "installing sqlx-cli $SQLX_CLI_VERSION (a few minutes on 2 cores, once)"
    cargo install sqlx-cli --version "$SQLX_CLI_VERSION" --no-default-features --features postgres,rustls --locked
  fi
  local want; want="$(wasm_bindgen_version)"
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$want" ]; then
    log "installing wasm-bindgen-cli $want (matches Cargo.lock; a few minutes, once)"
    # Without --locked: its lockfile pins a crate version the registry no longer serves.
    cargo install wasm-bindgen-cli --version "$want" --force
  fi
}

# npm ci only when package-lock.json changed since the last install.
npm_install_in() {
  local dir="$1"; shift
  local stamp="$dir/node_modules/.installed-lock"
  if [ ! -f "$stamp" ] || ! cmp -s "$dir/package-lock.json" "$stamp"; then
    log "npm ci in ${dir#$ROOT/}"
    (cd "$dir" && env "$@" npm ci --no-audit --no-fund --loglevel=error)
    cp "$dir/package-lock.json" "$stamp"
  fi
}

tools_node() {
  npm_install_in "$ROOT" PATH="$PATH"
}

tools_e2e() {
  npm_install_in "$ROOT/end2end" PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
  if [ ! -x /usr/bin/chromium ]; then apt_install chromium; fi
}

# The integration tests' real servers: an SMTP sink (scheduled reports mail one), Python's
# aiosmtpd; and OpenSSH's sshd for the BANK_SFTP connector (started by the tests on a free port).
tools_test() {
  /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null || apt_install python3-aiosmtpd
  # promtool checks and unit-tests deploy/prometheus; nginx balances the two-instance test. Neither
  # service is left running: the tests start their own nginx on a loopback port.
  local missing=()
  command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
  [ -x /usr/sbin/nginx ] || missing+=(nginx)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    for service in prometheus nginx; do
      if command -v systemctl >/dev/null 2>&1; then as_root systemctl disable --now "$service" >/dev/null 2>&1 || true; fi
    done
    as_root /usr/sbin/nginx -s quit >/dev/null 2>&1 || true
  fi
  if [ ! -x /usr/sbin/sshd ]; then
    apt_install openssh-server
    # Installed for the tests' own servers only: the machine's SSH service stays off.
    if command -v systemctl >/dev/null 2>&1; then as_root systemctl disable --now ssh >/dev/null 2>&1 || true; fi
  fi
}

pg_bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ]; then echo "$d"; return 0; fi
  done
  return 1
}

tools_postgres() {
  if [ -n "${DATABASE_URL:-}" ]; then return 0; fi
  if ! pg_bindir >/dev/null; then apt_install postgresql; fi
  command -v psql >/dev/null || apt_install postgresql-client
}

# A per-checkout port, so two clones on one machine never share a cluster; when another server
# already holds it (say, the cluster of a deleted checkout at the same path, still shutting down),
# the cluster moves to a free port, remembered in .data/db-port.
db_port() {
  if [ -s "$DATA_DIR/db-port" ]; then cat "$DATA_DIR/db-port"; return 0; fi
  echo $(( 54000 + $(printf '%s' "$ROOT" | cksum | awk '{print $1}') % 900 ))
}

port_in_use() {
  python3 -c 'import socket,sys; s=socket.socket(); sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0 else 1)' "$1"
}

# Run a PostgreSQL server binary as the cluster owner: `postgres` when we are root (initdb refuses root).
pg_as_owner() {
  if [ "$(id -u)" = 0 ]; then
    su postgres -s /bin/bash -c "cd / && $(printf '%q ' "$@")"
  else
    "$@"
  fi
}

# The cluster lives in .data/pg. As root the server runs as `postgres`, which must be able to reach
# it; when the checkout sits under a directory `postgres` cannot enter (e.g. /root), the cluster goes
# to a per-checkout folder under /var/lib/postgresql instead, and .data/pg points there.
cluster_dir() {
  local dir="$DATA_DIR/pg"
  if [ "$(id -u)" = 0 ] && ! su postgres -s /bin/sh -c "test -x '$DATA_DIR'" 2>/dev/null; then
    local real="/var/lib/postgresql/settlepaisa-$(printf '%s' "$ROOT" | cksum | awk '{print $1}')"
    mkdir -p "$real"; chown postgres:postgres "$real"
    [ -L "$dir" ] || { rm -rf "$dir"; ln -s "$real" "$dir"; }
    dir="$real"
  fi
  echo "$dir"
}

db_stop() {
  local bin; bin="$(pg_bindir)" || return 0
  local dir; dir="$(cluster_dir)"
  if [ -f "$dir/PG_VERSION" ]; then
    pg_as_owner "$bin/pg_ctl" -D "$dir" -m fast stop >/dev/null 2>&1 || true
  fi
}

# Ensure DATABASE_URL points at a live server: the configured one, or the private cluster.
db_ensure() {
  load_dotenv
  if [ -z "${DATABASE_URL:-}" ] && [ -n "${DB_HOST:-}" ]; then
    export DATABASE_URL="postgres://${DB_USER:-postgres}:${DB_PASSWORD:-}@${DB_HOST}:${DB_PORT:-5432}/${DB_NAME:-settlepaisa}"
  fi
  if [ -n "${DATABASE_URL:-}" ]; then return 0; fi
  tools_postgres
  local bin port pgdir sockdir
  bin="$(pg_bindir)"; port="$(db_port)"
  mkdir -p "$DATA_DIR"
  chmod 755 "$DATA_DIR"
  pgdir="$(cluster_dir)"; sockdir="$pgdir-run"
  if [ ! -f "$DATA_DIR/db-password" ]; then
    (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$DATA_DIR/db-password")
  fi
  local password; password="$(cat "$DATA_DIR/db-password")"
  if [ ! -f "$pgdir/PG_VERSION" ]; then
    log "creating the private PostgreSQL cluster in $pgdir (port $port)"
    mkdir -p "$pgdir" "$sockdir"
    if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$pgdir" "$sockdir"; fi
    pg_as_owner "$bin/initdb" -D "$pgdir" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
      -E UTF8 --locale=C.UTF-8 >/dev/null
    cat >> "$pgdir/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$sockdir'
unix_socket_permissions = 0700
max_connections = 200
shared_buffers = 256MB
fsync = on
CONF
  fi
  mkdir -p "$sockdir"
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$sockdir"; fi
  if ! pg_as_owner "$bin/pg_ctl" -D "$pgdir" status >/dev/null 2>&1; then
    if port_in_use "$port"; then
      local taken="$port"
      port="$(free_port)"
      log "port $taken is held by another server; the private cluster moves to port $port"
      echo "$port" > "$DATA_DIR/db-port"
      echo "port = $port" >> "$pgdir/postgresql.conf"
    fi
    log "starting the private PostgreSQL cluster (port $port)"
    pg_as_owner "$bin/pg_ctl" -D "$pgdir" -l "$pgdir/server.log" -w -t 60 start >/dev/null
  fi
  # Role and database for the app (CREATEDB so that #[sqlx::test] can make a database per test).
  local psql_admin=("$bin/psql" -h "$sockdir" -p "$port" -U postgres -d postgres -qtA -v ON_ERROR_STOP=1)
  if [ "$(pg_as_owner "${psql_admin[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname = 'settlepaisa'")" != 1 ]; then
    pg_as_owner "${psql_admin[@]}" -c "CREATE ROLE settlepaisa LOGIN CREATEDB PASSWORD '$password'"
  fi
  if [ "$(pg_as_owner "${psql_admin[@]}" -c "SELECT 1 FROM pg_database WHERE datname = 'settlepaisa'")" != 1 ]; then
    pg_as_owner "${psql_admin[@]}" -c "CREATE DATABASE settlepaisa OWNER settlepaisa"
  fi
  # The application's own role: the server connects as it (APP_DATABASE_URL), while migrations
  # run as the owner `settlepaisa` (MIGRATION_DATABASE_URL), which grants it only what the app
  # needs — the audit tables stay append-only for it (spec 09). The owner is made a member so that
  # tests can `SET ROLE` to it.
  if [ ! -f "$DATA_DIR/db-app-password" ]; then
    (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$DATA_DIR/db-app-password")
  fi
  local app_password; app_password="$(cat "$DATA_DIR/db-app-password")"
  if [ "$(pg_as_owner "${psql_admin[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname = 'settlepaisa_app'")" != 1 ]; then
    pg_as_owner "${psql_admin[@]}" -c "CREATE ROLE settlepaisa_app LOGIN PASSWORD '$app_password'"
    pg_as_owner "${psql_admin[@]}" -c "GRANT settlepaisa_app TO settlepaisa"
  fi
  export DATABASE_URL="postgres://settlepaisa:$password@127.0.0.1:$port/settlepaisa"
  export APP_DATABASE_URL="postgres://settlepaisa_app:$app_password@127.0.0.1:$port/settlepaisa"
}

# Run the server's binary as the application's role when the private cluster provides one: the
# app connects with the role's URL (for database $1 of the same server) and migrates as the owner.
# Usage: as_app_role <owner database URL> <binary> <arguments…>
as_app_role() {
  local owner_url="$1"; shift
  if [ -n "${APP_DATABASE_URL:-}" ]; then
    DATABASE_URL="${APP_DATABASE_URL%/*}/${owner_url##*/}" MIGRATION_DATABASE_URL="$owner_url" "$@"
  else
    DATABASE_URL="$owner_url" "$@"
  fi
}

# Start the server as the application's role only, after `migrate` ran in its own step: the
# owner's URL is not in its environment (set empty, so neither the caller's nor a .env supplies
# it); with APP_ENV=production `serve` refuses to start while it holds it.
# Usage: serve_as_app_role <owner database URL> <binary> <arguments…>
serve_as_app_role() {
  local owner_url="$1"; shift
  if [ -n "${APP_DATABASE_URL:-}" ]; then
    DATABASE_URL="${APP_DATABASE_URL%/*}/${owner_url##*/}" MIGRATION_DATABASE_URL= "$@"
  else
    DATABASE_URL="$owner_url" MIGRATION_DATABASE_URL= "$@"
  fi
}

# The key connector secrets are sealed with (SECRETS_KEY): the one set, else the demo's own, made
# once and kept in .data/secrets-key (set SECRETS_KEY to use yours; production sets it from its
# secret store).
secrets_key_ensure() {
  if [ -n "${SECRETS_KEY:-}" ]; then return 0; fi
  mkdir -p "$DATA_DIR"
  if [ ! -s "$DATA_DIR/secrets-key" ]; then
    (umask 077; head -c 32 /dev/urandom | base64 > "$DATA_DIR/secrets-key")
  fi
  SECRETS_KEY="$(cat "$DATA_DIR/secrets-key")"
  export SECRETS_KEY
}

# The same server, another database (dropped and re-created): for the end-to-end suite.
db_fresh_database() {
  local PGOPTIONS="-c client_min_messages=warning"; export PGOPTIONS
  local name="$1" base="${DATABASE_URL%/*}"
  psql "$base/postgres" -qtA -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null
  psql "$base/postgres" -qtA -v ON_ERROR_STOP=1 -c "CREATE DATABASE $name" >/dev/null
  echo "$base/$name"
}

# Release build (server binary + site/), skipped when no input changed since the last successful
# one: cargo-leptos re-runs wasm-bindgen and wasm-opt (~15 s) even when nothing changed.
build_release() {
  local stamp="$ROOT/target/.release-build-stamp" inputs
  # The inputs by content, not by time: `cargo sqlx prepare --check` touches the sources.
  inputs="$(cd "$ROOT" && find src style public migrations .sqlx .cargo Cargo.toml Cargo.lock Leptos.toml package-lock.json \
              -type f -print0 2>/dev/null | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" = "$inputs" ] && [ -x "$ROOT/target/release/settlepaisa-ops" ] \
    && [ -f "$ROOT/target/release/hash.txt" ] && [ -d "$ROOT/target/site/pkg" ]; then
    log "release build is up to date"
    return 0
  fi
  log "building (release)"
    (cd "$ROOT" && cargo leptos build --release -P)
  echo "$inputs" > "$stamp"
}

# The committed offline query cache (.sqlx/) describes every query of the code, as described by a
# freshly migrated database. `cargo sqlx prepare` touches the package's sources to make cargo
# re-expand the macros; their times are put back afterwards so that nothing else rebuilds.
# Usage: sqlx_prepare [--check]
sqlx_prepare() {
  local url times status=0
  url="$(db_fresh_database settlepaisa_sqlx)"
  sqlx migrate run --source "$ROOT/migrations" --database-url "$url" >/dev/null
  times="$(cd "$ROOT" && find src tests benches examples -type f -name '*.rs' -printf '%T@ %p\n')"
  (cd "$ROOT" && DATABASE_URL="$url" cargo sqlx prepare "$@" -- --features ssr --lib) || status=$?
  (cd "$ROOT" && while read -r t f; do touch -d "@$t" "$f"; done <<< "$times")
  return "$status"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_for_health() {
  local url="$1" pid="$2" i
  for i in $(seq 1 300); do
    if curl -fsS "$url/health" >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then log "the server exited before it became healthy"; return 1; fi
    sleep 0.2
  done
  log "the server did not become healthy within 60 s"; return 1
}

# bench_measure <label> <path> <api|page>: one request shown, then `ab -n $REQUESTS` at concurrency
# 1 and 4, its p50 / p95 / p99, req/s and non-2xx appended to the array RESULTS. Reads BASE,
# REQUESTS, the header arrays API_AUTH and PAGE_AUTH, ONLY (a regex: measure only the paths it
# matches) and BENCH_PATH_WIDTH (the result table's first column, 66). Used by benchmarks/*.sh.
bench_measure() {
  local label="$1" path="$2" auth=("${API_AUTH[@]}") out code c p50 p95 p99 rps bad body
  if [ -n "${ONLY:-}" ] && ! [[ "$path" =~ $ONLY ]]; then return 0; fi
  [ "$3" = page ] && auth=("${PAGE_AUTH[@]}")
  echo "### $label  $path"
  body="$(mktemp)"
  code="$(curl -s -o "$body" -w '%{http_code} %{size_download}' "${auth[@]}" "$BASE$path")"
  echo "HTTP ${code% *}, ${code#* } bytes: $(head -c 160 "$body" | tr '\n' ' ')"
  rm -f "$body"
  for c in 1 4; do
    out="$(ab -q -n "$REQUESTS" -c "$c" "${auth[@]}" "$BASE$path" 2>&1)" || true
    p50="$(awk '$1 == "50%" {print $2}' <<<"$out")"
    p95="$(awk '$1 == "95%" {print $2}' <<<"$out")"
    p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
    rps="$(awk '/^Requests per second/ {printf "%.1f", $4}' <<<"$out")"
    bad="$(awk '/^Non-2xx responses/ {print $3}' <<<"$out")"
    echo "  c=$c: p50 ${p50:-?} ms, p95 ${p95:-?} ms, p99 ${p99:-?} ms, ${rps:-?} req/s, non-2xx ${bad:-0}"
    RESULTS+=("$(printf "%-${BENCH_PATH_WIDTH:-66}s %2s %6s %6s %6s %7s %6s" "$path" "$c" "${p50:-?}" "${p95:-?}" "${p99:-?}" "${rps:-?}" "${bad:-0}")")
  done
}

# The release server for a benchmark: a fresh demo database named $1 (extra environment in the
# caller's exports), an API token of ops@settlepaisa.test in TOKEN, the server's PID and BASE URL;
# the server stops when the calling script exits.
bench_server() {
  local bin="$ROOT/target/release/settlepaisa-ops" db_url
  [ -x "$bin" ] || { log "build first: cargo leptos build --release -P"; exit 1; }
  db_url="$(db_fresh_database "$1")"
  BENCH_DB_URL="$db_url"
  PORT="$(free_port)"
  export LEPTOS_ENV=PROD LEPTOS_SITE_ROOT="$ROOT/target/site" LEPTOS_SITE_ADDR="127.0.0.1:$PORT" APP_ENV=demo LOG_LEVEL="${BENCH_LOG_LEVEL:-warn}"
  DATABASE_URL="$db_url" "$bin" seed demo >/dev/null
  TOKEN="$(DATABASE_URL="$db_url" "$bin" token create --user ops@settlepaisa.test --name bench 2>/dev/null)"
  DATABASE_URL="$db_url" "$bin" serve >"${BENCH_LOG:-/dev/null}" 2>&1 &
  PID=$!
  trap 'kill $PID 2>/dev/null || true' EXIT
  BASE="http://127.0.0.1:$PORT"
  wait_for_health "$BASE" "$PID"
}

# The end-to-end suite's SFTP server: OpenSSH's sshd on a free loopback port with a throw-away host
# key, serving the system user `spsftp` (no shell, no home; made once; its password set afresh, at
# random, each time) confined by internal-sftp to "$1/root/outgoing". Needs root, as the
# integration tests' harness (tests/common/sshd.rs). Exports E2E_SFTP_PORT, E2E_SFTP_USER,
# E2E_SFTP_PASSWORD, E2E_SFTP_DIR (where a test drops files) and SFTP_PID.
sftp_server_start() {
  local base="$1" user=spsftp
  rm -rf "$base"
  mkdir -p "$base/root/outgoing"
  chmod 755 "$base" "$base/root" "$base/root/outgoing"
  id "$user" >/dev/null 2>&1 || as_root useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
  E2E_SFTP_PASSWORD="Sftp-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  printf '%s:%s\n' "$user" "$E2E_SFTP_PASSWORD" | as_root chpasswd
  as_root mkdir -p /run/sshd
  ssh-keygen -q -t ed25519 -N '' -C settlepaisa-e2e-host -f "$base/host_key"
  E2E_SFTP_PORT="$(free_port)"
  cat > "$base/sshd_config" <<CONF
Port $E2E_SFTP_PORT
ListenAddress 127.0.0.1
HostKey $base/host_key
PidFile $base/sshd.pid
UsePAM no
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication no
AllowUsers $user
PermitRootLogin no
Subsystem sftp internal-sftp
ForceCommand internal-sftp -d /outgoing
ChrootDirectory $base/root
AllowTcpForwarding no
X11Forwarding no
LogLevel ERROR
CONF
  as_root /usr/sbin/sshd -D -e -f "$base/sshd_config" 2> "$base/sshd.log" &
  local i
  for i in $(seq 1 100); do
    if [ -s "$base/sshd.pid" ] && (exec 3<>"/dev/tcp/127.0.0.1/$E2E_SFTP_PORT") 2>/dev/null; then break; fi
    sleep 0.05
  done
  [ -s "$base/sshd.pid" ] || { log "sshd did not start: $(cat "$base/sshd.log")"; return 1; }
  SFTP_PID="$(cat "$base/sshd.pid")"
  export E2E_SFTP_PORT E2E_SFTP_PASSWORD SFTP_PID
  export E2E_SFTP_USER="$user" E2E_SFTP_DIR="$base/root/outgoing"
}

# Stop the suite's sshd (started as root) and lock the account's password.
sftp_server_stop() {
  if [ -n "${SFTP_PID:-}" ]; then as_root kill "$SFTP_PID" 2>/dev/null || true; fi
  sftp_user_lock
}

# The tests' SFTP account keeps no usable password between runs.
sftp_user_lock() {
  if id spsftp >/dev/null 2>&1; then as_root usermod -p '!' spsftp 2>/dev/null || true; fi
}
