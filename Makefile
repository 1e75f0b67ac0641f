# carbonwatch — the two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SHARED ?= $(abspath ../shared)
REPORT := $(SHARED)/reports/report100-2023.zh.pdf
BENCH_COMPANIES ?= 100
AMCHAM := $(SHARED)/reports/amcham-dual-carbon.zh.pdf
# Everything generated stays under var/ (ignored): Airflow home, mirror, warehouse, raw files.
VAR := $(abspath var)
export AIRFLOW_HOME := $(VAR)/airflow
export GX_ANALYTICS_ENABLED := false
export CARBONWATCH_VAR := $(VAR)
export CARBONWATCH_REPORT := $(REPORT)

.PHONY: install system-deps demo test eval bench clean help

help:  ## list the targets
	@grep -E '^[a-z]+:.*##' Makefile | sed 's/:.*## /\t/'

# Bytecode is compiled at install: this machine's environment sets PYTHONDONTWRITEBYTECODE=1 and uv
# writes no .pyc by default, so every process (each Airflow task, the watcher) compiled Airflow,
# GX and pandas from source again: `import great_expectations` 19.5 s -> 8.3 s, pandas 3.6 -> 1.0 s.
PACKAGES := common extractors transforms expectations warehouse carbonwatch dags benchmarks
$(BIN)/carbonwatch: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check uv==0.13.9
	$(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	$(BIN)/python -m compileall -q -j 0 $(PACKAGES)
	touch $(BIN)/carbonwatch

install: $(BIN)/carbonwatch  ## build .venv with pinned dependencies (requirements.lock)

system-deps:  ## Debian packages for the HTML report's browser test (Chromium, a CJK font); needs root
	{ command -v chromium >/dev/null && fc-list :lang=zh | grep -q . ; } || { apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-wqy-zenhei; } \
	  || echo "make system-deps: chromium could not be installed; the HTML report's browser test will be skipped"

demo: install  ## run the nightly pipeline twice on the offline mirror and print a summary
	$(BIN)/carbonwatch demo --report $(REPORT) --var $(VAR)/demo

test: install  ## unit + integration tests (real Airflow, GX, DuckDB, loopback HTTP)
	$(BIN)/python -m pytest -q

eval: install  ## dev-set scores of both extraction commands (both seed reports, real PDFs)
	mkdir -p $(VAR)
	$(BIN)/carbonwatch cases $(REPORT) > $(VAR)/cases.jsonl
	$(PYTHON) $(SHARED)/tools/score.py $(SHARED)/gold/report100.dev.jsonl $(VAR)/cases.jsonl
	$(BIN)/carbonwatch cases $(AMCHAM) > $(VAR)/amcham.jsonl
	$(PYTHON) $(SHARED)/tools/score.py $(SHARED)/gold/amcham.dev.jsonl $(VAR)/amcham.jsonl
	$(BIN)/carbonwatch extract $(SHARED)/realpdfs/*.pdf > $(VAR)/real.jsonl
	$(PYTHON) $(SHARED)/tools/score.py $(SHARED)/realpdfs/labels.dev.jsonl $(VAR)/real.jsonl --key file

bench: install  ## speed and memory benchmarks (the nightly at scale: BENCH_COMPANIES=1000, default 100)
	BENCH_COMPANIES=$(BENCH_COMPANIES) $(BIN)/python -m benchmarks

clean:  ## remove generated files (keeps .venv)
	rm -rf $(VAR)
