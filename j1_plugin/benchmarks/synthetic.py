"""Synthetic benchmark rows in each benchmark's hub schema, made from verifiable arithmetic.

Every question is a sum with one right and one wrong worked answer, so a judge can be checked
and trained on them. The rows follow the field names, types and shapes of the real datasets
(documented in each benchmark module) but contain no real benchmark text. They
serve tests, the demo suite and the size benchmarks (``full=True`` gives official row counts).
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

from j1_plugin.benchmarks.ppe import DOMAINS as PPE_DOMAINS
from j1_plugin.benchmarks.ppe import RESPONSES_PER_ROW
from j1_plugin.benchmarks.rewardbench import SECTIONS
from j1_plugin.benchmarks.rewardbench2 import SIZES as REWARDBENCH2_ROWS
from j1_plugin.benchmarks.rmbench import RAW_DOMAINS
from j1_plugin.records import PreferencePair

REWARDBENCH_ROWS = {**{s: w for sec in SECTIONS.values() for s, w in sec.items()}, "math-prm": 447}
RMBENCH_ROWS = {"chat": 129, "code": 228, "math": 529, "safety-refuse": 284, "safety-response": 157}
PPE_CORRECTNESS_ROWS = {"mmlu-pro": 512, "math": 512, "gpqa": 512, "mbpp-plus": 507, "ifeval": 512}
JUDGEBENCH_SOURCES = ("mmlu-pro-physics", "livebench-reasoning", "livebench-math", "livecodebench")


class SumQuestion:
    """A sum question with right and wrong answers in three styles (RM-Bench style indices)."""

    def __init__(self, rng: random.Random, padding: int = 0) -> None:
        self.a, self.b = rng.randint(10, 99), rng.randint(10, 99)
        self.right = self.a + self.b
        self.wrong = self.right + rng.choice((-10, -2, -1, 1, 2, 10))
        self.padding = padding

    @property
    def prompt(self) -> str:
        return f"What is {self.a} + {self.b}?"

    def answer(self, value: int, style: int = 1) -> str:
        filler = " Adding the tens and then the ones keeps the sum easy to check." * self.padding
        if style == 0:
            return f"{value}"
        if style == 1:
            return f"First add the tens, then the ones: {self.a} + {self.b} = {value}.{filler} The answer is {value}."
        return f"**Working**\n\n- tens and ones: {self.a} + {self.b} = {value}\n{filler}\n\n**Answer:** {value}"


def arithmetic_pairs(count: int = 3, seed: int = 0, prefix: str = "sum") -> list[PreferencePair]:
    """Verifiable preference pairs: a sum question, the right worked answer and a wrong one."""
    rng = random.Random(seed)
    pairs = []
    for index in range(count):
        q = SumQuestion(rng)
        pairs.append(
            PreferencePair(
                id=f"{prefix}-{index}",
                prompt=q.prompt,
                chosen=q.answer(q.right),
                rejected=q.answer(q.wrong),
                metadata={"gold": str(q.right)},
            )
        )
    return pairs


def rewardbench_rows(per_subset: int = 2, *, full: bool = False, seed: int = 0, padding: int = 0) -> list[dict]:
    rng, rows = random.Random(seed), []
    for subset, count in REWARDBENCH_ROWS.items():
        for _ in range(count if full else per_subset):
            q = SumQuestion(rng, padding)
            rows.append(
                {
                    "prompt": q.prompt,
                    "chosen": q.answer(q.right),
                    "chosen_model": "synthetic-right",
                    "rejected": q.answer(q.wrong),
                    "rejected_model": "synthetic-wrong",
                    "subset": subset,
                    "id": len(rows),
                }
            )
    return rows


def rewardbench2_rows(per_subset: int = 1, *, full: bool = False, seed: int = 0) -> list[dict]:
    """RewardBench 2 rows: best-of-4 sums (one right, three wrong answers); Ties as ``ref:N``/``tied:N`` twins.

    ``full`` gives the official 1,865 rows (Ties: 51 twins); else ``per_subset`` rows per subset
    (Ties: that many twins).
    """
    rng, rows = random.Random(seed), []
    for subset, count in REWARDBENCH2_ROWS.items():
        if subset == "Ties":
            for number in range(count // 2 if full else per_subset):
                q = SumQuestion(rng)
                wrong = [q.answer(q.right + delta) for delta in (-3, 7)]
                for kind, chosen in (
                    ("ref", [q.answer(q.right)]),
                    ("tied", [q.answer(q.right), q.answer(q.right, 2), q.answer(q.right, 0)]),
                ):
                    rows.append({"id": f"{kind}:{number}", "subset": subset, "prompt": q.prompt, "chosen": chosen,
                                 "rejected": wrong, "num_correct": len(chosen), "num_rejected": len(wrong),
                                 "total_completions": len(chosen) + len(wrong), "models": ["synthetic"]})  # fmt: skip
            continue
        for _ in range(count if full else per_subset):
            q = SumQuestion(rng)
            wrong = [q.answer(q.right + delta) for delta in (-1, 2, 10)]
            rows.append({"id": str(len(rows)), "subset": subset, "prompt": q.prompt, "chosen": [q.answer(q.right)],
                         "rejected": wrong, "num_correct": 1, "num_rejected": 3, "total_completions": 4,
                         "models": ["synthetic"]})  # fmt: skip
    return rows


def judgebench_rows(count: int = 8, *, seed: int = 0) -> list[dict]:
    rng, rows = random.Random(seed), []
    for index in range(count):
        q = SumQuestion(rng)
        label = rng.choice(("A>B", "B>A"))
        right, wrong = q.answer(q.right), q.answer(q.wrong)
        rows.append(
            {
                "pair_id": f"synthetic-{index:04d}",
                "original_id": index if index % 3 else None,
                "source": JUDGEBENCH_SOURCES[index % len(JUDGEBENCH_SOURCES)],
                "question": q.prompt,
                "response_model": "synthetic",
                "response_A": right if label == "A>B" else wrong,
                "response_B": wrong if label == "A>B" else right,
                "label": label,
            }
        )
    return rows


def rmbench_rows(per_domain: int = 2, *, full: bool = False, seed: int = 0, with_domain: bool = True) -> list[dict]:
    rng, rows = random.Random(seed), []
    for domain in RAW_DOMAINS:
        for _ in range(RMBENCH_ROWS[domain] if full else per_domain):
            q = SumQuestion(rng)
            row = {
                "id": f"{domain}/{len(rows)}",
                "prompt": q.prompt,
                "chosen": [q.answer(q.right, style) for style in range(3)],
                "rejected": [q.answer(q.wrong, style) for style in range(3)],
            }
            rows.append({**row, "domain": domain} if with_domain else row)
    return rows


def ppe_preference_rows(count: int = 8, *, ties: int = 2, seed: int = 0) -> list[dict]:
    rng, rows = random.Random(seed), []
    for index in range(count + ties):
        q = SumQuestion(rng)
        tie = ("tie", "tie (bothbad)")[index % 2]
        winner = tie if index >= count else rng.choice(("model_a", "model_b"))
        first, second = (q.right, q.wrong) if winner != "model_b" else (q.wrong, q.right)
        rows.append(
            {
                "question_id": f"pref-{index:05d}",
                "model_a": "synthetic-a",
                "model_b": "synthetic-b",
                "winner": winner,
                "prompt": q.prompt,
                "response_1": q.answer(first),
                "response_2": q.answer(second),
                "language": "English",
                "is_code": False,
                "hard_prompt": False,
                "easy_prompt": True,
                "if_prompt": False,
                "math_prompt": True,
                "length_a": len(q.answer(first)),
                "length_b": len(q.answer(second)),
                "category_tag": {"math_v0.1": {"math": True}},
            }
        )
    return rows


def ppe_correctness_rows(
    per_domain: int = 2, *, full: bool = False, conflicts: int = 5, seed: int = 0, padding: int = 0
) -> list[dict]:
    rng, rows = random.Random(seed), []
    for domain in PPE_DOMAINS:
        for index in range(PPE_CORRECTNESS_ROWS[domain] if full else per_domain):
            q = SumQuestion(rng, padding)
            correct = [rng.random() < 0.5 for _ in range(RESPONSES_PER_ROW)]
            correct[0], correct[1] = True, False  # at least one conflict exists
            right_ids = [k for k, ok in enumerate(correct) if ok]
            wrong_ids = [k for k, ok in enumerate(correct) if not ok]
            pairs = set()
            while len(pairs) < conflicts:
                i, j = rng.choice(right_ids), rng.choice(wrong_ids)
                pairs.add((i, j) if rng.random() < 0.5 else (j, i))
            row: dict[str, Any] = {
                "question_id": f"{domain}-{index:05d}",
                "model_name": "synthetic",
                "prompt": q.prompt,
                "domain": domain,
                "scores": correct,
                "sampled_conflict_pairs": [list(pair) for pair in sorted(pairs)],
            }
            for k, ok in enumerate(correct):
                row[f"response_{k + 1}"] = q.answer(q.right if ok else q.wrong)
            rows.append(row)
    return rows


def followbench_rows(count: int = 5, *, seed: int = 0) -> list[dict]:
    rng, rows = random.Random(seed), []
    for index in range(count):
        q = SumQuestion(rng)
        level = index % 5 + 1
        rows.append(
            {
                "id": index,
                "prompt": f"{q.prompt} Answer in at most {level + 3} words.",
                "chosen": q.answer(q.right, 0),
                "rejected": q.answer(q.wrong, 0),
                "level": level,
            }
        )
    return rows


SMALL_SUITE = {
    "rewardbench": lambda: rewardbench_rows(1),
    "rewardbench2": lambda: rewardbench2_rows(1),
    "ppe-preference": lambda: ppe_preference_rows(6),
    "ppe-correctness": lambda: ppe_correctness_rows(1, conflicts=2),
    "judgebench": lambda: judgebench_rows(8),
    "rmbench": lambda: rmbench_rows(1),
    "followbench": lambda: followbench_rows(5),
}


def write_jsonl(rows: list[dict], path: str | os.PathLike[str]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


def write_suite(folder: str | os.PathLike[str]) -> dict[str, Path]:
    """Write the small synthetic suite as ``<folder>/<benchmark>.jsonl``; returns the paths."""
    return {name: write_jsonl(make(), Path(folder) / f"{name}.jsonl") for name, make in SMALL_SUITE.items()}


__all__ = [
    "SMALL_SUITE",
    "arithmetic_pairs",
    "followbench_rows",
    "judgebench_rows",
    "ppe_correctness_rows",
    "ppe_preference_rows",
    "rewardbench2_rows",
    "rewardbench_rows",
    "rmbench_rows",
    "write_jsonl",
    "write_suite",
]
