"""JudgeBench (``ScalerLab/JudgeBench``, split ``gpt``: 350 pairs; ``claude``: 270).

Pair id: the row's ``pair_id``. ``"AB"`` shows ``response_A`` first, as in the dataset; the
``label`` (``A>B`` or ``B>A``) says which response is better.
Official rule: each judged order scores +1 when its verdict (mapped back to the dataset frame)
matches the label, -1 when it names the other response, 0 for a tie or unparseable output; a
pair is correct when the sum is positive. Overall is over all pairs; a category uses the pairs
whose ``source`` starts with its prefix.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from j1_plugin.benchmarks.base import Benchmark, RowReader, pair_from_positions
from j1_plugin.records import PreferencePair
from j1_plugin.scoring import OfficialScores, PairOutcome, mean_by_group, percent

CATEGORIES = ("mmlu-pro", "livebench-reasoning", "livebench-math", "livecodebench")
VOTE = {"correct": 1, "wrong": -1, "tie": 0, "fail": 0}


def category_of(source: str) -> str | None:
    return next((c for c in CATEGORIES if source.startswith(c)), None)


def net_vote_correct(pair: PairOutcome) -> float:
    """The official per-pair decision: the votes of all judged orders sum to more than zero."""
    return float(sum(VOTE[outcome] for outcome in pair.outcomes.values()) > 0)


class JudgeBench(Benchmark):
    name = "judgebench"
    title = "JudgeBench"
    hub_id = "ScalerLab/JudgeBench"
    default_split = "gpt"
    splits = ("gpt", "claude")
    pair_id_rule = "the row's `pair_id`"
    official_keys = ("overall", *CATEGORIES)
    single_order_official = False

    def pairs_from_rows(self, rows: Iterable[Mapping[str, Any]], **options: Any) -> list[PreferencePair]:
        pairs = []
        for index, row in enumerate(rows):
            read = RowReader(self.name, row, index, "pair_id")
            source = read.text("source")
            category = category_of(source)
            if category is None:
                raise read.fail("source", f"is {source!r}; expected a prefix among {', '.join(CATEGORIES)}")
            label = read.choice("label", ("A>B", "B>A"))
            pairs.append(
                pair_from_positions(
                    read.identifier("pair_id"),
                    read.text("question"),
                    read.text("response_A"),
                    read.text("response_B"),
                    better=label[0],
                    metadata={"group": category, "source": source},
                )
            )
        return pairs

    def official(self, outcomes: Sequence[PairOutcome], **options: Any) -> OfficialScores:
        result = OfficialScores()
        result.scores["overall"] = percent(sum(map(net_vote_correct, outcomes)), len(outcomes))
        result.fill(CATEGORIES, mean_by_group(outcomes, net_vote_correct, lambda p: p.group))
        return result
