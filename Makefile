# The two commands of the README:
#   make book   the main job: set up, compute what the result store lacks, build the book
#   make test   set up (browser too), run the whole test suite
#   make lab    JupyterLab on the chapters
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.setup-stamp
# torch==2.13.0+cpu, the CPU build the pins name, is not on PyPI: it comes from a local wheel folder
# where the machine has one (WHEELS), else from PyTorch's CPU index (TORCH_INDEX). Override either:
#   make book WHEELS=~/wheels      make book TORCH_INDEX=https://download.pytorch.org/whl/cpu
WHEELS      ?= /opt/wheels
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
TORCH_FROM  := $(if $(wildcard $(WHEELS)),--find-links $(WHEELS),--extra-index-url $(TORCH_INDEX))
PIP    := $(BIN)/pip install --quiet --disable-pip-version-check $(TORCH_FROM)
# pip check on everything but the --no-deps packages, whose declared dependencies are left out on purpose
# (so that re-running setup in an existing environment passes too).
OFFLINE := $(shell sed -n 's/==.*//p' requirements-offline.txt | paste -sd'|')

.PHONY: setup browser book test lab benchmarks clean

setup: $(STAMP)

$(STAMP): pyproject.toml requirements-offline.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) -e '.[test,browser,distributed,notebook]'
	$(BIN)/pip check | grep -v -i -E '^($(OFFLINE)) |^No broken' | { ! grep . ; }
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

# JupyterLab on the chapters with the project's environment (its kernel and the notebook extra are set up).
lab: setup
	$(BIN)/jupyter lab notebooks/

benchmarks: setup
	$(BIN)/python benchmarks/embed_throughput.py
	$(BIN)/python benchmarks/strategies.py

clean:
	rm -rf _build book/executed
