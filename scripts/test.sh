#!/usr/bin/env bash
# `make test`: fmt → clippy → unit + integration tests (real Postgres) → release build →
# Playwright in Chromium against the release server on a freshly seeded database.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
tools_rust
tools_node
tools_e2e
tools_test
db_ensure

# cargo-leptos dev builds use this cfg; giving plain cargo the same flags shares build scripts and
# proc-macros instead of compiling every dependency twice.
export RUSTFLAGS="--cfg erase_components"

log "cargo fmt --check"
cargo fmt --all -- --check

log "compile-checked SQL: the .sqlx/ cache matches every query (cargo sqlx prepare --check)"
sqlx_prepare --check

log "deploy/prometheus: promtool check and unit tests of the alert rules"
promtool check config deploy/prometheus/prometheus.yml >/dev/null
promtool test rules deploy/prometheus/alerts.test.yml >/dev/null

log "clippy (server) -D warnings"
cargo clippy --all-targets --features ssr -- -D warnings

log "unit and integration tests (DATABASE_URL on the test server; a fresh database per test)"
status=0
cargo test --features ssr || status=$?
# The SFTP tests' account gets no password that outlives them.
sftp_user_lock
[ "$status" = 0 ] || exit "$status"

unset RUSTFLAGS
build_release

log "disaster recovery: base backup + WAL archive → point-in-time restore into a fresh cluster"
scripts/dr_test.sh "$ROOT/target/release/settlepaisa-ops"

log "faults: PostgreSQL stopped hard, the server killed and stopped, the file store full — mid-work"
scripts/faults.sh "$ROOT/target/release/settlepaisa-ops" 60000

log "end-to-end: release server on a fresh, seeded database"
E2E_DB_URL="$(db_fresh_database settlepaisa_e2e)"
PORT="$(free_port)"
BIN="$ROOT/target/release/settlepaisa-ops"
export LEPTOS_ENV=PROD LEPTOS_SITE_ROOT="$ROOT/target/site" LEPTOS_SITE_ADDR="127.0.0.1:$PORT" APP_ENV=demo
secrets_key_ensure
# The server, its migrations, seed and CLI run as in production: the app's role, migrating as the owner.
as_app_role "$E2E_DB_URL" "$BIN" migrate
as_app_role "$E2E_DB_URL" "$BIN" seed demo
# A user of its own for the lockout test, so locking it disturbs no other test.
export LOCKOUT_PASSWORD="Lockout-Test-2025"
printf '%s\n' "$LOCKOUT_PASSWORD" | as_app_role "$E2E_DB_URL" "$BIN" user create \
  --email lockout@settlepaisa.test --role sp-ops --name "Lockout Test"
mkdir -p "$ROOT/target/e2e"
# A real SFTP server for the BANK_SFTP journey, and the feature that lets runs use it.
sftp_server_start "$ROOT/target/e2e/sshd"
export FEATURE_BANK_SFTP_INGESTION=true
# Logged and measured as in production: JSON lines, metrics on an internal port (checked below).
METRICS_PORT="$(free_port)"
LOG_FORMAT=json METRICS_ADDR="127.0.0.1:$METRICS_PORT" \
  serve_as_app_role "$E2E_DB_URL" exec "$BIN" serve > "$ROOT/target/e2e/server.log" 2>&1 &
SERVER_PID=$!
SERVER_B_PID="" NGINX_PID=""
stop_all() {
  # Front to back: nginx, then the servers.
  for pid in $NGINX_PID $SERVER_B_PID $SERVER_PID; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  sftp_server_stop
}
trap stop_all EXIT
wait_for_health "http://127.0.0.1:$PORT" "$SERVER_PID"
(cd end2end && BASE_URL="http://127.0.0.1:$PORT" E2E_DATABASE_URL="$E2E_DB_URL" npx playwright test)

log "two instances of one database behind nginx (deploy/nginx-proxy.conf), alternating on every request"
PORT_B="$(free_port)"
LOG_FORMAT=json LEPTOS_SITE_ADDR="127.0.0.1:$PORT_B" METRICS_ADDR= \
  serve_as_app_role "$E2E_DB_URL" exec "$BIN" serve > "$ROOT/target/e2e/server-b.log" 2>&1 &
SERVER_B_PID=$!
wait_for_health "http://127.0.0.1:$PORT_B" "$SERVER_B_PID"
NGINX_PORT="$(free_port)" NGINX_DIR="$ROOT/target/e2e/nginx"
mkdir -p "$NGINX_DIR"
cat > "$NGINX_DIR/nginx.conf" <<NGINX
worker_processes 1;
pid $NGINX_DIR/nginx.pid;
error_log $NGINX_DIR/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $NGINX_DIR/body;
    proxy_temp_path $NGINX_DIR/proxy;
    fastcgi_temp_path $NGINX_DIR/fastcgi;
    uwsgi_temp_path $NGINX_DIR/uwsgi;
    scgi_temp_path $NGINX_DIR/scgi;
    upstream settlepaisa_ops {
        server 127.0.0.1:$PORT;
        server 127.0.0.1:$PORT_B;
        keepalive 32;
    }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        client_max_body_size 30m;
        # Which instance answered, for the test to see both at work.
        add_header X-Upstream \$upstream_addr always;
        location / {
            include $ROOT/deploy/nginx-proxy.conf;
        }
    }
}
NGINX
/usr/sbin/nginx -t -q -p "$NGINX_DIR" -e "$NGINX_DIR/error.log" -c "$NGINX_DIR/nginx.conf"
/usr/sbin/nginx -p "$NGINX_DIR" -e "$NGINX_DIR/error.log" -c "$NGINX_DIR/nginx.conf" -g 'daemon off;' &
NGINX_PID=$!
wait_for_health "http://127.0.0.1:$NGINX_PORT" "$NGINX_PID"
(cd end2end && BASE_URL="http://127.0.0.1:$NGINX_PORT" INSTANCE_A_URL="http://127.0.0.1:$PORT" \
  INSTANCE_B_URL="http://127.0.0.1:$PORT_B" npx playwright test two_instances)

log "observability: the suite's server log and metrics (JSON lines, no secrets, every alerted series served)"
python3 scripts/check_observability.py "$ROOT/target/e2e/server.log,$ROOT/target/e2e/server-b.log" "http://127.0.0.1:$METRICS_PORT/metrics" \
  "$E2E_DB_URL" "SettlePaisa@2025" "$LOCKOUT_PASSWORD" "$E2E_SFTP_PASSWORD" "$SECRETS_KEY" \
  First-Password-2026 Second-Password-2026
log "all tests passed"
