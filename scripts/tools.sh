#!/usr/bin/env bash
# Install every tool the project needs, skipping what is already present.
source "$(dirname "$0")/lib.sh"
tools_rust
tools_node
tools_e2e
tools_postgres
