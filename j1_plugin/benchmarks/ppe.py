"""PPE (Preference Proxy Evaluations): human preference and best-of-K correctness.

Human preference (``lmarena-ai/PPE-Human-Preference-V1``, split ``test``): rows whose ``winner``
is ``model_a`` or ``model_b``. Ties (a ``winner`` that starts with ``tie``, such as ``tie`` or
``tie (bothbad)``) are skipped and counted as ``tie_rows``; any other ``winner`` is an error naming
the row. Pair id: the row's ``question_id``. ``"AB"`` shows ``response_1`` (model_a's answer)
first. Official: accuracy under one seeded order.

Correctness (five ``lmarena-ai/PPE-<domain>-Best-of-K`` datasets, split ``train``): each row
holds ``response_1`` … ``response_32``, their ``scores`` (correct or not) and
``sampled_conflict_pairs`` [i, j] (0-based, exactly one correct). Pair id:
``<domain>:<question_id>:<i>:<j>``; ``"AB"`` shows ``response_{i+1}`` first. Official
(EvalPlanner/J1 protocol): accuracy per domain under one seeded order, overall = plain mean of
the domains present. A local file holds rows of any domains, each with a ``domain`` field
(``mmlu-pro``, ``math``, ``gpqa``, ``mbpp-plus``, ``ifeval``), unless the task names one domain.
A row whose ``sampled_conflict_pairs`` is empty (all 32 responses right, or all wrong) gives no pair
and is counted as ``rows_without_conflict_pairs``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from j1_plugin.benchmarks.base import Benchmark, Pairs, RowReader, load_hub_rows, pair_from_positions, read_table
from j1_plugin.scoring import OfficialScores, PairOutcome, mean_by_group, percent, plain_mean

CORRECTNESS_HUB_IDS = {
    "mmlu-pro": "lmarena-ai/PPE-MMLU-Pro-Best-of-K",
    "math": "lmarena-ai/PPE-MATH-Best-of-K",
    "gpqa": "lmarena-ai/PPE-GPQA-Best-of-K",
    "mbpp-plus": "lmarena-ai/PPE-MBPP-Plus-Best-of-K",
    "ifeval": "lmarena-ai/PPE-IFEval-Best-of-K",
}
DOMAINS = tuple(CORRECTNESS_HUB_IDS)
RESPONSES_PER_ROW = 32


class PPEPreference(Benchmark):
    name = "ppe-preference"
    title = "PPE human preference"
    hub_id = "lmarena-ai/PPE-Human-Preference-V1"
    default_split = "test"
    pair_id_rule = "the row's `question_id`"
    official_keys = ("accuracy",)
    skip_reasons = ("tie_rows",)

    def pairs_from_rows(self, rows: Iterable[Mapping[str, Any]], **options: Any) -> Pairs:
        pairs = Pairs(skipped={"tie_rows": 0})
        for index, row in enumerate(rows):
            read = RowReader(self.name, row, index, "question_id")
            winner = read.text("winner")
            if winner.startswith("tie"):
                pairs.skipped["tie_rows"] += 1  # ties are not judged
                continue
            if winner not in ("model_a", "model_b"):
                expected = "expected 'model_a', 'model_b' or a tie ('tie', 'tie (bothbad)')"
                raise read.fail("winner", f"is {winner!r}; {expected}")
            pairs.append(
                pair_from_positions(
                    read.identifier("question_id"),
                    read.text("prompt"),
                    read.text("response_1"),
                    read.text("response_2"),
                    better="A" if winner == "model_a" else "B",
                    metadata={"group": "all"},
                )
            )
        return pairs

    def official(self, outcomes: Sequence[PairOutcome], **options: Any) -> OfficialScores:
        return OfficialScores({"accuracy": percent(sum(p.single_correct for p in outcomes), len(outcomes))})


class PPECorrectness(Benchmark):
    name = "ppe-correctness"
    title = "PPE correctness"
    default_split = "train"
    pair_id_rule = "`<domain>:<question_id>:<i>:<j>` for conflict pair [i, j] (0-based response indices)"
    official_keys = ("overall", *DOMAINS)
    pair_option_names = ("domains",)
    skip_reasons = ("rows_without_conflict_pairs",)

    def official_key_names(self, domains: Any = None, **options: Any) -> tuple[str, ...]:
        return ("overall", *self._domains(domains))

    def _domains(self, domains: Sequence[str] | str | None) -> tuple[str, ...]:
        if domains is None:
            return DOMAINS
        if isinstance(domains, str) and domains.startswith("["):  # a JSON list given on a command line
            domains = json.loads(domains)
        chosen = (domains,) if isinstance(domains, str) else tuple(domains)
        unknown = [d for d in chosen if d not in DOMAINS]
        if unknown:
            raise ValueError(f"{self.name}: unknown domain(s) {unknown}; expected among {', '.join(DOMAINS)}")
        return chosen

    def load_rows(
        self, data_file: str | os.PathLike[str] | None = None, split: str | None = None, domains: Any = None
    ) -> list[dict]:
        selected = self._domains(domains)
        if data_file is not None:
            rows = read_table(data_file, self.name)
            if len(selected) == 1:
                rows = [{"domain": selected[0], **row} if isinstance(row, dict) else row for row in rows]
            return rows
        rows = []
        for domain in selected:
            rows += [{**row, "domain": domain} for row in load_hub_rows(CORRECTNESS_HUB_IDS[domain], split or "train")]
        return rows

    def load_pairs(self, data_file=None, split=None, domains=None, **options: Any) -> Pairs:
        selected = set(self._domains(domains))
        rows = [
            row
            for row in self.load_rows(data_file, split, domains)
            if not isinstance(row, Mapping) or row.get("domain") in selected or row.get("domain") not in DOMAINS
        ]
        return self.checked(self.pairs_from_rows(rows, **options))

    def pairs_from_rows(self, rows: Iterable[Mapping[str, Any]], **options: Any) -> Pairs:
        pairs = Pairs(skipped={"rows_without_conflict_pairs": 0})
        for index, row in enumerate(rows):
            read = RowReader(self.name, row, index, "question_id")
            domain = read.choice("domain", DOMAINS)
            question_id, prompt = read.identifier("question_id"), read.text("prompt")
            correct = read.get("scores", (list, tuple))
            if len(correct) != RESPONSES_PER_ROW:
                raise read.fail("scores", f"must hold {RESPONSES_PER_ROW} booleans, got {len(correct)}")
            for position, flag in enumerate(correct):
                if not isinstance(flag, bool):
                    raise read.fail("scores", f"item {position} must be a boolean, got {type(flag).__name__}")
            conflicts = read.get("sampled_conflict_pairs", (list, tuple))
            if not conflicts:
                pairs.skipped["rows_without_conflict_pairs"] += 1
            for position, conflict in enumerate(conflicts):
                if (
                    not isinstance(conflict, (list, tuple))
                    or len(conflict) != 2
                    or not all(isinstance(k, int) and 0 <= k < RESPONSES_PER_ROW for k in conflict)
                ):
                    raise read.fail("sampled_conflict_pairs", f"item {position} must be a pair of indices 0..31")
                i, j = conflict
                if bool(correct[i]) == bool(correct[j]):
                    raise read.fail("sampled_conflict_pairs", f"item {position} {[i, j]} is not a conflict pair")
                pairs.append(
                    pair_from_positions(
                        f"{domain}:{question_id}:{i}:{j}",
                        prompt,
                        read.text(f"response_{i + 1}"),
                        read.text(f"response_{j + 1}"),
                        better="A" if correct[i] else "B",
                        metadata={"group": domain},
                    )
                )
        return pairs

    def official(self, outcomes: Sequence[PairOutcome], **options: Any) -> OfficialScores:
        by_domain = mean_by_group(outcomes, lambda p: p.single_correct, lambda p: p.group)
        result = OfficialScores()
        result.fill(DOMAINS, by_domain)
        result.scores["overall"] = plain_mean(by_domain[d] for d in DOMAINS if d in by_domain)
        return result
