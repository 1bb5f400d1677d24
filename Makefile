# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
# A CPU build of PyTorch; a looser requirement pulls gigabytes of CUDA packages.
TORCH_SPEC ?= torch==2.13.0
HOST ?= 127.0.0.1
PORT ?= 5000
BIN := $(VENV)/bin
KMSEARCH := $(BIN)/kmsearch

.PHONY: install install-dev build run test test-fast wheel-check lint screenshots bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml setup.py | $(BIN)/python
	$(BIN)/pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed package.json
	$(BIN)/pip install --quiet -e ".[dev]"
	if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --loglevel=error; fi
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

build: install
	$(KMSEARCH) init
	$(KMSEARCH) ingest

# The local demo answers as a signed-in staff member (internal notes show) unless told otherwise,
# and serves plain http on 127.0.0.1, so its session cookie cannot require https.
run: build
	KMSEARCH_DEFAULT_VIEWER=$${KMSEARCH_DEFAULT_VIEWER:-staff} \
	KMSEARCH_SESSION_COOKIE_SECURE=$${KMSEARCH_SESSION_COOKIE_SECURE:-0} \
	$(KMSEARCH) serve --host $(HOST) --port $(PORT)

test: install-dev
	$(BIN)/python -m pytest

# The fast tier: no embedding model, no browser (under a minute).
test-fast: install-dev
	$(BIN)/python -m pytest -n auto -m "not model and not browser"

# Build the wheel, install it beside .venv's dependencies and serve it from a temporary folder.
wheel-check: install
	VENV_PYTHON=$(BIN)/python scripts/wheel_check.sh

lint: install-dev
	$(BIN)/ruff check kmsearch tests benchmarks scripts

screenshots: install-dev
	$(BIN)/python scripts/screenshots.py

bench: install
	$(BIN)/python benchmarks/search_bench.py --notes 1000 --notes 10000

# Removes what can be rebuilt; never the database in instance/, the system of record.
clean:
	rm -rf $(VENV) build *.egg-info node_modules screenshots
	find indexes -mindepth 1 ! -name README.md -exec rm -rf {} +
