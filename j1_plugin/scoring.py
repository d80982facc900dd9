"""From parsed judgments to per-pair outcomes to J1 metrics; shared by lm-eval and ``j1 score``.

Stage 1, :func:`score_pair`: the judgments of one pair (every order or side, every sample)
become a :class:`PairOutcome`. Each judged order gets one outcome relative to the chosen
response: ``correct``, ``wrong``, ``tie`` or ``fail`` (nothing parseable). With several samples
per order the verdict is the majority vote (SC@N) or, for score formats, the verdict of the mean
scores (Mean-Score@N). A pointwise judge sees no order, so its one outcome stands for both.

Stage 2, :func:`j1_metrics` and each benchmark's ``official`` scorer: corpus-level numbers, in
percent, from a list of pair outcomes.

Not available is a result, never a made-up 0.0 or 100.0. A number is reported as ``None`` (lm-eval:
NaN; tables: "n/a") when nothing it would summarise was measured:

* an accuracy (``ab``, ``ba``, ``random_order``, ``consistent``) and ``tie_rate`` count every
  judged outcome of their kind, failures included (a failure is wrong, as in J1), but are ``None``
  when none of those outcomes parsed: 100% parse failures measure nothing;
* ``flip_rate`` is over the pairs whose two orders both parsed, ``None`` when there is none;
* ``parse_failure_rate`` is ``None`` only without judgments (100% failures is a measurement);
* a benchmark's official scores (:meth:`~j1_plugin.benchmarks.base.Benchmark.measured_official`)
  follow its own rule for failures whenever some judgment parsed, and are all ``None`` when no
  judgment parsed.

Failed judgments are also counted by reason code (:func:`failure_counts`; the codes are listed in
:mod:`j1_plugin.formats.parsing`).

The single random order of a pair is :func:`seeded_order`: a hash of the seed and the pair id,
so it is the same on every run and machine.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from j1_plugin.formats.base import verdict_from_scores
from j1_plugin.records import ORDERS, Judgment, Order, PreferencePair, Verdict

Outcome = Literal["correct", "wrong", "tie", "fail"]
Aggregate = Literal["vote", "mean_score"]
OUTCOMES: tuple[Outcome, ...] = ("correct", "wrong", "tie", "fail")
J1_KEYS = (
    "ab_accuracy",
    "ba_accuracy",
    "random_order_accuracy",
    "consistent_accuracy",
    "flip_rate",
    "tie_rate",
    "parse_failure_rate",
)
DEFAULT_SEED = 1234


def seeded_order(pair_id: str, seed: int = DEFAULT_SEED) -> Order:
    """The deterministic "random" order of a pair for single-order protocols."""
    digest = hashlib.sha256(f"{seed}:{pair_id}".encode()).digest()
    return ORDERS[digest[0] & 1]


def majority_verdict(judgments: Iterable[Judgment]) -> Verdict | None:
    """SC@N: the most frequent parsed verdict; a tie for first place between A and B is ``"tie"``."""
    counts = Counter(j.verdict for j in judgments if j.ok and j.verdict is not None)
    if not counts:
        return None
    top = max(counts.values())
    leaders = [verdict for verdict, count in counts.items() if count == top]
    return leaders[0] if len(leaders) == 1 else "tie"


def mean_score(judgments: Iterable[Judgment], key: str) -> float | None:
    """Mean of ``scores[key]`` over the parsed judgments that have it (Mean-Score@N)."""
    values = [j.scores[key] for j in judgments if j.ok and j.scores is not None and key in j.scores]
    return sum(values) / len(values) if values else None


def default_aggregate(fmt: Any) -> Aggregate:
    """SC@N by majority vote for verdict formats; Mean-Score@N for score-only and pointwise formats."""
    if fmt.kind == "pointwise" or not getattr(fmt, "asks_verdict", True):
        return "mean_score"
    return "vote"


def pairwise_verdict(judgments: Sequence[Judgment], aggregate: Aggregate = "vote") -> Verdict | None:
    """One verdict for one order from its samples."""
    if aggregate == "mean_score":
        return verdict_from_scores(mean_score(judgments, "A"), mean_score(judgments, "B"))
    if aggregate == "vote":
        return majority_verdict(judgments)
    raise ValueError(f"aggregate must be 'vote' or 'mean_score', got {aggregate!r}")


def outcome_of(verdict: Verdict | None, label: str) -> Outcome:
    """Judge the judge: did ``verdict`` name ``label``, the letter of the chosen response?"""
    if verdict is None:
        return "fail"
    if verdict == "tie":
        return "tie"
    return "correct" if verdict == label else "wrong"


@dataclass(frozen=True)
class PairOutcome:
    """Everything corpus-level scoring needs to know about one judged pair."""

    pair_id: str
    outcomes: Mapping[str, Outcome]
    random_order: Order
    group: str = ""
    cell: tuple[int, int] | None = None
    judgments: int = 0
    parse_failures: int = 0
    failure_reasons: Mapping[str, int] = field(default_factory=dict)
    # Pointwise judgments only: the (chosen, rejected) mean scores, ``None`` for a side that never parsed.
    scores: tuple[float | None, float | None] | None = None

    @property
    def measured(self) -> bool:
        """Some judged order (or the pointwise comparison) has a parsed outcome."""
        return any(outcome != "fail" for outcome in self.outcomes.values())

    @property
    def official_order(self) -> str:
        """The seeded order when it was judged, else the one order that was."""
        return self.random_order if self.random_order in self.outcomes else next(iter(self.outcomes))

    @property
    def single(self) -> Outcome:
        """The outcome under the single-random-order protocol."""
        return self.outcomes[self.official_order]

    @property
    def single_correct(self) -> bool:
        """Correct under the single-random-order protocol."""
        return self.single == "correct"

    @property
    def both_orders(self) -> bool:
        return all(order in self.outcomes for order in ORDERS)

    @property
    def consistent(self) -> bool:
        """Correct in both orders (position-consistent); ``False`` when an order was not judged."""
        return all(self.outcomes.get(order) == "correct" for order in ORDERS)

    def to_record(self) -> dict[str, Any]:
        return {
            "pair_id": self.pair_id,
            "outcomes": dict(self.outcomes),
            "random_order": self.random_order,
            "group": self.group,
            "cell": list(self.cell) if self.cell is not None else None,
            "judgments": self.judgments,
            "parse_failures": self.parse_failures,
            "failure_reasons": dict(self.failure_reasons),
            "scores": list(self.scores) if self.scores is not None else None,
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> PairOutcome:
        cell = record.get("cell")
        return cls(
            pair_id=record["pair_id"],
            outcomes=dict(record["outcomes"]),
            random_order=record["random_order"],
            group=record.get("group", ""),
            cell=tuple(cell) if cell is not None else None,
            judgments=record.get("judgments", 0),
            parse_failures=record.get("parse_failures", 0),
            failure_reasons=dict(record.get("failure_reasons", {})),
            scores=tuple(record["scores"]) if record.get("scores") is not None else None,
        )


@dataclass(frozen=True)
class JudgedItem:
    """One parsed judgment of a pair: which order (pairwise) or side (pointwise), which sample."""

    judgment: Judgment
    order: Order | None = None
    side: str | None = None
    sample: int = 0

    @classmethod
    def of(cls, judgment: Judgment, key: str, *, pointwise: bool, sample: int = 0) -> JudgedItem:
        """An item for ``key``: an order (``"AB"``/``"BA"``) or, for a pointwise judgment, a side."""
        return cls(judgment, order=None if pointwise else key, side=key if pointwise else None, sample=sample)


def score_pair(
    pair: PreferencePair,
    items: Sequence[JudgedItem],
    *,
    kind: Literal["pairwise", "pointwise"],
    aggregate: Aggregate = "vote",
    seed: int = DEFAULT_SEED,
) -> PairOutcome:
    """Reduce the judgments of one pair to its :class:`PairOutcome`."""
    if not items:
        raise ValueError(f"pair {pair.id!r} has no judgments to score")
    if kind == "pointwise":
        chosen = mean_score((i.judgment for i in items if i.side == "chosen"), "score")
        rejected = mean_score((i.judgment for i in items if i.side == "rejected"), "score")
        single = outcome_of(verdict_from_scores(chosen, rejected), "A")
        outcomes: dict[str, Outcome] = dict.fromkeys(ORDERS, single)
        scores = (chosen, rejected)
    else:
        scores = None
        outcomes = {}
        for order in ORDERS:
            judged = [i.judgment for i in items if i.order == order]
            if judged:
                outcomes[order] = outcome_of(pairwise_verdict(judged, aggregate), pair.label(order))
    return PairOutcome(
        pair_id=pair.id,
        outcomes=outcomes,
        random_order=seeded_order(pair.id, seed),
        group=str(pair.metadata.get("group", "")),
        cell=pair.metadata.get("cell"),
        judgments=len(items),
        parse_failures=sum(not i.judgment.ok for i in items),
        failure_reasons=Counter(failure_code(i.judgment) for i in items if not i.judgment.ok),
        scores=scores,
    )


def failure_code(judgment: Judgment) -> str:
    """The reason code of a failed judgment (its status value when the parser gave none)."""
    return judgment.reason_code or judgment.status.value


def failure_counts(pairs: Iterable[PairOutcome]) -> dict[str, int]:
    """Failed judgments by reason code over ``pairs``, most frequent first."""
    counts: Counter[str] = Counter()
    for pair in pairs:
        counts.update(pair.failure_reasons)
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def percent(numerator: float, denominator: float) -> float | None:
    return 100.0 * numerator / denominator if denominator else None


def measured_percent(hits: int, outcomes: Sequence[Outcome]) -> float | None:
    """``hits`` in percent of ``outcomes`` (failures included), or ``None`` when none of them parsed."""
    return percent(hits, len(outcomes)) if any(outcome != "fail" for outcome in outcomes) else None


def measured(pairs: Iterable[PairOutcome]) -> bool:
    """Some judgment of some pair parsed: there is something to report."""
    return any(pair.measured for pair in pairs)


def j1_metrics(pairs: Sequence[PairOutcome]) -> dict[str, float | None]:
    """J1's position-bias diagnostics in percent; ``None`` where nothing was measured (module docstring)."""
    ab = [p.outcomes["AB"] for p in pairs if "AB" in p.outcomes]
    ba = [p.outcomes["BA"] for p in pairs if "BA" in p.outcomes]
    singles = [p.single for p in pairs]
    both = [p for p in pairs if p.both_orders]
    both_parsed = [p for p in both if "fail" not in p.outcomes.values()]
    decisions = [outcome for p in pairs for outcome in p.outcomes.values()]
    return {
        "ab_accuracy": measured_percent(ab.count("correct"), ab),
        "ba_accuracy": measured_percent(ba.count("correct"), ba),
        "random_order_accuracy": measured_percent(singles.count("correct"), singles),
        "consistent_accuracy": percent(sum(p.consistent for p in both), len(both)) if measured(both) else None,
        "flip_rate": percent(
            sum({p.outcomes["AB"], p.outcomes["BA"]} == {"correct", "wrong"} for p in both_parsed), len(both_parsed)
        ),
        "tie_rate": measured_percent(decisions.count("tie"), decisions),
        "parse_failure_rate": percent(sum(p.parse_failures for p in pairs), sum(p.judgments for p in pairs)),
    }


def mean_by_group(
    pairs: Iterable[PairOutcome], value: Callable[[PairOutcome], float], group: Callable[[PairOutcome], str]
) -> dict[str, float]:
    """Mean of ``value`` (a 0..1 result per pair) within each group, in percent."""
    totals: dict[str, list[float]] = {}
    for pair in pairs:
        totals.setdefault(group(pair), []).append(value(pair))
    return {name: 100.0 * sum(values) / len(values) for name, values in totals.items()}


@dataclass
class OfficialScores:
    """A benchmark's official numbers (percent) and the parts absent from the judged data."""

    scores: dict[str, Any] = field(default_factory=dict)
    absent: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def fill(self, keys: Iterable[str], values: Mapping[str, float]) -> None:
        """Report each of ``keys`` from ``values``, or list it as absent when the data has none."""
        for key in keys:
            if key in values:
                self.scores[key] = values[key]
            else:
                self.absent.append(key)

    def not_available(self) -> OfficialScores:
        """The same keys with every number replaced by ``None`` (nothing was measured)."""
        return OfficialScores(_blank(self.scores), list(self.absent), _blank(self.details))


def _blank(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _blank(inner) for key, inner in value.items()}
    if isinstance(value, (list, tuple)):
        return [_blank(inner) for inner in value]
    return None if isinstance(value, (int, float)) and not isinstance(value, bool) else value


def plain_mean(values: Iterable[float]) -> float | None:
    values = list(values)
    return sum(values) / len(values) if values else None
