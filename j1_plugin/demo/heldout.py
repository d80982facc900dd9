"""Judge held-out pairs in both orders and report J1's metrics with 95% intervals.

The numbers come from the same code as every benchmark: :func:`j1_plugin.scoring.score_pair` turns
each pair's two judgments into outcomes and :func:`j1_plugin.scoring.j1_metrics` into percentages.
This module adds the intervals (:mod:`j1_plugin.statistics`) and keeps the raw judgments so a
reader can see what the judge wrote.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tqdm.auto import tqdm

from j1_plugin.formats import JudgmentFormat
from j1_plugin.judges import Sampling, judge_requests
from j1_plugin.judges.base import Judge
from j1_plugin.records import Judgment, JudgmentRequest, PreferencePair
from j1_plugin.scoring import JudgedItem, PairOutcome, failure_counts, j1_metrics, score_pair
from j1_plugin.statistics import Interval, paired_difference, wilson_interval

# The metrics a before/after table shows, in this order (keys of j1_metrics).
# A pointwise judge never flips (each response is scored once) but can tie; a ``pav`` judge never ties.
REPORTED = ("consistent_accuracy", "ab_accuracy", "ba_accuracy", "flip_rate", "tie_rate", "parse_failure_rate")


@dataclass(frozen=True)
class HeldoutResult:
    """One judge on one set of pairs: outcomes per pair, J1 metrics, and every judgment."""

    name: str
    pairs: Sequence[PreferencePair]
    outcomes: Sequence[PairOutcome]
    judged: Sequence[tuple[JudgmentRequest, Judgment]]

    @property
    def metrics(self) -> dict[str, float | None]:
        return j1_metrics(self.outcomes)

    @property
    def consistent(self) -> list[bool]:
        """Per pair: correct in both orders."""
        return [outcome.consistent for outcome in self.outcomes]

    def interval(self, key: str) -> Interval | None:
        """95% interval of a rate over pairs (accuracies) or judgments (parse failures)."""
        outcomes = self.outcomes
        if key == "consistent_accuracy":
            return wilson_interval(sum(self.consistent), len(outcomes))
        if key in ("ab_accuracy", "ba_accuracy"):
            order = key[:2].upper()
            return wilson_interval(sum(o.outcomes.get(order) == "correct" for o in outcomes), len(outcomes))
        if key == "parse_failure_rate":
            return wilson_interval(sum(o.parse_failures for o in outcomes), sum(o.judgments for o in outcomes))
        if key == "tie_rate":
            decisions = [outcome for o in outcomes for outcome in o.outcomes.values()]
            if all(outcome == "fail" for outcome in decisions):
                return None
            return wilson_interval(decisions.count("tie"), len(decisions))
        if key == "flip_rate":
            both = [o for o in outcomes if "fail" not in o.outcomes.values()]
            if not both:
                return None
            flips = sum(set(o.outcomes.values()) == {"correct", "wrong"} for o in both)
            return wilson_interval(flips, len(both))
        raise KeyError(key)

    def failures(self) -> dict[str, int]:
        return failure_counts(self.outcomes)

    def summary(self) -> dict[str, Any]:
        """The JSON-ready metrics in percent (``None`` = not available) plus the pair count."""
        metrics = self.metrics
        return {**{key: _rounded(metrics[key]) for key in REPORTED}, "pairs": len(self.outcomes)}


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def judge_heldout(
    name: str,
    judge: Judge,
    fmt: JudgmentFormat,
    pairs: Sequence[PreferencePair],
    sampling: Sampling,
    *,
    chunk: int | None = None,
    progress: bool = False,
) -> HeldoutResult:
    """Judge every pair with ``judge`` (greedy ``sampling`` for the J1 protocol).

    A pairwise format judges both orders; a pointwise one scores each response on its own, and the
    higher score wins (equal scores are a tie, which counts as wrong).

    ``chunk`` requests go to the judge at a time (default: all at once); ``progress`` shows a bar.
    """
    pointwise = fmt.kind == "pointwise"
    requests = [request for pair in pairs for request in fmt.requests(pair)]
    size = chunk or len(requests) or 1
    judgments: list[Judgment] = []
    with tqdm(total=len(requests), desc=f"judging ({name})", unit="judgment", disable=not progress,
              leave=False) as bar:  # fmt: skip
        for start in range(0, len(requests), size):
            batch = requests[start : start + size]
            judgments += [samples[0] for samples in judge_requests(judge, fmt, batch, sampling)]
            bar.update(len(batch))
    by_pair: dict[str, list[JudgedItem]] = {}
    for request, judgment in zip(requests, judgments, strict=True):
        key = request.side if pointwise else request.order
        by_pair.setdefault(request.pair_id, []).append(JudgedItem.of(judgment, key, pointwise=pointwise))
    outcomes = [score_pair(pair, by_pair[pair.id], kind=fmt.kind) for pair in pairs]
    return HeldoutResult(name, list(pairs), outcomes, list(zip(requests, judgments, strict=True)))


def difference(after: HeldoutResult, before: HeldoutResult) -> Interval:
    """Consistent accuracy of ``after`` minus ``before`` on the same pairs, with its 95% interval."""
    if [o.pair_id for o in after.outcomes] != [o.pair_id for o in before.outcomes]:
        raise ValueError(f"{after.name!r} and {before.name!r} were judged on different pairs")
    return paired_difference(after.consistent, before.consistent)


def comparison_table(results: Sequence[HeldoutResult]) -> list[str]:
    """One row per metric, one column per judge: ``estimate [low, high]`` in percent, or n/a."""
    width = 24
    lines = [f"  {'metric (percent, 95% CI)':<26}" + "".join(f"{r.name:>{width}}" for r in results)]
    for key in REPORTED:
        cells = []
        for result in results:
            value = result.metrics[key]
            interval = result.interval(key)
            cells.append("n/a" if value is None or interval is None else str(interval))
        lines.append(f"  {key:<26}" + "".join(f"{cell:>{width}}" for cell in cells))
    lines.append(f"  {'pairs':<26}" + "".join(f"{len(r.outcomes):>{width}}" for r in results))
    return lines


def by_family(result: HeldoutResult) -> Mapping[str, tuple[int, int]]:
    """Consistent pairs and all pairs per ``metadata['family']`` of the pairs."""
    counts: dict[str, list[int]] = {}
    for pair, outcome in zip(result.pairs, result.outcomes, strict=True):
        family = counts.setdefault(str(pair.metadata.get("family", "")), [0, 0])
        family[0] += outcome.consistent
        family[1] += 1
    return {name: (hits, total) for name, (hits, total) in counts.items()}
