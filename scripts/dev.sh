#!/usr/bin/env bash
# Development loop: rebuild and restart on change.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
tools_rust
tools_node
db_ensure
export APP_ENV="${APP_ENV:-demo}"
# --split: pages are lazy routes (src/app/pages.rs), whose WASM imports the chunk loader --split writes.
exec cargo leptos watch --split
