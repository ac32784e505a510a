#!/usr/bin/env bash
# Development loop: rebuild and restart on change.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
tools_rust
tools_node
db_ensure
export APP_ENV="${APP_ENV:-demo}"
exec cargo leptos watch
