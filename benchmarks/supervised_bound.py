"""What can the embedded judge learn from the demo's pairs at all? SFT on the right answers, measured.

Trains the same top layers as :data:`j1_plugin.demo.learning.LONG`, with the same prompt, scaffold
and learning rate as its format warm-up, but on targets that name the better response, then
judges the held-out pairs greedily in both orders. Its consistent accuracy bounds what the RL
recipe can be expected to reach at this model size and budget; the JSON line carries it with its
95% interval.

    .venv/bin/python benchmarks/supervised_bound.py [--steps N] [--format pav|pos] [--threads T] [--out DIR]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import tempfile
import time

from j1_plugin.demo.learning import LONG, set_threads, supervised_bound
from j1_plugin.models import model_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40, help="SFT steps on the right decisions")
    parser.add_argument("--format", choices=("pav", "pos"), default=LONG.format, help="judgment format")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: every core)")
    parser.add_argument("--out", default=None, help="folder for the trained judge (default: a temporary folder)")
    args = parser.parse_args()
    threads = set_threads(args.threads)
    recipe = dataclasses.replace(LONG, format=args.format)
    out = args.out or tempfile.mkdtemp(prefix="j1-supervised-bound-")
    started = time.perf_counter()
    result = supervised_bound(model_path(), out, recipe, steps=args.steps)
    interval = result.interval("consistent_accuracy")
    print(
        json.dumps(
            {
                "benchmark": "supervised_bound",
                "threads": threads,
                "format": args.format,
                "steps": args.steps,
                "heldout": result.summary(),
                "consistent_accuracy_interval": dataclasses.asdict(interval) if interval else None,
                "minutes": round((time.perf_counter() - started) / 60, 1),
                "out": str(out),
            }
        )
    )


if __name__ == "__main__":
    main()
