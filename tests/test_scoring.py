"""Scoring: per-pair outcomes, J1 diagnostics, each benchmark's official rule and ``j1 score``.

Every expected number below is worked out by hand from the official rule (see the comment next
to it), never computed with the code under test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from j1_plugin.benchmarks import FollowBenchEval, JudgeBench, PPECorrectness, PPEPreference, RewardBench, RMBench
from j1_plugin.benchmarks.synthetic import (
    judgebench_rows,
    ppe_correctness_rows,
    ppe_preference_rows,
    rewardbench_rows,
    rmbench_rows,
    write_jsonl,
)
from j1_plugin.cli import main
from j1_plugin.records import Judgment, ParseStatus, PreferencePair
from j1_plugin.rescoring import JudgmentsFileError, rescore
from j1_plugin.scoring import (
    JudgedItem,
    PairOutcome,
    failure_counts,
    j1_metrics,
    majority_verdict,
    score_pair,
    seeded_order,
)

J1_KEYS = {
    "ab_accuracy",
    "ba_accuracy",
    "random_order_accuracy",
    "consistent_accuracy",
    "flip_rate",
    "tie_rate",
    "parse_failure_rate",
}


# --- helpers --------------------------------------------------------------------------------


def po(pair_id, ab=None, ba=None, *, group="", random_order="AB", cell=None, judgments=None, failures=0):
    """A PairOutcome with the given per-order outcomes (an order left as None was not judged)."""
    outcomes = {order: outcome for order, outcome in (("AB", ab), ("BA", ba)) if outcome is not None}
    return PairOutcome(
        pair_id=pair_id,
        outcomes=outcomes,
        random_order=random_order,
        group=group,
        cell=cell,
        judgments=len(outcomes) if judgments is None else judgments,
        parse_failures=failures,
    )


def verdict(letter):
    return Judgment(raw=f"[[{letter}]]", status=ParseStatus.OK, verdict=letter)


def failed():
    return Judgment(raw="no verdict here", status=ParseStatus.NO_ANSWER, reason="no answer")


def scores(a, b):
    """A parsed pairwise-score judgment (as the pas parser gives: the higher score is the verdict)."""
    letter = "A" if a > b else "B" if b > a else "tie"
    return Judgment(raw="", status=ParseStatus.OK, verdict=letter, scores={"A": a, "B": b})


def point(score):
    return Judgment(raw="", status=ParseStatus.OK, scores={"score": score})


def items(order, *judgments):
    return [JudgedItem(j, order=order, sample=k) for k, j in enumerate(judgments)]


PAIR = PreferencePair(id="p", prompt="q", chosen="good", rejected="bad")


def run_j1(capsys, *argv):
    code = main(["score", *map(str, argv)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def score_json(capsys, benchmark, data, judgments, *extra):
    code, out, err = run_j1(
        capsys, "--benchmark", benchmark, "--data", data, "--judgments", judgments, "--json", *extra
    )
    assert code == 0, err
    return json.loads(out)


def other(letter):
    return "B" if letter == "A" else "A"


# --- seeded order ---------------------------------------------------------------------------


def test_the_single_random_order_is_seeded_and_varies_over_pairs():
    ids = [f"pair-{k}" for k in range(64)]
    first = [seeded_order(i, seed=7) for i in ids]
    assert first == [seeded_order(i, seed=7) for i in ids]
    assert 16 <= first.count("AB") <= 48  # a fair coin per pair, not one order for all
    assert first != [seeded_order(i, seed=8) for i in ids]


def test_the_seeded_order_is_the_same_in_a_fresh_interpreter():
    ids = [f"pair-{k}" for k in range(16)]
    code = f"from j1_plugin.scoring import seeded_order; print(''.join(seeded_order(i, 3)[0] for i in {ids!r}))"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert result.stdout.strip() == "".join(seeded_order(i, 3)[0] for i in ids)


# --- per-pair outcomes, SC@N and Mean-Score@N -----------------------------------------------


def test_a_pairwise_outcome_is_relative_to_the_chosen_response_in_each_order():
    outcome = score_pair(PAIR, items("AB", verdict("A")) + items("BA", verdict("A")), kind="pairwise")
    assert dict(outcome.outcomes) == {"AB": "correct", "BA": "wrong"}
    assert (outcome.judgments, outcome.parse_failures) == (2, 0)


def test_an_unjudged_order_is_left_out_of_the_outcomes():
    outcome = score_pair(PAIR, items("BA", verdict("B")), kind="pairwise")
    assert dict(outcome.outcomes) == {"BA": "correct"}
    assert not outcome.both_orders


def test_the_seeded_order_of_a_pair_comes_from_its_id_and_the_seed():
    for seed in (0, 1, 2, 3):
        outcome = score_pair(PAIR, items("AB", verdict("A")), kind="pairwise", seed=seed)
        assert outcome.random_order == seeded_order("p", seed)


@pytest.mark.parametrize(
    ("samples", "expected"),
    [
        (["A", "A", "B"], "A"),
        (["B", "A", "B", "B"], "B"),
        (["A", "B"], "tie"),  # a tie for first place between A and B
        (["A", "B", None, None, None], "tie"),  # failures do not vote
        (["A", None, None], "A"),
        ([None, None], None),  # nothing parseable
        ([], None),
    ],
)
def test_majority_vote_over_samples(samples, expected):
    judgments = [failed() if s is None else verdict(s) for s in samples]
    assert majority_verdict(judgments) == expected


@pytest.mark.parametrize(
    ("samples", "outcome"),
    [(["A", "A", "B"], "correct"), (["B", "B", "A"], "wrong"), (["A", "B", None], "tie"), ([None, None], "fail")],
)
def test_sc_at_n_gives_one_outcome_per_order(samples, outcome):
    judged = items("AB", *[failed() if s is None else verdict(s) for s in samples])
    result = score_pair(PAIR, judged, kind="pairwise")
    assert dict(result.outcomes) == {"AB": outcome}
    assert result.judgments == len(samples)
    assert result.parse_failures == samples.count(None)


def test_mean_score_at_n_compares_mean_scores_of_pairwise_samples():
    # Samples (A, B): (9, 1), (4, 5), (4, 5) and one failure. Votes: B twice, A once -> B (wrong).
    # Mean scores: A = 17/3 = 5.67 > B = 11/3 = 3.67 -> A (correct).
    judged = items("AB", scores(9, 1), scores(4, 5), scores(4, 5), failed())
    by_vote = score_pair(PAIR, judged, kind="pairwise", aggregate="vote")
    by_mean = score_pair(PAIR, judged, kind="pairwise", aggregate="mean_score")
    assert by_vote.outcomes["AB"] == "wrong"
    assert by_mean.outcomes["AB"] == "correct"
    assert (by_mean.judgments, by_mean.parse_failures) == (4, 1)


def test_mean_score_at_n_with_equal_means_is_a_tie():
    # A: (6 + 4) / 2 = 5, B: (5 + 5) / 2 = 5.
    judged = items("BA", scores(6, 5), scores(4, 5))
    assert score_pair(PAIR, judged, kind="pairwise", aggregate="mean_score").outcomes == {"BA": "tie"}


def test_an_unknown_aggregate_is_refused():
    with pytest.raises(ValueError, match="aggregate must be 'vote' or 'mean_score'"):
        score_pair(PAIR, items("AB", verdict("A")), kind="pairwise", aggregate="median")


def test_pointwise_mean_score_at_n_compares_the_mean_score_of_each_side():
    # chosen: (9 + 2) / 2 = 5.5, rejected: (5 + 5) / 2 = 5 -> chosen wins, although per sample
    # the wins are split 1:1.
    judged = [
        JudgedItem(point(9), side="chosen", sample=0),
        JudgedItem(point(5), side="rejected", sample=0),
        JudgedItem(point(2), side="chosen", sample=1),
        JudgedItem(point(5), side="rejected", sample=1),
    ]
    outcome = score_pair(PAIR, judged, kind="pointwise")
    assert dict(outcome.outcomes) == {"AB": "correct", "BA": "correct"}


@pytest.mark.parametrize(
    ("chosen", "rejected", "expected"), [(8, 3, "correct"), (3, 8, "wrong"), (6, 6, "tie"), (None, 4, "fail")]
)
def test_a_pointwise_outcome_is_the_same_for_both_orders(chosen, rejected, expected):
    judged = [
        JudgedItem(failed() if chosen is None else point(chosen), side="chosen"),
        JudgedItem(point(rejected), side="rejected"),
    ]
    outcome = score_pair(PAIR, judged, kind="pointwise")
    assert dict(outcome.outcomes) == {"AB": expected, "BA": expected}
    metrics = j1_metrics([outcome])
    assert metrics["ab_accuracy"] == metrics["ba_accuracy"]
    assert metrics["flip_rate"] == (None if expected == "fail" else 0.0)  # a failed comparison measures nothing


def test_a_pair_without_judgments_cannot_be_scored():
    with pytest.raises(ValueError, match="'p' has no judgments"):
        score_pair(PAIR, [], kind="pairwise")


# --- J1 diagnostics -------------------------------------------------------------------------


def test_j1_metrics_count_each_diagnostic_by_hand():
    pairs = [
        po("p1", "correct", "correct", random_order="AB"),
        po("p2", "correct", "wrong", random_order="BA"),
        po("p3", "tie", "correct", random_order="AB"),
        po("p4", "fail", "wrong", random_order="BA", judgments=4, failures=3),  # 3 failed AB samples
        po("p5", "wrong", None, random_order="BA"),  # only AB judged: its single order is AB
        po("p6", None, "correct", random_order="BA"),
    ]
    assert j1_metrics(pairs) == pytest.approx(
        {
            "ab_accuracy": 40.0,  # AB judged in p1..p5, correct in p1, p2: 2/5
            "ba_accuracy": 60.0,  # BA judged in p1..p4, p6, correct in p1, p3, p6: 3/5
            "random_order_accuracy": 100 / 3,  # single: p1 AB ok, p2 BA no, p3 AB tie, p4 BA no, p5 AB no, p6 ok
            "consistent_accuracy": 25.0,  # both orders in p1..p4, correct twice only in p1
            "flip_rate": 100 / 3,  # both orders parsed in p1..p3 (p4's AB failed); only p2 (correct, wrong) flips
            "tie_rate": 10.0,  # 1 tie among 10 order decisions
            "parse_failure_rate": 25.0,  # 3 failed of 12 judgments (2 + 2 + 2 + 4 + 1 + 1)
        }
    )


def test_a_wrong_then_correct_pair_is_a_flip_too():
    pairs = [po("a", "wrong", "correct"), po("b", "wrong", "wrong"), po("c", "fail", "correct"), po("d", "tie", "tie")]
    metrics = j1_metrics(pairs)
    assert metrics["flip_rate"] == pytest.approx(100 / 3)  # a flips, of a, b and d (c's AB failed)
    assert metrics["tie_rate"] == 25.0  # 2 ties among 8 decisions


def test_parse_failure_rate_counts_samples_not_pairs():
    # AB: 3 samples, 2 failed but the vote still says A; BA: 1 parsed sample.
    outcome = score_pair(
        PAIR, items("AB", verdict("A"), failed(), failed()) + items("BA", verdict("B")), kind="pairwise"
    )
    metrics = j1_metrics([outcome])
    assert dict(outcome.outcomes) == {"AB": "correct", "BA": "correct"}
    assert metrics["parse_failure_rate"] == 50.0  # 2 of 4 judgments
    assert metrics["consistent_accuracy"] == 100.0


def test_measurements_no_pair_allows_are_none():
    metrics = j1_metrics([po("a", "correct", None), po("b", "wrong", None)])
    assert metrics["ab_accuracy"] == 50.0
    assert metrics["ba_accuracy"] is None
    assert metrics["consistent_accuracy"] is None
    assert metrics["flip_rate"] is None
    assert set(metrics) == J1_KEYS


def test_with_every_judgment_failed_only_the_failure_rate_is_measured():
    metrics = j1_metrics([po("a", "fail", "fail", failures=2), po("b", "fail", None, failures=1)])
    assert metrics == {key: None for key in J1_KEYS} | {"parse_failure_rate": 100.0}


def test_once_something_parsed_failures_count_as_wrong():
    # AB: correct, fail, fail -> 1/3; BA: fail, fail -> nothing parsed in that order.
    metrics = j1_metrics([po("a", "correct", "fail"), po("b", "fail", "fail"), po("c", "fail", None)])
    assert metrics["ab_accuracy"] == pytest.approx(100 / 3)
    assert metrics["ba_accuracy"] is None
    assert metrics["consistent_accuracy"] == 0.0  # a's BA failed; both-order pairs a and b were measured
    assert metrics["flip_rate"] is None  # no pair has both orders parsed
    assert metrics["tie_rate"] == 0.0  # 0 ties among 5 decisions, one of them parsed


def test_official_scores_are_not_available_when_no_judgment_parsed():
    nothing = [po("1", "fail", "fail", group="alpacaeval-easy"), po("2", "fail", group="donotanswer")]
    assert RewardBench().official(nothing).scores["overall"] == 50.0  # the rule scores a failure 0.5 ...
    reported = RewardBench().measured_official(nothing)  # ... but nothing was measured
    assert reported.scores == {
        "overall": None, "chat": None, "safety": None, "subsets": {"alpacaeval-easy": None, "donotanswer": None},
    }  # fmt: skip
    assert reported.absent == RewardBench().official(nothing).absent
    assert PPEPreference().measured_official([po("1", "fail")]).scores == {"accuracy": None}
    some = [*nothing, po("3", "correct", group="alpacaeval-easy")]
    assert RewardBench().measured_official(some).scores == RewardBench().official(some).scores


def test_failed_judgments_are_counted_by_reason_code():
    def failing(code):
        return Judgment(raw="x", status=ParseStatus.NO_ANSWER, reason="...", reason_code=code)

    outcome = score_pair(
        PAIR,
        items("AB", failing("no_answer_block"), failing("prompt_echo"), verdict("A"))
        + items("BA", failing("no_answer_block")),
        kind="pairwise",
    )
    assert dict(outcome.failure_reasons) == {"no_answer_block": 2, "prompt_echo": 1}
    assert PairOutcome.from_record(outcome.to_record()) == outcome
    other = score_pair(PAIR, items("AB", failed(), failing("prompt_echo")), kind="pairwise")
    assert failure_counts([outcome, other]) == {"no_answer_block": 2, "prompt_echo": 2, "no_answer": 1}


# --- RewardBench ----------------------------------------------------------------------------


def test_rewardbench_scores_1_0_and_half_for_ties_and_parse_failures():
    pairs = [
        po(str(k), outcome, group="alpacaeval-easy") for k, outcome in enumerate(["correct", "wrong", "tie", "fail"])
    ]
    official = RewardBench().official(pairs)
    # (1 + 0 + 0.5 + 0.5) / 4 = 50
    assert official.scores["subsets"] == {"alpacaeval-easy": 50.0}
    assert official.scores["chat"] == 50.0
    assert official.scores["overall"] == 50.0


def test_rewardbench_section_is_the_subset_weighted_mean():
    pairs = [
        po("1", "correct", group="alpacaeval-easy"),  # weight 100, accuracy 100
        po("2", "correct", group="alpacaeval-easy"),
        po("3", "wrong", group="mt-bench-easy"),  # weight 28, accuracy 0
    ]
    official = RewardBench().official(pairs)
    assert official.scores["chat"] == pytest.approx(100 * 100 / 128)  # 78.125, not the pair mean 66.67


def test_rewardbench_reasoning_is_half_math_prm_and_half_hep():
    hep = ["hep-cpp", "hep-go", "hep-java", "hep-js", "hep-python", "hep-rust"]
    pairs = [po("m1", "correct", group="math-prm"), po("m2", "correct", group="math-prm")]
    pairs += [po(f"h-{name}", "wrong" if name == "hep-cpp" else "correct", group=name) for name in hep]
    official = RewardBench().official(pairs)
    # math-prm 100 (weight 984), hep mean 5/6 * 100 (6 x 164 = 984): 1/2 * 100 + 1/2 * 83.33 = 91.67.
    # A plain mean over the 7 subsets would give 85.71, and a mean over the 8 pairs 87.5.
    assert official.scores["reasoning"] == pytest.approx(50 + 250 / 6)
    assert official.scores["overall"] == pytest.approx(50 + 250 / 6)


def test_rewardbench_section_weights_only_the_subsets_present():
    pairs = [po("a", "correct", group="math-prm"), po("b", "wrong", group="hep-go"), po("c", "tie", group="hep-rust")]
    official = RewardBench().official(pairs)
    # (100 * 984 + 0 * 164 + 50 * 164) / (984 + 164 + 164) = 106600 / 1312 = 81.25
    assert official.scores["reasoning"] == pytest.approx(81.25)
    assert {"hep-cpp", "hep-java", "hep-js", "hep-python"} <= set(official.absent)
    assert "math-prm" not in official.absent and "reasoning" not in official.absent


def test_rewardbench_overall_is_the_plain_mean_of_the_sections_present():
    pairs = [
        po("1", "correct", group="alpacaeval-easy"),
        po("2", "correct", group="alpacaeval-hard"),
        po("3", "correct", group="mt-bench-med"),  # chat 100
        po("4", "wrong", group="donotanswer"),  # safety 0
        po("5", "tie", group="math-prm"),  # reasoning 50
    ]
    official = RewardBench().official(pairs)
    assert (official.scores["chat"], official.scores["safety"], official.scores["reasoning"]) == (100.0, 0.0, 50.0)
    assert official.scores["overall"] == pytest.approx(50.0)  # (100 + 0 + 50) / 3; the pair mean would be 70
    assert "chat_hard" in official.absent and "chat_hard" not in official.scores
    for subset in ("mt-bench-hard", "llmbar-natural", "refusals-dangerous", "hep-python", "alpacaeval-length"):
        assert subset in official.absent


@pytest.mark.parametrize(
    ("outcomes", "random_order", "expected"),
    [
        (("correct", "wrong"), "AB", 100.0),  # both judged: the seeded order counts
        (("correct", "wrong"), "BA", 0.0),
        (("tie", "correct"), "AB", 50.0),
        (("correct", None), "BA", 100.0),  # only AB judged: that order counts
        ((None, "wrong"), "AB", 0.0),
    ],
)
def test_rewardbench_uses_one_order_per_pair(outcomes, random_order, expected):
    pair = po("x", *outcomes, group="llmbar-natural", random_order=random_order)
    assert RewardBench().official([pair]).scores["chat_hard"] == expected


# --- JudgeBench -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ab", "ba", "expected"),
    [
        ("correct", "correct", 100.0),
        ("correct", "tie", 100.0),
        ("tie", "correct", 100.0),
        ("correct", "fail", 100.0),
        ("correct", "wrong", 0.0),  # +1 - 1 = 0 is not > 0
        ("wrong", "correct", 0.0),
        ("tie", "fail", 0.0),
        ("wrong", "tie", 0.0),
        ("correct", None, 100.0),  # one judged order: +1
        ("fail", None, 0.0),
    ],
)
def test_judgebench_pair_is_correct_iff_the_net_vote_is_positive(ab, ba, expected):
    pair = po("x", ab, ba, group="livecodebench")
    official = JudgeBench().official([pair])
    assert official.scores["overall"] == expected
    assert official.scores["livecodebench"] == expected


def test_judgebench_overall_is_micro_over_pairs():
    pairs = [
        po("1", "correct", "correct", group="mmlu-pro"),
        po("2", "correct", "tie", group="mmlu-pro"),
        po("3", "wrong", "correct", group="mmlu-pro"),  # mmlu-pro 2/3
        po("4", "correct", "fail", group="livecodebench"),  # livecodebench 1/1
    ]
    official = JudgeBench().official(pairs)
    assert official.scores["overall"] == 75.0  # 3/4; the mean of categories would be 83.33
    assert official.scores["mmlu-pro"] == pytest.approx(200 / 3)
    assert official.scores["livecodebench"] == 100.0
    assert official.absent == ["livebench-reasoning", "livebench-math"]


def test_judgebench_maps_verdicts_of_the_swapped_order_back_to_the_dataset_frame():
    # Rows labelled B>A: the chosen response is shown second in AB and first in BA.
    def jb(pair_id):
        return PreferencePair(pair_id, "q", "good", "bad", metadata={"group": "mmlu-pro"}, chosen_position="B")

    one = score_pair(jb("1"), items("AB", verdict("B")) + items("BA", verdict("A")), kind="pairwise")
    two = score_pair(jb("2"), items("AB", verdict("A")) + items("BA", verdict("B")), kind="pairwise")
    three = score_pair(jb("3"), items("AB", verdict("B")) + items("BA", verdict("B")), kind="pairwise")
    assert dict(one.outcomes) == {"AB": "correct", "BA": "correct"}
    assert dict(two.outcomes) == {"AB": "wrong", "BA": "wrong"}
    assert dict(three.outcomes) == {"AB": "correct", "BA": "wrong"}
    official = JudgeBench().official([one, two, three])
    # Only pair 1 has a positive net vote: 1/3. Comparing raw verdicts with the dataset label
    # instead would give pair 1 a zero sum and pairs 3 a positive one.
    assert official.scores["overall"] == pytest.approx(100 / 3)
    assert official.scores["mmlu-pro"] == pytest.approx(100 / 3)


# --- RM-Bench -------------------------------------------------------------------------------


HARD, NORMAL, EASY = [(0, 1), (0, 2), (1, 2)], [(0, 0), (1, 1), (2, 2)], [(1, 0), (2, 0), (2, 1)]
ALL_CELLS = [(i, j) for i in range(3) for j in range(3)]


def test_rmbench_full_matrix_gives_hard_normal_easy():
    pairs = [
        po(f"c:{i}:{j}", "wrong" if (i, j) in HARD else "correct", group="chat", cell=(i, j)) for i, j in ALL_CELLS
    ]
    pairs += [po(f"k:{i}:{j}", "correct", group="code", cell=(i, j)) for i, j in ALL_CELLS]
    official = RMBench().official(pairs)
    # chat: hard 0, normal 100, easy 100, domain 6/9 = 66.67; code: 100 everywhere.
    assert official.details["matrix"]["chat"] == [[100.0, 0.0, 0.0], [100.0, 100.0, 0.0], [100.0, 100.0, 100.0]]
    assert official.scores["chat"] == pytest.approx(200 / 3)
    assert official.scores["code"] == 100.0
    assert official.scores["overall"] == pytest.approx(250 / 3)  # (66.67 + 100) / 2
    assert official.scores["hard"] == 50.0  # (0 + 100) / 2
    assert official.scores["normal"] == 100.0
    assert official.scores["easy"] == 100.0
    assert official.absent == ["math", "safety"]


def test_rmbench_diagonal_reports_no_hard_or_easy():
    pairs = [po(f"c:{i}:{i}", "correct", group="chat", cell=(i, i)) for i in range(3)]
    official = RMBench().official(pairs)
    assert set(official.scores) == {"overall", "chat"}
    assert official.scores["overall"] == 100.0


def test_rmbench_reports_levels_only_when_every_domain_has_the_full_matrix():
    pairs = [po(f"c:{i}:{j}", "correct", group="chat", cell=(i, j)) for i, j in ALL_CELLS]
    pairs += [po(f"m:{i}:{i}", "wrong", group="math", cell=(i, i)) for i in range(3)]
    official = RMBench().official(pairs)
    assert not {"hard", "normal", "easy"} & set(official.scores)
    assert official.scores["overall"] == 50.0  # (100 + 0) / 2


def test_rmbench_domain_score_is_the_mean_of_its_cells_and_overall_of_its_domains():
    pairs = [
        po("c1:0:0", "correct", group="chat", cell=(0, 0)),
        po("c2:0:0", "correct", group="chat", cell=(0, 0)),  # cell (0,0): 100
        po("c1:1:1", "wrong", group="chat", cell=(1, 1)),  # cell (1,1): 0 -> chat 50 (pair mean 66.67)
        po("m1:0:0", "correct", group="math", cell=(0, 0)),  # math 100
        po("m2:1:1", "tie", group="math", cell=(1, 1)),  # a tie does not beat: 0
        po("m3:1:1", "correct", group="math", cell=(1, 1)),  # cell (1,1): 50 -> math (100 + 50) / 2 = 75
    ]
    official = RMBench().official(pairs)
    assert official.scores["chat"] == 50.0
    assert official.scores["math"] == 75.0
    assert official.scores["overall"] == 62.5  # (50 + 75) / 2


def test_rmbench_uses_the_seeded_order_when_both_were_judged():
    pairs = [po("c:0:0", "correct", "wrong", group="chat", cell=(0, 0), random_order="BA")]
    assert RMBench().official(pairs).scores["chat"] == 0.0


def test_rmbench_pools_the_two_safety_domains_by_prompt_count():
    rows = [
        {"id": "r1", "prompt": "q", "chosen": ["a", "b", "c"], "rejected": ["x", "y", "z"], "domain": "safety-refuse"}
    ]
    rows += [
        {
            "id": f"s{k}",
            "prompt": "q",
            "chosen": ["a", "b", "c"],
            "rejected": ["x", "y", "z"],
            "domain": "safety-response",
        }
        for k in range(3)
    ]
    pairs = RMBench().pairs_from_rows(rows)
    outcomes = [
        score_pair(p, items("AB", verdict("A" if p.id.startswith("r1") else "B")), kind="pairwise") for p in pairs
    ]
    official = RMBench().official(outcomes)
    # each diagonal cell: 1 correct of 4 prompts = 25; a mean of the two sub-domains would be 50
    assert official.details["matrix"]["safety"] == [[25.0, None, None], [None, 25.0, None], [None, None, 25.0]]
    assert official.scores["safety"] == 25.0
    assert official.scores["overall"] == 25.0


# --- PPE and FollowBenchEval ----------------------------------------------------------------


def test_ppe_preference_counts_ties_and_failures_as_wrong():
    pairs = [po(str(k), outcome) for k, outcome in enumerate(["correct", "wrong", "tie", "fail"])]
    assert PPEPreference().official(pairs).scores == {"accuracy": 25.0}


def test_ppe_preference_uses_the_seeded_order():
    pairs = [po("a", "correct", "wrong", random_order="BA"), po("b", "wrong", "correct", random_order="BA")]
    assert PPEPreference().official(pairs).scores == {"accuracy": 50.0}


def test_ppe_correctness_overall_is_the_plain_mean_over_domains():
    pairs = [po("m", "correct", group="math")]  # math 100 from one pair
    pairs += [po(f"g{k}", outcome, group="gpqa") for k, outcome in enumerate(["wrong", "tie", "fail"])]  # gpqa 0
    official = PPECorrectness().official(pairs)
    assert official.scores["math"] == 100.0
    assert official.scores["gpqa"] == 0.0
    assert official.scores["overall"] == 50.0  # macro; the micro mean over pairs would be 25
    assert official.absent == ["mmlu-pro", "mbpp-plus", "ifeval"]


def test_followbench_is_position_consistent_over_pairs_judged_in_both_orders():
    pairs = [
        po("1", "correct", "correct", group="level-1"),
        po("2", "correct", "wrong", group="level-1"),
        po("3", "correct", None, group="level-2"),  # single order: not counted
        po("4", "tie", "correct", group="level-3"),
    ]
    official = FollowBenchEval().official(pairs)
    assert official.scores["overall"] == pytest.approx(100 / 3)  # 1 of the 3 pairs judged twice
    assert official.scores["level-1"] == 50.0
    assert official.scores["level-3"] == 0.0
    assert official.absent == ["level-2", "level-4", "level-5"]


def test_followbench_is_absent_when_only_one_order_was_judged():
    official = FollowBenchEval().official([po("1", "correct", None, group="level-1"), po("2", None, "correct")])
    assert official.scores == {}
    assert official.absent == ["overall", "level-1", "level-2", "level-3", "level-4", "level-5"]


# --- rescore and `j1 score` -----------------------------------------------------------------


def test_j1_score_reports_rewardbench_official_and_j1_keys(tmp_path, capsys):
    rows = rewardbench_rows(1)
    data = write_jsonl(rows, tmp_path / "rb.jsonl")
    lines = [{"pair_id": str(r["id"]), "order": "AB", "verdict": "A"} for r in rows]
    lines += [{"pair_id": str(r["id"]), "order": "BA", "verdict": "B"} for r in rows]
    report = score_json(capsys, "rewardbench", data, write_jsonl(lines, tmp_path / "j.jsonl"))
    assert {"benchmark", "pairs", "official", "j1"} <= set(report)
    assert (report["benchmark"], report["pairs"], report["judgments"], report["unjudged_pairs"]) == (
        "rewardbench",
        23,
        46,
        0,
    )
    assert set(report["official"]) == {"overall", "chat", "chat_hard", "safety", "reasoning", "subsets"}
    assert len(report["official"]["subsets"]) == 23
    assert report["official"]["overall"] == 100.0  # percent, not a fraction
    assert set(report["j1"]) == J1_KEYS
    assert report["j1"]["consistent_accuracy"] == 100.0
    assert report["absent"] == []


def test_j1_score_counts_a_rewardbench_tie_like_a_parse_failure(tmp_path, capsys):
    rows = rewardbench_rows(1)
    by_subset = {r["subset"]: str(r["id"]) for r in rows}
    data = write_jsonl(rows, tmp_path / "rb.jsonl")
    lines = [
        {"pair_id": by_subset["alpacaeval-easy"], "order": "AB", "verdict": "tie"},
        {"pair_id": by_subset["alpacaeval-hard"], "order": "AB", "verdict": None},
        {"pair_id": by_subset["mt-bench-easy"], "order": "AB", "verdict": "A"},
    ]
    report = score_json(capsys, "rewardbench", data, write_jsonl(lines, tmp_path / "j.jsonl"))
    official = report["official"]
    assert official["subsets"] == {"alpacaeval-easy": 50.0, "alpacaeval-hard": 50.0, "mt-bench-easy": 100.0}
    # chat = (50 * 100 + 50 * 95 + 100 * 28) / (100 + 95 + 28) = 12550 / 223
    assert official["chat"] == pytest.approx(12550 / 223)
    assert official["overall"] == pytest.approx(12550 / 223)
    assert report["j1"]["tie_rate"] == pytest.approx(100 / 3)
    assert report["j1"]["parse_failure_rate"] == pytest.approx(100 / 3)
    assert report["j1"]["random_order_accuracy"] == pytest.approx(100 / 3)
    assert report["unjudged_pairs"] == 20
    assert "chat_hard" in report["absent"] and "alpacaeval-length" in report["absent"]


def test_rescore_uses_the_seeded_order_of_each_pair(tmp_path):
    pairs = RewardBench().pairs_from_rows(rewardbench_rows(1))
    lines = [(1, {"pair_id": "0", "order": "AB", "verdict": "A"}), (2, {"pair_id": "0", "order": "BA", "verdict": "A"})]
    results = {}
    for seed in range(20):
        report = rescore(RewardBench(), pairs, lines, seed=seed)
        results[seed] = report["official"]["overall"]
        assert report["seed"] == seed
        assert results[seed] == (100.0 if seeded_order("0", seed) == "AB" else 0.0)
    assert set(results.values()) == {0.0, 100.0}


def test_j1_score_applies_the_judgebench_rule_in_the_judges_frame(tmp_path, capsys):
    rows = judgebench_rows(8)
    assert {r["label"] for r in rows} == {"A>B", "B>A"}  # both presentations are exercised
    data = write_jsonl(rows, tmp_path / "jb.jsonl")
    plan = {  # row index: (AB outcome, BA outcome); sources cycle over the four categories
        0: ("correct", "tie"),  # mmlu-pro
        4: ("correct", "wrong"),
        1: ("correct", "fail"),  # livebench-reasoning
        5: ("wrong", "wrong"),
        2: ("correct", "correct"),  # livebench-math
        6: ("correct", "correct"),
        7: ("wrong", "correct"),  # livecodebench (row 3 is not judged)
    }
    lines = []
    for index, outcomes in plan.items():
        row = rows[index]
        right = {"AB": row["label"][0], "BA": other(row["label"][0])}  # the chosen letter as the judge sees it
        for order, outcome in zip(("AB", "BA"), outcomes, strict=True):
            value = {"correct": right[order], "wrong": other(right[order]), "tie": "tie", "fail": None}[outcome]
            lines.append({"pair_id": row["pair_id"], "order": order, "verdict": value})
    report = score_json(capsys, "judgebench", data, write_jsonl(lines, tmp_path / "j.jsonl"))
    seeded = {index: seeded_order(rows[index]["pair_id"]) for index in plan}  # the default seed, 1234
    single_correct = sum(plan[index][0 if seeded[index] == "AB" else 1] == "correct" for index in plan)
    assert report["official"] == pytest.approx(
        {
            "overall": 400 / 7,  # pairs 0, 1, 2, 6: 4 of 7 (micro; the category mean is 50)
            "mmlu-pro": 50.0,
            "livebench-reasoning": 50.0,
            "livebench-math": 100.0,
            "livecodebench": 0.0,
        }
    )
    assert report["j1"] == pytest.approx(
        {
            "ab_accuracy": 500 / 7,  # rows 0, 4, 1, 2, 6
            "ba_accuracy": 300 / 7,  # rows 2, 6, 7
            "random_order_accuracy": 100 * single_correct / 7,
            "consistent_accuracy": 200 / 7,  # rows 2, 6
            "flip_rate": 200 / 6,  # rows 4, 7 of the 6 pairs with both orders parsed (row 1's BA failed)
            "tie_rate": 100 / 14,
            "parse_failure_rate": 100 / 14,
        }
    )
    assert report["unjudged_pairs"] == 1


def test_j1_score_reports_rmbench_levels_when_the_full_matrix_was_judged(tmp_path, capsys):
    rows = rmbench_rows(1)
    data = write_jsonl(rows, tmp_path / "rm.jsonl")
    lines = [
        {"pair_id": f"{r['id']}:{i}:{j}", "order": "AB", "verdict": "B" if (i, j) in HARD else "A"}
        for r in rows
        for i, j in ALL_CELLS
    ]
    report = score_json(capsys, "rmbench", data, write_jsonl(lines, tmp_path / "j.jsonl"))
    assert set(report["official"]) == {"overall", "chat", "code", "math", "safety", "hard", "normal", "easy"}
    # every domain: hard 0, normal 100, easy 100, domain 6/9
    assert report["official"] == pytest.approx(
        {"overall": 200 / 3, "chat": 200 / 3, "code": 200 / 3, "math": 200 / 3, "safety": 200 / 3}
        | {"hard": 0.0, "normal": 100.0, "easy": 100.0}
    )
    assert report["pairs"] == 45


def test_j1_score_reports_rmbench_without_levels_for_the_diagonal(tmp_path, capsys):
    rows = rmbench_rows(1)
    data = write_jsonl(rows, tmp_path / "rm.jsonl")
    lines = [{"pair_id": f"{r['id']}:{i}:{i}", "order": "AB", "verdict": "A"} for r in rows for i in range(3)]
    report = score_json(capsys, "rmbench", data, write_jsonl(lines, tmp_path / "j.jsonl"))
    assert set(report["official"]) == {"overall", "chat", "code", "math", "safety"}
    assert report["official"]["overall"] == 100.0
    assert report["unjudged_pairs"] == 30  # the off-diagonal cells of the 5 prompts


def test_j1_score_reports_ppe_preference_accuracy(tmp_path, capsys):
    rows = ppe_preference_rows(4, ties=1)
    judged = [r for r in rows if r["winner"] != "tie"]
    data = write_jsonl(rows, tmp_path / "pref.jsonl")
    # The chosen answer is response_1 (shown as A in AB) when model_a won, else response_2.
    first = judged[0]
    chosen_ab = "A" if first["winner"] == "model_a" else "B"
    lines = [
        {"pair_id": first["question_id"], "order": "AB", "verdict": chosen_ab},
        {"pair_id": judged[1]["question_id"], "order": "AB", "verdict": "tie"},
    ]
    report = score_json(capsys, "ppe-preference", data, write_jsonl(lines, tmp_path / "j.jsonl"))
    assert report["official"] == {"accuracy": 50.0}
    assert report["pairs"] == 2 and report["unjudged_pairs"] == 2  # the tie row is no pair


def test_j1_score_reports_ppe_correctness_per_domain(tmp_path, capsys):
    rows = ppe_correctness_rows(1, conflicts=2)
    data = write_jsonl(rows, tmp_path / "corr.jsonl")
    lines = []
    for row in rows:
        i, j = row["sampled_conflict_pairs"][0]
        right = "A" if row["scores"][i] else "B"  # response_{i+1} is shown as A in AB
        good = row["domain"] in ("math", "ifeval")
        lines.append({"pair_id": f"{row['domain']}:{row['question_id']}:{i}:{j}", "order": "AB",
                      "verdict": right if good else other(right)})  # fmt: skip
    report = score_json(capsys, "ppe-correctness", data, write_jsonl(lines, tmp_path / "j.jsonl"))
    assert report["official"] == {
        "mmlu-pro": 0.0,
        "math": 100.0,
        "gpqa": 0.0,
        "mbpp-plus": 0.0,
        "ifeval": 100.0,
        "overall": 40.0,
    }


def test_j1_score_parses_output_lines_with_the_default_format(tmp_path, capsys):
    rows = rewardbench_rows(1)
    data = write_jsonl(rows, tmp_path / "rb.jsonl")
    lines = [
        {"pair_id": "0", "order": "AB", "output": "<think>right</think><answer> [[A]] </answer>"},
        {"pair_id": "0", "order": "BA", "output": "<think>right</think><answer> [[B]] </answer>"},
        {"pair_id": "1", "order": "AB", "output": "I cannot decide."},
    ]
    report = score_json(capsys, "rewardbench", data, write_jsonl(lines, tmp_path / "j.jsonl"))
    assert report["aggregate"] == "vote"
    assert report["j1"]["parse_failure_rate"] == pytest.approx(100 / 3)
    assert report["official"]["subsets"] == {"alpacaeval-easy": 100.0, "alpacaeval-length": 50.0}


def test_j1_score_parses_output_lines_with_format_and_takes_mean_scores(tmp_path, capsys):
    rows = rewardbench_rows(1)
    data = write_jsonl(rows, tmp_path / "rb.jsonl")

    def pas(a, b):
        return f"<think>x</think><score_A>{a}</score_A><score_B>{b}</score_B>"

    # AB samples (9, 1), (4, 5), (4, 5): the mean prefers A (chosen), the vote B.
    lines = [
        {"pair_id": "0", "order": "AB", "sample": k, "output": pas(*s)} for k, s in enumerate([(9, 1), (4, 5), (4, 5)])
    ]
    judgments = write_jsonl(lines, tmp_path / "j.jsonl")
    report = score_json(capsys, "rewardbench", data, judgments, "--format", "pas")
    assert report["aggregate"] == "mean_score"
    assert report["official"]["subsets"] == {"alpacaeval-easy": 100.0}
    voted = score_json(capsys, "rewardbench", data, judgments, "--format", "pas", "--aggregate", "vote")
    assert voted["official"]["subsets"] == {"alpacaeval-easy": 0.0}


def test_j1_score_reads_pointwise_lines(tmp_path, capsys):
    rows = rewardbench_rows(1)
    data = write_jsonl(rows, tmp_path / "rb.jsonl")
    lines = [
        {"pair_id": "0", "side": "chosen", "score": 8},
        {"pair_id": "0", "side": "rejected", "score": 3},
        {"pair_id": "1", "side": "chosen", "score": 5},
        {"pair_id": "1", "side": "rejected", "score": 5.0},  # equal: a tie
        {"pair_id": "2", "side": "chosen", "output": "<think>x</think><score>2</score>"},
        {"pair_id": "2", "side": "rejected", "output": "<think>x</think><score>9</score>"},
    ]
    report = score_json(capsys, "rewardbench", data, write_jsonl(lines, tmp_path / "j.jsonl"))
    assert report["aggregate"] == "mean_score"
    assert report["official"]["subsets"] == {
        "alpacaeval-easy": 100.0,
        "alpacaeval-length": 50.0,
        "alpacaeval-hard": 0.0,
    }
    j1 = report["j1"]
    assert j1["ab_accuracy"] == j1["ba_accuracy"] == pytest.approx(100 / 3)
    assert j1["flip_rate"] == 0.0
    assert j1["tie_rate"] == pytest.approx(100 / 3)


def test_j1_score_prints_a_table_without_json(tmp_path, capsys):
    data = write_jsonl(rewardbench_rows(1), tmp_path / "rb.jsonl")
    judgments = write_jsonl([{"pair_id": "0", "order": "AB", "verdict": "A"}], tmp_path / "j.jsonl")
    code, out, _ = run_j1(capsys, "--benchmark", "rewardbench", "--data", data, "--judgments", judgments)
    assert code == 0
    assert out.startswith("rewardbench: 1 pairs, 1 judgments")
    assert "subsets/alpacaeval-easy" in out and "100.00" in out


def test_j1_score_reports_failures_by_reason_and_nothing_measured_as_null(tmp_path, capsys):
    data = write_jsonl(rewardbench_rows(1), tmp_path / "rb.jsonl")
    lines = [
        {"pair_id": "0", "order": "AB", "output": "<think>x</think> [[A]]"},
        {"pair_id": "0", "order": "BA", "output": "<think>x</think>"},
        {"pair_id": "1", "order": "AB", "output": "<think>x</think><answer>[[C]]</answer>"},
        {"pair_id": "1", "order": "BA", "verdict": None},
        {"pair_id": "2", "order": "AB", "output": "<think>x</think> [[B]] wins"},
    ]
    judgments = write_jsonl(lines, tmp_path / "j.jsonl")
    report = score_json(capsys, "rewardbench", data, judgments)
    assert report["failures"] == {
        "verdict_outside_answer": 2, "no_answer_block": 1, "no_verdict_in_answer": 1, "recorded_failure": 1,
    }  # fmt: skip
    assert report["official"]["overall"] is None and report["official"]["subsets"]["alpacaeval-easy"] is None
    assert report["j1"] == {key: None for key in J1_KEYS} | {"parse_failure_rate": 100.0}
    code, out, _ = run_j1(capsys, "--benchmark", "rewardbench", "--data", data, "--judgments", judgments)
    assert code == 0
    rows = dict(line.split() for line in out.splitlines() if line.startswith("  ") and len(line.split()) == 2)
    assert rows["overall"] == rows["chat"] == rows["ab_accuracy"] == rows["flip_rate"] == "n/a"
    assert rows["parse_failure_rate"] == "100.00"
    assert rows["verdict_outside_answer"] == "2" and rows["recorded_failure"] == "1"


def test_j1_score_reports_no_failures_when_everything_parsed(tmp_path, capsys):
    data = write_jsonl(rewardbench_rows(1), tmp_path / "rb.jsonl")
    judgments = write_jsonl([{"pair_id": "0", "order": "AB", "verdict": "A"}], tmp_path / "j.jsonl")
    assert score_json(capsys, "rewardbench", data, judgments)["failures"] == {}


SCORED = '{"pair_id": "0", "side": "chosen", "score": %s}'
SAMPLED = '{"pair_id": "0", "order": "AB", "verdict": "A", "sample": %s}'
SCORE_RULE = "line 1: 'score' must be a number in 0..10 or null"


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (['{"pair_id": "0", "order": "AB", "verdict": "A"}', '{"pair_id": "nope", "order": "AB", "verdict": "A"}'],
         "line 2: pair_id 'nope' is not a pair of rewardbench"),
        (['{"pair_id": "0", "order": "ab", "verdict": "A"}'], "line 1: 'order' must be one of AB, BA, got 'ab'"),
        (['{"pair_id": "0", "order": "AB", "verdict": "C"}'], "line 1: 'verdict' must be 'A', 'B', 'tie' or null"),
        (['{"pair_id": "0", "order": "AB", "verdict": "A"}', "", '{"pair_id": "1", "order": '],
         "line 3: not valid JSON"),
        (['{"pair_id": 0, "order": "AB", "verdict": "A"}'], "line 1: 'pair_id' must be a non-empty string, got 0"),
        (['{"pair_id": " ", "order": "AB", "verdict": "A"}'], "line 1: 'pair_id' must be a non-empty string"),
        (['{"pair_id": "0", "order": "AB"}'], "line 1: needs 'output' or 'verdict'"),
        ([SCORED % '"high"'], f"{SCORE_RULE}, got 'high'"),
        ([SCORED % "1e300"], f"{SCORE_RULE}, got 1e+300"),
        ([SCORED % "-0.5"], f"{SCORE_RULE}, got -0.5"),
        ([SCORED % "NaN"], "line 1: not valid JSON (NaN is not a JSON number)"),
        ([SCORED % "Infinity"], "line 1: not valid JSON (Infinity is not a JSON number)"),
        ([SAMPLED % "-7"], "line 1: 'sample' must be a whole number from 0, got -7"),
        ([SAMPLED % "1.5"], "line 1: 'sample' must be a whole number from 0, got 1.5"),
        (['{"pair_id": "0", "order": "AB", "verdict": "A"}', '{"pair_id": "0", "order": "BA", "verdict": "B"}',
          '{"pair_id": "0", "order": "AB", "verdict": "B"}'],
         "line 3: repeats the judgment of line 1 (pair '0', order AB, sample 0); each is judged once"),
        (['{"pair_id": "0", "order": "AB", "verdict": "B", "output": "<think>x</think><answer>[[A]]</answer>"}'],
         "line 1: 'verdict' is 'B' but format 'pav' reads 'A' from 'output'; keep one of them, or make them agree"),
        (['{"pair_id": "' + "9" * 5000 + '", "order": "AB", "verdict": "A"}'], "line 1: pair_id '99999999"),
        (['{"pair_id": ' + "9" * 5000 + ', "order": "AB"}'], "line 1: not valid JSON (Exceeds the limit"),
        (["[" * 200_000 + "]" * 200_000], "line 1: JSON nested too deeply to read"),
        (['["pair_id", "0"]'], "line 1: expected a JSON object, got list"),
    ],
)  # fmt: skip
def test_j1_score_names_the_file_line_of_a_bad_judgment(tmp_path, capsys, lines, message):
    data = write_jsonl(rewardbench_rows(1), tmp_path / "rb.jsonl")
    judgments = tmp_path / "bad.jsonl"
    judgments.write_text("\n".join(lines) + "\n")
    code, out, err = run_j1(capsys, "--benchmark", "rewardbench", "--data", data, "--judgments", judgments)
    assert code == 2
    assert out == ""
    assert err.startswith("j1: ")
    assert f"{judgments} {message}" in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"pair_id": "0", "order": "AB", "verdict": "A"}\n'.encode("utf-16"), "is UTF-16 text; save it as UTF-8"),
        (b'{"pair_id": "0", "order": "AB", "verdict": "A"}\n{"pair_id": "caf\xe9"}\n',
         "line 2: not UTF-8 text (byte 0xe9 at column 17)"),
    ],
)  # fmt: skip
def test_j1_score_names_the_file_and_line_of_bad_bytes(tmp_path, capsys, content, message):
    data = write_jsonl(rewardbench_rows(1), tmp_path / "rb.jsonl")
    judgments = tmp_path / "bad.jsonl"
    judgments.write_bytes(content)
    code, out, err = run_j1(capsys, "--benchmark", "rewardbench", "--data", data, "--judgments", judgments)
    assert (code, out) == (2, "")
    assert err == f"j1: error: {judgments} {message}\n"


def test_j1_debug_or_the_debug_flag_keeps_the_traceback(tmp_path, monkeypatch):
    data = write_jsonl(rewardbench_rows(1), tmp_path / "rb.jsonl")
    judgments = tmp_path / "bad.jsonl"
    judgments.write_text('{"pair_id": "0", "order": "AB", "verdict": "C"}\n')
    argv = ["score", "--benchmark", "rewardbench", "--data", str(data), "--judgments", str(judgments)]
    with pytest.raises(JudgmentsFileError, match="'verdict' must be 'A', 'B', 'tie' or null"):
        main(["--debug", *argv])
    monkeypatch.setenv("J1_DEBUG", "1")
    with pytest.raises(JudgmentsFileError):
        main(argv)
    monkeypatch.setenv("J1_DEBUG", "0")
    assert main(argv) == 2


def test_an_unexpected_error_names_its_type_and_how_to_see_the_traceback(capsys, monkeypatch):
    import j1_plugin.cli

    def broken(args):
        raise KeyError("somewhere deep")

    monkeypatch.setattr(j1_plugin.cli, "_cmd_suite", broken)
    assert main(["suite", "out"]) == 1
    assert capsys.readouterr().err == "j1: error: KeyError: 'somewhere deep'  (J1_DEBUG=1 shows the traceback)\n"


def test_a_line_with_an_output_and_the_verdict_it_reads_as_is_accepted(tmp_path, capsys):
    data = write_jsonl(rewardbench_rows(1), tmp_path / "rb.jsonl")
    output = "<think>x</think><answer>[[A]]</answer>"
    judgments = write_jsonl(
        [{"pair_id": "0", "order": "AB", "verdict": "A", "output": output},
         {"pair_id": "0", "order": "BA", "verdict": None, "output": "<think>x</think>"}],
        tmp_path / "j.jsonl",
    )  # fmt: skip
    report = score_json(capsys, "rewardbench", data, judgments)
    assert report["judgments"] == 2 and report["failures"] == {"no_answer_block": 1}


def test_rescore_refuses_mixed_pairwise_and_pointwise_lines():
    pairs = RewardBench().pairs_from_rows(rewardbench_rows(1))
    lines = [(1, {"pair_id": "0", "order": "AB", "verdict": "A"}), (2, {"pair_id": "0", "side": "chosen", "score": 3})]
    with pytest.raises(JudgmentsFileError, match="mixes pairwise"):
        rescore(RewardBench(), pairs, lines, source="mine.jsonl")


def test_rescore_refuses_an_empty_judgments_file(tmp_path, capsys):
    data = write_jsonl(rewardbench_rows(1), tmp_path / "rb.jsonl")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    code, _, err = run_j1(capsys, "--benchmark", "rewardbench", "--data", data, "--judgments", empty)
    assert code == 2 and "holds no judgments" in err


def test_lm_eval_and_j1_score_pick_the_same_default_aggregation_for_any_format():
    from dataclasses import replace

    from j1_plugin import get_format
    from j1_plugin.lmeval.options import EvalOptions
    from j1_plugin.scoring import default_aggregate

    plugin_scores_only = replace(get_format("pas"), name="acme-scores")
    options = EvalOptions.from_metadata({"benchmark": "judgebench", "format": "acme-scores"})
    for fmt, expected in [(plugin_scores_only, "mean_score"), (get_format("pos"), "mean_score"),
                          (get_format("pavs"), "vote"), (get_format("pav"), "vote")]:  # fmt: skip
        assert default_aggregate(fmt) == expected == options.aggregation(fmt)
