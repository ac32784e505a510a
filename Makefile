# SettlePaisa Ops — the two commands (README): `make run` and `make test`.
# Each installs what is missing (and skips what is present), gets a database, and does its job.
SHELL := /bin/bash

.PHONY: run test tools db-start db-stop dev bench clean-db sqlx-prepare

## Serve the portal (release build) on http://127.0.0.1:3000 with the demo data.
run:
	@scripts/run.sh

## fmt, clippy -D warnings, unit + integration tests on real Postgres, Playwright on the release build.
test:
	@scripts/test.sh

## Install the toolchain only.
tools:
	@scripts/tools.sh

## Development server with rebuild on change (cargo leptos watch).
dev:
	@scripts/dev.sh

## Refresh the offline query cache (.sqlx/) after changing a query or a migration; commit it.
sqlx-prepare:
	@bash -c 'source scripts/lib.sh && tools_rust && db_ensure && export RUSTFLAGS="--cfg erase_components" && sqlx_prepare'

## Start / stop the project's private PostgreSQL cluster.
db-start:
	@bash -c 'source scripts/lib.sh && db_ensure && echo "DATABASE_URL=$$DATABASE_URL"'
db-stop:
	@bash -c 'source scripts/lib.sh && db_stop'
