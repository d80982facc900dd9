"""A tour of every format and the synthetic benchmark suite, for any local judge (``j1 demo --skip-training``).

1. Render every registered judgment format on a few synthetic arithmetic pairs, generate with
   the judge, parse each output with the format's own parser and print one row per judgment.
2. Benchmark the judge on the bundled synthetic suite (every J1 benchmark in its hub schema)
   through ``j1 eval`` and print the official and J1 metrics.

:func:`train_grpo` is a few steps of paired GRPO on a judge folder, for smoke runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from j1_plugin.benchmarks.synthetic import arithmetic_pairs
from j1_plugin.formats import JudgmentFormat, pointwise_verdict
from j1_plugin.judges import HFJudge, Sampling, judge_requests
from j1_plugin.plugins import get_format, list_formats
from j1_plugin.records import Judgment, JudgmentRequest, PreferencePair
from j1_plugin.scoring import J1_KEYS
from j1_plugin.tiny_models import default_cache_dir, tiny_judge_path

SUITE_TASKS = (
    "j1_rewardbench",
    "j1_ppe_preference",
    "j1_ppe_correctness",
    "j1_judgebench",
    "j1_rmbench",
    "j1_followbench",
)
J1_COLUMNS = {
    "ab_accuracy": "(a,b)",
    "ba_accuracy": "(b,a)",
    "random_order_accuracy": "random",
    "consistent_accuracy": "consistent",
    "flip_rate": "flip",
    "tie_rate": "tie",
    "parse_failure_rate": "parse-fail",
}


def _decision(fmt: JudgmentFormat, judgment: Judgment) -> str:
    if not judgment.ok:
        return "-"
    if fmt.kind == "pointwise":
        return f"score {judgment.score:g}"
    return str(judgment.verdict)


def _excerpt(text: str, width: int = 34) -> str:
    shown = repr(text)
    return shown if len(shown) <= width else shown[: width - 3] + "..."


def run_demo(
    model_dir: str | os.PathLike[str] | None = None,
    *,
    pairs: Sequence[PreferencePair] | None = None,
    formats: Sequence[str] | None = None,
    max_new_tokens: int = 48,
    echo: Callable[[str], None] = print,
) -> dict[str, list[tuple[JudgmentRequest, Judgment]]]:
    """Judge ``pairs`` in every format (default judge: the tiny test judge), print the table; returns the rows."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    model_path = Path(model_dir) if model_dir is not None else tiny_judge_path()
    judge = HFJudge(model_path, device="cpu", dtype="float32")
    pairs = list(pairs) if pairs is not None else arithmetic_pairs()
    names = list(formats) if formats is not None else list_formats()
    sampling = Sampling(max_new_tokens=max_new_tokens)
    parameters = sum(p.numel() for p in judge.model.parameters())

    echo(f"J1 format tour: judge at {model_path} ({parameters / 1e6:.2f}M parameters)")
    echo(f"{len(pairs)} synthetic pairs x {len(names)} formats, greedy decoding, {max_new_tokens} new tokens")
    echo("")
    header = f"{'format':<10} {'pair':<7} {'shown':<9} {'decision':<10} {'status':<19} judge output"
    echo(header)
    echo("-" * len(header))
    rows: dict[str, list[tuple[JudgmentRequest, Judgment]]] = {}
    for name in names:
        fmt = get_format(name)
        requests = [request for pair in pairs for request in fmt.requests(pair)]
        judgments = [samples[0] for samples in judge_requests(judge, fmt, requests, sampling)]
        rows[name] = list(zip(requests, judgments, strict=True))
        for request, judgment in rows[name]:
            shown = request.order or request.side
            echo(
                f"{name:<10} {request.pair_id:<7} {shown:<9} {_decision(fmt, judgment):<10} "
                f"{judgment.status.value:<19} {_excerpt(judgment.raw)}"
            )
    echo("")
    for name, judged in rows.items():
        fmt = get_format(name)
        parsed = sum(judgment.ok for _, judgment in judged)
        line = f"{name:<10} parsed {parsed}/{len(judged)}"
        if fmt.kind == "pointwise":
            outcomes = [pointwise_verdict(judged[i][1], judged[i + 1][1]) for i in range(0, len(judged), 2)]
            line += f"; pair outcomes (chosen as A): {outcomes}"
        else:
            correct = sum(judgment.verdict == request.label for request, judgment in judged)
            line += f"; correct verdicts {correct}/{len(judged)}"
        echo(line)
    failures = {j.reason for judged in rows.values() for _, j in judged if not j.ok}
    if failures:
        echo("")
        echo("Parse failure reasons seen: " + "; ".join(sorted(str(r) for r in failures)))
    return rows


def run_suite_eval(
    model_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    tasks: Sequence[str] = SUITE_TASKS,
    max_new_tokens: int = 48,
    extra_metadata: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Benchmark a local judge on the bundled synthetic suite with ``j1 eval``; returns lm-eval's results."""
    from j1_plugin.benchmarks.synthetic import write_suite

    out = Path(out_dir)
    suite = out / "suite"
    write_suite(suite)
    metadata = {"data_dir": str(suite), **(extra_metadata or {})}
    command = [
        sys.executable, "-m", "j1_plugin.cli", "eval",
        "--model", "hf", "--model_args", f"pretrained={model_dir},dtype=float32",
        "--device", "cpu", "--batch_size", "32", "--tasks", ",".join(tasks),
        "--metadata", json.dumps(metadata), "--gen_kwargs", f"max_gen_toks={max_new_tokens}",
        "--output_path", str(out / "results"), "--log_samples",
    ]  # fmt: skip
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    finished = subprocess.run(command, env=env, capture_output=True, text=True)
    if finished.returncode != 0:
        raise RuntimeError(f"j1 eval failed ({finished.returncode}):\n{finished.stderr[-4000:]}")
    newest = max((out / "results").rglob("results_*.json"), key=lambda path: path.stat().st_mtime)
    return json.loads(newest.read_text("utf-8"))


def _metric(result: Mapping[str, Any], key: str) -> str:
    value = result.get(f"{key},none")
    if not isinstance(value, (int, float)) or value != value:
        return "-"
    return f"{value:.1f}"


def results_tables(results: Mapping[str, Any]) -> list[str]:
    """Official scores and J1 diagnostics of every J1 task in an lm-eval results mapping, as text lines."""
    tasks = [name for name in results["results"] if name.startswith("j1_")]
    lines = ["Official scores (percent)"]
    for task in tasks:
        result = results["results"][task]
        keys = [
            k.removesuffix(",none")
            for k in result
            if k.startswith("official_") and k.endswith(",none") and "_stderr" not in k
        ]
        scores = ", ".join(f"{key.removeprefix('official_')} {_metric(result, key)}" for key in keys if "/" not in key)
        lines.append(f"  {task:<20} pairs {int(result.get('pairs,none', 0)):>3}  {scores}")
    lines += ["", "J1 diagnostics (percent)", "  " + f"{'task':<20}" + "".join(f"{c:>11}" for c in J1_COLUMNS.values())]
    for task in tasks:
        result = results["results"][task]
        lines.append(f"  {task:<20}" + "".join(f"{_metric(result, 'j1_' + key):>11}" for key in J1_KEYS))
    return lines


def run_suite_demo(model_dir: str | os.PathLike[str], echo: Callable[[str], None] = print) -> dict[str, Any]:
    """Step 3 of the demo: the suite benchmark and its tables."""
    out = default_cache_dir() / "demo-eval"
    echo("")
    echo(f"Benchmarking the judge on the bundled synthetic suite with j1 eval ({', '.join(SUITE_TASKS)})...")
    results = run_suite_eval(model_dir, out)
    echo(f"lm-eval results and samples: {out / 'results'}")
    echo("")
    for line in results_tables(results):
        echo(line)
    return results


def train_grpo(
    model_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    pairs: Sequence[PreferencePair],
    *,
    steps: int = 24,
    num_generations: int = 4,
    learning_rate: float = 1e-4,
    max_completion_length: int = 64,
    seed: int = 0,
) -> tuple[Path, list[dict[str, Any]]]:
    """A few steps of position-agnostic GRPO with the verdict reward on ``pairs`` (pav).

    Saves the model to ``out_dir``; returns its path and the trainer's log history.
    """
    from transformers import PrinterCallback
    from trl import GRPOConfig

    from j1_plugin.rewards import verdict_reward
    from j1_plugin.trainers import CPU_SMOKE_SETTINGS
    from j1_plugin.trainers.grpo import PairedGRPOTrainer
    from j1_plugin.training_data import build_judgment_dataset

    dataset, _report = build_judgment_dataset(pairs, "pav")
    args = GRPOConfig(
        output_dir=str(out_dir),
        max_steps=steps,
        per_device_train_batch_size=2 * num_generations,  # one pair (both orders) x num_generations per step
        num_generations=num_generations,
        max_completion_length=max_completion_length,
        temperature=1.0,
        learning_rate=learning_rate,
        beta=0.0,
        logging_steps=max(1, steps // 4),
        seed=seed,
        **CPU_SMOKE_SETTINGS,
    )
    trainer = PairedGRPOTrainer(model=str(model_dir), reward_funcs=[verdict_reward], args=args, train_dataset=dataset)
    trainer.remove_callback(PrinterCallback)
    trainer.train()
    trainer.save_model(str(out_dir))
    trainer.processing_class.save_pretrained(str(out_dir))
    return Path(out_dir), trainer.state.log_history


def training_summary(history: Sequence[Mapping[str, Any]]) -> str:
    """First and last logged verdict reward and parse-failure rate of a GRPO run."""
    logged = [entry for entry in history if "rewards/verdict_reward/mean" in entry]
    if not logged:
        return "no reward was logged"
    first, last = logged[0], logged[-1]

    def span(key: str) -> str:
        return f"{100 * first.get(key, float('nan')):.0f}% -> {100 * last.get(key, float('nan')):.0f}%"

    return (
        f"verdict reward {span('rewards/verdict_reward/mean')}, "
        f"parse failures {span('j1/parse_failure_rate')} (sampled rollouts, first -> last logged step)"
    )


def comparison_lines(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """Headline official score and J1 diagnostics of each task, before -> after."""
    columns = {"official": None, "parse-fail": "j1_parse_failure_rate", "(a,b)": "j1_ab_accuracy",
               "(b,a)": "j1_ba_accuracy", "consistent": "j1_consistent_accuracy", "flip": "j1_flip_rate"}  # fmt: skip
    lines = ["  " + f"{'task':<20}" + "".join(f"{name:>16}" for name in columns)]
    for task in (t for t in before["results"] if t.startswith("j1_")):
        old, new = before["results"][task], after["results"].get(task, {})
        headline = "official_accuracy" if "official_accuracy,none" in old else "official_overall"
        cells = []
        for key in columns.values():
            key = key or headline
            cells.append(f"{_metric(old, key)} -> {_metric(new, key)}")
        lines.append("  " + f"{task:<20}" + "".join(f"{cell:>16}" for cell in cells))
    return lines
