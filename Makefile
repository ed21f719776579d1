# SIE-X: two commands for a newcomer, `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test demo lint format install clean-home

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# The CPU build of torch first: a looser requirement would pull a multi-GB CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[dev]"
	# Export the semantic model to ONNX once (cached in ~/.cache/siex/models).
	$(VENV)/bin/siex models prepare
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/siex run

demo: $(STAMP)
	$(VENV)/bin/siex demo

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: lint
	$(VENV)/bin/pytest

clean-home:
	rm -rf .siex
