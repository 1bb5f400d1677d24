# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
# A CPU build of PyTorch; a looser requirement pulls gigabytes of CUDA packages.
TORCH_SPEC ?= torch==2.13.0
HOST ?= 127.0.0.1
PORT ?= 5000
BIN := $(VENV)/bin
KMSEARCH := $(BIN)/kmsearch

.PHONY: install install-dev build run test lint screenshots bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

build: install
	$(KMSEARCH) init
	$(KMSEARCH) ingest

run: build
	$(KMSEARCH) serve --host $(HOST) --port $(PORT)

test: install-dev
	$(BIN)/python -m pytest

lint: install-dev
	$(BIN)/ruff check kmsearch tests benchmarks

screenshots: install-dev
	$(BIN)/python scripts/screenshots.py

bench: install
	$(BIN)/python benchmarks/search_bench.py --notes 1000 --notes 10000

clean:
	rm -rf $(VENV) instance indexes/*.idx build *.egg-info
