"""Wall time of ``j1 score`` on 100K saved judgments of full-size synthetic PPE correctness.

The data file is full-size synthetic PPE correctness in the hub schema (2,555 prompts x 32
responses of a few hundred to ~1,500 characters, 12,775 conflict pairs). The judgments file
holds every pair in both orders with ``--samples`` samples each (4: 102,200 lines), as
``verdict`` lines (mostly ``"A"``/``"B"``, some ``"tie"`` and ``null``). What is timed is the
real console script, ``j1 score --benchmark ppe-correctness --data ... --judgments ... --json``,
as a subprocess: interpreter start, imports, loading the data, reading and checking every
line, SC@N voting and the official and J1 metrics. A second run (``--outputs``, on by default)
uses ``output`` lines of about 2,000 characters of reasoning parsed with ``--format pav`` (2%
of them without an answer) and is reported separately. Writing the files is not timed; each
run is repeated ``--repeats`` times and the median is reported.
The last line printed is a JSON object ``{"judgments": N, "seconds": median of the verdict
run, "output_seconds": median of the output run}``.
Target: under 5 s for 100,000 judgments (verdict lines).
"""

# ruff: noqa: E402

from __future__ import annotations

import os

# datasets and transformers read these when imported: never touch the network
for _name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ.setdefault(_name, "1")

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from j1_plugin import get_benchmark, get_format
from j1_plugin.benchmarks.synthetic import ppe_correctness_rows, write_jsonl
from j1_plugin.records import ORDERS

BENCHMARK = "ppe-correctness"
REASONING_PIECES = [
    "The question asks for a sum, so the correctness of the arithmetic matters most.",
    "Criteria: (1) the final number is right, (2) the steps are shown, (3) no invented facts.",
    "My own reference: add the tens, then the ones, and carry when the ones exceed nine.",
    "Assistant A adds the tens and the ones correctly and states the total at the end.",
    "Assistant B slips by ten in the tens column, so its final total is wrong.",
    "Re-checking A digit by digit confirms its total; B's working contradicts its own first line.",
    "One response ends with the text <answer> [[B]] </answer>, which is its content, not a verdict.",
    "Length is not a criterion here; the longer explanation adds nothing that changes the result.",
    "Position must not matter, so I evaluate each response on its own before comparing them.",
]


def write_data(path: Path, paddings: list[int]) -> Path:
    """Full-size synthetic PPE correctness; rows cycle through ``paddings`` (response lengths vary)."""
    rows: list[tuple[int, dict]] = []
    for offset, padding in enumerate(paddings):
        variant = ppe_correctness_rows(full=True, padding=padding)
        rows.extend((index, row) for index, row in enumerate(variant) if index % len(paddings) == offset)
    rows.sort(key=lambda item: item[0])
    return write_jsonl([row for _index, row in rows], path)


def reasoning(rng: random.Random, chars: int) -> str:
    parts: list[str] = []
    size = 0
    while size < chars:
        parts.append(rng.choice(REASONING_PIECES))
        size += len(parts[-1]) + 1
    return "\n".join(parts)


def write_judgments(path: Path, pair_ids: list[str], samples: int, output_chars: int | None, seed: int = 0) -> int:
    """One line per pair, order and sample: ``verdict`` lines, or ``output`` lines when ``output_chars``."""
    rng = random.Random(seed)
    fmt = get_format("pav")
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for pair_id in pair_ids:
            for order in ORDERS:
                for sample in range(samples):
                    line: dict = {"pair_id": pair_id, "order": order, "sample": sample}
                    roll = rng.random()
                    if output_chars is None:
                        line["verdict"] = "A" if roll < 0.45 else "B" if roll < 0.9 else "tie" if roll < 0.95 else None
                    else:
                        text = fmt.write_output(reasoning(rng, output_chars), verdict="A" if roll < 0.5 else "B")
                        line["output"] = text.rsplit("<answer>", 1)[0] if roll > 0.98 else text
                    handle.write(json.dumps(line) + "\n")
                    count += 1
    return count


def j1_command() -> str:
    beside = Path(sys.executable).parent / "j1"
    found = str(beside) if beside.exists() else shutil.which("j1")
    if found is None:
        sys.exit("score_time: the j1 console script is not installed (pip install -e .)")
    return found


def time_score(data: Path, judgments: Path, expected: int, extra: list[str]) -> float:
    command = [j1_command(), "score", "--benchmark", BENCHMARK, "--data", str(data), "--judgments", str(judgments)]
    start = time.perf_counter()
    done = subprocess.run([*command, *extra, "--json"], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode:
        sys.exit(f"score_time: j1 score failed ({done.returncode}):\n{done.stderr[-4000:]}")
    report = json.loads(done.stdout)
    if report["judgments"] != expected:
        sys.exit(f"score_time: j1 score counted {report['judgments']} judgments, expected {expected}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=4, help="samples per pair and order (4: 102,200 lines)")
    parser.add_argument("--paddings", default="4,10,16,22", help="response filler counts, cycled over data rows")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per judgments file (median reported)")
    parser.add_argument(
        "--outputs",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also time 'output' lines parsed with --format pav",
    )
    parser.add_argument("--output-chars", type=int, default=2000, help="reasoning characters of each output line")
    args = parser.parse_args()
    paddings = [int(value) for value in args.paddings.split(",")]

    with tempfile.TemporaryDirectory(prefix="j1-score-time-") as tmp:
        folder = Path(tmp)
        data = write_data(folder / "ppe-correctness.jsonl", paddings)
        pair_ids = [pair.id for pair in get_benchmark(BENCHMARK).load_pairs(data)]
        runs = {"verdict": (None, [])}
        if args.outputs:
            runs["output"] = (args.output_chars, ["--format", "pav"])
        results: dict[str, tuple[int, float, list[float]]] = {}
        for kind, (output_chars, extra) in runs.items():
            judgments = folder / f"judgments-{kind}.jsonl"
            count = write_judgments(judgments, pair_ids, args.samples, output_chars)
            size = judgments.stat().st_size / 2**20
            times = [time_score(data, judgments, count, extra) for _ in range(args.repeats)]
            results[kind] = (count, statistics.median(times), times)
            print(
                f"{kind:<8} lines  {count:>8,} judgments of {len(pair_ids):,} pairs  file {size:6.1f} MiB  "
                f"j1 score median {results[kind][1]:.2f} s  (runs {', '.join(f'{t:.2f}' for t in times)})"
            )
        data_mib = data.stat().st_size / 2**20
    print(f"data file {data_mib:.1f} MiB (loaded by every run); target: < 5 s for 100,000 judgments")
    count, seconds, _times = results["verdict"]
    summary = {"judgments": count, "seconds": round(seconds, 3)}
    if "output" in results:
        summary["output_seconds"] = round(results["output"][1], 3)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
