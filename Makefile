# The two commands of the README:
#   make book   the main job: set up, compute what the result store lacks, build the book
#   make test   set up (browser too), run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.setup-stamp
PIP    := $(BIN)/pip install --quiet --disable-pip-version-check --find-links /opt/wheels

.PHONY: setup browser book test benchmarks clean

setup: $(STAMP)

$(STAMP): pyproject.toml requirements-offline.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) -e '.[test,browser,distributed,notebook]'
	$(BIN)/pip check
	$(PIP) --no-deps -r requirements-offline.txt
	touch $@

# Debian's chromium for the browser tests (never a downloaded browser build).
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Executes the notebooks (runs missing from data/results/ are computed), then renders _build/html.
book: setup
	$(BIN)/python -m almodules book

test: setup browser
	$(BIN)/python -m pytest -q

benchmarks: setup
	$(BIN)/python benchmarks/embed_throughput.py
	$(BIN)/python benchmarks/strategies.py

clean:
	rm -rf _build book/executed
