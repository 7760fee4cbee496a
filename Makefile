# Every set-up step lives here: a clean clone needs only `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install test lint demo bench harness clean soak

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

lint: install
	$(BIN)/ruff check .

test: install lint
	$(BIN)/python -m pytest -q

demo: install
	$(BIN)/python tools/demo.py --out out

bench: install
	$(BIN)/python bench/run_all.py

soak: install
	$(BIN)/python bench/soak.py

harness: install
	$(BIN)/insightly-connector harness

clean:
	rm -rf $(VENV) out build *.egg-info .pytest_cache .ruff_cache
