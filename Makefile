# pcra task runner. `make run` installs everything and serves the demo; `make test` runs the suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PIP := $(VENV)/bin/pip
PCRA := $(VENV)/bin/pcra
PYTEST := $(VENV)/bin/pytest
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
# Debian packages pcra needs at run time and in tests (see docs/dependencies.md).
DEB_PACKAGES := python3-venv gettext restic borgbackup bubblewrap chromium fonts-dejavu-core \
  libpango-1.0-0 libpangoft2-1.0-0 poppler-utils postgresql 7zip
export PCRA_DATA_DIR ?= $(CURDIR)/var
PCRA_TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/pcra

.PHONY: install system run test test-sqlite test-postgres lint messages screenshots bench clean

install: system $(VENV)/.installed ## install Debian and Python packages, compile translations

system:
	@dpkg -s $(DEB_PACKAGES) >/dev/null 2>&1 || { \
	  echo "Installing Debian packages: $(DEB_PACKAGES)"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(DEB_PACKAGES); }

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[dev]'
	cd src/pcra && ../../$(PCRA) compilemessages -v 0
	$(VENV)/bin/python -c 'from pcra.recovery.scheduler.genetic import warm; warm()'
	touch $@

messages: $(VENV)/.installed ## refresh the French catalogue from the sources
	cd src/pcra && ../../$(PCRA) makemessages -l fr --no-obsolete -v 0 \
	  --ignore 'core/static/vendor/*'
	cd src/pcra && ../../$(PCRA) compilemessages -v 0

run: install ## migrate, load the demo GHT, create the admin account, serve on 127.0.0.1:8000
	$(PCRA) migrate --no-input -v 0
	$(PCRA) seed_demo
	$(PCRA) ensure_admin
	$(PCRA) serve --with-worker

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check src tests bench

test: install lint ## the whole suite, on SQLite and on PostgreSQL (both at once, one per core)
	PCRA_DATA_DIR=$$(mktemp -d) $(PCRA) makemigrations --check --dry-run -v 1
	$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres

test-sqlite: $(VENV)/.installed
	@echo "== tests on SQLite"
	PCRA_DATA_DIR=$$(mktemp -d) PCRA_DATABASE_URL= $(PYTEST) $(PYTEST_ARGS)

test-postgres: $(VENV)/.installed
	@echo "== tests on PostgreSQL"
	PCRA_DATA_DIR=$$(mktemp -d) PCRA_DB_CONN_MAX_AGE=0 PCRA_TEST_POSTGRES_URL=$(PCRA_TEST_POSTGRES_URL) \
	  scripts/with-postgres.sh $(PYTEST) $(PYTEST_ARGS)

bench: $(VENV)/.installed ## benchmarks (not part of the test suite)
	$(VENV)/bin/python bench/impact.py

clean:
	rm -rf $(VENV) var build *.egg-info src/*.egg-info
