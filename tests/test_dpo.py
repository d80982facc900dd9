"""The offline DPO baseline: selecting (correct, wrong) judgment pairs from a seed judge, then training."""

from __future__ import annotations

import pytest

from j1_plugin import PreferencePair, get_format
from j1_plugin.benchmarks.synthetic import arithmetic_pairs
from j1_plugin.formats.truncation import TRUNCATION_MARKER
from j1_plugin.judges import HFJudge, Sampling
from j1_plugin.trainers.dpo import DPOReport, build_dpo_dataset, grade, train_dpo
from j1_plugin.training_data import judgment_rows

PAIRS = [PreferencePair(id=f"p{i}", prompt=f"Question {i}?", chosen=f"Right answer {i}.", rejected=f"Wrong answer {i}.")
         for i in range(3)]  # fmt: skip
OTHER = {"A": "B", "B": "A"}


class ScriptedJudge:
    """Test double for the judge interface: answers each prompt with a scripted list of sample kinds.

    ``script`` maps (pair id, order) to a string with one letter per sample: ``c`` correct verdict,
    ``w`` wrong verdict, ``?`` unparseable (reasoning cut short), ``t`` tied ``pas`` scores.
    """

    def __init__(self, script: dict[tuple[str, str], str], fmt: str = "pav", pairs=PAIRS) -> None:
        self.script, self.fmt, self.pairs = script, get_format(fmt), pairs
        self.calls: list[tuple[int, Sampling]] = []

    def generate(self, conversations, sampling):
        self.calls.append((len(conversations), sampling))
        return [self.answers(conversation[0]["content"], sampling.n) for conversation in conversations]

    def answers(self, content: str, n: int) -> list[str]:
        pair = next(p for p in self.pairs if p.prompt in content)
        order = "AB" if position(content, pair.chosen) < position(content, pair.rejected) else "BA"
        kinds = self.script[(pair.id, order)]
        assert len(kinds) == n, "the script must give one kind per sample"
        return [self.write(kind, pair.label(order), f"{pair.id} {order} sample {k} ({kind})")
                for k, kind in enumerate(kinds)]  # fmt: skip

    def write(self, kind: str, label: str, reasoning: str) -> str:
        if kind == "?":
            return f"<think>{reasoning}, cut sh"
        verdict = label if kind == "c" else OTHER[label]
        scores = {"A": 5, "B": 5} if kind == "t" else {verdict: 8, OTHER[verdict]: 3}
        return self.fmt.write_output(reasoning, verdict=verdict, scores=scores)


def position(content: str, response: str) -> int:
    """Where ``response`` is shown in a prompt, also when truncation kept only its beginning."""
    return content.index(response if response in content else response[:12])


def script_for(kinds_ab: str, kinds_ba: str, pairs=PAIRS) -> dict[tuple[str, str], str]:
    return {key: kinds for p in pairs for key, kinds in (((p.id, "AB"), kinds_ab), ((p.id, "BA"), kinds_ba))}


def texts(dataset, column: str) -> list[str]:
    return [row[column][0]["content"] for row in dataset]


def test_default_sampling_draws_the_samples_at_temperature_one_and_top_p_095_seeded():
    judge = ScriptedJudge(script_for("cww", "ccw"))
    build_dpo_dataset(judge, PAIRS, samples=3, max_new_tokens=64, seed=5)
    assert judge.calls == [(6, Sampling(max_new_tokens=64, temperature=1.0, top_p=0.95, n=3, seed=5))]


def test_rows_are_conversational_preference_rows_on_the_training_prompts():
    dataset, _ = build_dpo_dataset(ScriptedJudge(script_for("cw", "wc")), PAIRS, samples=2)
    prompts = judgment_rows(PAIRS, get_format("pav"))
    assert [(row["pair_id"], row["order"]) for row in dataset] == [(r["pair_id"], r["order"]) for r in prompts]
    assert [row["prompt"] for row in dataset] == [r["prompt"] for r in prompts]
    assert (
        {row["chosen"][0]["role"] for row in dataset}
        == {row["rejected"][0]["role"] for row in dataset}
        == {"assistant"}
    )
    assert [len(row["chosen"]) for row in dataset] == [len(row["rejected"]) for row in dataset] == [1] * 6


@pytest.mark.parametrize("name", ["pav", "pavs", "pav-plan", "pas"])
def test_chosen_is_a_correct_judgment_and_rejected_a_wrong_one(name):
    dataset, report = build_dpo_dataset(ScriptedJudge(script_for("wcw", "cww"), name), PAIRS, name, samples=3)
    fmt = get_format(name)
    assert len(dataset) == 6 and report.correct_samples == 6
    assert all(grade(fmt, row["chosen"][0]["content"], row["label"]) is True for row in dataset)
    assert all(grade(fmt, row["rejected"][0]["content"], row["label"]) is False for row in dataset)


def test_only_prompts_with_both_a_correct_and_a_wrong_sample_contribute():
    script = {**script_for("cw", "wc"), ("p1", "AB"): "cc", ("p1", "BA"): "ww"}
    dataset, report = build_dpo_dataset(ScriptedJudge(script), PAIRS, samples=2)
    assert {row["pair_id"] for row in dataset} == {"p0", "p2"}
    assert (report.prompts, report.samples, report.correct_samples) == (6, 12, 6)
    assert (report.usable_prompts, report.dropped_all_correct, report.dropped_all_wrong) == (4, 1, 1)
    assert report.dropped_prompts == 2 and report.pairs_per_order == {"AB": 2, "BA": 2} and report.dpo_pairs == 4


def test_unparseable_samples_count_as_wrong_and_can_be_rejected():
    dataset, report = build_dpo_dataset(ScriptedJudge(script_for("?c", "c?")), PAIRS, samples=2)
    assert len(dataset) == 6 and report.unparseable_samples == 6 and report.dropped_all_wrong == 0
    assert all(not get_format("pav").parse(text).ok for text in texts(dataset, "rejected"))
    _, all_unparseable = build_dpo_dataset(ScriptedJudge(script_for("??", "??")), PAIRS, samples=2)
    assert all_unparseable.dropped_all_wrong == 6 and all_unparseable.dpo_pairs == 0


def test_tied_pas_scores_count_as_wrong():
    dataset, _ = build_dpo_dataset(ScriptedJudge(script_for("ct", "tc"), "pas"), PAIRS, "pas", samples=2)
    assert len(dataset) == 6
    assert all(get_format("pas").parse(text).verdict == "tie" for text in texts(dataset, "rejected"))


def test_pair_balance_keeps_as_many_pairs_from_each_order_of_a_source_pair():
    script = {**script_for("cccc", "cccc"), ("p0", "AB"): "ccww", ("p0", "BA"): "cwww", ("p1", "AB"): "cccw"}
    dataset, report = build_dpo_dataset(ScriptedJudge(script), PAIRS, samples=4)
    assert [(row["pair_id"], row["order"]) for row in dataset] == [("p0", "AB"), ("p0", "BA")]
    assert report.pairs_per_order == {"AB": 1, "BA": 1}
    assert (report.candidates, report.dropped_for_balance, report.usable_prompts) == (4, 2, 3)


def test_global_balance_keeps_as_many_pairs_from_each_order_overall():
    script = {**script_for("cccc", "cccc"), ("p0", "AB"): "ccww", ("p0", "BA"): "cwww", ("p1", "AB"): "cccw"}
    dataset, report = build_dpo_dataset(ScriptedJudge(script), PAIRS, samples=4, balance="global")
    assert [row["order"] for row in dataset].count("AB") == [row["order"] for row in dataset].count("BA") == 1
    assert report.pairs_per_order == {"AB": 1, "BA": 1} and report.dropped_for_balance == 2
    assert ("p0", "BA") in [(row["pair_id"], row["order"]) for row in dataset]


def test_global_balance_keeps_pairs_a_per_pair_balance_would_drop():
    script = {**script_for("cccc", "cccc"), ("p0", "AB"): "cwww", ("p1", "BA"): "cwww"}
    per_pair, _ = build_dpo_dataset(ScriptedJudge(script), PAIRS, samples=4)
    overall, _ = build_dpo_dataset(ScriptedJudge(script), PAIRS, samples=4, balance="global")
    assert len(per_pair) == 0
    assert [(row["pair_id"], row["order"]) for row in overall] == [("p0", "AB"), ("p1", "BA")]


def test_an_unknown_balance_rule_is_refused():
    with pytest.raises(ValueError, match="balance must be"):
        build_dpo_dataset(ScriptedJudge(script_for("cw", "cw")), PAIRS, samples=2, balance="none")


def test_each_sample_is_used_once_and_pairs_per_prompt_caps_the_pairs():
    judge = ScriptedJudge(script_for("ccww", "wcwc"))
    dataset, _ = build_dpo_dataset(judge, PAIRS, samples=4)
    used = texts(dataset, "chosen") + texts(dataset, "rejected")
    assert len(dataset) == 12 and len(set(used)) == len(used)
    capped, report = build_dpo_dataset(judge, PAIRS, samples=4, pairs_per_prompt=1)
    assert len(capped) == 6 and report.pairs_per_order == {"AB": 3, "BA": 3}
    with pytest.raises(ValueError, match="pairs_per_prompt"):
        build_dpo_dataset(judge, PAIRS, samples=4, pairs_per_prompt=0)


def test_selection_is_deterministic_given_the_seed_and_varies_with_it():
    judge = ScriptedJudge(script_for("ccccwwww", "wwwwcccc"))

    def selection(seed: int) -> list[tuple[str, str]]:
        dataset, _ = build_dpo_dataset(judge, PAIRS, samples=8, pairs_per_prompt=1, seed=seed)
        return list(zip(texts(dataset, "chosen"), texts(dataset, "rejected"), strict=True))

    assert selection(3) == selection(3)
    assert len({tuple(selection(seed)) for seed in range(4)}) > 1


def test_prompts_are_cut_to_max_prompt_tokens_by_the_training_rule():
    long_pair = PreferencePair(id="long", prompt="Question 9?", chosen="Right. " * 400, rejected="Wrong. " * 400)
    judge = ScriptedJudge({("long", "AB"): "cw", ("long", "BA"): "wc"}, pairs=[long_pair])
    dataset, report = build_dpo_dataset(judge, [long_pair], samples=2, max_prompt_tokens=600)
    assert report.truncated_pairs == 1 and len(dataset) == 2
    assert all(TRUNCATION_MARKER in row["prompt"][0]["content"] for row in dataset)


def test_pointwise_formats_are_refused():
    with pytest.raises(ValueError, match="pointwise"):
        build_dpo_dataset(ScriptedJudge(script_for("cw", "cw")), PAIRS, "pos", samples=2)


def test_fewer_than_two_samples_or_a_mismatched_sampling_is_refused():
    judge = ScriptedJudge(script_for("c", "c"))
    with pytest.raises(ValueError, match="at least 2"):
        build_dpo_dataset(judge, PAIRS, samples=1)
    with pytest.raises(ValueError, match=r"sampling.n \(2\) differs from samples \(4\)"):
        build_dpo_dataset(judge, PAIRS, samples=4, sampling=Sampling(temperature=0.7, n=2))


def test_a_judge_returning_too_few_samples_is_refused():
    class ShortJudge:
        def generate(self, conversations, sampling):
            return [["<think>x</think><answer> [[A]] </answer>"] for _ in conversations]

    with pytest.raises(ValueError, match="expected 2 samples per prompt"):
        build_dpo_dataset(ShortJudge(), PAIRS, samples=2)


def test_no_pairs_give_an_empty_dataset_that_keeps_its_columns():
    dataset, report = build_dpo_dataset(ScriptedJudge({}), [], samples=2)
    assert len(dataset) == 0 and {"prompt", "chosen", "rejected", "pair_id", "order"} <= set(dataset.column_names)
    assert report == DPOReport()


def test_train_dpo_refuses_an_empty_dataset():
    dataset, _ = build_dpo_dataset(ScriptedJudge(script_for("cc", "ww")), PAIRS, samples=2)
    with pytest.raises(ValueError, match="empty"):
        train_dpo("unused-model", dataset, args=None)


def test_train_dpo_refuses_a_dataset_without_preference_columns():
    dataset, _ = build_dpo_dataset(ScriptedJudge(script_for("cw", "cw")), PAIRS, samples=2)
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['rejected'\]"):
        train_dpo("unused-model", dataset.remove_columns("rejected"), args=None)


def test_the_report_reads_as_a_summary():
    _, report = build_dpo_dataset(ScriptedJudge(script_for("cw?", "ccc")), PAIRS, samples=3)
    assert str(report) == (
        "0 DPO pairs (AB 0, BA 0) from 6 prompts x 3 samples; 12/18 samples correct, 3 unparseable; "
        "3 usable prompts, 3 all correct, 0 all wrong; 3 candidates dropped to balance orders"
    )


@pytest.mark.slow
def test_the_tiny_hf_judge_samples_are_drawn_and_graded_by_the_parser(tiny_judge_dir):
    class RecordingJudge(HFJudge):
        def generate(self, conversations, sampling):
            self.texts = super().generate(conversations, sampling)
            return self.texts

    judge = RecordingJudge(tiny_judge_dir, device="cpu", dtype="float32")
    pairs = arithmetic_pairs(2, seed=3)
    dataset, report = build_dpo_dataset(judge, pairs, samples=2, max_new_tokens=8, seed=1)
    fmt, labels = get_format("pav"), [row["label"] for row in judgment_rows(pairs, get_format("pav"))]
    grades = [[grade(fmt, text, label) for text in samples] for samples, label in zip(judge.texts, labels, strict=True)]
    assert (report.prompts, report.samples) == (4, 8)
    assert report.correct_samples == sum(g is True for row in grades for g in row)
    assert report.unparseable_samples == sum(g is None for row in grades for g in row)
    assert report.usable_prompts + report.dropped_prompts == 4
    assert report.dpo_pairs == len(dataset) and report.pairs_per_order["AB"] == report.pairs_per_order["BA"]


@pytest.mark.slow
def test_train_dpo_runs_steps_and_logs_preference_accuracy(tiny_judge_dir, tmp_path):
    from trl import DPOConfig

    pairs = arithmetic_pairs(3, seed=2)
    dataset, _ = build_dpo_dataset(ScriptedJudge(script_for("cwcw", "wcwc", pairs), pairs=pairs), pairs, samples=4)
    args = DPOConfig(output_dir=str(tmp_path), max_steps=2, per_device_train_batch_size=2, bf16=False,
                     gradient_checkpointing=False, report_to="none", save_strategy="no", max_length=1024,
                     logging_steps=1)  # fmt: skip
    trainer = train_dpo(str(tiny_judge_dir), dataset, args)
    steps = [entry for entry in trainer.state.log_history if "loss" in entry]
    assert trainer.state.global_step == 2 and len(steps) == 2
    assert all("rewards/accuracies" in entry and "rewards/margins" in entry for entry in steps)
