"""Does J1 training make the embedded real judge better on held-out pairs? The learning curve, measured.

Runs the long recipe (:data:`j1_plugin.demo.learning.LONG`: format warm-up, then paired GRPO
with the verdict reward, judging the held-out pairs every ``eval_every`` steps, for at most
``grpo_steps`` steps or ``grpo_minutes`` minutes) on the embedded
SmolLM2-135M-Instruct and prints the curve, then one JSON line with the goal's numbers:

* held-out consistent accuracy of the base model, the warm-up-only model and the trained model;
* the paired differences (trained minus each) with 95% intervals;
* parse failures after training, and the minutes taken.

The goal it checks: trained consistent accuracy at least 10 points above both baselines, with a
difference interval that excludes 0, and parse failures at most 5%.

    .venv/bin/python benchmarks/judge_learning.py [--steps N] [--minutes M] [--eval-every K] [--format pav|pos]
                                                  [--threads T] [--out DIR]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import tempfile
import time

from j1_plugin.demo.heldout import comparison_table, difference
from j1_plugin.demo.learning import LONG, run_learning, set_threads
from j1_plugin.models import model_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=LONG.grpo_steps, help="at most this many GRPO steps")
    parser.add_argument(
        "--minutes",
        type=float,
        default=LONG.grpo_minutes,
        help="stop GRPO after this many minutes, held-out checks included",
    )
    parser.add_argument(
        "--format",
        choices=("pav", "pos"),
        default=LONG.format,
        help="pav: pairwise verdicts, both orders; pos: pointwise scores, both responses",
    )
    parser.add_argument("--eval-every", type=int, default=LONG.eval_every, help="held-out evaluation interval")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: every core)")
    parser.add_argument("--out", default=None, help="folder for the run's files (default: a temporary folder)")
    args = parser.parse_args()
    threads = set_threads(args.threads)
    recipe = dataclasses.replace(LONG, grpo_steps=args.steps, eval_every=args.eval_every, grpo_minutes=args.minutes,
                                 format=args.format)  # fmt: skip
    started = time.perf_counter()
    out = args.out or tempfile.mkdtemp(prefix="j1-judge-learning-")
    run = run_learning(model_path(), out, recipe)
    minutes = (time.perf_counter() - started) / 60
    print("\n".join(comparison_table([run.base, run.warmup, run.trained])))
    over_warmup, over_base = difference(run.trained, run.warmup), difference(run.trained, run.base)
    failures = run.trained.metrics["parse_failure_rate"]
    goal = (
        over_warmup.estimate >= 10
        and over_base.estimate >= 10
        and over_warmup.excludes_zero()
        and over_base.excludes_zero()
        and failures is not None
        and failures <= 5
    )
    print(
        json.dumps(
            {
                "benchmark": "judge_learning",
                "threads": threads,
                "recipe": dataclasses.asdict(recipe),
                "before": run.base.summary(),
                "warmup": run.warmup.summary(),
                "after": run.trained.summary(),
                "curve": run.curve,
                "gain_over_warmup": dataclasses.asdict(over_warmup),
                "gain_over_base": dataclasses.asdict(over_base),
                "goal_met": goal,
                "seconds": run.seconds,
                "minutes": round(minutes, 1),
                "out": str(out),
            }
        )
    )


if __name__ == "__main__":
    main()
