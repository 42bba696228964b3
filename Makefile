# Two commands: `make run` and `make test`. Everything they need is installed here.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
export CYBERSPOTTER_DATA_DIR ?= ./var

.PHONY: run test test-postgres setup lint messages translations bench bench-submission bench-queue bench-webhooks bench-form clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@ $(STAMP)

setup: $(STAMP)

## make run: set up, migrate, load demo data, serve on http://127.0.0.1:8000
run: $(STAMP)
	$(BIN)/cyberspotter migrate
	$(BIN)/cyberspotter demo
	@echo "Serving on http://127.0.0.1:8000  (API docs: http://127.0.0.1:8000/docs)"
	$(BIN)/cyberspotter serve --host 127.0.0.1 --port 8000

## make test: set up with the test extras and run the whole suite (SQLite; PostgreSQL too when
## CYBERSPOTTER_TEST_POSTGRES_URL is set)
AXE := tests/e2e/node_modules/.installed
$(AXE): tests/e2e/package.json tests/e2e/package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --prefix tests/e2e --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: the accessibility checks will be skipped"; fi
	@mkdir -p tests/e2e/node_modules && touch $@

test: $(TEST_STAMP) $(AXE)
	CYBERSPOTTER_ENV=test $(BIN)/pytest -n 2 --dist loadfile -m "not e2e"
	@echo "== browser tests (skipped when no Chromium is installed) =="
	CYBERSPOTTER_ENV=test $(BIN)/pytest -m e2e; status=$$?; [ $$status -eq 0 ] || [ $$status -eq 5 ] || exit $$status
	@if [ -n "$$CYBERSPOTTER_TEST_POSTGRES_URL" ]; then \
		echo "== the same suite on PostgreSQL =="; \
		CYBERSPOTTER_ENV=test CYBERSPOTTER_TEST_ENGINE=postgres $(BIN)/pytest -n 2 --dist loadfile -m "not e2e and not fuzz"; \
	fi

test-postgres: $(TEST_STAMP)
	CYBERSPOTTER_ENV=test CYBERSPOTTER_TEST_ENGINE=postgres \
	CYBERSPOTTER_TEST_POSTGRES_URL=$${CYBERSPOTTER_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/postgres} \
	$(BIN)/pytest -n 2 --dist loadfile -m "not e2e and not fuzz"

lint: $(TEST_STAMP)
	$(BIN)/ruff check .

## make messages: extract translatable strings and update the catalogues under app/locales/
messages: $(TEST_STAMP)
	$(BIN)/python -m app.i18n_catalogues
translations: messages

## make bench: every benchmark once at small scale (SQLite, a few minutes). One at full scale:
## make bench-submission | bench-queue | bench-webhooks | bench-form, with BENCH_ARGS=--postgres for both
## engines. Figures are printed; databases go to a temporary folder (see bench/common.py).
BENCH_ARGS ?=
bench: $(STAMP)
	$(BIN)/python bench/form_weight.py
	$(BIN)/python bench/report_submission.py --seconds 5 --volunteers 8 $(BENCH_ARGS)
	$(BIN)/python bench/webhook_delivery.py --messages 500 $(BENCH_ARGS)
	$(BIN)/python bench/review_queue.py --sizes 10000 --requests 30 $(BENCH_ARGS)

bench-submission: $(STAMP)
	$(BIN)/python bench/report_submission.py $(BENCH_ARGS)

bench-queue: $(STAMP)
	$(BIN)/python bench/review_queue.py $(BENCH_ARGS)

bench-webhooks: $(STAMP)
	$(BIN)/python bench/webhook_delivery.py $(BENCH_ARGS)

bench-form: $(STAMP)
	$(BIN)/python bench/form_weight.py

clean:
	rm -rf $(VENV) var .pytest_cache
