# Hindsight: `make run` to try it, `make test` to check it. Both set everything up first.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: help install db migrate demo run test lint format browser redis pango gettext messages check-deploy clean bench bench-all loadtest screenshots

help:
	@echo "make run    - install, migrate, load demo data; serve on http://127.0.0.1:8000 with a worker"
	@echo "make test   - install and run the whole test suite (with browser tests)"
	@echo "make lint   - ruff lint and format check"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The compiled translations (.mo) are built from the committed catalogs (.po), not committed.
MO_FILES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/*.po))

install: $(STAMP) pango $(MO_FILES)

db: install
	@$(BIN)/python manage.py ensure_database

migrate: db
	$(BIN)/python manage.py migrate --no-input

demo: migrate
	$(BIN)/python manage.py seed_demo

run: demo
	@echo
	@echo "  Hindsight is starting on http://127.0.0.1:8000 - sign in with a demo login above."
	@echo "  A task queue worker runs beside it (emails, reminders). Ctrl-C stops both."
	@echo
	@PYTHON=$(BIN)/python scripts/run_dev.sh 127.0.0.1:8000

# Browser tests drive Debian's Chromium; install it if this machine does not have it yet.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian's chromium for the browser tests..."; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium >/dev/null; }
	@command -v chromium >/dev/null 2>&1 || { echo "chromium is missing and could not be installed." >&2; exit 1; }

# PDF export (WeasyPrint) lays text out with Pango; install Debian's if it is missing.
pango:
	@ldconfig -p | grep -q libpangoft2-1.0 || { \
		echo "Installing Debian's Pango for PDF export..."; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 >/dev/null; }

# Translations: msgfmt compiles the catalogs, makemessages (`make messages`) updates them;
# both are Debian's gettext. Install it if it is missing.
gettext:
	@command -v msgfmt >/dev/null 2>&1 || { \
		echo "Installing Debian's gettext for the translations..."; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq gettext >/dev/null; }
	@command -v msgfmt >/dev/null 2>&1 || { echo "gettext is missing and could not be installed." >&2; exit 1; }

%.mo: %.po | gettext
	msgfmt --check-format -o $@ $<

# After marking new strings: adds them to locale/fr/LC_MESSAGES/django.po (untranslated), marks
# changed ones fuzzy and drops the gone. Translate each empty or fuzzy entry (and remove the
# "fuzzy" flag), then `make install` compiles; tests/i18n fails until every one is done.
messages: $(STAMP) gettext
	$(BIN)/python manage.py makemessages --locale fr
	@po=locale/fr/LC_MESSAGES/django.po; \
	untranslated=$$(msgattrib --untranslated --no-fuzzy $$po | grep -c '^msgid ' || true); \
	fuzzy=$$(msgattrib --only-fuzzy $$po | grep -c '^msgid ' || true); \
	echo "$$po: $$untranslated untranslated and $$fuzzy fuzzy messages to translate."
	@$(MAKE) --no-print-directory $(MO_FILES)

# The Redis task queue's tests start their own redis-server; install Debian's if it is missing.
redis:
	@command -v redis-server >/dev/null 2>&1 || { \
		echo "Installing Debian's redis-server for the Redis task queue tests..."; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq redis-server >/dev/null; }
	@command -v redis-server >/dev/null 2>&1 || { echo "redis-server is missing and could not be installed." >&2; exit 1; }

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: db browser redis lint
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest

# Times every page on 10,000 seeded incidents (bench-all: 1,000, 10,000 and 50,000), each size in
# its own database (hindsight_bench_10k, ...), and keeps the results in docs/performance.md.
bench: db
	$(BIN)/python scripts/benchmark.py --sizes 10000 --markdown docs/performance.md

bench-all: db
	$(BIN)/python scripts/benchmark.py --sizes 1000,10000,50000 --markdown docs/performance.md

# 50 signed-in users for 60 s against gunicorn with production settings, in its own database
# (hindsight_load, recreated each run). Options: make loadtest LOADTEST_ARGS="--users 20 --seconds 30"
LOADTEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/hindsight_load
loadtest: install
	DATABASE_URL=$(LOADTEST_DATABASE_URL) $(BIN)/python manage.py ensure_database
	DATABASE_URL=$(LOADTEST_DATABASE_URL) $(BIN)/python scripts/loadtest.py $(LOADTEST_ARGS)

# PNGs of the main pages at 1280 and 390 px in docs/screenshots/, from the demo data in a
# throwaway database (hindsight_screenshots, recreated each run) and a server on port 8765.
# Options: make screenshots SCREENSHOTS_DATABASE_URL=postgres://.../x_screenshots SCREENSHOTS_PORT=8181
SCREENSHOTS_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/hindsight_screenshots
SCREENSHOTS_PORT ?= 8765
screenshots: db browser
	SCREENSHOTS_DATABASE_URL=$(SCREENSHOTS_DATABASE_URL) SCREENSHOTS_PORT=$(SCREENSHOTS_PORT) \
		$(BIN)/python scripts/screenshots.py

check-deploy: install
	DJANGO_SETTINGS_MODULE=config.settings.production DJANGO_SECRET_KEY=$$(openssl rand -base64 48) \
		DJANGO_ALLOWED_HOSTS=hindsight.example.com $(BIN)/python manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) staticfiles *.egg-info
