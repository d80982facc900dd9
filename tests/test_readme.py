"""The README is a contract: every shell block runs as written, or its first line says what it needs.

The first block holds the two set-up commands (``make demo``, ``make test``): CI runs the second and
the demo has its own tests, so it is checked for shape, not run. Every other ``bash`` block either
starts with ``# needs: ...`` (a GPU, a server, internet, a long idle machine) or is run here, in
order, in a scratch copy of the checkout whose ``.venv`` is this one, as a reader would after
``make install``: offline, on the CPU.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"^```bash\n(.*?)^```", re.MULTILINE | re.DOTALL)
NEEDS = "# needs:"
OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def shell_blocks() -> list[str]:
    return BLOCK.findall((REPO / "README.md").read_text("utf-8"))


def runnable_blocks() -> list[str]:
    return [block for block in shell_blocks()[1:] if not block.startswith(NEEDS)]


def test_the_readme_opens_with_exactly_the_two_set_up_commands():
    setup = [line.split("#")[0].strip() for line in shell_blocks()[0].splitlines()]
    assert setup == ["make demo", "make test"]
    assert (REPO / "Makefile").read_text().count("\ndemo:") == 1


def test_every_block_that_is_not_run_says_what_it_needs():
    skipped = [block for block in shell_blocks()[1:] if block.startswith(NEEDS)]
    assert skipped, "the README shows GPU and server commands; they must be marked"
    for block in skipped:
        reason = block.splitlines()[0][len(NEEDS) :].strip()
        assert len(reason) > 8, block


def test_runnable_blocks_call_the_projects_environment_not_whatever_is_on_path():
    bare = re.compile(r"^(j1|trl|lm_eval|torchrun|python|accelerate|pip) ", re.MULTILINE)
    for block in runnable_blocks():
        assert not bare.search(block), block


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    """A copy of the checkout's files with this ``.venv``, its install counted as done."""
    copy = tmp_path_factory.mktemp("readme") / "j1-plugin"
    ignore = shutil.ignore_patterns(".venv", ".git", "__pycache__", "*.egg-info", "runs", "suite", "out", ".*cache")
    shutil.copytree(REPO, copy, ignore=ignore)
    (copy / ".venv").symlink_to(Path(sys.executable).parents[1])
    os.utime(copy / "pyproject.toml", (0, 0))  # older than .venv/.installed: `make install` has nothing to do
    return copy


@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(runnable_blocks())), ids=lambda i: runnable_blocks()[i].split("\n")[0][:50])
def test_readme_block_runs_as_written(checkout, index):
    block = runnable_blocks()[index]
    env = {**os.environ, **OFFLINE, "OMP_NUM_THREADS": "1", "J1_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=checkout, env=env, capture_output=True,
                          text=True, timeout=900)  # fmt: skip
    assert done.returncode == 0, f"README block failed:\n{block}\n--- stderr ---\n{done.stderr[-3000:]}"
