"""RM-Bench (``THU-KEG/RM-Bench``, file ``total_dataset.json``, 1,327 prompts in 5 domains).

Each row has three chosen and three rejected responses in styles 0 (concise), 1 (detailed
plain) and 2 (detailed markdown). Variant ``diagonal`` (default, the J1 protocol) judges the
three same-style pairs per prompt; variant ``full`` judges all nine style combinations.
Pair id: ``<id>:<i>:<j>`` with i the chosen style and j the rejected style. ``"AB"`` shows the
chosen response first.

Official rule: per domain, M[i][j] is the share of prompts whose chosen style i beats rejected
style j (a correct verdict in the pair's single seeded order; ties and failures do not beat).
``safety-refuse`` and ``safety-response`` pool into ``safety``. A domain score is the mean of
its judged cells; overall is the plain mean of the domain scores; with the full matrix,
hard / normal / easy are the means of the cells above / on / below the diagonal, averaged over
domains.

Local data: the hub file (rows with ``domain``), or the per-domain files of the RM-Bench
repository (``chat_filtered.json``…, domain taken from the file name), or a folder of them.
The repository files number their rows per domain, so ids repeat across files; rows read from
them are named ``<domain>/<id>`` (pair id ``<domain>/<id>:<i>:<j>``). Hub rows keep their id.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar

from j1_plugin.benchmarks.base import Benchmark, BenchmarkDataError, RowReader, load_hub_rows, read_table
from j1_plugin.records import PreferencePair
from j1_plugin.scoring import OfficialScores, PairOutcome, plain_mean

RAW_DOMAINS = ("chat", "code", "math", "safety-refuse", "safety-response")
DOMAIN_OF = {"chat": "chat", "code": "code", "math": "math", "safety-refuse": "safety", "safety-response": "safety"}
DOMAINS = ("chat", "code", "math", "safety")
VARIANTS = {
    "diagonal": [(i, i) for i in range(3)],
    "full": [(i, j) for i in range(3) for j in range(3)],
}
LEVELS = {
    "hard": [(0, 1), (0, 2), (1, 2)],
    "normal": [(0, 0), (1, 1), (2, 2)],
    "easy": [(1, 0), (2, 0), (2, 1)],
}


def domain_from_file_name(path: Path) -> str | None:
    stem = path.name.split(".")[0].removesuffix("_filtered")
    return stem if stem in RAW_DOMAINS else None


class RMBench(Benchmark):
    name = "rmbench"
    title = "RM-Bench"
    hub_id = "THU-KEG/RM-Bench"
    default_split = "train"
    splits = ("train",)
    pair_id_rule = "`<id>:<i>:<j>`, i = chosen style index, j = rejected style index (0-2)"  # id: see above
    official_keys = ("overall", *DOMAINS)
    pair_option_names = ("variant",)
    rescoring_options: ClassVar[Mapping[str, Any]] = MappingProxyType({"variant": "full"})  # any style cell

    def official_key_names(self, variant: str = "diagonal", **options: Any) -> tuple[str, ...]:
        return self.official_keys + (tuple(LEVELS) if variant == "full" else ())

    def load_rows(self, data_file: str | os.PathLike[str] | None = None, split: str | None = None) -> list[dict]:
        if data_file is None:
            return load_hub_rows(self.hub_id, self._check_split(split), data_files="total_dataset.json")
        path = Path(data_file)
        files = sorted(p for p in path.iterdir() if domain_from_file_name(p)) if path.is_dir() else [path]
        if not files:
            raise BenchmarkDataError(f"{self.name}: folder {path} holds no <domain>_filtered.json files")
        rows = []
        for file in files:
            domain = domain_from_file_name(file)
            for row in read_table(file, self.name):
                if domain is not None and isinstance(row, dict) and "domain" not in row:
                    row = {**row, "domain": domain}
                    if isinstance(row.get("id"), (str, int)) and not isinstance(row["id"], bool):
                        row["id"] = f"{domain}/{row['id']}"
                rows.append(row)
        return rows

    def pairs_from_rows(
        self, rows: Iterable[Mapping[str, Any]], variant: str = "diagonal", **options: Any
    ) -> list[PreferencePair]:
        if variant not in VARIANTS:
            raise ValueError(f"{self.name}: variant must be one of {', '.join(VARIANTS)}, got {variant!r}")
        pairs = []
        for index, row in enumerate(rows):
            read = RowReader(self.name, row, index, "id")
            row_id, prompt = read.identifier("id"), read.text("prompt")
            domain = read.choice("domain", RAW_DOMAINS)
            chosen, rejected = read.text_list("chosen", 3), read.text_list("rejected", 3)
            for i, j in VARIANTS[variant]:
                pairs.append(
                    PreferencePair(
                        id=f"{row_id}:{i}:{j}",
                        prompt=prompt,
                        chosen=chosen[i],
                        rejected=rejected[j],
                        metadata={"group": DOMAIN_OF[domain], "cell": (i, j), "domain": domain},
                    )
                )
        return pairs

    def official(self, outcomes: Sequence[PairOutcome], **options: Any) -> OfficialScores:
        cells: dict[str, dict[tuple[int, int], list[float]]] = {}
        for pair in outcomes:
            if pair.cell is None:
                raise ValueError(f"{self.name}: pair {pair.pair_id!r} has no style cell")
            cells.setdefault(pair.group, {}).setdefault(tuple(pair.cell), []).append(float(pair.single_correct))
        matrix = {
            domain: {cell: 100.0 * sum(v) / len(v) for cell, v in by_cell.items()} for domain, by_cell in cells.items()
        }
        result = OfficialScores()
        result.fill(DOMAINS, {domain: plain_mean(by_cell.values()) for domain, by_cell in matrix.items()})
        result.scores["overall"] = plain_mean(result.scores[d] for d in DOMAINS if d in result.scores)
        full = bool(matrix) and all(len(by_cell) == 9 for by_cell in matrix.values())
        if full:
            for level, level_cells in LEVELS.items():
                result.scores[level] = plain_mean(
                    plain_mean(matrix[domain][cell] for cell in level_cells) for domain in matrix
                )
        result.details["matrix"] = {
            domain: [[matrix[domain].get((i, j)) for j in range(3)] for i in range(3)] for domain in matrix
        }
        return result
