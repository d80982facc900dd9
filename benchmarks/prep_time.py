"""Seconds to build every lm-eval request of a full-size J1 benchmark, and the peak memory.

"Build" is what lm-eval does before generation: ``TaskManager.load`` builds the J1 task, which
reads the local data file through ``j1_plugin.lmeval.task.load_docs`` (pairs, truncation check,
``datasets.Dataset``), then ``Task.build_all_requests`` renders the prompts and constructs
every ``Instance`` (both orders per pair, no chat template). Measured on full-size synthetic
data in the hub schema: RewardBench (2,985 pairs, 5,970 requests) and PPE correctness (2,555
prompts x 32 responses of a few hundred to ~1,500 characters, 12,775 conflict pairs, 25,550
requests). Writing the data files and building the ``TaskManager`` index are not timed. Each
benchmark is measured in a fresh subprocess; its peak RSS is that process's
``getrusage(RUSAGE_SELF).ru_maxrss`` (imports included), and the overall peak is the larger.
The last line printed is a JSON object ``{"rewardbench_s", "ppe_correctness_s", "peak_rss_mib"}``.
Targets: under 5 s each, peak RSS under 2,048 MiB.
"""

# ruff: noqa: E402

from __future__ import annotations

import os

# lm-eval and datasets read these when imported: never touch the network
for _name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ.setdefault(_name, "1")

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# benchmark name -> (lm-eval task, data file name)
BENCHMARKS = {
    "rewardbench": ("j1_rewardbench", "rewardbench.jsonl"),
    "ppe_correctness": ("j1_ppe_correctness", "ppe-correctness.jsonl"),
}


def write_data(folder: Path, paddings: list[int]) -> None:
    """Write both full-size synthetic files (run in a subprocess so this process stays small).

    PPE rows cycle through ``paddings`` (64 characters of filler each), so response lengths vary
    from row to row; the rows differ only in their text, since padding draws no random numbers.
    """
    from j1_plugin.benchmarks.synthetic import ppe_correctness_rows, rewardbench_rows, write_jsonl

    write_jsonl(rewardbench_rows(full=True, padding=paddings[0]), folder / BENCHMARKS["rewardbench"][1])
    rows: list[dict] = []
    for offset, padding in enumerate(paddings):
        variant = ppe_correctness_rows(full=True, padding=padding)
        rows.extend((index, row) for index, row in enumerate(variant) if index % len(paddings) == offset)
        del variant
    rows.sort(key=lambda item: item[0])
    write_jsonl([row for _index, row in rows], folder / BENCHMARKS["ppe_correctness"][1])


def measure(name: str, data_file: Path) -> dict:
    """Time ``tm.load`` plus ``build_all_requests`` for one benchmark in this process."""
    import resource

    from j1_plugin.lmeval import task_manager

    task_name = BENCHMARKS[name][0]
    tm = task_manager(include_defaults=False, metadata={"data_file": str(data_file)})
    start = time.perf_counter()
    task = tm.load([task_name])["tasks"][task_name]
    loaded = time.perf_counter()
    task.build_all_requests()
    end = time.perf_counter()
    docs = len(task.eval_docs)
    requests = task.instances
    prompt_chars = sum(len(instance.args[0]) for instance in requests)
    return {
        "benchmark": name,
        "task": task_name,
        "docs": docs,
        "requests": len(requests),
        "mean_prompt_chars": round(prompt_chars / len(requests)),
        "file_mib": round(data_file.stat().st_size / 2**20, 1),
        "load_s": round(loaded - start, 3),
        "build_s": round(end - loaded, 3),
        "seconds": round(end - start, 3),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def run_child(*arguments: str) -> str:
    done = subprocess.run([sys.executable, __file__, *arguments], capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"prep_time child {' '.join(arguments)} failed:\n{done.stderr[-4000:]}")
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paddings", default="4,10,16,22", help="PPE response filler counts, cycled over rows")
    parser.add_argument("--data-dir", default=None, help="keep the synthetic files here (default: a temp folder)")
    parser.add_argument("--write", metavar="DIR", help=argparse.SUPPRESS)  # child: write the data files
    parser.add_argument("--measure", choices=sorted(BENCHMARKS), help=argparse.SUPPRESS)  # child: one measurement
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args()
    paddings = [int(value) for value in args.paddings.split(",")]
    if args.write:
        write_data(Path(args.write), paddings)
        return
    if args.measure:
        print(json.dumps(measure(args.measure, Path(args.data))))
        return

    with tempfile.TemporaryDirectory(prefix="j1-prep-time-") as tmp:
        folder = Path(args.data_dir or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        run_child("--write", str(folder), "--paddings", args.paddings)
        results = {}
        for name, (_task, file_name) in BENCHMARKS.items():
            output = run_child("--measure", name, "--data", str(folder / file_name))
            results[name] = json.loads(output.strip().splitlines()[-1])

    for name, result in results.items():
        print(
            f"{name:<16} {result['docs']:>6,} pairs  {result['requests']:>6,} requests  "
            f"file {result['file_mib']:>5.1f} MiB  prompts {result['mean_prompt_chars']:,} chars  "
            f"load {result['load_s']:.2f} s + build {result['build_s']:.2f} s = {result['seconds']:.2f} s  "
            f"peak RSS {result['peak_rss_mib']:,.0f} MiB"
        )
    peak = max(result["peak_rss_mib"] for result in results.values())
    print("targets: < 5 s per benchmark, peak RSS < 2,048 MiB")
    summary = {f"{name}_s": result["seconds"] for name, result in results.items()}
    print(json.dumps({**summary, "peak_rss_mib": peak}))


if __name__ == "__main__":
    main()
