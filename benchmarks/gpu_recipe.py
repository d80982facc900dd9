"""The demo recipe on one CUDA GPU in bfloat16: seconds per stage, per GRPO step, and peak GPU memory.

Runs :func:`j1_plugin.demo.learning.run_learning` with the tiny random judge (built into a
temporary folder, nothing downloaded) and the demo's reference prompt, on ``cuda``: the same
trainer and judging code that ``make demo`` runs on a CPU. The tiny judge cannot judge, so only
the times and memory are the result; the last line is a JSON object. Exits with an error where
torch sees no GPU.

    python benchmarks/gpu_recipe.py [--steps N] [--pairs-per-step P] [--generations G]
"""

from __future__ import annotations

import os

for _name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ.setdefault(_name, "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("USE_HUB_KERNELS", "0")  # transformers would fetch GPU kernels from the hub when training

import argparse  # noqa: E402
import json  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402


def main() -> None:
    import torch

    from j1_plugin.demo.learning import Recipe, run_learning
    from j1_plugin.tiny_models import build_tiny_judge

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10, help="GRPO steps")
    parser.add_argument("--pairs-per-step", type=int, default=4, help="pairs per GRPO step (both orders each)")
    parser.add_argument("--generations", type=int, default=8, help="rollouts per judgment prompt")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print(json.dumps({"benchmark": "gpu_recipe", "skipped": "torch sees no CUDA GPU on this machine"}))
        return
    root = Path(tempfile.mkdtemp(prefix="j1-gpu-recipe-"))
    judge = build_tiny_judge(root / "tiny-judge")
    recipe = Recipe("gpu", warmup="random", warmup_steps=10, grpo_steps=args.steps, pairs_per_step=args.pairs_per_step,
                    num_generations=args.generations)  # fmt: skip
    torch.cuda.reset_peak_memory_stats()
    started = time.perf_counter()
    run = run_learning(judge, root / "run", recipe, echo=lambda _line: None, device="cuda")
    print(json.dumps({"benchmark": "gpu_recipe", "device": torch.cuda.get_device_name(0), "dtype": "bfloat16",
                      "judge": "tiny random (2 layers)", "grpo_steps": run.seconds["grpo_steps"],
                      "sequences_per_step": 2 * args.pairs_per_step * args.generations,
                      "seconds_per_grpo_step": round(run.seconds["grpo"] / run.seconds["grpo_steps"], 3),
                      "seconds": run.seconds, "peak_gpu_memory_mib": round(torch.cuda.max_memory_allocated() / 2**20),
                      "total_seconds": round(time.perf_counter() - started, 1)}))  # fmt: skip


if __name__ == "__main__":
    main()
