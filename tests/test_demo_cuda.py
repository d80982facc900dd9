"""The demo recipe on a GPU: the same trainer and judging code in bfloat16 on CUDA, with the tiny judge.

Skipped, with the reason shown by ``pytest -ra``, where torch sees no CUDA GPU (this project's CPU
machines and CI); ``pytest -m cuda`` runs just these on a machine with one. transformers turns hub
kernels on by default on a GPU and fetches them when the model trains; offline (as the tests run)
that fetch fails, so these tests switch hub kernels off with ``USE_HUB_KERNELS=0``.
"""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU here: the demo recipe's bf16 GPU path"),
]


@pytest.fixture(autouse=True)
def no_hub_kernels(monkeypatch):
    monkeypatch.setenv("USE_HUB_KERNELS", "0")


def test_the_demo_recipe_trains_and_judges_in_bf16_on_the_gpu(tiny_judge_dir, tmp_path):
    from j1_plugin.demo.learning import Recipe, run_learning

    recipe = Recipe("cuda", warmup="random", warmup_steps=2, grpo_steps=2, pairs_per_step=1, heldout_limit=4,
                    max_completion_length=16)  # fmt: skip
    run = run_learning(tiny_judge_dir, tmp_path, recipe, echo=lambda _line: None, device="cuda")
    assert run.seconds["grpo_steps"] == 2
    for result in (run.base, run.warmup, run.trained):
        assert len(result.outcomes) == 4 and len(result.judged) == 8
    saved = json.loads((run.trained_judge / "config.json").read_text())
    assert saved["dtype"] == "bfloat16"
    assert json.loads((tmp_path / "results.json").read_text())["after"]["pairs"] == 4


def test_the_reference_warm_up_and_its_supervised_bound_train_on_the_gpu(tiny_judge_dir, tmp_path):
    from j1_plugin.demo.learning import Recipe, supervised_bound

    recipe = Recipe("cuda", warmup_epochs=0.05, heldout_limit=4, max_completion_length=16)
    lines: list[str] = []
    result = supervised_bound(tiny_judge_dir, tmp_path, recipe, echo=lines.append, device="cuda")
    assert len(result.outcomes) == 4
    assert "judgment prompts answered by the procedure" in "\n".join(lines)
    assert (tmp_path / "supervised-judge" / "model.safetensors").is_file()


def test_the_judges_own_answers_are_generated_on_the_gpu(tiny_judge_dir):
    from j1_plugin.demo.reference import own_answers
    from j1_plugin.judges import HFJudge

    judge = HFJudge(tiny_judge_dir, device="cuda", dtype="bfloat16")
    answers = own_answers(judge, ["What is 2 + 2?", "Name one fruit."], max_new_tokens=6)
    assert len(answers) == 2 and all(answer.endswith(".") for answer in answers)
    assert next(judge.model.parameters()).device.type == "cuda"
