# Every set-up step lives here: a clean clone needs only `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install system test lint demo bench harness clean soak platforms ui-assets

install: $(STAMP)

# Debian packages the tests use for real: redis-server (the shared limiter's cross-machine store) and
# chromium with its driver (the pages, driven headless by Playwright). Installed only when missing.
SYSTEM_PACKAGES := redis-server chromium chromium-driver
SYSTEM_STAMP    := $(VENV)/.system-stamp

system: $(SYSTEM_STAMP)

$(SYSTEM_STAMP):
	@missing=""; for pkg in $(SYSTEM_PACKAGES); do dpkg -s $$pkg >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	mkdir -p $(VENV) && touch $@

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

lint: install
	$(BIN)/ruff check .

# Two workers (pytest-xdist), each module's tests on one of them so its harness fixtures start once.
test: install system lint
	$(BIN)/python -m pytest -q -n 2 --dist loadscope

demo: install
	$(BIN)/python tools/demo.py --out out

bench: install
	$(BIN)/python bench/run_all.py

soak: install
	$(BIN)/python bench/soak.py

# Acceptance with the real platforms, outside `make test`: one venv per client under .venv-platforms/ (built once,
# stamped), then every case script under tools/acceptance/ (each writes its figures under bench/).
PLATFORMS := .venv-platforms

$(PLATFORMS)/pyairbyte/.stamp:
	$(PYTHON) -m venv $(PLATFORMS)/pyairbyte
	$(PLATFORMS)/pyairbyte/bin/python -m pip install --quiet --disable-pip-version-check 'airbyte==0.71.*'
	touch $@

$(PLATFORMS)/meltano/.stamp:
	test -x $(PLATFORMS)/meltano/bin/python || $(PYTHON) -m venv $(PLATFORMS)/meltano
	$(PLATFORMS)/meltano/bin/python -m pip install --quiet --disable-pip-version-check 'meltano==4.4.*'
	touch $@

platforms: install $(PLATFORMS)/pyairbyte/.stamp $(PLATFORMS)/meltano/.stamp
	for case in tools/acceptance/[!_]*.py; do $(BIN)/python $$case || exit 1; done

harness: install
	$(BIN)/insightly-connector harness

# The pages of `insightly-connector ui`: ui-frontend/ (react-jsonschema-form, uPlot) built by vite into
# insightly_connector/ui/static/, which is committed, so install, test and the wheel need no npm. After changing
# ui-frontend/, rebuild (from the npm registry, pinned by package-lock.json) and commit the result.
ui-assets:
	cd ui-frontend && npm ci --no-audit --no-fund && npm run build

clean:
	rm -rf $(VENV) $(PLATFORMS) out build *.egg-info .pytest_cache .ruff_cache ui-frontend/node_modules
