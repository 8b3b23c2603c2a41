# The assistance-ledger portal. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
DEBIAN_PACKAGES := fonts-noto-cjk libharfbuzz-subset0 poppler-utils chromium gettext
DATABASE_URL_PG ?= postgres://postgres@127.0.0.1:5432/test
PYTEST_ARGS ?=

.PHONY: help system-deps venv audit fonts messages migrate demo-data run test test-postgres test-cluster lint bench bench-postgres bench-load backup restore-drill clean

help: ## Show this help
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-15s %s\n", $$1, $$2}'

system-deps: ## Install the Debian packages the portal needs (as root), or print the apt line
	@missing=""; for p in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing Debian packages:$$missing"; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	  else \
	    echo "Missing Debian packages. Run as root:"; \
	    echo "  sudo apt-get update && sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

# Two locks, both with hashes: requirements.lock is what production installs (and what pip-audit
# checks); requirements-dev.lock adds the test and development tools, at the same versions.
$(VENV)/.installed: requirements.lock requirements-dev.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q --require-hashes -r requirements-dev.lock
	@touch $@

venv: $(VENV)/.installed ## Create .venv and install the locked Python dependencies (runtime and dev)

# pip-audit asks PyPI's vulnerability API about every pinned release. Where that API cannot be
# reached (this build machine's network serves package files but not the JSON API), the audit
# says so and passes, unless AUDIT_REQUIRED=1; a reachable API with a known vulnerability fails.
AUDIT_PROBE := https://pypi.org/pypi/django/5.2.19/json
audit: venv ## Check the runtime lock for known vulnerabilities (pip-audit; fails on any)
	@if $(PY) -c "import sys, urllib.request; urllib.request.urlopen('$(AUDIT_PROBE)', timeout=10)" 2>/dev/null; then \
	  $(PY) -m pip_audit --strict --require-hashes --disable-pip -r requirements.lock; \
	elif [ "$${AUDIT_REQUIRED:-0}" = "1" ]; then \
	  echo "pip-audit: PyPI's vulnerability API cannot be reached and AUDIT_REQUIRED=1"; exit 1; \
	else \
	  echo "pip-audit: PyPI's vulnerability API cannot be reached from here; the runtime lock was NOT audited"; \
	fi

# The project's Chinese for the Wagtail and Django strings their own catalogs leave in English
# (locale/*/LC_MESSAGES/*.po); the .mo files Django reads are built here, never committed.
# compilemessages skips a catalog whose .mo is newer than its .po.
messages: system-deps venv ## Compile the project's translations (locale/) into .mo files
	$(PY) manage.py compilemessages --ignore=.venv --ignore=var

fonts: system-deps venv ## Cut the PDF fonts to GB 2312 into var/fonts/ (once, about a minute; faster PDFs)
	$(PY) manage.py pdf_fonts

migrate: system-deps venv ## Apply database migrations (SQLite under var/ unless DATABASE_URL is set)
	@mkdir -p var
	$(PY) manage.py migrate --noinput

DEMO_DATA := --households 300 --reports 40 --casework 40

demo-data: migrate ## Load the demo accounts and data into an empty database (does nothing otherwise)
	$(PY) manage.py seed_demo --if-empty $(DEMO_DATA)

# Links in the mails `make run` prints (console backend) point at the port it serves on.
run demo-data: export WAGTAILADMIN_BASE_URL ?= http://127.0.0.1:$(PORT)
run: demo-data fonts messages ## Set up and serve the portal with demo data on http://127.0.0.1:$(PORT)/
	@echo ""
	@echo "门户首页   http://127.0.0.1:$(PORT)/"
	@echo "工作台     http://127.0.0.1:$(PORT)/admin/   （用户名 + 密码 demo-pass-2026 + 动态口令）"
	@echo "演示账号   city dongcheng street worker worker2 auditor editor reviewer security charity（慈善组织从 /charity/ 登录）"
	@echo "动态口令   把密钥 JBSWY3DPEHPK3PXP 加入手机验证器（基于时间，6 位，30 秒），或运行："
	@echo "           $(PY) manage.py totp_code   （打印当前的演示动态口令）"
	@echo ""
	@# Background jobs (batch prints, mail) run in a database worker beside the web server;
	@# Ctrl-C stops both.
	$(PY) manage.py db_worker & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(PY) manage.py runserver 127.0.0.1:$(PORT)

test: system-deps venv fonts messages ## Run the whole suite on SQLite, browser tests included
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

test-postgres: system-deps venv fonts messages ## Run the whole suite on PostgreSQL (fresh database per run)
	DATABASE_URL=$(DATABASE_URL_PG) TEST_DATABASE_NAME=test_ledger_$$(date +%s)_$$$$ \
	  $(PY) -m pytest -n 2 $(PYTEST_ARGS)

# Issue 19: tests/cluster (collected only with CLUSTER=1) makes its own database next to
# DATABASE_URL_PG and starts a Redis server of its own (killed and restarted by a fault test),
# moto's S3 server, two gunicorn nodes and two task workers on 127.0.0.1.
test-cluster: DEBIAN_PACKAGES += redis-server
test-cluster: system-deps venv fonts messages ## Two web nodes and two workers on PostgreSQL, Redis and S3, with faults
	CLUSTER=1 DATABASE_URL_PG=$(DATABASE_URL_PG) $(PY) -m pytest tests/cluster -v $(PYTEST_ARGS)

lint: venv ## ruff lint and format check, and no missing migrations
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	DJANGO_SETTINGS_MODULE=portal.settings.test $(PY) manage.py makemigrations --check --dry-run

bench: migrate fonts messages ## Run the benchmarks; prints a table and writes var/bench/results.json
	DJANGO_SETTINGS_MODULE=portal.settings.test $(PY) -m tests.bench.run

bench-postgres: migrate fonts messages ## The benchmarks on PostgreSQL (fresh database per run; BENCH_HOUSEHOLDS=)
	DATABASE_URL=$(DATABASE_URL_PG) TEST_DATABASE_NAME=bench_ledger_$$(date +%s)_$$$$ \
	  DJANGO_SETTINGS_MODULE=portal.settings.test $(PY) -m tests.bench.run

# Issue 19: five minutes of mixed load (public pages, search, reports, status lookups, staff
# listings) by LOAD_USERS locust users on gunicorn with production settings, PostgreSQL and
# Redis, on a fresh demo database (tests/load/run.py). Not in CI. Prints p95 per endpoint and
# worker memory; fails on any server error.
LOAD_USERS ?= 200
LOAD_TIME ?= 5m
bench-load: fonts messages ## Load test: LOAD_USERS (200) for LOAD_TIME (5m) on PostgreSQL + gunicorn
	LOAD_USERS=$(LOAD_USERS) LOAD_TIME=$(LOAD_TIME) DATABASE_URL_PG=$(DATABASE_URL_PG) \
	  $(PY) -m tests.load.run

# Issue 19 (G6): a database dump (pg_dump -Fc, or SQLite's online backup) and every stored
# file, with a manifest, in var/backups/<UTC time>/ (BACKUP_DIR); the drill restores the latest
# into a new database and folder and checks it (README, "Backup and restore"). The settings
# module and keys come from the environment, as for the web processes.
backup: venv ## Back up the database and the stored files into var/backups/<time>/
	$(PY) manage.py backup

restore-drill: venv ## Restore the latest backup into a fresh database and storage and verify it
	$(PY) manage.py restore_drill

clean: ## Remove the virtualenv and local data (var/)
	rm -rf $(VENV) var
