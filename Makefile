# The two commands: `make run` (serve on http://127.0.0.1:8000) and `make test` (the whole suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
# Each run makes its own database from this name (plus a per-run suffix) and claims a free DB of this Redis.
TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/sambang_test
TEST_REDIS_URL ?= redis://127.0.0.1:6379

.PHONY: run test unit faults screenshots system-deps lint format install install-dev lock migrate seed clean

# Installs only what the lock files pin, each file checked against its hash.
$(BIN)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements.txt
	touch $@

$(BIN)/.dev: $(BIN)/.runtime requirements-dev.txt
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.txt
	touch $@

install: $(BIN)/.runtime
install-dev: $(BIN)/.dev

# pyproject.toml lists the dependencies; this resolves them into the two lock files, keeping the versions they
# already pin (LOCK_ARGS="--upgrade-package NAME" moves one). The dev file is constrained to the runtime pins. Only
# the public index's hashes: this machine's pip configuration (local wheels, mirrors) is left out.
LOCK = env -u PIP_FIND_LINKS -u PIP_EXTRA_INDEX_URL PIP_CONFIG_FILE=/dev/null $(BIN)/pip-compile --quiet \
	--generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links $(LOCK_ARGS)
lock: install-dev
	$(LOCK) --output-file requirements.txt pyproject.toml
	$(LOCK) --extra dev --constraint requirements.txt --output-file requirements-dev.txt pyproject.toml

migrate: install
	$(BIN)/python -m service migrate

seed: migrate
	$(BIN)/python -m service seed

run: seed
	$(BIN)/python -m service serve

# Lint, then two passes at the same time: PostgreSQL (every test that uses the run's database, but the browser
# tests: `make faults` runs those on PostgreSQL) and the embedded SQLite default of `make run` (all but
# `postgres_only` tests). Tests that never touch the run's database (marked `engine_neutral` by tests/conftest.py:
# pure rules, settings, images, servers on SQLite files of their own) cannot differ between the two, so they run
# once, in the SQLite pass. The passes own separate databases and Redis DBs
# (tests/isolation.py) and write their output to $(TEST_LOGS)/<pass>.log; each one's summary line is printed, a
# failing pass's whole log too, and `make test` fails if either pass fails.
# Each pass also runs on two processes (pytest-xdist), a test file at a time on one of them (a file's browser and
# server are shared by its tests): most of a test's time is waiting on a browser, a server or a sleep, not the CPU.
# Each process owns its databases and Redis DB as a run of its own does. The API fuzz's coverage phase (two thirds
# of its time) is left to `make faults`.
TEST_LOGS ?= instance/test-logs
PARALLEL ?= -n 2 --dist loadfile
PG_PASS = TEST_DATABASE_URL=$(TEST_DATABASE_URL) TEST_REDIS_URL=$(TEST_REDIS_URL) FUZZ_COVERAGE=0 $(BIN)/pytest $(PARALLEL) \
	-m "not faults and not engine_neutral and not browser"
SQLITE_PASS = TEST_DATABASE_URL=sqlite:// TEST_REDIS_URL=$(TEST_REDIS_URL) FUZZ_COVERAGE=0 $(BIN)/pytest $(PARALLEL) \
	-m "not postgres_only and not faults"
test: system-deps install-dev
	$(BIN)/ruff check --quiet .
	$(BIN)/ruff format --check --quiet .
	$(BIN)/mypy
	@mkdir -p $(TEST_LOGS)
	@echo "pytest: PostgreSQL and SQLite passes together (logs: $(TEST_LOGS)/postgresql.log, $(TEST_LOGS)/sqlite.log)"
	@$(PG_PASS) >$(TEST_LOGS)/postgresql.log 2>&1 & pg=$$!; \
	$(SQLITE_PASS) >$(TEST_LOGS)/sqlite.log 2>&1 & lite=$$!; \
	wait $$pg; pg_status=$$?; wait $$lite; lite_status=$$?; \
	for pass in postgresql:$$pg_status sqlite:$$lite_status; do \
	  name=$${pass%:*}; status=$${pass#*:}; \
	  if [ "$$status" != 0 ]; then echo "===== $$name pass failed (exit $$status): $(TEST_LOGS)/$$name.log ====="; \
	    cat $(TEST_LOGS)/$$name.log; fi; \
	done; \
	for name in postgresql sqlite; do printf '%-10s %s\n' "$$name:" "$$(tail -n 1 $(TEST_LOGS)/$$name.log)"; done; \
	[ "$$pg_status" = 0 ] && [ "$$lite_status" = 0 ]

# The pure rules (calendar, deadlines, transition tables, planner): no database, Redis or app; seconds.
unit: install-dev
	$(BIN)/pytest -q tests/unit

# The README's screenshots, taken by the office's, the complaint journey's and the survey's browser tests (on SQLite,
# the default).
screenshots: system-deps install-dev
	SCREENSHOT_DIR=docs/screenshots TEST_DATABASE_URL=sqlite:// TEST_REDIS_URL=$(TEST_REDIS_URL) \
	  $(BIN)/pytest -q tests/web/test_office_flow.py tests/web/test_complaint_journey.py tests/web/test_skm.py

# The long fault drills: outages, killed processes, crowds of slow clients, the served stack's logs and metrics
# (CI runs them after `make test`); as in `make test`, a drill that never touches the run's database runs in the
# SQLite pass only. Then what `make test` runs on one database only or not at all: the browser tests on PostgreSQL,
# the API fuzzed with schemathesis' coverage phase on both databases and 60 random examples an operation on
# PostgreSQL.
faults: system-deps install-dev
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) TEST_REDIS_URL=$(TEST_REDIS_URL) $(BIN)/pytest -m "faults and not engine_neutral"
	TEST_DATABASE_URL=sqlite:// TEST_REDIS_URL=$(TEST_REDIS_URL) $(BIN)/pytest -m "faults and not postgres_only" || [ $$? -eq 5 ]  # 5: none selected
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) TEST_REDIS_URL=$(TEST_REDIS_URL) $(BIN)/pytest $(PARALLEL) -q -m "browser and not faults"
	FUZZ_EXAMPLES=60 TEST_DATABASE_URL=$(TEST_DATABASE_URL) TEST_REDIS_URL=$(TEST_REDIS_URL) \
	  $(BIN)/pytest -q tests/api/test_fuzz.py
	TEST_DATABASE_URL=sqlite:// TEST_REDIS_URL=$(TEST_REDIS_URL) $(BIN)/pytest -q tests/api/test_fuzz.py

# nginx: tests/serving runs the compose file's docker/nginx.conf in front of gunicorn; chromium: tests/web drives the
# console in a real browser (Playwright with Debian's chromium, no browser download); libturbojpeg: the photo
# pipeline's JPEG path (without it photos take the slower RGB path, and tests/photos/test_planes.py fails); wrk:
# the load of `python -m bench.api` (only a warning when it cannot be installed: no test needs it). Installed when
# we can.
system-deps:
	@command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light) >/dev/null; \
	  else \
	    echo "nginx is missing (tests need it): sudo apt-get install nginx-light, or brew install nginx" >&2; exit 1; \
	  fi; }
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null; \
	  else \
	    echo "chromium is missing (the browser tests need it): sudo apt-get install chromium" >&2; exit 1; \
	  fi; }
	@ldconfig -p 2>/dev/null | grep -q 'libturbojpeg\.so\.0' || \
	  [ -e /usr/local/opt/jpeg-turbo/lib/libturbojpeg.dylib ] || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libturbojpeg0) >/dev/null; \
	  else \
	    echo "libturbojpeg is missing (the photos' JPEG path): sudo apt-get install libturbojpeg0" >&2; exit 1; \
	  fi; }
	@command -v wrk >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk) >/dev/null; \
	  else \
	    echo "wrk is missing (python -m bench.api drives the servers with it): sudo apt-get install wrk" >&2; \
	  fi; }

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
