"""The job behind ``make demo`` / ``j1 demo``: a real judge, trained with J1's recipe, measured on held-out pairs.

:func:`run_default_demo` resolves the embedded default judge (SmolLM2-135M-Instruct, from an
installed wheel, see :mod:`j1_plugin.models`), runs :func:`~j1_plugin.demo.learning.run_learning`
and prints what a newcomer needs to read the result: what each number means, the before / warm-up /
after table with 95% intervals, the paired difference, real judgment texts, where the files went,
and one JSON line last. :mod:`j1_plugin.demo.suite` keeps the format tour and the synthetic-suite
benchmark (``j1 demo --skip-training``).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from j1_plugin.demo.heldout import HeldoutResult, by_family, comparison_table, difference
from j1_plugin.demo.learning import DEMO, Recipe, Run, run_learning, set_threads
from j1_plugin.demo.suite import (
    SUITE_TASKS,
    comparison_lines,
    results_tables,
    run_demo,
    run_suite_demo,
    run_suite_eval,
    train_grpo,
    training_summary,
)
from j1_plugin.tiny_models import default_cache_dir

GLOSSARY = (
    "How to read the numbers (held-out pairs, greedy decoding, each pair judged in both orders):",
    "  consistent_accuracy  right in both orders: the J1 headline for JudgeBench and FollowBenchEval",
    "  ab_accuracy          right when the better response is shown where the data puts it",
    "  ba_accuracy          right with the two responses swapped",
    "  flip_rate            pairs whose verdict names the other response once the order is swapped",
    "                       (of the pairs parsed in both orders): position bias",
    "  parse_failure_rate   judgments that break the output contract; they count as wrong",
    "A judge that always answers [[A]] gets (a,b) or (b,a) near 50% and consistent accuracy 0%:",
    "consistency is what separates judging from guessing a position.",
    "Benchmarks' official numbers (j1 eval) use one seeded order per pair for RewardBench, PPE and RM-Bench",
    "and both orders for JudgeBench and FollowBenchEval (README, 'Official scores').",
)


def _excerpt(text: str, width: int = 320) -> str:
    shown = " ".join(text.split())
    return shown if len(shown) <= width else shown[: width - 3] + "..."


def example_lines(results: list[HeldoutResult], count: int = 2) -> list[str]:
    """What each judge wrote for the first ``count`` held-out requests (the same requests for all)."""
    lines = []
    for index in range(min(count, len(results[0].judged))):
        request, _ = results[0].judged[index]
        pair = next(p for p in results[0].pairs if p.id == request.pair_id)
        if request.side is not None:
            response = getattr(pair, request.side)
            lines.append(f"  pair {pair.id} ({request.side} response): {pair.prompt!r}  {response!r}")
        else:
            shown_a, shown_b = pair.responses(request.order)
            lines.append(
                f"  pair {pair.id} ({request.order}): {pair.prompt!r}  A: {shown_a!r}  B: {shown_b!r}  "
                f"better: [[{request.label}]]"
            )
        for result in results:
            judgment = result.judged[index][1]
            status = judgment.status.value if judgment.ok else f"{judgment.status.value}: {judgment.reason_code}"
            lines.append(f"    {result.name:<13} [{status}] {_excerpt(judgment.raw)!r}")
    return lines


def _bar(value: float, width: int = 40) -> str:
    filled = round(max(0.0, min(100.0, value)) / 100 * width)
    return "#" * filled + "." * (width - filled)


def curve_lines(run: Run) -> list[str]:
    """The learning curve as text: held-out consistent accuracy at each check (when the recipe judged
    the held-out pairs during GRPO), and the sampled rollouts' mean reward at every GRPO step."""
    lines = []
    points = [("base", run.base.metrics["consistent_accuracy"]), ("warm-up", run.warmup.metrics["consistent_accuracy"])]
    points += [(f"step {point['step']}", point["consistent_accuracy"]) for point in run.curve]
    points.append((f"step {run.seconds.get('grpo_steps', '?')} (end)", run.trained.metrics["consistent_accuracy"]))
    lines.append("  held-out consistent accuracy (%):")
    for label, value in points:
        shown = value or 0.0
        lines.append(f"    {label:<14} |{_bar(shown)}| {shown:5.1f}")
    key = f"rewards/{run.recipe.reward_name}/mean"
    rewards = [(entry["step"], entry[key]) for entry in run.grpo_log if key in entry and "step" in entry]
    if rewards:
        lines.append(f"  sampled rollouts' mean {run.recipe.reward_name} per GRPO step (%):")
        for step, value in rewards:
            lines.append(f"    step {step:<9} |{_bar(100 * value)}| {100 * value:5.1f}")
    return lines


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}%"


def verdict_line(run: Run) -> str:
    """What the run shows, in plain sentences built from its numbers (never from expectations)."""
    gain = difference(run.trained, run.warmup)
    over_base = difference(run.trained, run.base)
    base, warmup, after = run.base.metrics, run.warmup.metrics, run.trained.metrics
    sentences = [
        f"Output contract: parse failures {_percent(base['parse_failure_rate'])} (base) -> "
        f"{_percent(warmup['parse_failure_rate'])} (warm-up) -> {_percent(after['parse_failure_rate'])} (after GRPO).",
        f"After GRPO: consistent accuracy {_percent(after['consistent_accuracy'])}, {gain.estimate:+.1f} points over "
        f"the warm-up only (95% CI {gain.low:+.1f} to {gain.high:+.1f}) and {over_base.estimate:+.1f} over the base "
        f"model (95% CI {over_base.low:+.1f} to {over_base.high:+.1f}).",
    ]
    flips = after["flip_rate"]
    if flips is not None and flips >= 80:
        sentences.append(
            f"The trained judge still names the same position for most pairs (flip rate {flips:.1f}%): "
            "it has not learned to tell the responses apart."
        )
    if over_base.excludes_zero() and over_base.estimate > 0:
        sentences.append("The trained judge is measurably better than the base model on pairs it never saw.")
    if gain.excludes_zero() and gain.estimate > 0:
        sentences.append("GRPO made the judge measurably more consistent than the warm-up alone.")
    else:
        sentences.append(
            "This run does not show a gain of GRPO over the warm-up alone that is larger than chance; "
            "benchmarks/judge_learning.py runs the longer recipe and reports its learning curve "
            "(README, 'What the demo shows')."
        )
    return " ".join(sentences)


def demo_json(run: Run, minutes: float) -> dict[str, Any]:
    """The demo's last line: paths, and the J1 metrics before and after (percent)."""
    return {
        "base_judge": str(run.base_judge),
        "trained_judge": str(run.trained_judge),
        "before": run.base.summary(),
        "warmup": run.warmup.summary(),
        "after": run.trained.summary(),
        "consistent_gain_over_warmup": round(difference(run.trained, run.warmup).estimate, 1),
        "minutes": round(minutes, 1),
    }


def run_default_demo(
    model_dir: str | os.PathLike[str] | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    recipe: Recipe = DEMO,
    *,
    threads: int | None = None,
    echo: Callable[[str], None] = print,
    progress: bool = False,
) -> dict[str, Any]:
    """Train and measure a judge (default: the embedded SmolLM2-135M-Instruct); returns the JSON summary.

    ``progress`` shows progress bars (stderr) for every long stage.
    """
    started = time.perf_counter()
    count = set_threads(threads)
    if model_dir is None:
        from j1_plugin.models import DEFAULT_MODEL, model_path

        model_dir, label = model_path(), DEFAULT_MODEL
    else:
        label = str(model_dir)
    out = Path(out_dir) if out_dir is not None else default_cache_dir() / "demo"
    echo("J1 demo: train a real judge with the J1 recipe on this CPU, then measure it on pairs it never saw.")
    echo(f"judge: {label} at {model_dir}; {count} torch thread(s) (set J1_THREADS to change)")
    echo(
        "data: project-made judgment pairs in four families: sum (verifiable arithmetic), capital (facts), "
        "category and topic (the rejected response answers a nearby instruction). Held-out items never appear "
        "in training."
    )
    echo("")
    for line in GLOSSARY:
        echo(line)
    echo("")
    run = run_learning(model_dir, out, recipe, echo=echo, progress=progress)
    minutes = (time.perf_counter() - started) / 60
    results = [run.base, run.warmup, run.trained]
    echo("")
    echo("Held-out results (percent, 95% Wilson interval in brackets)")
    for line in comparison_table(results):
        echo(line)
    families = by_family(run.trained)
    echo("  consistent after GRPO by family: " + ", ".join(f"{k} {h}/{n}" for k, (h, n) in families.items()))
    echo("")
    echo("Learning curve:")
    for line in curve_lines(run):
        echo(line)
    echo("")
    echo(verdict_line(run))
    echo("")
    echo("What the judge wrote:")
    for line in example_lines(results):
        echo(line)
    echo("")
    echo(f"Files in {out}: base and trained judgments (judgments-*.jsonl, raw text kept), results.json,")
    echo(f"  the warm-up judge (warmup-judge/) and the trained judge ({run.trained_judge}), usable with")
    echo(f"  j1 eval --model hf --model_args pretrained={run.trained_judge}")
    summary = demo_json(run, minutes)
    echo(json.dumps(summary))
    return summary


__all__ = [
    "SUITE_TASKS",
    "comparison_lines",
    "results_tables",
    "run_default_demo",
    "run_demo",
    "run_suite_demo",
    "run_suite_eval",
    "train_grpo",
    "training_summary",
]
