"""The reference-first procedure: the model's own answer, which response agrees with it, and warm-up targets."""

from __future__ import annotations

import dataclasses

import pytest

from j1_plugin.demo.learning import judge_prompt_path
from j1_plugin.demo.pairs import judgment_pairs
from j1_plugin.demo.reference import (
    agreement,
    own_answer_targets,
    own_answers,
    reference_thought,
    short_reference,
)
from j1_plugin.plugins import get_format


@pytest.mark.parametrize(
    ("reference", "a", "b", "expected"),
    [
        ("7 + 2 = 9.", "7 + 2 = 9", "7 + 2 = 6", "A"),
        ("9.", "7 + 2 = 6", "7 + 2 = 9", "B"),
        ("The capital of Japan is Tokyo.", "The capital is Lima.", "The capital is Tokyo.", "B"),
        ("Volcanoes spew lava and ash.", "Volcanoes erupt when molten rock rises.", "Bees make honey.", "A"),
        ("Apple.", "Mango.", "Carrot.", None),  # agrees with neither
        ("7 + 2 = 9 or 6.", "7 + 2 = 9", "7 + 2 = 6", None),  # agrees with both as much
        ("What is 7 + 2?", "7 + 2 = 9", "7 + 2 = 6", None),  # echoing the question decides nothing
    ],
)
def test_agreement_counts_only_the_words_that_set_the_responses_apart(reference, a, b, expected):
    assert agreement(reference, a, b) == expected
    swapped = {"A": "B", "B": "A", None: None}[expected]
    assert agreement(reference, b, a) == swapped  # the decision follows the response, not the position


def test_a_reference_is_one_short_sentence():
    assert short_reference("7 + 2 = 9.\n\nThis is a classic example.") == "7 + 2 = 9."
    assert short_reference("The answer is 3.5 apples") == "The answer is 3.5 apples."
    assert short_reference("one two three four five six seven eight nine ten eleven twelve thirteen") == (
        "one two three four five six seven eight nine ten eleven twelve."
    )


def test_own_answer_targets_follow_the_reference_and_never_the_label():
    fmt = get_format("pav", template=judge_prompt_path("pav", "reference"))
    pairs = [pair for pair in judgment_pairs("train") if pair.metadata["family"] == "capital"][:6]
    # a model that is right on the first three countries and names another pair's capital on the rest
    references = {}
    for index, pair in enumerate(pairs):
        source = pair.chosen if index < 3 else pair.rejected
        references[pair.id] = short_reference(source.replace("The capital is", "I think it is"))
    targets = own_answer_targets(pairs, fmt, references)
    assert len(targets.rows) == 12 and targets.undecided == 0
    assert targets.agreeing_with_label == 6  # right in both orders for three pairs, wrong for three
    flipped = [dataclasses.replace(p, chosen=p.rejected, rejected=p.chosen) for p in pairs]
    same = own_answer_targets(flipped, fmt, references)  # the labels flip; the shown responses do not change
    assert {r["completion"][0]["content"] for r in same.rows} == {r["completion"][0]["content"] for r in targets.rows}
    for row in targets.rows:
        judgment = fmt.parse(row["completion"][0]["content"])
        assert judgment.ok and "<think>My answer: I think it is " in judgment.raw
        other = "B" if judgment.verdict == "A" else "A"
        assert f"{judgment.verdict} says: " in judgment.raw and f"{other} says: " in judgment.raw
        assert judgment.raw.index("Match: yes") > judgment.raw.index(f"{judgment.verdict} says: ")
        assert (judgment.raw.index("Match: yes") < judgment.raw.index(f"{other} says: ")) == (judgment.verdict == "A")


def test_prompts_whose_reference_decides_nothing_are_left_out_and_counted():
    fmt = get_format("pav", template=judge_prompt_path("pav", "reference"))
    pairs = [pair for pair in judgment_pairs("train") if pair.metadata["family"] == "category"][:4]
    targets = own_answer_targets(pairs, fmt, {pair.id: "Something else entirely." for pair in pairs})
    assert targets.rows == [] and targets.undecided == 8


def test_the_pointwise_targets_score_the_response_that_agrees_high():
    fmt = get_format("pos", template=judge_prompt_path("pos", "reference"))
    pairs = [pair for pair in judgment_pairs("train") if pair.metadata["family"] == "sum"][:3]
    targets = own_answer_targets(pairs, fmt, {pair.id: short_reference(pair.chosen) for pair in pairs})
    scores = [fmt.parse(row["completion"][0]["content"]).score for row in targets.rows]
    assert sorted(scores) == [2, 2, 2, 8, 8, 8] and targets.agreeing_with_label == 6


def test_the_thought_names_both_responses_and_the_verdict():
    assert reference_thought("Paris.", "The capital is Lyon.", "The capital is Paris", "B") == (
        "My answer: Paris. A says: Lyon. Match: no. B says: Paris. Match: yes."
    )


def test_own_answers_ask_the_question_alone_and_keep_one_sentence():
    class Recorder:
        def __init__(self):
            self.seen = []

        def generate(self, conversations, sampling):
            self.seen += conversations
            return [["Paris. It is in France.\nMore."] for _ in conversations]

    judge = Recorder()
    assert own_answers(judge, ["What is the capital of France?"]) == ["Paris."]
    assert judge.seen == [[{"role": "user", "content": "What is the capital of France? Answer in a few words."}]]


def test_the_unseen_shape_pairs_are_rewardbench_rows_that_training_never_shows():
    from j1_plugin.demo.pairs import unseen_shape_rows
    from j1_plugin.plugins import get_benchmark

    rows = unseen_shape_rows()
    pairs = get_benchmark("rewardbench").pairs_from_rows(rows)
    assert len(pairs) == len(rows) == 24 and len({pair.id for pair in pairs}) == 24
    assert {pair.metadata["group"] for pair in pairs} == {"math-prm", "llmbar-natural"}
    seen = {pair.prompt for split in ("train", "heldout") for pair in judgment_pairs(split)}
    assert not seen & {pair.prompt for pair in pairs}
    for pair in pairs:
        if pair.id.startswith("unseen-sum"):
            a, b = (int(n) for n in pair.prompt.removeprefix("What is ").rstrip("?").split(" + "))
            assert min(a, b) >= 10 and pair.chosen.endswith(f"= {a + b}") and pair.chosen != pair.rejected
    assert unseen_shape_rows() == rows  # seeded: the same set every time


def test_a_judge_that_cannot_answer_the_questions_is_told_to_use_the_random_warm_up(tiny_judge_dir, tmp_path):
    from j1_plugin.demo.learning import Recipe, run_learning

    recipe = Recipe("tiny", heldout_limit=2, train_limit=4, max_completion_length=4)
    with pytest.raises(RuntimeError, match=r"match neither response .* needs Recipe\(warmup='random'\)"):
        run_learning(tiny_judge_dir, tmp_path, recipe, echo=lambda _line: None)


def test_a_recipe_names_its_reward_and_refuses_unknown_choices():
    from j1_plugin.demo.learning import DEMO, LONG, Recipe

    assert DEMO.reward_name == "verdict_reward" and DEMO.prompt == "reference" and DEMO.warmup == "own-answer"
    assert DEMO.trainable_layers is None and LONG.trainable_layers is None  # every parameter trains
    assert Recipe("j1", reward="consistency").reward_name == "consistency_reward"
    assert Recipe("pointwise", format="pos").reward_name == "pointwise_reward"
    with pytest.raises(ValueError, match=r"Recipe\.reward 'consistency' needs the pairwise format"):
        Recipe("bad", format="pos", reward="consistency")
    for key, value in (("warmup", "labels"), ("prompt", "verbose"), ("reward", "format")):
        with pytest.raises(ValueError, match=rf"Recipe\.{key} must be one of"):
            Recipe("bad", **{key: value})
