"""Offline re-scoring of saved judgments (``j1 score``), with the evaluation's own scoring code.

Judgments file: JSONL, one judgment per line.

* pairwise: ``pair_id`` (string), ``order`` (``"AB"`` as in the dataset, ``"BA"`` swapped) and
  either ``output`` (the judge's raw text, parsed with the run's format) or ``verdict``
  (``"A"``, ``"B"``, ``"tie"`` or ``null``, in the frame the judge saw);
* pointwise: ``pair_id``, ``side`` (``"chosen"`` or ``"rejected"``) and either ``output`` or
  ``score`` (a number, or ``null`` for a failed judgment);
* optional ``sample`` (a whole number from 0) numbers the samples of SC@N / Mean-Score@N.

Every (pair, order or side, sample) is judged once: a repeated one is an error naming both lines.
A score must lie in 0..10. A line with both ``output`` and ``verdict`` (or ``score``) is accepted
when the format reads the same decision from the output, and is an error otherwise.

The ``samples_<task>_*.jsonl`` file that ``lm_eval --log_samples`` writes for a J1 task is read as
it is: its raw responses are re-parsed with the run's format, and its documents are the pairs.

Pair ids are each benchmark's documented ids (see ``j1_plugin.benchmarks``).

The report holds the official and J1 numbers in percent (``None`` where nothing was measured;
see :mod:`j1_plugin.scoring`) and ``failures``: failed judgments by reason code (the parser's
codes, see :mod:`j1_plugin.formats.parsing`, plus ``recorded_failure`` for a line whose
``verdict`` or ``score`` is ``null``), and ``skipped_rows``: the benchmark rows its own rules
leave out (PPE's ties, say), by reason.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from j1_plugin.benchmarks.base import Benchmark, skipped_counts
from j1_plugin.errors import shown
from j1_plugin.files import iter_jsonl
from j1_plugin.formats import JudgmentFormat
from j1_plugin.formats.parsing import MAX_SCORE, MIN_SCORE
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


@dataclass
class SavedJudgments:
    """The lines of a judgments file; an lm-eval samples file also brings its pairs and format."""

    lines: list[tuple[int, dict[str, Any]]]
    pairs: list[PreferencePair] | None = None
    format: str | None = None


def read_judgments(path: str | os.PathLike[str]) -> SavedJudgments:
    """A judgments JSONL file, or the ``samples_<task>_*.jsonl`` file of ``lm_eval --log_samples``.

    A samples line (one pair: its document, the raw responses and the run's per-judgment detail)
    becomes one judgment line per response, with the raw ``output`` re-parsed by the run's format;
    the documents are the pairs, so no data file is needed.
    """
    lines: list[tuple[int, dict[str, Any]]] = []
    docs: list[dict[str, Any]] = []
    formats: set[str] = set()
    for number, value in iter_jsonl(path, JudgmentsFileError):
        if not isinstance(value, dict):
            raise JudgmentsFileError(f"{path} line {number}: expected a JSON object, got {type(value).__name__}")
        if "resps" in value and "doc" in value:
            lines += _sample_lines(f"{path} line {number}", number, value, docs, formats)
        else:
            lines.append((number, value))
    if len(formats) > 1:
        raise JudgmentsFileError(f"{path}: samples of several formats ({', '.join(sorted(formats))}); score one run")
    if not docs:
        return SavedJudgments(lines)
    from j1_plugin.lmeval.task import doc_to_pair

    pairs = []
    for number, doc in docs:
        try:
            pairs.append(doc_to_pair(doc))
        except (KeyError, TypeError, ValueError) as exc:
            raise JudgmentsFileError(f"{path} line {number}: the sample's 'doc' is not a J1 pair ({exc})") from None
    return SavedJudgments(lines, pairs, formats.pop())


def _sample_lines(
    where: str, number: int, sample: Mapping[str, Any], docs: list, formats: set[str]
) -> list[tuple[int, dict[str, Any]]]:
    """The judgment lines of one lm-eval sample line (see :func:`read_judgments`)."""
    detail, doc, resps = sample.get("pairs"), sample["doc"], sample["resps"]
    if not isinstance(detail, Mapping) or not isinstance(detail.get("judgments"), list):
        raise JudgmentsFileError(f"{where}: an lm-eval sample without the 'pairs' detail of a J1 judge task")
    judgments = detail["judgments"]
    if not isinstance(resps, list) or len(resps) != len(judgments):
        raise JudgmentsFileError(f"{where}: 'resps' must hold one response per judgment ({len(judgments)})")
    if not isinstance(doc, Mapping) or doc.get("pair_id") != detail.get("pair_id"):
        raise JudgmentsFileError(f"{where}: the sample's 'doc' and 'pairs' name different pairs")
    if not isinstance(detail.get("format"), str):
        raise JudgmentsFileError(f"{where}: the 'pairs' detail does not name its format")
    formats.add(detail["format"])
    docs.append((number, doc))
    lines = []
    for judgment, response in zip(judgments, resps, strict=True):
        texts = response if isinstance(response, list) else [response]
        if len(texts) != 1 or not isinstance(texts[0], str) or not isinstance(judgment, Mapping):
            raise JudgmentsFileError(f"{where}: each response in 'resps' must be one text")
        key = "side" if "side" in judgment else "order"
        line = {"pair_id": detail["pair_id"], key: judgment.get(key), "sample": judgment.get("sample"),
                "output": texts[0]}  # fmt: skip
        lines.append((number, line))
    return lines


def _judged_item(
    where: str, line: Mapping[str, Any], pointwise: bool, fmt: JudgmentFormat | None
) -> tuple[tuple[str, str, int], JudgedItem]:
    """((pair id, order or side, sample), item) of one line, every field checked."""
    pair_id = line.get("pair_id")
    if not isinstance(pair_id, str) or not pair_id.strip():
        raise JudgmentsFileError(f"{where}: 'pair_id' must be a non-empty string, got {shown(pair_id)}")
    sample = line.get("sample", 0)
    if not isinstance(sample, int) or isinstance(sample, bool) or sample < 0:
        raise JudgmentsFileError(f"{where}: 'sample' must be a whole number from 0, got {shown(sample)}")
    key_name, allowed = ("side", SIDES) if pointwise else ("order", ORDERS)
    key = line.get(key_name)
    if key not in allowed:
        raise JudgmentsFileError(f"{where}: '{key_name}' must be one of {', '.join(allowed)}, got {shown(key)}")
    recorded_name = "score" if pointwise else "verdict"
    recorded = (_score_judgment if pointwise else _verdict_judgment)(where, line) if recorded_name in line else None
    if "output" in line:
        if not isinstance(line["output"], str):
            raise JudgmentsFileError(f"{where}: 'output' must be a string, got {type(line['output']).__name__}")
        if fmt is None:
            raise JudgmentsFileError(f"{where}: has 'output' text; pass --format to parse it")
        judgment = fmt.parse(line["output"])
        if recorded is not None and _decision(recorded, pointwise) != _decision(judgment, pointwise):
            raise JudgmentsFileError(
                f"{where}: '{recorded_name}' is {shown(line[recorded_name])} but format {fmt.name!r} reads "
                f"{shown(_decision(judgment, pointwise))} from 'output'; keep one of them, or make them agree"
            )
    elif recorded is not None:
        judgment = recorded
    else:
        raise JudgmentsFileError(f"{where}: needs 'output' or '{recorded_name}'")
    return (pair_id, key, sample), JudgedItem.of(judgment, key, pointwise=pointwise, sample=sample)


def _decision(judgment: Judgment, pointwise: bool) -> Any:
    return judgment.score if pointwise else judgment.verdict


def _verdict_judgment(where: str, line: Mapping[str, Any]) -> Judgment:
    verdict = line["verdict"]
    if verdict is None:
        return Judgment(raw="", status=ParseStatus.NO_ANSWER, reason="verdict is null", reason_code=RECORDED_FAILURE)
    if verdict not in VERDICTS:
        raise JudgmentsFileError(f"{where}: 'verdict' must be 'A', 'B', 'tie' or null, got {shown(verdict)}")
    return Judgment(raw="", status=ParseStatus.OK, verdict=verdict)


def _score_judgment(where: str, line: Mapping[str, Any]) -> Judgment:
    score = line["score"]
    if score is None:
        return Judgment(raw="", status=ParseStatus.NO_ANSWER, reason="score is null", reason_code=RECORDED_FAILURE)
    if isinstance(score, bool) or not isinstance(score, (int, float)) or not MIN_SCORE <= score <= MAX_SCORE:
        raise JudgmentsFileError(
            f"{where}: 'score' must be a number in {MIN_SCORE:g}..{MAX_SCORE:g} or null, got {shown(score)}"
        )
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
    first_line: dict[tuple[str, str, int], int] = {}
    for number, line in lines:
        where = f"{source} line {number}"
        key, item = _judged_item(where, line, pointwise, fmt)
        pair_id, order_or_side, sample = key
        if pair_id not in by_id:
            raise JudgmentsFileError(f"{where}: pair_id {shown(pair_id)} is not a pair of {benchmark.name}")
        if key in first_line:
            raise JudgmentsFileError(
                f"{where}: repeats the judgment of line {first_line[key]} (pair {pair_id!r}, "
                f"{'side' if pointwise else 'order'} {order_or_side}, sample {sample}); each is judged once"
            )
        first_line[key] = number
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
        "skipped_rows": skipped_counts(pairs),
        "seed": seed,
        "aggregate": aggregate,
    }
    if official.details:
        report["details"] = official.details
    return report


def load_judged(
    benchmark_name: str,
    path: str | os.PathLike[str],
    *,
    data: str | None = None,
    split: str | None = None,
    format: str | None = None,
    template: str | None = None,
) -> tuple[Benchmark, list[PreferencePair], list[tuple[int, dict[str, Any]]], JudgmentFormat | None]:
    """A judgments file with what scoring it needs: the benchmark, its pairs, the lines and the format.

    The pairs are an lm-eval samples file's own documents, else ``data`` (or the hub).
    """
    from j1_plugin.plugins import get_benchmark, get_format

    benchmark = get_benchmark(benchmark_name)
    saved = read_judgments(path)
    if saved.format is not None and format not in (None, saved.format):
        raise JudgmentsFileError(f"{path}: the run judged with format {saved.format!r}, not --format {format!r}")
    if saved.pairs is not None and data is None:
        pairs = saved.pairs  # an lm-eval samples file carries its documents
    else:
        pairs = benchmark.load_pairs(data, split, **benchmark.rescoring_options)
    recorded = {line.get("format") for _, line in saved.lines if "output" in line}
    if format is None and len(recorded) > 1:
        raise JudgmentsFileError(f"{path}: lines of several formats ({sorted(map(str, recorded))})")
    name = format or saved.format or (recorded.pop() if recorded and None not in recorded else None)
    fmt = get_format(name, template=template) if name else None
    lines = saved.lines
    if fmt is None and any("output" in line for _, line in lines):
        fmt = get_format("pos" if any("side" in line for _, line in lines) else "pav")
    return benchmark, pairs, lines, fmt


def first_samples(lines: Sequence[tuple[int, dict[str, Any]]], count: int) -> list[tuple[int, dict[str, Any]]]:
    """The lines of samples ``0 .. count - 1`` (SC@N for N = ``count``); other lines are left to the checks."""
    return [(number, line) for number, line in lines
            if not isinstance(line.get("sample", 0), int) or line.get("sample", 0) < count]  # fmt: skip
