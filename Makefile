# LeadScore: `make demo` and `make test` work on a fresh Debian machine.
SHELL := /bin/bash
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := libopenblas-dev liblapacke-dev pkg-config
BIN := .build/release/leadscore
# The tests are built once, optimized and with testing enabled (`@testable import`), in their own
# folder so `make demo` and `make test` do not rebuild each other's: the CLI tests run the binary
# hundreds of times on real data, which a debug build makes 20× slower. The browser, report and
# engine tests use the same binary.
TEST_BUILD := -c release -Xswiftc -enable-testing --scratch-path .build-test
TEST_BIN := .build-test/release/leadscore

.PHONY: deps build demo test test-browser test-report report-screenshot browser-deps screenshot bench-serve test-engines engine-deps fixtures bench fuzz clean

## Install the system libraries the package links (OpenBLAS, LAPACKE), only when missing.
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

build: deps
	swift build -c release --product leadscore

## Train on the bundled history, score the bundled new leads, show a few.
demo: build
	LEADSCORE_CREATED_AT=2026-01-01T00:00:00Z $(BIN) train datasets/leads.csv --target status --positive accepted \
	  --id lead_id --exclude reject_reason --time created_at --holdout-after 2026-06-30 --out models/leads.json
	$(BIN) score datasets/new-leads.csv --model models/leads.json --reasons 3 --out /tmp/leadscore-demo-scores.csv
	@echo "--- first scored leads (all in /tmp/leadscore-demo-scores.csv) ---"
	@head -n 8 /tmp/leadscore-demo-scores.csv
	@echo "--- why did the lowest of them score low? ---"
	$(BIN) explain N0000005 --model models/leads.json --data datasets/new-leads.csv
	@echo "--- the monthly report (model quality, drivers, rejection patterns, drift) ---"
	$(BIN) report --model models/leads.json --data datasets/leads.csv --out /tmp/leadscore-demo-report.html --quiet
	@echo "report: /tmp/leadscore-demo-report.html (open it in a browser)"

test: deps
	swift build $(TEST_BUILD) --build-tests
	swift test $(TEST_BUILD) --skip-build 2>&1 | tee /tmp/leadscore-test.log; exit $${PIPESTATUS[0]}
	$(MAKE) test-browser
	$(MAKE) test-report
	$(MAKE) test-engines

## `leadscore export sql` on the real engines (DuckDB, PostgreSQL 15, Spark SQL local[2]) against
## `leadscore score`. Installs what is missing; an engine that cannot be installed fails the run.
ENGINE_APT := postgresql openjdk-17-jre-headless python3-pip
# The binary `make test` has just built (TEST_BUILD).
ENGINE_BIN ?= $(TEST_BIN)
engine-deps:
	@missing=""; for p in $(ENGINE_APT); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ] && ! { [ "$$missing" = " python3-pip" ] && python3 -m pip --version >/dev/null 2>&1; }; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi
	@python3 -c "import duckdb, pyspark" 2>/dev/null || python3 -m pip install -q duckdb pyspark \
	  || python3 -m pip install -q --break-system-packages duckdb pyspark

test-engines: deps engine-deps
	swift build $(TEST_BUILD) --product leadscore
	python3 Tests/Engines/check_sql.py --bin $(ENGINE_BIN)

## The page of `leadscore serve` in headless Chromium (Debian's `chromium`, installed when missing;
## the run fails if it cannot be). `make screenshot` remakes the README's picture of the page.
browser-deps:
	@dpkg -s chromium >/dev/null 2>&1 || { echo "installing: chromium"; \
	  $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

test-browser: deps browser-deps
	swift build $(TEST_BUILD) --product leadscore
	LEADSCORE_BIN=$(TEST_BIN) python3 Tests/Browser/page_test.py

## `leadscore report` in headless Chromium: renders, every section, escaping (XSS), a screenshot's size.
## `make report-screenshot` remakes the README's picture of the report (docs/report.png).
test-report: deps browser-deps
	swift build $(TEST_BUILD) --product leadscore
	LEADSCORE_BIN=$(TEST_BIN) python3 Tests/Browser/report_test.py

report-screenshot: deps browser-deps
	swift build $(TEST_BUILD) --product leadscore
	LEADSCORE_BIN=$(TEST_BIN) python3 Tests/Browser/report_test.py --screenshot docs/report.png

screenshot: deps browser-deps
	swift build $(TEST_BUILD) --product leadscore
	LEADSCORE_BIN=$(TEST_BIN) python3 Tests/Browser/page_test.py --screenshot docs/serve-page.png

## Load on `leadscore serve` from wrk on 127.0.0.1 (installed when missing), against `leadscore score`.
bench-serve: build
	@command -v wrk >/dev/null 2>&1 || { echo "installing: wrk"; \
	  $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
	bench/serve.sh $(BIN)

## Benchmarks against DuckDB's shell and scikit-learn (needs: pip install duckdb-cli scikit-learn pandas joblib).
bench: build
	python3 bench/run.py

## Fuzz the CSV reader with libFuzzer for 10 minutes (FUZZ_SECONDS to change).
FUZZ_SECONDS ?= 600
fuzz:
	swift build --package-path Fuzz -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
	mkdir -p Fuzz/corpus-run
	Fuzz/.build/release/FuzzCSVReader Fuzz/corpus-run Fuzz/corpus -max_total_time=$(FUZZ_SECONDS) -max_len=8192

## Regenerate the reference fixtures (needs: pip install statsmodels scikit-learn pandas).
fixtures:
	python3 Tests/Fixtures/make_fixtures.py

## Regenerate the bundled synthetic data (the exact commands behind datasets/).
datasets: build
	$(BIN) generate --rows 20000 --seed 7 --out datasets/leads.csv
	$(BIN) generate --rows 5000 --seed 8 --unlabeled --out datasets/new-leads.csv
	$(BIN) generate --rows 5000 --seed 9 --crm --out datasets/crm-leads.csv

clean:
	rm -rf .build .build-test
