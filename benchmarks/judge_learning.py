"""Does J1 training make the embedded real judge better on held-out pairs? The learning curve, measured.

Runs a recipe of :mod:`j1_plugin.demo.learning` (default :data:`~j1_plugin.demo.learning.LONG`:
the reference prompt, the own-answer warm-up, then paired GRPO judging the held-out pairs every
``eval_every`` steps, for at most ``grpo_steps`` steps or ``grpo_minutes`` minutes) on the embedded
SmolLM2-135M-Instruct and prints the curve, then one JSON line with the goal's numbers:

* held-out consistent accuracy of the base model, the warm-up-only model and the trained model;
* the paired differences (trained minus each) with 95% intervals;
* parse failures and flip rate after training, the rollouts' clip rate, and the minutes taken;
* with ``--unseen``: base and trained judge on pairs of shapes the training never shows
  (:func:`j1_plugin.demo.pairs.unseen_shape_rows`), through ``j1 eval --tasks j1_rewardbench``
  with the ``pav`` format's default prompt.

The goal it checks: trained consistent accuracy at least 20 points above the base and 10 above
the warm-up-only model, each difference's interval excluding 0, parse failures at most 5%, flip
rate under 50%.

    .venv/bin/python benchmarks/judge_learning.py [--steps N] [--minutes M] [--eval-every K] [--unseen]
        [--prompt reference|compact] [--warmup own-answer|random] [--layers N|all] [--reward verdict|consistency]
        [--temperature T] [--generations G] [--pairs-per-step P] [--lr LR] [--warmup-epochs E]
        [--max-completion N] [--format pav|pos] [--threads T] [--out DIR]
"""

# ruff: noqa: E402

from __future__ import annotations

import os

for _name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ.setdefault(_name, "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse
import dataclasses
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from j1_plugin.demo.heldout import by_family, comparison_table, difference
from j1_plugin.demo.learning import LONG, PROMPTS, WARMUPS, run_learning, set_threads
from j1_plugin.demo.pairs import unseen_shape_rows
from j1_plugin.models import model_path


def _layers(text: str) -> int | None:
    return None if text == "all" else int(text)


def unseen_accuracy(judge: Path, out: Path, threads: int) -> dict[str, Any]:
    """``j1 eval`` on the unseen-shape pairs with the default ``pav`` prompt: the J1 metrics lm-eval reports."""
    data = out / "unseen.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in unseen_shape_rows()), "utf-8")
    results = out / f"unseen-{judge.name}"
    command = [sys.executable, "-m", "j1_plugin.cli", "eval", "--model", "hf", "--model_args",
               f"pretrained={judge},dtype=float32", "--device", "cpu", "--tasks", "j1_rewardbench", "--metadata",
               json.dumps({"data_file": str(data)}), "--gen_kwargs", "max_gen_toks=96", "--batch_size", "16",
               "--output_path", str(results), "--no_cache"]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
    found = next(results.rglob("results_*.json"))
    metrics = json.loads(found.read_text())["results"]["j1_rewardbench"]
    keep = ("consistent_accuracy", "ab_accuracy", "ba_accuracy", "flip_rate", "parse_failure_rate")
    shown = {key: metrics.get(f"j1_{key},none") for key in keep}
    shown["official_overall"] = metrics.get("official_overall,none")
    return {key: None if value is None or math.isnan(value) else round(value, 1) for key, value in shown.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=LONG.grpo_steps, help="at most this many GRPO steps")
    parser.add_argument("--minutes", type=float, default=LONG.grpo_minutes,
                        help="stop GRPO after this many minutes, held-out checks included")  # fmt: skip
    parser.add_argument("--format", choices=("pav", "pos"), default=LONG.format,
                        help="pav: pairwise verdicts, both orders; pos: pointwise scores, both responses")  # fmt: skip
    parser.add_argument("--prompt", choices=PROMPTS, default=LONG.prompt, help="the judge prompt")
    parser.add_argument("--warmup", choices=WARMUPS, default=LONG.warmup, help="the warm-up's targets")
    parser.add_argument("--layers", type=_layers, default=LONG.trainable_layers, help="trainable top layers, or all")
    parser.add_argument("--reward", choices=("verdict", "consistency"), default=LONG.reward, help="GRPO reward")
    parser.add_argument("--temperature", type=float, default=LONG.temperature, help="rollout temperature")
    parser.add_argument("--generations", type=int, default=LONG.num_generations, help="rollouts per prompt")
    parser.add_argument("--pairs-per-step", type=int, default=LONG.pairs_per_step, help="pairs per GRPO step")
    parser.add_argument("--lr", type=float, default=LONG.learning_rate, help="GRPO learning rate")
    parser.add_argument("--warmup-epochs", type=float, default=LONG.warmup_epochs, help="own-answer warm-up epochs")
    parser.add_argument("--max-completion", type=int, default=LONG.max_completion_length, help="completion budget")
    parser.add_argument("--eval-every", type=int, default=LONG.eval_every, help="held-out evaluation interval")
    parser.add_argument("--unseen", action="store_true", help="also judge unseen-shape pairs through j1 eval")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: every core)")
    parser.add_argument("--out", default=None, help="folder for the run's files (default: a temporary folder)")
    args = parser.parse_args()
    threads = set_threads(args.threads)
    recipe = dataclasses.replace(
        LONG, grpo_steps=args.steps, eval_every=args.eval_every, grpo_minutes=args.minutes, format=args.format,
        prompt=args.prompt, warmup=args.warmup, trainable_layers=args.layers, reward=args.reward,
        temperature=args.temperature, num_generations=args.generations, pairs_per_step=args.pairs_per_step,
        learning_rate=args.lr, warmup_epochs=args.warmup_epochs, max_completion_length=args.max_completion,
    )  # fmt: skip
    started = time.perf_counter()
    out = Path(args.out or tempfile.mkdtemp(prefix="j1-judge-learning-"))
    run = run_learning(model_path(), out, recipe)
    minutes = (time.perf_counter() - started) / 60
    print("\n".join(comparison_table([run.base, run.warmup, run.trained])))
    over_warmup, over_base = difference(run.trained, run.warmup), difference(run.trained, run.base)
    after = run.trained.metrics
    failures, flips = after["parse_failure_rate"], after["flip_rate"]
    goal = (
        over_warmup.estimate >= 10
        and over_base.estimate >= 20
        and over_warmup.excludes_zero()
        and over_base.excludes_zero()
        and failures is not None
        and failures <= 5
        and flips is not None
        and flips < 50
    )
    clipped = [entry["completions/clipped_ratio"] for entry in run.grpo_log if "completions/clipped_ratio" in entry]
    unseen = None
    if args.unseen:
        unseen = {"base": unseen_accuracy(run.base_judge, out, threads),
                  "trained": unseen_accuracy(run.trained_judge, out, threads)}  # fmt: skip
    print(
        json.dumps(
            {
                "benchmark": "judge_learning",
                "threads": threads,
                "recipe": dataclasses.asdict(recipe),
                "before": run.base.summary(),
                "warmup": run.warmup.summary(),
                "after": run.trained.summary(),
                "after_by_family": by_family(run.trained),
                "warmup_by_family": by_family(run.warmup),
                "curve": run.curve,
                "gain_over_warmup": dataclasses.asdict(over_warmup),
                "gain_over_base": dataclasses.asdict(over_base),
                "rollout_clip_rate": round(100 * sum(clipped) / len(clipped), 1) if clipped else None,
                "unseen_shapes": unseen,
                "goal_met": goal,
                "seconds": run.seconds,
                "minutes": round(minutes, 1),
                "out": str(out),
            }
        )
    )


if __name__ == "__main__":
    main()
