"""GRPO step time of the pair-aware ``PairedGRPOTrainer`` relative to TRL's plain ``GRPOTrainer``.

Both trainers train the same tiny random judge (built into a temporary directory, nothing
downloaded) on the same ``pav`` data from synthetic arithmetic pairs, with the same rewards
(``verdict_reward`` and ``consistency_reward``) and settings, on the CPU. A step's time is the
wall time between two consecutive optimizer steps (so data loading and the sampler are included);
the first ``--warmup`` steps of each run are dropped. Each of ``--runs`` rounds trains both
trainers back to back (the order alternates) and takes the ratio of their median step times; the
result is the median of those ratios. Torch uses one thread by default: on a shared 2-core
machine, oversubscribed threads make step times swing by 10x or more with other processes' load.
The last line printed is a JSON object ``{"step_time_ratio": ...}``.
Target: at most 1.05 (pairing costs nothing measurable).
"""

# ruff: noqa: E402

from __future__ import annotations

import os

# datasets and transformers read these when imported: never touch the network
for _name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ.setdefault(_name, "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import torch
from transformers import PrinterCallback, TrainerCallback
from transformers.utils import logging as hf_logging
from trl import GRPOConfig, GRPOTrainer
from trl.trainer.utils import RepeatSampler

from j1_plugin.benchmarks.synthetic import arithmetic_pairs
from j1_plugin.rewards import consistency_reward, verdict_reward
from j1_plugin.tiny_models import build_tiny_judge
from j1_plugin.trainers.grpo import PairedGRPOTrainer, PairedRepeatSampler
from j1_plugin.training_data import build_judgment_dataset

TARGET = 1.05


class StepTimer(TrainerCallback):
    """Wall time between consecutive optimizer steps (the first from the start of training)."""

    def __init__(self) -> None:
        self.marks: list[float] = []

    def on_train_begin(self, args, state, control, **kwargs):
        self.marks = [time.perf_counter()]

    def on_step_end(self, args, state, control, **kwargs):
        self.marks.append(time.perf_counter())

    @property
    def step_times(self) -> list[float]:
        return [later - earlier for earlier, later in zip(self.marks, self.marks[1:], strict=False)]


def step_times(trainer_class: type[GRPOTrainer], model_dir: Path, dataset, args, out_dir: Path) -> list[float]:
    config = GRPOConfig(
        output_dir=str(out_dir),
        max_steps=args.warmup + args.steps,
        per_device_train_batch_size=args.batch,
        num_generations=args.num_generations,
        max_completion_length=args.completion_length,
        learning_rate=1e-5,
        logging_steps=1,
        bf16=False,
        gradient_checkpointing=False,
        report_to="none",
        save_strategy="no",
        disable_tqdm=True,
        seed=args.seed,
    )
    timer = StepTimer()
    trainer = trainer_class(
        model=str(model_dir),
        reward_funcs=[verdict_reward, consistency_reward],
        args=config,
        train_dataset=dataset,
        callbacks=[timer],
    )
    trainer.remove_callback(PrinterCallback)  # keep the output to this script's lines
    trainer.train()
    return timer.step_times[args.warmup :]


def sampler_seconds(pair_ids: list[str], num_generations: int, repeats: int = 20) -> dict[str, float]:
    """Seconds to draw one epoch's order from each sampler (the only code the paired trainer adds per epoch)."""
    samplers = {
        "paired": PairedRepeatSampler(pair_ids, mini_repeat_count=num_generations, batch_size=2, seed=0),
        "plain": RepeatSampler(pair_ids, mini_repeat_count=num_generations, batch_size=2, seed=0),
    }
    seconds = {}
    for name, sampler in samplers.items():
        start = time.perf_counter()
        for _ in range(repeats):
            list(sampler)
        seconds[name] = (time.perf_counter() - start) / repeats
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=32, help="arithmetic preference pairs (two rows each)")
    parser.add_argument("--steps", type=int, default=8, help="timed steps per run")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps at the start of each run")
    parser.add_argument("--runs", type=int, default=7, help="back-to-back runs of both trainers, order alternating")
    parser.add_argument("--batch", type=int, default=4, help="per_device_train_batch_size")
    parser.add_argument("--num-generations", type=int, default=2, help="GRPO group size")
    parser.add_argument("--completion-length", type=int, default=16, help="max_completion_length")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1 resists noise from other processes)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    hf_logging.set_verbosity_error()
    torch.set_num_threads(args.threads)

    dataset, _ = build_judgment_dataset(arithmetic_pairs(args.pairs), "pav")
    trainers = {"paired": PairedGRPOTrainer, "plain": GRPOTrainer}
    pooled: dict[str, list[float]] = {name: [] for name in trainers}
    ratios = []
    with tempfile.TemporaryDirectory(prefix="grpo-step-ratio-") as tmp:
        model_dir = build_tiny_judge(Path(tmp) / "tiny-judge")
        print(f"{len(dataset)} pav rows, batch {args.batch}, G={args.num_generations}, max_completion_length "
              f"{args.completion_length}, {args.threads} torch thread(s), {args.warmup} warm-up + {args.steps} "
              f"timed steps per run")  # fmt: skip
        for run in range(args.runs):
            names = list(trainers) if run % 2 == 0 else list(reversed(trainers))
            medians = {}
            for name in names:
                measured = step_times(trainers[name], model_dir, dataset, args, Path(tmp) / f"{name}-{run}")
                pooled[name] += measured
                medians[name] = statistics.median(measured)
            ratios.append(medians["paired"] / medians["plain"])
            print(f"run {run + 1}/{args.runs}: median step paired {medians['paired']:.3f} s, plain "
                  f"{medians['plain']:.3f} s, ratio {ratios[-1]:.3f}")  # fmt: skip
    ratio = statistics.median(ratios)
    sampler = sampler_seconds(list(dataset["pair_id"]), args.num_generations)
    print(
        f"sampler, one epoch's order: paired {sampler['paired'] * 1e6:,.0f} µs, plain {sampler['plain'] * 1e6:,.0f} µs"
    )
    print(f"pooled median step: paired {statistics.median(pooled['paired']):.3f} s, plain "
          f"{statistics.median(pooled['plain']):.3f} s")  # fmt: skip
    print(f"step time ratio (median of per-run ratios): {ratio:.3f}; target <= {TARGET}: "
          f"{'met' if ratio <= TARGET else 'NOT met'}")  # fmt: skip
    print(json.dumps({"step_time_ratio": round(ratio, 4)}))


if __name__ == "__main__":
    main()
