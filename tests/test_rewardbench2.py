"""RewardBench 2: pairs from best-of-4 and Ties rows, and the official numbers, checked by hand."""

from __future__ import annotations

import json
import math

import pytest

from j1_plugin import get_benchmark
from j1_plugin.benchmarks.base import BenchmarkDataError
from j1_plugin.benchmarks.rewardbench2 import PAIR_ID
from j1_plugin.benchmarks.synthetic import rewardbench2_rows, write_jsonl
from j1_plugin.cli import main

BENCH = get_benchmark("rewardbench2")


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    """The full-size synthetic set (1,865 rows, official subset sizes) and its pairs."""
    rows = rewardbench2_rows(full=True)
    path = write_jsonl(rows, tmp_path_factory.mktemp("rb2") / "rewardbench2.jsonl")
    return rows, path, BENCH.load_pairs(path)


def test_the_full_size_set_has_the_official_shape(full):
    rows, _, pairs = full
    assert len(rows) == 1865
    sizes = {}
    for row in rows:
        sizes[row["subset"]] = sizes.get(row["subset"], 0) + 1
    assert sizes == {"Factuality": 475, "Precise IF": 160, "Math": 183, "Safety": 450, "Focus": 495, "Ties": 102}
    # Best-of-4: 3 comparisons per row; Ties: 1x2 (ref) and 3x2 (tied) per twin.
    assert len(pairs) == 1763 * 3 + 51 * 2 + 51 * 6
    first = pairs[0]
    assert first.id == "0/c0of1-r0of3" and first.metadata == {"group": "factuality", "cell": (0, 0)}
    assert {p.id for p in pairs if p.id.startswith("tied:0/")} == {f"tied:0/c{i}of3-r{j}of2" for i in range(3)
                                                                    for j in range(2)}  # fmt: skip


def verdict_lines(pairs, decide):
    """Judgment lines in the frame the judge saw: ``decide(pair, order)`` -> "A", "B" or None."""
    return [{"pair_id": p.id, "order": order, "verdict": decide(p, order)} for p in pairs for order in ("AB", "BA")]


def row_index(pair):
    return int(PAIR_ID.match(pair.id)["row"])


def pairwise_rule(pair, order):
    chosen_shown = "A" if order == "AB" else "B"
    other = "B" if chosen_shown == "A" else "A"
    group, (_, j) = pair.metadata["group"], pair.metadata["cell"]
    if group == "factuality":  # rows 0-379 win all; rows 380-474 flip (always "A") on their third comparison
        return "A" if row_index(pair) >= 380 and j == 2 else chosen_shown
    if group == "precise_if":  # a consistent loss on the first comparison
        return other if j == 0 else chosen_shown
    if group == "math":  # nothing readable
        return None
    if group == "safety":  # the second half ties (flips) on two comparisons
        return "A" if row_index(pair) >= 475 + 160 + 183 + 225 and j < 2 else chosen_shown
    return chosen_shown  # focus and ties: every comparison won in both orders


def score(tmp_path, capsys, lines, data):
    path = tmp_path / "judgments.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert main(["score", "--benchmark", "rewardbench2", "--data", str(data), "--judgments", str(path), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_pairwise_judgments_give_the_hand_computed_official_numbers(full, tmp_path, capsys):
    _, data, pairs = full
    report = score(tmp_path, capsys, verdict_lines(pairs, pairwise_rule), data)
    official = report["official"]
    # factuality (380 x 1 + 95 x 1/2) / 475; precise IF 0; math 3 ties each: 1/4; safety (225 + 225 x 1/3) / 450;
    # focus 1; ties: every correct answer scores 1, every incorrect 0: 0.3 + 0.3 + 0.2 + 0.2 + 0.01 x tanh(inf).
    expected = {"factuality": 90.0, "precise_if": 0.0, "math": 25.0, "safety": 200 / 3, "focus": 100.0, "ties": 101.0}
    for key, value in expected.items():
        assert official[key] == pytest.approx(value), key
    assert official["overall"] == pytest.approx(sum(expected.values()) / 6)
    assert report["pairs"] == len(pairs) and report["absent"] == []


def test_pointwise_scores_follow_the_official_best_of_4_and_ties_rules(full, tmp_path, capsys):
    _, data, pairs = full
    plans = {  # subset: (chosen score, rejected scores); None = unreadable
        "factuality": (8, [3, 3, 3]), "precise_if": (5, [5, 2, 2]), "math": (4, [9, 1, 1]),
        "safety": (None, [None, None, None]), "focus": (7, [7, 7, 7]),
    }  # fmt: skip
    lines = []
    for pair in pairs:
        group, (i, j) = pair.metadata["group"], pair.metadata["cell"]
        if group == "ties":
            tied = pair.id.startswith("tied:")
            chosen, rejected = ([9, 8, 9][i], [2, 3][j]) if tied else (9, [2, 2][j])
        else:
            chosen, rejected = plans[group][0], plans[group][1][j]
        lines += [{"pair_id": pair.id, "side": "chosen", "score": chosen},
                  {"pair_id": pair.id, "side": "rejected", "score": rejected}]  # fmt: skip
    official = score(tmp_path, capsys, lines, data)["official"]
    # 1; chosen tied with one rejected at the top: 1/2; beaten: 0; all unreadable (-1 each): 1/4; four-way tie: 1/4.
    # Ties: all accurate; tied spread 1, tied margin 5, reference margin 7: 0.3 + 0.3 + 0.2 + 0.2 + 0.01 tanh(5/1 - 1).
    expected = {"factuality": 100.0, "precise_if": 50.0, "math": 0.0, "safety": 25.0, "focus": 25.0,
                "ties": 100.0 * (1.0 + 0.01 * math.tanh(4.0))}  # fmt: skip
    for key, value in expected.items():
        assert official[key] == pytest.approx(value), key
    assert official["overall"] == pytest.approx(sum(expected.values()) / 6)


def test_a_row_with_a_missing_comparison_is_left_out_and_counted(full, tmp_path, capsys):
    _, data, pairs = full
    lines = [line for line in verdict_lines(pairs, pairwise_rule) if line["pair_id"] != "0/c0of1-r1of3"]
    report = score(tmp_path, capsys, lines, data)
    assert report["details"]["incomplete_rows"] == 1
    assert report["official"]["factuality"] == pytest.approx(100 * (379 + 95 * 0.5) / 474)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"id": "x:1", "subset": "Ties"}, r"row 0 \(id 'x:1'\): field 'id' of a Ties row must be ref:<n> or tied:<n>"),
        ({"id": "ref:1", "subset": "Ties", "chosen": ["a", "b"]}, r"of a reference \(ref:\) Ties row must hold 1"),
        ({"id": "tied:1", "subset": "Ties", "chosen": ["a"]}, r"of a tied Ties row must hold several answers"),
        ({"chosen": ["a", "b"]}, r"of a best-of-4 row must hold 1 response, got 2"),
        ({"subset": "Chat"}, r"field 'subset'"),
    ],
)
def test_malformed_rows_name_the_row_and_field(row, message):
    base = {"id": "7", "subset": "Focus", "prompt": "Q?", "chosen": ["good"], "rejected": ["bad", "worse", "worst"]}
    with pytest.raises(BenchmarkDataError, match=message):
        BENCH.pairs_from_rows([{**base, **row}])
