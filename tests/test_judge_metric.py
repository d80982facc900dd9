"""A J1 judge as an lm-eval metric: a stock-style generate_until task graded by a served judge."""

from __future__ import annotations

import json
import math
from pathlib import Path

import lm_eval
import pytest
from lm_eval.api.model import LM
from openai_server import serve

from j1_plugin.lmeval import task_manager
from j1_plugin.lmeval.judge_metric import J1JudgeFilter, JudgeMetricError, parse_fail, win_rate

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "lm_eval_judge_metric"
QUESTIONS = [json.loads(line) for line in (EXAMPLE / "questions.jsonl").read_text().splitlines()]


class ScriptedPolicy(LM):
    """The model under evaluation: a long answer to the even-numbered questions, "No." to the rest."""

    def __init__(self):
        super().__init__()
        self.prompts = []

    def generate_until(self, requests, disable_tqdm=False):
        self.prompts += [request.args[0] for request in requests]
        return [answer(request.doc) for request in requests]

    def loglikelihood(self, requests, disable_tqdm=False):
        raise NotImplementedError

    def loglikelihood_rolling(self, requests, disable_tqdm=False):
        raise NotImplementedError


def shown(prompt: str) -> tuple[str, str]:
    """The two responses of a rendered pav prompt, as the judge saw them (A, B)."""
    a = prompt.split("=== Assistant A: response begins ===\n")[1].split("\n=== Assistant A: response ends")[0]
    b = prompt.split("=== Assistant B: response begins ===\n")[1].split("\n=== Assistant B: response ends")[0]
    return a, b


def prefers_longer(messages, choice=0) -> str:
    a, b = shown(messages[-1]["content"])
    return f"<think>The longer answer explains more.</think><answer>[[{'A' if len(a) > len(b) else 'B'}]]</answer>"


def always_a(messages, choice=0) -> str:
    return "<think>The first one.</think><answer>[[A]]</answer>"


def run_example(policy, server, tmp_path, monkeypatch, **settings):
    """The example task, as its README runs it, pointed at ``server`` through $J1_JUDGE_METRIC."""
    monkeypatch.chdir(REPO)  # the example's data path is relative to the repository root
    config = {"model": "j1", "base_url": server.base_url.rsplit("/chat/", 1)[0], "cache_dir": str(tmp_path / "c")}
    monkeypatch.setenv("J1_JUDGE_METRIC", json.dumps({**config, **settings}))
    manager = task_manager([EXAMPLE], include_defaults=False)
    return lm_eval.simple_evaluate(model=policy, tasks=["j1_judged_qa"], task_manager=manager, log_samples=True,
                                   bootstrap_iters=0)  # fmt: skip


REPLIES = ["Ice is less dense than liquid water, because its molecules lock into an open lattice.", "No."]


def answer(doc) -> str:
    return REPLIES[int(doc["id"][1:]) % 2]


def test_the_example_task_is_graded_by_a_served_judge_in_both_orders(tmp_path, monkeypatch):
    policy = ScriptedPolicy()
    with serve(reply=prefers_longer) as server:
        res = run_example(policy, server, tmp_path, monkeypatch)
        asked = [payload["messages"][-1]["content"] for payload, _ in server.take()]
    assert f"Question: {QUESTIONS[0]['question']}\nAnswer:" in policy.prompts
    # Each answer is shown first once and second once, beside its own document's baseline.
    assert len(asked) == 2 * len(QUESTIONS)
    for row in QUESTIONS:
        seen = sorted(shown(prompt) for prompt in asked if f"{row['question']}\n" in prompt)
        assert seen == sorted([(answer(row), row["baseline"]), (row["baseline"], answer(row))])
    # Longer wins in both orders; equal lengths ("No." beside "51.") get B twice: a flip, half a point.
    lengths = [(len(answer(row)), len(row["baseline"])) for row in QUESTIONS]
    wins = [1.0 if mine > theirs else 0.0 if mine < theirs else 0.5 for mine, theirs in lengths]
    flips = sum(mine == theirs for mine, theirs in lengths)
    assert 0 < sum(wins) < len(wins) and flips == 1
    scores = res["results"]["j1_judged_qa"]
    assert scores["j1_judge_win_rate,j1_judge"] == pytest.approx(sum(wins) / len(wins))
    assert scores["j1_judge_flip_rate,j1_judge"] == pytest.approx(flips / len(QUESTIONS))
    assert scores["j1_judge_parse_fail,j1_judge"] == 0.0
    sample = res["samples"]["j1_judged_qa"][0]
    (record,) = sample["filtered_resps"][0]
    assert record["win"] == 1.0 and len(record["outputs"]) == 2  # the judge's raw texts are logged


def test_a_position_biased_judge_scores_a_half_and_flips_every_time(tmp_path, monkeypatch):
    with serve(reply=always_a) as server:
        scores = run_example(ScriptedPolicy(), server, tmp_path, monkeypatch)["results"]["j1_judged_qa"]
    assert scores["j1_judge_win_rate,j1_judge"] == 0.5 and scores["j1_judge_flip_rate,j1_judge"] == 1.0


def test_a_rerun_is_answered_from_the_judge_cache(tmp_path, monkeypatch):
    with serve(reply=prefers_longer) as server:
        first = run_example(ScriptedPolicy(), server, tmp_path, monkeypatch)["results"]["j1_judged_qa"]
        server.take()
        again = run_example(ScriptedPolicy(), server, tmp_path, monkeypatch)["results"]["j1_judged_qa"]
        assert server.take() == []
    assert again == first


def test_pointwise_mode_scores_each_output_alone(tmp_path, monkeypatch):
    def score_by_words(messages, choice=0):
        answer = messages[-1]["content"].split("=== Assistant: response begins ===\n")[1].split("\n=== Assistant")[0]
        return "unsure" if answer == "No." else f"<think>ok</think><score> {min(10, len(answer.split()))} </score>"

    task = (EXAMPLE / "j1_judged_qa.yaml").read_text()
    folder = tmp_path / "task"
    folder.mkdir()
    (folder / "pointwise.yaml").write_text(
        task.replace("task: j1_judged_qa", "task: j1_judged_qa_pointwise")
        .replace("mode: reference ", "mode: pointwise ")
        .replace("        reference: baseline      # the document field holding the baseline answer\n", "")
        .replace("j1_judge_win_rate, aggregation: mean", "j1_judge_score, aggregation: nanmean")
        .replace("{metric: j1_judge_flip_rate, aggregation: nanmean, higher_is_better: false}\n  - ", "")
    )
    monkeypatch.chdir(REPO)
    with serve(reply=score_by_words) as server:
        url = server.base_url.rsplit("/chat/", 1)[0]
        monkeypatch.setenv("J1_JUDGE_METRIC", json.dumps({"base_url": url, "model": "j1", "cache_dir": str(tmp_path)}))
        res = lm_eval.simple_evaluate(model=ScriptedPolicy(), tasks=["j1_judged_qa_pointwise"],
                                      task_manager=task_manager([folder], include_defaults=False),
                                      bootstrap_iters=0)  # fmt: skip
    scores = res["results"]["j1_judged_qa_pointwise"]
    # The judge gives the long answer 10 (one per word, capped) and cannot score "No.": the mean is
    # over the scored half, and the other half shows as parse failures.
    assert scores["j1_judge_score,j1_judge"] == 10.0
    assert scores["j1_judge_parse_fail,j1_judge"] == 0.5


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"mode": "duel", "question": "q", "model": "m"}, "mode must be one of reference, pointwise"),
        ({"question": "q", "model": "m"}, "mode 'reference' needs 'reference'"),
        ({"reference": "b", "model": "m"}, "'question' is required"),
        ({"question": "q", "reference": "b"}, "'model' is required"),
        ({"question": "q", "reference": "b", "model": "m", "format": "pos"}, "needs a pairwise format"),
        ({"question": "q", "reference": "b", "model": "m", "max_new_tokens": "9"}, "max_new_tokens must be"),
    ],
)
def test_bad_filter_settings_are_clear_errors(settings, message, monkeypatch):
    monkeypatch.delenv("J1_JUDGE_METRIC", raising=False)
    with pytest.raises(JudgeMetricError, match=message):
        J1JudgeFilter(**settings)


def test_a_document_without_the_named_field_is_an_error_naming_it(tmp_path, monkeypatch):
    monkeypatch.delenv("J1_JUDGE_METRIC", raising=False)
    with serve(reply=prefers_longer) as server:
        grader = J1JudgeFilter(question="question", reference="baseline", model="j1", cache_dir=str(tmp_path),
                               base_url=server.base_url.rsplit("/chat/", 1)[0])  # fmt: skip
        with pytest.raises(JudgeMetricError, match=r"document 1 has no field 'baseline' .*fields are question"):
            grader.apply([["x"], ["y"]], [{"question": "a", "baseline": "b"}, {"question": "c"}])
        assert server.take() == []  # nothing was sent before the documents were checked
    with pytest.raises(JudgeMetricError, match=r"backend 'openai' does not take these options"):
        J1JudgeFilter(question="{{question}}", reference="b", model="j1", cache_dir=str(tmp_path),
                      temperatur=0.5).apply([["x"]], [{"question": "a", "b": "c"}])  # fmt: skip


def test_the_metrics_refuse_outputs_the_filter_did_not_grade():
    with pytest.raises(JudgeMetricError, match="make that filter the last step"):
        win_rate(references=["gold"], predictions=["a plain answer"])
    record = {"j1_judge": "pointwise", "score": 7.0, "failures": 0, "outputs": ["..."]}
    with pytest.raises(JudgeMetricError, match="needs the j1_judge filter in mode 'reference'"):
        win_rate(references=["gold"], predictions=[[record]])
    assert parse_fail(references=["gold"], predictions=[[record]]) == 0.0
    assert not math.isnan(parse_fail(references=[""], predictions=[[{**record, "failures": 1}]]))
