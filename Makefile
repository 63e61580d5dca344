# The two set-up commands of the README: `make run` and `make test`.
# Both build the virtualenv from the pinned requirements on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test lint test-scale bench loadtest fuzz permissions translations clean check-browser

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@# `muara COMMAND ...`: the muara commands without `flask` (app/__main__.py; faster)
	printf '#!/bin/sh\nPYTHONPATH="%s$${PYTHONPATH:+:$$PYTHONPATH}" exec "%s" -m app "$$@"\n' \
		"$(CURDIR)" "$(abspath $(PY))" > $(VENV)/bin/muara && chmod +x $(VENV)/bin/muara
	touch $@

run: $(VENV)/.installed  ## serve the portal: SQLite, in-process worker, demo data
	$(PY) run.py

test: $(VENV)/.installed check-browser  ## the test suite (SQLite; set MUARA_TEST_* to add PostgreSQL/Redis)
	@start=$$(date +%s); CHROMIUM="$(CHROMIUM)" $(PY) -m pytest $(PYTEST_ARGS); status=$$?; \
		echo "make test: $$(( ($$(date +%s) - start) / 60 )) min $$(( ($$(date +%s) - start) % 60 )) s"; \
		exit $$status

# Before the suite, not at its end: chromium for the browser tests (installed with apt
# when run as root, else what is missing and how to get it). scripts/check-browser.sh
check-browser:
	@CHROMIUM="$(CHROMIUM)" MUARA_SKIP_BROWSER="$(MUARA_SKIP_BROWSER)" MUARA_NO_APT="$(MUARA_NO_APT)" \
		sh scripts/check-browser.sh

lint: $(VENV)/.installed  ## ruff: pyflakes, pycodestyle, import order, bugbear (pyproject.toml)
	$(VENV)/bin/ruff check .

# The suite on PostgreSQL and Redis with real worker processes (as CI runs it).
TEST_PG_URL ?= postgresql://postgres@127.0.0.1:5432/muara_test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
# The browser tests serve the embedded portal (SQLite, in-process queue) whatever the
# suite's database: the SQLite pass (`make test`) runs them, this one leaves them out.
test-scale: $(VENV)/.installed
	MUARA_TEST_DATABASE_URL=$(TEST_PG_URL) MUARA_TEST_REDIS_URL=$(TEST_REDIS_URL) \
		$(PY) -m pytest -m "not browser and not pictures" $(PYTEST_ARGS)

# Issue 15's figures, each beside its ceiling or peer in the same run, with the ratio and
# whether its target is met (bench/run_all.py, bench/README.md): start-up, per row against
# the hand loop, bare read, memory, 30% rejected, PostgreSQL, returns, Sync All, the peer.
# 100,000-row files by default (~15 min); BENCH_ARGS="--full" for 1,000,000 rows.
bench: $(VENV)/.installed
	$(PY) bench/run_all.py $(BENCH_ARGS)

# The load test (issue 14): gunicorn + 2 queue workers on PostgreSQL and Redis, 50
# users browsing the lists and 20 uploading 10,000-row files (Locust, headless, only
# 127.0.0.1). Settings are LOADTEST_* variables (bench/loadtest/run.py), e.g.
# `make loadtest LOADTEST_INVOICES=10000000`. Figures: README "Load test".
$(VENV)/.loadtest: $(VENV)/.installed requirements-loadtest.txt
	$(PY) -m pip install --quiet -r requirements-loadtest.txt
	touch $@

loadtest: $(VENV)/.loadtest
	$(PY) bench/loadtest/run.py

# Mutated xlsx/xls/ods/csv/xml files against every reader and the whole import, longer
# than the suite's bounded run (tests/test_fuzz_readers.py): FUZZ_EXAMPLES per test.
FUZZ_EXAMPLES ?= 1500
fuzz: $(VENV)/.installed
	MUARA_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest tests/test_fuzz_readers.py -p no:randomly \
		-s -q $(PYTEST_ARGS)

# Muara's own strings into the Indonesian catalogue: extract, merge (new strings come in
# empty for a translator; tests/test_localization.py fails until each has its
# translation). The app compiles the catalogues itself when they change.
POT := app/translations/muara/messages.pot
translations: $(VENV)/.installed
	$(VENV)/bin/pybabel extract -F babel.cfg -k lazy_gettext -k _l --no-location \
		--sort-output --project Muara -o $(POT) app
	MUARA_INSTANCE=$$(mktemp -d) $(VENV)/bin/flask --app run muara screen-strings $(POT)
	$(VENV)/bin/pybabel update -i $(POT) -d app/translations/muara -l id --no-fuzzy-matching \
		--no-wrap
	rm -f $(POT)

permissions: $(VENV)/.installed  ## regenerate docs/permissions.md
	$(VENV)/bin/flask --app run muara permissions

clean:
	rm -rf $(VENV) instance .pytest_cache
