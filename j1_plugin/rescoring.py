"""Offline re-scoring of saved judgments (``j1 score``), with the evaluation's own scoring code.

Judgments file: JSONL, one judgment per line.

* pairwise: ``pair_id`` (string), ``order`` (``"AB"`` as in the dataset, ``"BA"`` swapped) and
  either ``output`` (the judge's raw text, parsed with the run's format) or ``verdict``
  (``"A"``, ``"B"``, ``"tie"`` or ``null``, in the frame the judge saw);
* pointwise: ``pair_id``, ``side`` (``"chosen"`` or ``"rejected"``) and either ``output`` or
  ``score`` (a number, or ``null`` for a failed judgment);
* optional ``sample`` (integer) numbers the samples of SC@N / Mean-Score@N.

Pair ids are each benchmark's documented ids (see ``j1_plugin.benchmarks``).

The report holds the official and J1 numbers in percent (``None`` where nothing was measured;
see :mod:`j1_plugin.scoring`) and ``failures``: failed judgments by reason code (the parser's
codes, see :mod:`j1_plugin.formats.parsing`, plus ``recorded_failure`` for a line whose
``verdict`` or ``score`` is ``null``).
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from j1_plugin.benchmarks.base import Benchmark
from j1_plugin.formats import JudgmentFormat
from j1_plugin.records import ORDERS, SIDES, Judgment, ParseStatus, PreferencePair
from j1_plugin.scoring import (
    DEFAULT_SEED,
    JudgedItem,
    PairOutcome,
    default_aggregate,
    failure_counts,
    j1_metrics,
    score_pair,
)

VERDICTS = ("A", "B", "tie")
RECORDED_FAILURE = "recorded_failure"


class JudgmentsFileError(ValueError):
    """A line of a judgments file does not follow the documented schema."""


def read_judgment_lines(path: str | os.PathLike[str]) -> list[tuple[int, dict[str, Any]]]:
    """(line number, object) for every non-empty line of a JSONL judgments file."""
    lines = []
    with Path(path).open(encoding="utf-8") as handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                raise JudgmentsFileError(f"{path} line {number}: not valid JSON ({exc.msg})") from None
            if not isinstance(value, dict):
                raise JudgmentsFileError(f"{path} line {number}: expected a JSON object")
            lines.append((number, value))
    return lines


def _judged_item(
    where: str, line: Mapping[str, Any], pointwise: bool, fmt: JudgmentFormat | None
) -> tuple[str, JudgedItem]:
    pair_id = line.get("pair_id")
    if not isinstance(pair_id, str):
        raise JudgmentsFileError(f"{where}: 'pair_id' must be a string, got {pair_id!r}")
    sample = line.get("sample", 0)
    if not isinstance(sample, int) or isinstance(sample, bool):
        raise JudgmentsFileError(f"{where}: 'sample' must be an integer, got {sample!r}")
    key_name, allowed = ("side", SIDES) if pointwise else ("order", ORDERS)
    key = line.get(key_name)
    if key not in allowed:
        raise JudgmentsFileError(f"{where}: '{key_name}' must be one of {', '.join(allowed)}, got {key!r}")
    if "output" in line:
        if not isinstance(line["output"], str):
            raise JudgmentsFileError(f"{where}: 'output' must be a string")
        if fmt is None:
            raise JudgmentsFileError(f"{where}: has 'output' text; pass --format to parse it")
        judgment = fmt.parse(line["output"])
    elif pointwise:
        judgment = _score_judgment(where, line)
    else:
        judgment = _verdict_judgment(where, line)
    item = JudgedItem.of(judgment, key, pointwise=pointwise, sample=sample)
    return pair_id, item


def _verdict_judgment(where: str, line: Mapping[str, Any]) -> Judgment:
    if "verdict" not in line:
        raise JudgmentsFileError(f"{where}: needs 'output' or 'verdict'")
    verdict = line["verdict"]
    if verdict is None:
        return Judgment(raw="", status=ParseStatus.NO_ANSWER, reason="verdict is null", reason_code=RECORDED_FAILURE)
    if verdict not in VERDICTS:
        raise JudgmentsFileError(f"{where}: 'verdict' must be 'A', 'B', 'tie' or null, got {verdict!r}")
    return Judgment(raw="", status=ParseStatus.OK, verdict=verdict)


def _score_judgment(where: str, line: Mapping[str, Any]) -> Judgment:
    if "score" not in line:
        raise JudgmentsFileError(f"{where}: a pointwise line needs 'output' or 'score'")
    score = line["score"]
    if score is None:
        return Judgment(raw="", status=ParseStatus.NO_ANSWER, reason="score is null", reason_code=RECORDED_FAILURE)
    if isinstance(score, bool) or not isinstance(score, (int, float)):
        raise JudgmentsFileError(f"{where}: 'score' must be a number or null, got {score!r}")
    return Judgment(raw="", status=ParseStatus.OK, scores={"score": float(score)})


def rescore(
    benchmark: Benchmark,
    pairs: Sequence[PreferencePair],
    lines: Iterable[tuple[int, Mapping[str, Any]]],
    *,
    fmt: JudgmentFormat | None = None,
    aggregate: str | None = None,
    seed: int = DEFAULT_SEED,
    source: str = "judgments",
    **options: Any,
) -> dict[str, Any]:
    """Score saved judgments of ``pairs``: ``{"benchmark", "pairs", "official", "j1", "failures", ...}``."""
    lines = list(lines)
    pointwise = any("side" in line for _, line in lines)
    if pointwise and any("order" in line for _, line in lines):
        raise JudgmentsFileError(f"{source}: mixes pairwise ('order') and pointwise ('side') lines")
    if fmt is not None and (fmt.kind == "pointwise") != pointwise and any("output" in line for _, line in lines):
        kind = "pointwise" if pointwise else "pairwise"
        raise JudgmentsFileError(f"{source}: the lines are {kind} but format {fmt.name!r} is {fmt.kind}")
    by_id = {pair.id: pair for pair in pairs}
    items: dict[str, list[JudgedItem]] = defaultdict(list)
    for number, line in lines:
        where = f"{source} line {number}"
        pair_id, item = _judged_item(where, line, pointwise, fmt)
        if pair_id not in by_id:
            raise JudgmentsFileError(f"{where}: pair_id {pair_id!r} is not a pair of {benchmark.name}")
        items[pair_id].append(item)
    if aggregate is None:
        aggregate = "mean_score" if pointwise else default_aggregate(fmt) if fmt is not None else "vote"
    outcomes: list[PairOutcome] = [
        score_pair(by_id[pair_id], judged, kind="pointwise" if pointwise else "pairwise", aggregate=aggregate,
                   seed=seed)
        for pair_id, judged in items.items()
    ]  # fmt: skip
    if not outcomes:
        raise JudgmentsFileError(f"{source}: holds no judgments")
    official = benchmark.measured_official(outcomes, **options)
    report: dict[str, Any] = {
        "benchmark": benchmark.name,
        "pairs": len(outcomes),
        "official": official.scores,
        "j1": j1_metrics(outcomes),
        "failures": failure_counts(outcomes),
        "absent": official.absent,
        "unjudged_pairs": len(by_id) - len(outcomes),
        "judgments": sum(len(judged) for judged in items.values()),
        "seed": seed,
        "aggregate": aggregate,
    }
    if official.details:
        report["details"] = official.details
    return report
