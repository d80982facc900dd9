"""The J1 tasks inside lm-evaluation-harness: requests, run-time options, metrics, logs, CLIs."""

from __future__ import annotations

import itertools
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import lm_eval
import pytest
from lm_eval.api.model import LM

from j1_plugin.benchmarks.synthetic import judgebench_rows, rewardbench_rows, write_jsonl, write_suite
from j1_plugin.formats import builtin_template
from j1_plugin.formats.truncation import TRUNCATION_MARKER
from j1_plugin.lmeval import task_manager
from j1_plugin.scoring import J1_KEYS, seeded_order

ALL_TASKS = [
    "j1_rewardbench",
    "j1_ppe_preference",
    "j1_ppe_correctness",
    "j1_ppe_correctness_mmlu_pro",
    "j1_ppe_correctness_math",
    "j1_ppe_correctness_gpqa",
    "j1_ppe_correctness_mbpp_plus",
    "j1_ppe_correctness_ifeval",
    "j1_judgebench",
    "j1_judgebench_claude",
    "j1_rmbench",
    "j1_rmbench_full",
    "j1_followbench",
    "j1_rewardbench2",
]
IN_GROUP = ["j1_rewardbench", "j1_ppe_preference", "j1_ppe_correctness", "j1_judgebench", "j1_rmbench"]
OUTSIDE_GROUP = [task for task in ALL_TASKS if task not in IN_GROUP]
BIN = Path(sys.executable).parent
OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


class ScriptedJudge(LM):
    """Answers every request with the next reply of a cycle and records what it was asked."""

    def __init__(self, replies):
        super().__init__()
        self.replies = itertools.cycle(replies)
        self.requests = []

    def generate_until(self, requests, disable_tqdm=False):
        self.requests += list(requests)
        return [next(self.replies) for _ in requests]

    def loglikelihood(self, requests, disable_tqdm=False):
        raise NotImplementedError

    def loglikelihood_rolling(self, requests, disable_tqdm=False):
        raise NotImplementedError


A = "<think>A is right.</think><answer> [[A]] </answer>"
B = "<think>B is right.</think><answer> [[B]] </answer>"


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    folder = tmp_path_factory.mktemp("suite")
    write_suite(folder)
    return folder


def evaluate(tasks, judge, **metadata):
    limit = _limit(metadata)  # an lm-eval argument, not a J1 run option
    manager = task_manager(include_defaults=False, metadata=metadata)
    return lm_eval.simple_evaluate(
        model=judge, tasks=tasks, task_manager=manager, bootstrap_iters=0, log_samples=True, **limit
    )


def _limit(metadata):
    return {"limit": metadata.pop("limit")} if "limit" in metadata else {}


def user_prompt(instance) -> str:
    return instance.args[0]


def test_both_orders_of_every_pair_are_judged_and_scored(suite):
    judge = ScriptedJudge([A])
    res = evaluate(["j1_judgebench"], judge, data_dir=str(suite))
    rows = judgebench_rows(8)
    assert len(judge.requests) == 2 * len(rows)
    by_pair = {}
    for instance in judge.requests:
        by_pair.setdefault(instance.doc["pair_id"], []).append(user_prompt(instance))
    for row in rows:
        ab, ba = by_pair[row["pair_id"]]
        assert ab.index(row["response_A"]) < ab.index(row["response_B"])
        assert ba.index(row["response_B"]) < ba.index(row["response_A"])
    # Always answering [[A]]: right in AB exactly when the label is A>B, right in BA when it is B>A.
    a_first = sum(row["label"] == "A>B" for row in rows)
    result = res["results"]["j1_judgebench"]
    assert result["j1_ab_accuracy,none"] == pytest.approx(100 * a_first / len(rows))
    assert result["j1_ba_accuracy,none"] == pytest.approx(100 * (len(rows) - a_first) / len(rows))
    assert result["j1_consistent_accuracy,none"] == 0
    assert result["j1_flip_rate,none"] == 100
    assert result["official_overall,none"] == 0  # one +1 and one -1 per pair never sums above zero
    assert result["pairs,none"] == len(rows)


def test_limit_counts_pairs_not_half_pairs(suite):
    judge = ScriptedJudge([A])
    res = evaluate(["j1_rewardbench"], judge, data_dir=str(suite), limit=3)
    assert len(judge.requests) == 6
    assert res["results"]["j1_rewardbench"]["pairs,none"] == 3


def test_rows_a_benchmark_skips_by_its_rules_are_counted_in_the_results(suite):
    res = evaluate(["j1_ppe_preference", "j1_ppe_correctness"], ScriptedJudge([A]), data_dir=str(suite))
    preference = res["results"]["j1_ppe_preference"]
    assert preference["skipped_tie_rows,none"] == 2  # the suite's two tie rows, never judged
    assert preference["pairs,none"] == 6
    assert res["results"]["j1_ppe_correctness"]["skipped_rows_without_conflict_pairs,none"] == 0


def test_single_order_mode_judges_the_seeded_order_once(suite):
    judge = ScriptedJudge([B])
    res = evaluate(["j1_judgebench"], judge, data_dir=str(suite), single_order=True, seed=7)
    assert len(judge.requests) == 8
    for sample in res["samples"]["j1_judgebench"]:
        detail = sample["pairs"]
        expected = seeded_order(detail["pair_id"], 7)
        assert detail["seed"] == 7 and detail["random_order"] == expected
        assert [j["order"] for j in detail["judgments"]] == [expected]
    result = res["results"]["j1_judgebench"]
    assert result["j1_consistent_accuracy,none"] != result["j1_consistent_accuracy,none"]  # NaN: not measurable


def test_format_and_samples_are_chosen_at_run_time(suite):
    judge = ScriptedJudge(["<think>x</think><score_A> 7 </score_A><score_B> 3 </score_B>"])
    res = evaluate(["j1_judgebench"], judge, data_dir=str(suite), format="pas", samples=3, limit=2)
    assert len(judge.requests) == 2 * 2 * 3
    prompt, gen_kwargs = judge.requests[0].args
    assert "<score_A>" in prompt
    assert gen_kwargs["do_sample"] is True and gen_kwargs["seed"] is None
    assert (gen_kwargs["temperature"], gen_kwargs["top_p"]) == (1.0, 0.95)
    details = res["samples"]["j1_judgebench"][0]["pairs"]
    assert [(j["order"], j["sample"]) for j in details["judgments"]] == [(o, s) for o in ("AB", "BA") for s in range(3)]
    assert details["judgments"][0]["scores"] == {"A": 7.0, "B": 3.0}
    logged = res["configs"]["j1_judgebench"]["generation_kwargs"]  # what lm-eval reports for the run
    assert (logged["do_sample"], logged["temperature"], logged["top_p"]) == (True, 1.0, 0.95)


def test_pointwise_format_scores_each_response_once_and_compares(suite):
    judge = ScriptedJudge(["<think>x</think><score> 8 </score>", "<think>x</think><score> 8 </score>"])
    res = evaluate(["j1_rewardbench"], judge, data_dir=str(suite), format="pos", limit=4)
    assert len(judge.requests) == 8
    sides = [j["side"] for j in res["samples"]["j1_rewardbench"][0]["pairs"]["judgments"]]
    assert sides == ["chosen", "rejected"]
    result = res["results"]["j1_rewardbench"]
    assert result["j1_tie_rate,none"] == 100 and result["j1_flip_rate,none"] == 0
    assert result["official_overall,none"] == 50  # RewardBench scores a tie as 0.5


def test_long_prompts_are_cut_but_keep_the_answer_instructions(tmp_path):
    rows = rewardbench_rows(1, padding=300)[:3]
    data = write_jsonl(rows, tmp_path / "rb.jsonl")
    judge = ScriptedJudge([A])
    res = evaluate(["j1_rewardbench"], judge, data_file=str(data), max_prompt_tokens=700)
    assert res["results"]["j1_rewardbench"]["truncated_pairs,none"] == 3
    for instance in judge.requests:
        prompt = user_prompt(instance)
        assert TRUNCATION_MARKER in prompt
        assert prompt.rstrip().endswith(builtin_template("pav").rstrip().splitlines()[-1])
        assert "=== Assistant B: response ends ===" in prompt


def test_failed_judgments_are_logged_and_counted_by_reason_code(suite):
    judge = ScriptedJudge([A, "<think>x</think> [[B]]"])  # AB parses, BA writes its verdict outside <answer>
    res = evaluate(["j1_judgebench"], judge, data_dir=str(suite), limit=3)
    for sample in res["samples"]["j1_judgebench"]:
        first, second = sample["pairs"]["judgments"]
        assert (first["status"], first["reason_code"]) == ("ok", None)
        assert (second["status"], second["reason_code"]) == ("no_answer", "verdict_outside_answer")
    result = res["results"]["j1_judgebench"]
    assert result["j1_failures/verdict_outside_answer,none"] == 3
    assert result["j1_failures/prompt_echo,none"] == 0 and result["j1_failures/other,none"] == 0
    assert "j1_failures/score_not_number,none" not in result  # pav writes no scores
    assert res["higher_is_better"]["j1_judgebench"]["j1_failures/verdict_outside_answer"] is False


def test_nothing_parsed_is_reported_as_nan_not_as_a_measurement(suite):
    res = evaluate(["j1_judgebench"], ScriptedJudge(["I cannot judge this."]), data_dir=str(suite), limit=2)
    result = res["results"]["j1_judgebench"]
    for key in ["official_overall", "official_mmlu-pro", *(f"j1_{k}" for k in J1_KEYS if k != "parse_failure_rate")]:
        assert math.isnan(result[f"{key},none"]), key
    assert result["j1_parse_failure_rate,none"] == 100
    assert result["j1_failures/no_answer_block,none"] == 4


def test_missing_benchmark_file_in_data_dir_is_named(tmp_path):
    with pytest.raises(Exception, match=r"rewardbench: data_dir .* has no rewardbench\.jsonl"):
        evaluate(["j1_rewardbench"], ScriptedJudge([A]), data_dir=str(tmp_path))


@pytest.mark.slow
def test_every_task_runs_with_the_tiny_model_through_the_python_api(suite, tiny_judge_dir):
    from lm_eval.models.huggingface import HFLM

    model = HFLM(pretrained=str(tiny_judge_dir), device="cpu", batch_size=32, dtype="float32")
    manager = task_manager(include_defaults=False, metadata={"data_dir": str(suite)})
    res = lm_eval.simple_evaluate(
        model=model,
        tasks=ALL_TASKS,
        task_manager=manager,
        bootstrap_iters=0,
        apply_chat_template=True,
        gen_kwargs="max_gen_toks=4",
    )
    for task in ALL_TASKS:
        result = res["results"][task]
        assert result["pairs,none"] > 0, task
        headline = "official_accuracy,none" if task == "j1_ppe_preference" else "official_overall,none"
        if result["j1_parse_failure_rate,none"] == 100:  # a random model may never follow the format
            assert math.isnan(result[headline]), task  # nothing parsed: not available, never a made-up score
        else:
            assert not math.isnan(result[headline]), task
        for key in J1_KEYS:
            assert f"j1_{key},none" in result, (task, key)
    assert res["results"]["j1_rmbench_full"]["pairs,none"] == 3 * res["results"]["j1_rmbench"]["pairs,none"]
    assert "official_hard,none" in res["results"]["j1_rmbench_full"]
    assert "official_hard,none" not in res["results"]["j1_rmbench"]


@pytest.mark.slow
def test_self_consistency_samples_really_differ_on_the_hf_backend(suite, tiny_judge_dir):
    from lm_eval.models.huggingface import HFLM

    model = HFLM(pretrained=str(tiny_judge_dir), device="cpu", batch_size=8, dtype="float32")
    manager = task_manager(include_defaults=False, metadata={"data_dir": str(suite), "samples": 4})
    res = lm_eval.simple_evaluate(
        model=model, tasks=["j1_judgebench"], task_manager=manager, bootstrap_iters=0, limit=2,
        apply_chat_template=True, gen_kwargs="max_gen_toks=12", log_samples=True,
    )  # fmt: skip
    for sample in res["samples"]["j1_judgebench"]:
        texts = [r[0] for r in sample["resps"]]
        assert len(texts) == 8
        assert len(set(texts[:4])) > 1 and len(set(texts[4:])) > 1


def run_cli(args, cwd):
    env = {**os.environ, **OFFLINE}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_j1_eval_wraps_the_lm_eval_cli_with_plugin_tasks(suite, tiny_judge_dir, tmp_path):
    out = tmp_path / "out"
    result = run_cli(
        [str(BIN / "j1"), "eval", "--model", "hf", "--model_args", f"pretrained={tiny_judge_dir},dtype=float32",
         "--device", "cpu", "--tasks", ",".join(["j1", *OUTSIDE_GROUP]), "--limit", "2",
         "--gen_kwargs", "max_gen_toks=6", "--metadata", json.dumps({"data_dir": str(suite)}),
         "--output_path", str(out), "--log_samples"],
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Custom kwargs can be passed" not in result.stderr  # lm-eval's per-task hint: J1 tasks read --metadata
    assert f"results (and samples, with --log_samples) are under {out.resolve()}" in result.stderr
    (results_file,) = out.rglob("results_*.json")
    results = json.loads(results_file.read_text())
    for task in ALL_TASKS:
        assert results["results"][task]["pairs,none"] == 2, task
    assert set(results["group_subtasks"]["j1"]) == set(IN_GROUP)
    assert results["config"].get("apply_chat_template") or results.get("chat_template") is not None
    (samples_file,) = [path for path in out.rglob("samples_j1_judgebench_*.jsonl") if "claude" not in path.name]
    logged = [json.loads(line) for line in samples_file.read_text().splitlines()]
    assert len(logged) == 2
    for row in logged:
        assert row["pairs"]["pair_id"] == row["doc"]["pair_id"]
        assert [j["order"] for j in row["pairs"]["judgments"]] == ["AB", "BA"]
        assert {"verdict", "status"} <= set(row["pairs"]["judgments"][0])
        assert len(row["resps"]) == 2


@pytest.mark.slow
def test_stock_lm_eval_finds_the_tasks_with_include_path(suite, tiny_judge_dir, tmp_path):
    tasks_path = run_cli([str(BIN / "j1"), "tasks-path"], cwd=tmp_path).stdout.strip()
    assert (Path(tasks_path) / "j1_judgebench.yaml").is_file()
    result = run_cli(
        [str(BIN / "lm_eval"), "--model", "hf", "--model_args", f"pretrained={tiny_judge_dir},dtype=float32",
         "--device", "cpu", "--include_path", tasks_path, "--tasks", "j1_rewardbench", "--limit", "2",
         "--apply_chat_template", "--gen_kwargs", "max_gen_toks=4", "--metadata",
         json.dumps({"data_file": str(suite / "rewardbench.jsonl")})],
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "official_overall" in result.stdout and "j1_parse_failure_rate" in result.stdout
