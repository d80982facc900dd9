"""Real outputs of the embedded default judge, labelled by hand, read by the one parser.

``tests/data/golden_outputs.jsonl`` holds outputs of SmolLM2-135M-Instruct recorded by
``tests/data/record_golden.py`` from the built-in formats' prompts on project-made pairs, greedy and
sampled. Each row's expected ``status``, ``reason_code``, ``verdict`` and ``scores`` were written by
hand, by reading the output against the J1 output contract (:mod:`j1_plugin.formats.parsing`), with a
``note`` saying why; rows with ``"edited": true`` are real outputs minimally hand-edited into
well-formed judgments, so that OK parses are covered too. ``label`` is the better response as shown
(pairwise rows) and ``side`` the half judged (``pos`` rows), as in the training data.

A label is the reading of a failure's first broken rule, with one rule for scores in prose: a
``score_outside_tag`` is the word ``score`` (``score_A``, ``score_B``) followed by a number that is a
score (``Score: 7``); the instruction's range ("score from 0 to 10") is not one, nor is a rating
named otherwise ("Rating: 11 / 5").
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from j1_plugin import get_format
from j1_plugin.records import ParseStatus
from j1_plugin.rewards import (
    consistency_reward,
    format_reward,
    pointwise_reward,
    score_reward,
    signed_verdict_reward,
    verdict_reward,
)

GOLDEN = Path(__file__).parent / "data" / "golden_outputs.jsonl"
ROWS: list[dict[str, Any]] = [json.loads(line) for line in GOLDEN.read_text("utf-8").splitlines() if line.strip()]
FAILED = [row for row in ROWS if row["status"] != "ok"]
PARSED = [row for row in ROWS if row["status"] == "ok"]
VERDICT_FORMATS = ("pav", "pavs", "pav-plan")


def ids(rows: list[dict[str, Any]]) -> list[str]:
    return [row["id"] for row in rows]


def other(label: str) -> str:
    return "B" if label == "A" else "A"


# ----------------------------------------------------------------------------- the set itself


def test_the_golden_set_has_enough_real_and_edited_outputs_of_every_format():
    real = [row for row in ROWS if not row["edited"]]
    edited = [row for row in ROWS if row["edited"]]
    assert len(real) >= 50 and len(edited) >= 10
    assert len(set(ids(ROWS))) == len(ROWS), "row ids must be unique"
    assert {row["format"] for row in real} == {"pav", "pas", "pavs", "pos", "pav-plan"}
    assert {row["format"] for row in edited} == {"pav", "pas", "pavs", "pos", "pav-plan"}
    assert {row["decoding"]["temperature"] for row in real} == {0.0, 1.0}
    assert all(row["status"] == "ok" for row in edited), "edited rows exist to cover well-formed judgments"
    assert all(row["note"].strip() for row in ROWS)
    by_id = {row["id"]: row for row in ROWS}
    for row in edited:
        source = by_id[row["edited_from"]]
        assert not source["edited"] and source["output"] != row["output"]
    codes = Counter(row["reason_code"] for row in real)
    for code in ("prompt_echo", "unclosed_reasoning", "no_answer_block", "no_score_block", "score_outside_tag"):
        assert codes[code] > 0, f"no real output with reason code {code}"


def test_every_label_is_a_status_and_reason_code_the_format_can_give():
    statuses = {status.value for status in ParseStatus}
    for row in ROWS:
        fmt = get_format(row["format"])
        assert row["status"] in statuses, row["id"]
        if row["status"] == "ok":
            assert row["reason_code"] is None, row["id"]
        else:
            assert row["reason_code"] in fmt.reason_codes, row["id"]
            assert row["verdict"] is None and row["scores"] is None, row["id"]


# ----------------------------------------------------------------------------- the parser


@pytest.mark.parametrize("row", ROWS, ids=ids(ROWS))
def test_the_parser_reads_each_real_output_as_labelled_by_hand(row):
    judgment = get_format(row["format"]).parse(row["output"])
    found = {
        "status": judgment.status.value,
        "reason_code": judgment.reason_code,
        "verdict": judgment.verdict,
        "scores": dict(judgment.scores) if judgment.scores is not None else None,
    }
    expected = {key: row[key] for key in found}
    assert found == expected, f"{row['note']}\nreason: {judgment.reason}"


def test_a_score_range_copied_from_the_instructions_is_not_a_score_in_prose():
    for name, text in [
        ("pos", "<think>x</think>\nWhere N is the response's score from 0 to 10 (a whole number)."),
        ("pas", "<think>x</think>\nWhere each N is that response's score from 0 to 10."),
    ]:
        assert get_format(name).parse(text).reason_code == "no_score_block", text
    for name, text in [
        ("pos", "<think>x</think> Score: 7"),
        ("pos", "<think>x</think> a valid score (3:4:4:2:2)"),
        ("pos", "<think>x</think> My score from the reasoning is 7 to be fair"),
        ("pas", "<think>x</think> score_A = 6, score_B = 2"),
    ]:
        assert get_format(name).parse(text).reason_code == "score_outside_tag", text


# ----------------------------------------------------------------------------- rewards


def verdict_rewards(row: dict[str, Any], label: str) -> dict[str, float | None]:
    completions, formats = [row["output"]], [row["format"]]
    # the other order of the same pair, answered right, so only this row can spoil consistency
    fmt = get_format(row["format"])
    scores = {other(label): 8.0, label: 2.0} if getattr(fmt, "asks_scores", False) else None
    partner = fmt.write_output("ok", verdict=other(label), scores=scores)
    pair = consistency_reward(
        [row["output"], partner], label=[label, other(label)], pair_id=["p", "p"], order=["AB", "BA"],
        format=formats * 2,
    )  # fmt: skip
    return {
        "verdict_reward": verdict_reward(completions, label=[label], format=formats)[0],
        "signed_verdict_reward": signed_verdict_reward(completions, label=[label], format=formats)[0],
        "consistency_reward": pair[0],
        "format_reward": format_reward(completions, format=formats)[0],
    }


def pointwise_rewards(row: dict[str, Any], partner_score: float) -> dict[str, float | None]:
    """``pointwise_reward`` of the row judged as its own side, against a parsed partner of the other side."""
    partner = get_format("pos").write_output("ok", scores={"score": partner_score})
    sides = [row["side"], "rejected" if row["side"] == "chosen" else "chosen"]
    rewards = pointwise_reward([row["output"], partner], pair_id=["p", "p"], side=sides, format=["pos", "pos"])
    return {"pointwise_reward": rewards[0], "format_reward": format_reward([row["output"]], format=["pos"])[0]}


LOWEST = {
    "verdict_reward": 0.0,
    "signed_verdict_reward": -1.0,
    "consistency_reward": 0.0,
    "score_reward": 0.0,
    "pointwise_reward": 0.0,
    "format_reward": 0.0,
}


@pytest.mark.parametrize("row", FAILED, ids=ids(FAILED))
def test_a_failed_judgment_earns_the_lowest_reward_whichever_response_is_better(row):
    name = row["format"]
    for label in "AB":
        if name in VERDICT_FORMATS:
            rewards = verdict_rewards(row, label)
        elif name == "pas":
            rewards = {
                "score_reward": score_reward([row["output"]], label=[label], format=[name])[0],
                "format_reward": format_reward([row["output"]], format=[name])[0],
            }
        else:
            rewards = {}
            for partner_score in (0.0, 10.0):
                rewards = pointwise_rewards(row, partner_score)
                assert rewards == {key: LOWEST[key] for key in rewards}, (row["id"], partner_score)
        assert rewards == {key: LOWEST[key] for key in rewards}, row["id"]


@pytest.mark.parametrize("row", PARSED, ids=ids(PARSED))
def test_a_well_formed_judgment_is_rewarded_for_its_decision(row):
    name, label = row["format"], row["label"]
    if name in VERDICT_FORMATS:
        right = row["verdict"] == label
        assert verdict_rewards(row, label) == {
            "verdict_reward": float(right),
            "signed_verdict_reward": 1.0 if right else -1.0,
            "consistency_reward": float(right),
            "format_reward": 1.0,
        }
    elif name == "pas":
        assert score_reward([row["output"]], label=[label], format=[name]) == [float(row["verdict"] == label)]
        assert format_reward([row["output"]], format=[name]) == [1.0]
    else:
        score = row["scores"]["score"]
        for partner_score in sorted({max(0.0, score - 0.5), score, min(10.0, score + 0.5)}):
            chosen, rejected = (score, partner_score) if row["side"] == "chosen" else (partner_score, score)
            expected = {"pointwise_reward": float(chosen > rejected), "format_reward": 1.0}
            assert pointwise_rewards(row, partner_score) == expected, (row["id"], partner_score)
