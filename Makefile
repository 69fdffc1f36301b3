# Liaison — `make help` lists the targets.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 2
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test
HTMX_VERSION := 2.0.11
AXE_VERSION := 4.14.1

.DEFAULT_GOAL := help
.PHONY: help install run serve-prod migrate revision test browser test-sqlite test-pg standby bench bench-scale bench-load lint fmt vendor clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed ## create the virtualenv and install Liaison with its dev tools

run: install ## migrate, load the demo into an empty database, serve on HOST:PORT
	$(BIN)/liaison init
	$(BIN)/liaison demo --if-empty
	$(BIN)/liaison serve --host $(HOST) --port $(PORT)

serve-prod: install ## production: check the settings, migrate, serve WORKERS processes on HOST:PORT
	LIAISON_ENV=production $(BIN)/liaison check
	LIAISON_ENV=production $(BIN)/liaison init
	LIAISON_ENV=production $(BIN)/liaison serve --host $(HOST) --port $(PORT) --workers $(WORKERS)

migrate: install ## upgrade the database to the latest revision, as LIAISON_DATABASE_OWNER_URL if set
	$(BIN)/liaison init

revision: install ## write a new migration from the models: make revision m="what changed"
	@test -n "$(m)" || (echo 'usage: make revision m="what changed"' >&2; exit 2)
	PATH=$(BIN):$$PATH $(BIN)/alembic revision --autogenerate -m "$(m)"

test: install browser ## the whole suite on SQLite, then on PostgreSQL (PG_TEST_URL), browser tests included
	$(MAKE) test-sqlite
	$(MAKE) test-pg

# The browser tests' Chromium, Chinese fonts so that pages print as on a bureau's PCs (the
# brief's one A4 page is measured in them), and LibreOffice, the other office suite the ledger's
# exports are opened and saved again in.
BROWSER_PACKAGES = chromium fonts-noto-cjk libreoffice-calc-nogui

browser: ## Debian's Chromium, CJK fonts and LibreOffice for the outside tests, installed when missing (apt, as root)
	@if ! test -x /usr/bin/chromium || ! fc-list :lang=zh | grep -q . || ! command -v soffice >/dev/null; then \
	  if [ "$$(id -u)" != 0 ]; then \
	    echo "The tests need Debian's Chromium, CJK fonts and LibreOffice. Run: sudo apt-get install -y $(BROWSER_PACKAGES)" >&2; exit 1; \
	  fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(BROWSER_PACKAGES) >/dev/null; \
	fi
	@/usr/bin/chromium --version

test-sqlite: install ## the suite on SQLite only
	LIAISON_TEST_DATABASE=sqlite $(BIN)/pytest

test-pg: install standby ## the suite on PostgreSQL only
	LIAISON_TEST_DATABASE=$(PG_TEST_URL) $(BIN)/pytest

standby: ## a streaming standby of the local PostgreSQL on port 5433 (pg_basebackup), for the read-replica test
	scripts/pg-standby.sh

bench: install ## server time of the main pages with the demo loaded (SQLite, then PG_TEST_URL)
	$(PY) -m tests.benchmark
	LIAISON_BENCH_DATABASE=$(PG_TEST_URL) $(PY) -m tests.benchmark

bench-scale: install ## the demo × 100 (26,400 projects): metrics and pages (SQLite, then PG_TEST_URL)
	$(PY) -m tests.bench_scale
	LIAISON_BENCH_DATABASE=$(PG_TEST_URL) $(PY) -m tests.bench_scale
	$(MAKE) bench-load

bench-load: install ## load test on loopback: the demo × 10 on PostgreSQL, 1 and 2 app processes (locust)
	LIAISON_BENCH_DATABASE=$(PG_TEST_URL) $(PY) -m tests.bench_load

lint: install ## ruff, mypy and the import layers (import-linter)
	$(BIN)/ruff check liaison tests migrations
	$(BIN)/ruff format --check liaison tests migrations
	$(BIN)/mypy liaison
	$(BIN)/lint-imports

fmt: install ## format and fix what ruff can
	$(BIN)/ruff check --fix liaison tests migrations
	$(BIN)/ruff format liaison tests migrations

vendor: ## fetch htmx, and axe-core for the browser tests, from the npm registry into static/vendor/
	rm -rf static/vendor/htmx && mkdir -p static/vendor/htmx
	cd $$(mktemp -d) && npm pack -q htmx.org@$(HTMX_VERSION) >/dev/null && tar xzf htmx.org-$(HTMX_VERSION).tgz \
	  && cp package/dist/htmx.min.js package/LICENSE $(CURDIR)/static/vendor/htmx/ \
	  && echo "htmx.org $(HTMX_VERSION) (BSD Zero Clause, see LICENSE), from the npm registry" > $(CURDIR)/static/vendor/htmx/VERSION
	rm -rf static/vendor/axe-core && mkdir -p static/vendor/axe-core
	cd $$(mktemp -d) && npm pack -q axe-core@$(AXE_VERSION) >/dev/null && tar xzf axe-core-$(AXE_VERSION).tgz \
	  && cp package/axe.min.js package/LICENSE $(CURDIR)/static/vendor/axe-core/ \
	  && echo "axe-core $(AXE_VERSION) (MPL-2.0, see LICENSE), from the npm registry; injected by tests/e2e only, no page includes it" > $(CURDIR)/static/vendor/axe-core/VERSION

clean: ## remove the virtualenv and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
