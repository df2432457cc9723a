# The two commands of the README: `make book` and `make test`. Each creates .venv and fetches the
# MNIST digits when they are missing, so both work from a fresh clone.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Notebook kernels inherit these: no progress bars in compared outputs, a fixed thread count.
NB_ENV := TQDM_DISABLE=1 DLBOOK_THREADS=2 PYTHONHASHSEED=0
# The second nbval pass runs the notebooks as another machine would: the portable ATen code path
# instead of this CPU's vector instructions, one thread instead of two, and an empty cache, so
# every model is trained afresh. The stored outputs must pass both.
PORTABLE_ENV := ATEN_CPU_CAPABILITY=default DLBOOK_THREADS=1
NBVAL := $(BIN)/python -m pytest --nbval --nbval-current-env \
    --nbval-sanitize-with notebooks/nbval_sanitize.cfg notebooks
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))

.PHONY: all venv data book test lint unit nbval nbval-portable browser lab notebooks sync bench clean

all: test

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

venv: $(STAMP)

data: $(STAMP)
	$(BIN)/python -m lib.mnist prepare --if-missing

book: $(STAMP) data
	$(BIN)/jupyter-book build --all --warningiserror --nitpick --keep-going book
	@echo "Open _build/html/index.html"

unit: $(STAMP) data
	$(NB_ENV) $(BIN)/python -m pytest tests -m "not browser"

nbval: $(STAMP) data
	$(NB_ENV) $(NBVAL)

nbval-portable: $(STAMP) data
	cache=$$(mktemp -d) && trap 'rm -rf "$$cache"' EXIT && \
	    $(NB_ENV) $(PORTABLE_ENV) DLBOOK_CACHE="$$cache" $(NBVAL)

browser: $(STAMP) data
	$(NB_ENV) $(BIN)/python -m pytest tests -m browser

# Style: ruff's checks and its formatter (line length 88, the book's code column), over the
# library, the tests, the benchmarks and the notebooks' .py twins.
LINTED := lib tests benchmarks notebooks
lint: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

test: lint unit nbval nbval-portable browser

# JupyterLab refuses to start as root (containers, CI) without --allow-root. It serves the
# repository root so that it finds jupytext.toml, and opens on the notebooks folder.
LAB_FLAGS := $(if $(filter 0,$(shell id -u)),--allow-root)
lab: $(STAMP) data
	$(BIN)/jupyter lab $(LAB_FLAGS) --LabApp.default_url=/lab/tree/notebooks

# Re-execute every notebook and store its outputs (after editing a .py twin).
notebooks: $(STAMP) data
	$(BIN)/jupytext --sync notebooks/[0-9][0-9]_*.py
	for nb in $(NOTEBOOKS); do \
	    $(NB_ENV) $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	        --ExecutePreprocessor.timeout=1800 $$nb || exit 1; \
	    $(BIN)/jupytext --sync $$nb || exit 1; \
	done

sync: $(STAMP)
	$(BIN)/jupytext --sync notebooks/[0-9][0-9]_*.py

bench: $(STAMP)
	$(BIN)/python benchmarks/lstm_step.py

clean:
	rm -rf _build cache runs
