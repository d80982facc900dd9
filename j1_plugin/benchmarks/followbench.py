"""FollowBenchEval: 205 instruction-following pairs (constraint levels 1-5), local file only.

No public copy exists, so the task reads a file you provide (``.jsonl``, ``.json`` or
``.parquet``) with one row per pair:

* ``id`` (string or integer): the pair id;
* ``prompt`` (string): the instruction with its constraints;
* ``chosen`` (string): the response that satisfies the constraints;
* ``rejected`` (string): the response that does not;
* ``level`` (integer 1-5, optional): the FollowBench constraint level.

``"AB"`` shows ``chosen`` first. Official (J1/EvalPlanner protocol): position-consistent
accuracy, i.e. correct in both orders, overall and per level (``level-1`` … ``level-5``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from j1_plugin.benchmarks.base import Benchmark, RowReader
from j1_plugin.records import PreferencePair
from j1_plugin.scoring import OfficialScores, PairOutcome, mean_by_group, percent

LEVELS = tuple(f"level-{n}" for n in range(1, 6))


class FollowBenchEval(Benchmark):
    name = "followbench"
    title = "FollowBenchEval"
    hub_id = None
    pair_id_rule = "the row's `id`"
    official_keys = ("overall", *LEVELS)
    single_order_official = False

    def pairs_from_rows(self, rows: Iterable[Mapping[str, Any]], **options: Any) -> list[PreferencePair]:
        pairs = []
        for index, row in enumerate(rows):
            read = RowReader(self.name, row, index, "id")
            level = read.get("level", int, optional=True)
            if level is not None and not 1 <= level <= 5:
                raise read.fail("level", f"is {level}; expected 1 to 5")
            pairs.append(
                PreferencePair(
                    id=read.identifier("id"),
                    prompt=read.text("prompt"),
                    chosen=read.text("chosen"),
                    rejected=read.text("rejected"),
                    metadata={"group": f"level-{level}" if level is not None else ""},
                )
            )
        return pairs

    def official(self, outcomes: Sequence[PairOutcome], **options: Any) -> OfficialScores:
        """Position-consistent accuracy over the pairs judged in both orders (none: reported absent)."""
        both = [p for p in outcomes if p.both_orders]
        result = OfficialScores()
        if not both:
            result.absent = ["overall", *LEVELS]
            return result
        result.scores["overall"] = percent(sum(p.consistent for p in both), len(both))
        result.fill(LEVELS, mean_by_group((p for p in both if p.group), lambda p: p.consistent, lambda p: p.group))
        return result
