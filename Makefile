# The two commands of the README: `make book` and `make test`. Each creates .venv and fetches the
# MNIST digits when they are missing, so both work from a fresh clone.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The fast LSTM's C++ loops (lib/lstm_loops.cpp), compiled once per machine into torch's extension
# cache; without a compiler the build step says so and the Python loops are used instead.
NATIVE := $(VENV)/.native
# Notebook kernels inherit these: no progress bars in compared outputs, a fixed thread count.
NB_ENV := DLBOOK_PROGRESS=0 DLBOOK_THREADS=2 PYTHONHASHSEED=0
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))

.PHONY: all venv data book test unit nbval browser lab notebooks sync bench clean

all: test

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(NATIVE): $(STAMP) lib/lstm_loops.cpp lib/native.py
	$(BIN)/python -m lib.native
	@touch $@

venv: $(STAMP) $(NATIVE)

data: $(STAMP)
	$(BIN)/python -m lib.mnist prepare --if-missing

book: $(STAMP) data
	$(BIN)/jupyter-book build --all --warningiserror --nitpick --keep-going book
	@echo "Open _build/html/index.html"

unit: $(STAMP) $(NATIVE) data
	$(NB_ENV) $(BIN)/python -m pytest tests -m "not browser"

nbval: $(STAMP) $(NATIVE) data
	$(NB_ENV) $(BIN)/python -m pytest --nbval --nbval-current-env \
	    --nbval-sanitize-with notebooks/nbval_sanitize.cfg notebooks

browser: $(STAMP) $(NATIVE) data
	$(NB_ENV) $(BIN)/python -m pytest tests -m browser

test: unit nbval browser

# JupyterLab refuses to start as root (containers, CI) without --allow-root. It serves the
# repository root so that it finds jupytext.toml, and opens on the notebooks folder.
LAB_FLAGS := $(if $(filter 0,$(shell id -u)),--allow-root)
lab: $(STAMP) data
	$(BIN)/jupyter lab $(LAB_FLAGS) --LabApp.default_url=/lab/tree/notebooks

# Re-execute every notebook and store its outputs (after editing a .py twin).
notebooks: $(STAMP) $(NATIVE) data
	$(BIN)/jupytext --sync notebooks/[0-9][0-9]_*.py
	for nb in $(NOTEBOOKS); do \
	    $(NB_ENV) $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	        --ExecutePreprocessor.timeout=1800 $$nb || exit 1; \
	    $(BIN)/jupytext --sync $$nb || exit 1; \
	done

sync: $(STAMP)
	$(BIN)/jupytext --sync notebooks/[0-9][0-9]_*.py

bench: $(STAMP) $(NATIVE)
	$(BIN)/python benchmarks/lstm_step.py

clean:
	rm -rf _build cache runs
