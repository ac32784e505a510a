#!/usr/bin/env bash
# `make run`: tools → database → migrate + demo data (when empty) → release build → serve.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
tools_rust
tools_node
db_ensure
build_release
export LEPTOS_ENV=PROD
export APP_ENV="${APP_ENV:-demo}"
export LEPTOS_SITE_ROOT="$ROOT/target/site"
BIN="$ROOT/target/release/settlepaisa-ops"
# As the app's role, migrating as the owner (on the private cluster; see as_app_role in lib.sh).
as_app_role "$DATABASE_URL" "$BIN" migrate
if [ "$APP_ENV" = demo ]; then as_app_role "$DATABASE_URL" "$BIN" seed demo --if-empty; fi
if [ "$APP_ENV" = demo ]; then secrets_key_ensure; fi
ADDR="${LEPTOS_SITE_ADDR:-127.0.0.1:3000}"
# Prometheus metrics on an internal loopback listener (deploy/prometheus scrapes it); METRICS_ADDR=
# (empty) turns it off.
export METRICS_ADDR="${METRICS_ADDR-127.0.0.1:9464}"
log "SettlePaisa Ops on http://$ADDR — sign in as ops@settlepaisa.test / SettlePaisa@2025 (demo)"
if [ -n "$METRICS_ADDR" ]; then log "metrics on http://$METRICS_ADDR/metrics"; fi
serve_as_app_role "$DATABASE_URL" exec "$BIN" serve
