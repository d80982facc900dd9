"""Judge backends on the tiny offline judge, and the demo job."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from j1_plugin import PreferencePair, get_format, get_judge
from j1_plugin.benchmarks.synthetic import arithmetic_pairs
from j1_plugin.demo import SUITE_TASKS, comparison_lines, results_tables, run_demo, train_grpo, training_summary
from j1_plugin.judges import HFJudge, Sampling, judge_requests
from j1_plugin.tiny_models import OUTPUT_TAG_TOKENS, tiny_judge_path

PAIR = PreferencePair(id="p", prompt="What is 12 + 30?", chosen="42", rejected="52")


@pytest.fixture(scope="module")
def judge(tiny_judge_dir):
    return HFJudge(tiny_judge_dir, device="cpu", dtype="float32")


def test_tiny_judge_has_chat_template_and_whole_output_tags(judge):
    text = judge.prompt_text([{"role": "user", "content": "hi"}])
    assert text == "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
    ids = judge.tokenizer("<think>x</think><answer> [[A]] </answer>", add_special_tokens=False).input_ids
    assert judge.tokenizer.decode(ids, skip_special_tokens=True) == "<think>x</think><answer> [[A]] </answer>"
    for tag in OUTPUT_TAG_TOKENS:
        assert len(judge.tokenizer(tag, add_special_tokens=False).input_ids) == 1


def test_tiny_judge_config_loads_as_a_plain_fast_tokenizer(tiny_judge_dir):
    config = json.loads((Path(tiny_judge_dir) / "tokenizer_config.json").read_text())
    assert config["tokenizer_class"] == "PreTrainedTokenizerFast"
    assert "chat_template" in config


def test_the_hf_backend_is_registered_and_builds_a_judge(tiny_judge_dir):
    assert get_judge("hf") is HFJudge
    built = get_judge("hf")(str(tiny_judge_dir), device="cpu")
    assert built.tokenizer.padding_side == "left"


def test_greedy_judging_is_deterministic_and_parsed_by_the_format(judge):
    fmt = get_format("pav")
    requests = fmt.requests(PAIR)
    first = judge_requests(judge, fmt, requests, Sampling(max_new_tokens=12))
    second = judge_requests(judge, fmt, requests, Sampling(max_new_tokens=12))
    assert [len(samples) for samples in first] == [1, 1]
    assert [j.raw for s in first for j in s] == [j.raw for s in second for j in s]
    assert all(j == fmt.parse(j.raw) for samples in first for j in samples)


def test_sampling_n_gives_differing_seeded_samples(judge):
    fmt = get_format("pos")
    sampling = Sampling(max_new_tokens=16, temperature=1.0, n=4, seed=7)
    samples = judge_requests(judge, fmt, fmt.requests(PAIR), sampling)
    texts = [[j.raw for j in per_request] for per_request in samples]
    assert [len(t) for t in texts] == [4, 4]
    assert len(set(texts[0])) > 1
    again = judge_requests(judge, fmt, fmt.requests(PAIR), sampling)
    assert texts == [[j.raw for j in per_request] for per_request in again]


def test_requests_from_another_format_are_refused(judge):
    with pytest.raises(ValueError, match="rendered by format 'pas', not 'pav'"):
        judge_requests(judge, get_format("pav"), get_format("pas").requests(PAIR), Sampling(max_new_tokens=2))


def test_sampling_rejects_settings_that_cannot_mean_anything():
    with pytest.raises(ValueError, match="temperature"):
        Sampling(n=4)
    with pytest.raises(ValueError, match="max_new_tokens"):
        Sampling(max_new_tokens=0)


def test_vllm_backend_is_isolated_and_explains_how_to_install():
    try:
        import vllm  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("vLLM is installed here; the install hint does not apply")
    with pytest.raises(ImportError, match=r"pip install 'j1-plugin\[vllm\]'"):
        get_judge("vllm")("some/model")


def test_tiny_judge_path_builds_once_and_reuses_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("J1_CACHE_DIR", str(tmp_path))
    first = tiny_judge_path()
    stamp = (first / "config.json").stat().st_mtime_ns
    assert tiny_judge_path() == first and (first / "config.json").stat().st_mtime_ns == stamp
    assert [p.name for p in tmp_path.iterdir()] == [first.name]


def test_demo_judges_every_pair_in_every_format(tiny_judge_dir):
    lines = []
    rows = run_demo(tiny_judge_dir, pairs=arithmetic_pairs(2), max_new_tokens=8, echo=lines.append)
    assert list(rows) == ["pav", "pas", "pavs", "pos", "pav-plan"]
    assert all(len(judged) == 4 for judged in rows.values())
    table = "\n".join(lines)
    assert "format" in table and "status" in table
    for name, judged in rows.items():
        for request, judgment in judged:
            assert judgment == get_format(name).parse(judgment.raw)
            assert f"{name:<10} {request.pair_id:<7} {request.order or request.side:<9}" in table


@pytest.mark.slow
def test_j1_demo_judges_every_format_then_benchmarks_the_suite(tiny_judge_dir, tmp_path):
    j1 = Path(sys.executable).with_name("j1")
    result = subprocess.run(
        [str(j1), "demo", "--model", str(tiny_judge_dir), "--max-new-tokens", "4", "--skip-training"],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "J1_CACHE_DIR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "pav-plan   parsed" in result.stdout and "pos        parsed" in result.stdout
    assert "Official scores (percent)" in result.stdout and "J1 diagnostics (percent)" in result.stdout
    for task in SUITE_TASKS:
        assert f"  {task:<20}" in result.stdout
    assert list((tmp_path / "demo-eval" / "results").rglob("results_*.json"))


def test_results_tables_show_official_and_j1_numbers():
    results = {
        "results": {
            "j1_judgebench": {
                "official_overall,none": 62.5,
                "official_overall_stderr,none": "N/A",
                "official_mmlu-pro,none": float("nan"),
                "pairs,none": 8,
                "j1_ab_accuracy,none": 75.0,
                "j1_flip_rate,none": 12.5,
            }
        }
    }
    text = "\n".join(results_tables(results))
    assert "j1_judgebench        pairs   8  overall 62.5, mmlu-pro -" in text
    assert "75.0" in text and "12.5" in text and "stderr" not in text


@pytest.mark.slow
def test_format_warmup_teaches_the_output_contract_then_grpo_trains_on_it(tiny_judge_dir, tmp_path):
    from j1_plugin.trainers.warmup import format_warmup

    pairs = arithmetic_pairs(64, seed=100, prefix="train")  # the demo's settings
    warm = format_warmup(tiny_judge_dir, tmp_path / "warm", pairs)
    judge = HFJudge(warm, device="cpu", dtype="float32")
    fmt = get_format("pav")
    requests = [r for pair in arithmetic_pairs(4, seed=7) for r in fmt.requests(pair)]
    judged = judge_requests(judge, fmt, requests, Sampling(max_new_tokens=64))
    parsed = sum(samples[0].ok for samples in judged)
    assert parsed >= 7, f"only {parsed} of 8 judgments parse after the warm-up"  # the random model parses none

    trained, history = train_grpo(warm, tmp_path / "grpo", pairs, steps=2)
    assert (trained / "config.json").is_file()
    assert "verdict reward" in training_summary(history) and "rewards/verdict_reward/mean" in history[0]


def test_comparison_lines_show_before_and_after():
    before = {"results": {"j1_judgebench": {"official_overall,none": 10.0, "j1_parse_failure_rate,none": 100.0}}}
    after = {"results": {"j1_judgebench": {"official_overall,none": 55.0, "j1_parse_failure_rate,none": 0.0}}}
    header, row = comparison_lines(before, after)
    assert "official" in header and "flip" in header
    assert "10.0 -> 55.0" in row and "100.0 -> 0.0" in row and "- -> -" in row


def test_judging_leaves_the_callers_random_state_untouched(judge):
    import torch

    fmt = get_format("pav")
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    judge_requests(judge, fmt, fmt.requests(PAIR), Sampling(max_new_tokens=4, temperature=1.0, n=2, seed=9))
    judge_requests(judge, fmt, fmt.requests(PAIR), Sampling(max_new_tokens=4))
    assert torch.equal(torch.rand(3), expected)
