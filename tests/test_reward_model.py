"""The ``reward-model`` backend: a scalar sequence-classification model judging pairs by its scores."""

from __future__ import annotations

import json

import pytest

from j1_plugin import get_judge
from j1_plugin.benchmarks.synthetic import judgebench_rows, write_jsonl
from j1_plugin.cli import main
from j1_plugin.judges import RewardModelJudge


def build_classifier(tiny_judge_dir, folder, labels=1):
    """A tiny random sequence classifier with the tiny judge's tokenizer and chat template."""
    import torch
    from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer

    config = AutoConfig.from_pretrained(tiny_judge_dir, num_labels=labels)
    torch.manual_seed(0)
    AutoModelForSequenceClassification.from_config(config, dtype=torch.float32).save_pretrained(folder)
    AutoTokenizer.from_pretrained(tiny_judge_dir).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def classifier(tiny_judge_dir, tmp_path_factory):
    return build_classifier(tiny_judge_dir, tmp_path_factory.mktemp("tiny-rm"))


def run(capsys, *argv):
    code = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_scores_are_the_models_own_output_on_the_chat_text(classifier):
    import torch

    judge = get_judge("reward-model")(str(classifier), device="cpu", batch_size=2)
    conversations = [[{"role": "user", "content": "What is 2 + 2?"}, {"role": "assistant", "content": answer}]
                     for answer in ("4", "It is 5.", "four")]  # fmt: skip
    scores = judge.score(conversations)
    for conversation, score in zip(conversations, scores, strict=True):  # batched and padded = one at a time
        encoded = judge.tokenizer(judge.text(conversation), return_tensors="pt", add_special_tokens=False)
        with torch.no_grad():
            assert judge.model(**encoded).logits[0, 0].item() == pytest.approx(score, abs=1e-4)
    assert "What is 2 + 2?" in judge.text(conversations[0]) and len(set(scores)) == 3


def test_j1_judge_writes_order_blind_verdicts_that_j1_score_and_j1_report_read(classifier, tmp_path, capsys):
    data = write_jsonl(judgebench_rows(8), tmp_path / "judgebench.jsonl")
    out = tmp_path / "rm.jsonl"
    argv = ["judge", "--benchmark", "judgebench", "--data", data, "--backend", "reward-model", "--model", classifier,
            "--device", "cpu", "--out", out, "--quiet"]  # fmt: skip
    code, _, err = run(capsys, *argv)
    assert code == 0, err
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 16 and all(line["format"] == "reward-model" for line in lines)
    for line in lines:
        a, b = line["reward_a"], line["reward_b"]
        assert line["verdict"] == ("A" if a > b else "B" if b > a else "tie")
    by_pair = {}
    for line in lines:
        by_pair.setdefault(line["pair_id"], {})[line["order"]] = line
    for orders in by_pair.values():  # the same two rewards, shown swapped
        assert (orders["AB"]["reward_a"], orders["AB"]["reward_b"]) == (
            orders["BA"]["reward_b"],
            orders["BA"]["reward_a"],
        )
    code, _, err = run(capsys, *argv)
    assert code == 0 and "0 judgments written" in err and "16 of 16 were there already" in err
    code, scored, _ = run(capsys, "score", "--benchmark", "judgebench", "--data", data, "--judgments", out, "--json")
    report = json.loads(scored)
    assert code == 0 and report["judgments"] == 16 and report["j1"]["flip_rate"] == 0.0
    code, printed, err = run(capsys, "report", f"rm@judgebench:{out}", "--data-dir", tmp_path, "--out", tmp_path / "r",
                             "--json")  # fmt: skip
    assert code == 0, err
    assert json.loads(printed)[0]["official"] == report["official"]


def test_what_a_reward_model_cannot_do_is_a_clear_error(classifier, tiny_judge_dir, tmp_path, capsys):
    judge = RewardModelJudge(str(classifier), device="cpu")
    with pytest.raises(TypeError, match="scores responses and writes no text"):
        judge.generate([[{"role": "user", "content": "x"}]], None)
    with pytest.raises(ValueError, match="one output; this model has 2 labels"):
        RewardModelJudge(str(build_classifier(tiny_judge_dir, tmp_path / "two", labels=2)), device="cpu")
    data = write_jsonl(judgebench_rows(2), tmp_path / "judgebench.jsonl")
    code, _, err = run(capsys, "judge", "--benchmark", "judgebench", "--data", data, "--backend", "reward-model",
                       "--model", classifier, "--samples", "4", "--out", tmp_path / "x.jsonl")  # fmt: skip
    assert code == 2 and "--samples: a scalar reward model writes no text" in err
