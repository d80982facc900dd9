"""J1 reward functions: values on hand-made completions, TRL's calling conventions, registration."""

from __future__ import annotations

import doctest
import importlib
import re

import pytest

import j1_plugin
from j1_plugin import rewards
from j1_plugin.rewards import (
    completion_text,
    consistency_reward,
    format_reward,
    pointwise_reward,
    score_reward,
    signed_verdict_reward,
    verdict_reward,
)

SAY_A = "<think>Both add up; A shows the carry.</think>\n<answer> [[A]] </answer>"
SAY_B = "<think>B is right.</think><answer>[[B]]</answer>"
HEDGE = "<think>hmm</think><answer>[[A]] or [[B]]</answer>"
GARBAGE = "\n\n\n assistant assistant"
CUT_SHORT = "<think>The first response"


def conversational(text: str) -> list[dict[str, str]]:
    return [{"role": "assistant", "content": text}]


class MetricLog:
    def __init__(self):
        self.values = {}

    def __call__(self, name, value):
        self.values[name] = value


def test_rewards_are_registered_through_the_hook_under_their_function_names():
    assert j1_plugin.list_rewards() == [
        "verdict_reward", "score_reward", "pointwise_reward", "consistency_reward", "format_reward",
        "signed_verdict_reward",
    ]  # fmt: skip
    for name in j1_plugin.list_rewards():
        assert j1_plugin.get_reward(name).__name__ == name


@pytest.mark.parametrize("name", ["verdict_reward", "score_reward", "pointwise_reward", "consistency_reward"])
def test_rewards_import_by_dotted_path_like_trl_does(name):
    module, attribute = f"j1_plugin.rewards.{name}".rsplit(".", 1)
    assert getattr(importlib.import_module(module), attribute) is getattr(rewards, name)


def test_every_docstring_example_runs():
    result = doctest.testmod(rewards)
    assert result.attempted >= 7 and result.failed == 0


def test_verdict_reward_pays_only_the_right_parsed_verdict():
    completions = [SAY_A, SAY_B, SAY_A, HEDGE, GARBAGE, CUT_SHORT]
    labels = ["A", "B", "B", "A", "A", "A"]
    assert verdict_reward(completions, label=labels) == [1.0, 1.0, 0.0, 0.0, 0.0, 0.0]


def test_conversational_completions_and_split_reasoning_are_read_whole():
    split = [{"role": "assistant", "reasoning_content": "B has the right sum.", "content": "<answer> [[B]] </answer>"}]
    assert completion_text(split) == "<think>B has the right sum.</think><answer> [[B]] </answer>"
    assert verdict_reward([conversational(SAY_A), split], label=["A", "B"]) == [1.0, 1.0]


def test_verdict_reward_reads_each_rows_format():
    plan = "<plan>check sums</plan><execution>A is right</execution><answer>[[A]]</answer>"
    both = "<think>x</think><score_A> 2 </score_A><score_B> 9 </score_B><answer> [[B]] </answer>"
    assert verdict_reward([plan, both], label=["A", "B"], format=["pav-plan", "pavs"]) == [1.0, 1.0]
    bad_score = "<think>x</think><score_A> 30 </score_A><score_B> 9 </score_B><answer> [[B]] </answer>"
    assert verdict_reward([bad_score, bad_score], label=["B", "B"], format=["pavs", "pav"]) == [0.0, 1.0]


def test_verdict_reward_logs_parse_failures_and_thought_length():
    log = MetricLog()
    verdict_reward([SAY_A, GARBAGE], label=["A", "A"], log_metric=log)
    assert log.values["j1/parse_failure_rate"] == 0.5
    assert log.values["j1/thought_chars"] > 0


def test_signed_verdict_reward_punishes_wrong_and_unparseable_verdicts():
    assert signed_verdict_reward([SAY_A, SAY_B, GARBAGE], label=["A", "A", "A"]) == [1.0, -1.0, -1.0]


def test_score_reward_needs_a_strictly_higher_score_for_the_better_response():
    scores = "<think>x</think><score_A> {} </score_A><score_B> {} </score_B>"
    completions = [scores.format(8, 3), scores.format(3, 8), scores.format(5, 5), scores.format(11, 3), GARBAGE]
    labels = ["A", "A", "A", "A", "B"]
    assert score_reward(completions, label=labels) == [1.0, 0.0, 0.0, 0.0, 0.0]


def test_format_reward_checks_the_contract_only():
    assert format_reward([SAY_A, SAY_B, HEDGE, CUT_SHORT]) == [1.0, 1.0, 0.0, 0.0]


def test_pointwise_reward_matches_the_kth_rollouts_of_both_sides():
    score = "<think>x</think><score> {} </score>"
    # Two rollouts per side, as TRL repeats each prompt num_generations times in a row.
    completions = [score.format(9), score.format(2), score.format(4), score.format(5)]
    sides = ["chosen", "chosen", "rejected", "rejected"]
    log = MetricLog()
    values = pointwise_reward(completions, pair_id=["p"] * 4, side=sides, log_metric=log)
    assert values == [1.0, 0.0, 1.0, 0.0]  # rollout 0: 9 > 4; rollout 1: 2 < 5
    assert log.values["j1/tie_rate"] == 0.0


def test_pointwise_reward_treats_ties_and_failures_as_losses_and_lonely_halves_as_none():
    score = "<think>x</think><score> {} </score>"
    completions = [score.format(6), score.format(6), GARBAGE, score.format(1), score.format(7)]
    pair_ids = ["tie", "tie", "broken", "broken", "alone"]
    sides = ["chosen", "rejected", "chosen", "rejected", "chosen"]
    assert pointwise_reward(completions, pair_id=pair_ids, side=sides) == [0.0, 0.0, 0.0, 0.0, None]


def test_consistency_reward_needs_both_orders_right():
    completions = [SAY_A, SAY_A, SAY_B, SAY_A, SAY_A]
    labels = ["A", "A", "B", "B", "A"]
    pair_ids = ["p", "p", "p", "p", "lonely"]
    orders = ["AB", "AB", "BA", "BA", "AB"]
    log = MetricLog()
    values = consistency_reward(completions, label=labels, pair_id=pair_ids, order=orders, log_metric=log)
    # rollout 0: AB right, BA right -> 1; rollout 1: AB right, BA says A (wrong) -> 0 for both; lonely -> None
    assert values == [1.0, 0.0, 1.0, 0.0, None]
    assert log.values["j1/flip_rate"] == 0.5


def test_multitask_rows_get_none_from_the_other_tasks_reward():
    score = "<think>x</think><score> {} </score>"
    completions = [SAY_A, score.format(8), score.format(2)]
    formats = ["pav", "pos", "pos"]
    labels = ["A", None, None]
    pair_ids = ["pav:1", "pos:1", "pos:1"]
    sides = [None, "chosen", "rejected"]
    assert verdict_reward(completions, label=labels, format=formats) == [1.0, None, None]
    assert pointwise_reward(completions, pair_id=pair_ids, side=sides, format=formats) == [None, 1.0, 1.0]


def test_rewards_accept_trls_extra_keyword_arguments():
    values = verdict_reward(
        prompts=["p"], completions=[SAY_A], completion_ids=[[1, 2]], label=["A"], pair_id=["x"], order=["AB"],
        side=[None], trainer_state=None, log_extra=lambda *a: None, log_metric=lambda *a: None,
    )  # fmt: skip
    assert values == [1.0]


def test_verdict_reward_logs_the_flip_rate_when_the_batch_holds_both_orders_of_a_pair():
    # Pair p, two rollouts per order: rollout 0 right in both orders, rollout 1 right in AB only (a flip).
    # Pair q: BA failed to parse, so it measures nothing.
    completions = [SAY_A, SAY_A, SAY_B, SAY_A, SAY_A, GARBAGE]
    labels = ["A", "A", "B", "B", "A", "B"]
    pair_ids, orders = ["p", "p", "p", "p", "q", "q"], ["AB", "AB", "BA", "BA", "AB", "BA"]
    log = MetricLog()
    values = verdict_reward(completions, label=labels, pair_id=pair_ids, order=orders, log_metric=log)
    assert values == [1.0, 1.0, 1.0, 0.0, 1.0, 0.0]
    assert log.values["j1/flip_rate"] == 0.5
    assert "j1/tie_rate" not in log.values  # pav cannot tie: nothing to report


def test_no_flip_rate_is_logged_without_a_pair_whose_two_orders_parsed():
    for completions, orders in [([SAY_A, SAY_B], ["AB", "AB"]), ([SAY_A, GARBAGE], ["AB", "BA"])]:
        log = MetricLog()
        verdict_reward(completions, label=["A", "B"], pair_id=["p", "p"], order=orders, log_metric=log)
        consistency_reward(completions, label=["A", "B"], pair_id=["p", "p"], order=orders, log_metric=log)
        assert "j1/flip_rate" not in log.values and "j1/parse_failure_rate" in log.values


def test_score_reward_logs_the_tie_rate_of_pairwise_scores():
    scores = "<think>x</think><score_A> {} </score_A><score_B> {} </score_B>"
    completions = [scores.format(5, 5), scores.format(8, 3), scores.format(2, 2), GARBAGE]
    log = MetricLog()
    score_reward(completions, label=["A"] * 4, pair_id=["p", "p", "q", "q"], order=["AB", "BA"] * 2, log_metric=log)
    assert log.values["j1/tie_rate"] == 0.5  # 2 ties among 4 decisions (the failure counts, as in evaluation)
    assert log.values["j1/flip_rate"] == 0.0  # p: tie and correct is no flip; q's BA failed
    nothing = MetricLog()
    score_reward([GARBAGE, GARBAGE], label=["A", "B"], log_metric=nothing)
    assert "j1/tie_rate" not in nothing.values


def test_pointwise_reward_logs_no_tie_rate_when_no_comparison_parsed():
    log = MetricLog()
    pointwise_reward([GARBAGE, GARBAGE], pair_id=["p", "p"], side=["chosen", "rejected"], log_metric=log)
    assert "j1/tie_rate" not in log.values and log.values["j1/parse_failure_rate"] == 1.0


def test_content_parts_are_joined_and_non_text_parts_carry_no_text():
    parts = [{"type": "text", "text": "<think>x</think>"}, {"type": "image", "image": "..."}, {"text": "<answer>[[B]]"},
             {"type": "text", "text": "</answer>"}]  # fmt: skip
    assert completion_text([{"role": "assistant", "content": parts}]) == "<think>x</think><answer>[[B]]</answer>"
    assert verdict_reward([[{"role": "assistant", "content": parts}]], label=["B"]) == [1.0]


@pytest.mark.parametrize(
    ("completion", "message"),
    [
        ([{"role": "assistant", "content": [1, None, {"text": 5}]}],
         "completion 1: content part 0 must be an object such as {'type': 'text', 'text': ...}, got 1"),
        ([{"role": "assistant", "content": [{"type": "text", "text": 5}]}],
         "completion 1: content part 0: a text part's 'text' must be a string, got 5"),
        ([{"role": "assistant", "content": 7}], "completion 1: 'content' must be text or a list of content parts"),
        (42, "completion 1 must be text or a list of chat messages, got 42"),
        ([{"role": "assistant", "content": "x", "reasoning_content": ["a"]}],
         "completion 1: the reasoning field must be text"),
    ],
)  # fmt: skip
def test_malformed_completions_are_errors_naming_the_completion(completion, message):
    with pytest.raises(rewards.RewardInputError) as caught:
        verdict_reward([SAY_A, completion], label=["A", "A"])
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    ("reward", "columns", "message"),
    [
        (pointwise_reward, {"pair_id": ["p", "p"], "side": ["chosen", "Rejected"]},
         "column 'side' row 1 is 'Rejected'; expected one of 'chosen', 'rejected', None"),
        (verdict_reward, {"label": ["A", "a"]}, "column 'label' row 1 is 'a'; expected one of 'A', 'B'"),
        (verdict_reward, {"label": ["A", None]}, "column 'label' row 1 is None; expected one of 'A', 'B'"),
        (consistency_reward, {"label": ["A", "B"], "pair_id": ["p", "p"], "order": ["AB", "ba"]},
         "column 'order' row 1 is 'ba'; expected one of 'AB', 'BA', None"),
    ],
)  # fmt: skip
def test_mistyped_dataset_columns_are_errors_not_silent_losses(reward, columns, message):
    with pytest.raises(rewards.RewardInputError, match=re.escape(message)):
        reward([SAY_A, SAY_B], **columns)
