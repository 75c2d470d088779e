# The two commands of the README:
#   make demo   run the service with its demo page on SQLite (http://127.0.0.1:8000/)
#   make test   install what the tests need (venv, npm tools, Chromium) and run them all
# Everything else here is a step of those two, or a developer convenience.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app consent_server
PORT   ?= 8000

.PHONY: demo test test-python test-js test-fast bundle bundle-check lint bench chromium

$(VENV)/.installed: setup.cfg
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[server,test,dev]"
	touch $@

banner-js/node_modules/.installed: banner-js/package.json banner-js/package-lock.json
	cd banner-js && npm ci --no-audit --no-fund --loglevel=error
	touch $@

demo: $(VENV)/.installed
	$(FLASK) db upgrade
	@echo "Demo: open http://127.0.0.1:$(PORT)/  (staff UI: /admin/, API: /v1/openapi.json)"
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

# Chromium from the OS package manager: browsers are never downloaded by Playwright.
chromium:
	@command -v chromium >/dev/null 2>&1 || test -x "$${CONSENT_TEST_CHROMIUM:-/usr/bin/chromium}" || \
	  { echo "Installing Chromium (apt-get)"; \
	    if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	    $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

test: $(VENV)/.installed banner-js/node_modules/.installed chromium
	cd banner-js && npm run lint
	cd banner-js && npm test
	cd banner-js && npm run check
	$(BIN)/python -m pytest

test-fast: $(VENV)/.installed
	$(BIN)/python -m pytest -m "not browser"

bundle: banner-js/node_modules/.installed
	cd banner-js && npm run build

lint: $(VENV)/.installed banner-js/node_modules/.installed
	$(BIN)/ruff check consent_server tests benchmarks
	$(BIN)/mypy consent_server
	cd banner-js && npm run lint

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/server_bench.py
