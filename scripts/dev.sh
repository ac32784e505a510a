#!/usr/bin/env bash
# Development loop: rebuild and restart on change.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
tools_rust
tools_node
db_ensure
export APP_ENV="${APP_ENV:-demo}"
if [ "$APP_ENV" = demo ]; then secrets_key_ensure; fi
exec cargo leptos watch
