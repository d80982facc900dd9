"""One rank of the multi-process pair-coverage check in ``test_paired_grpo.py`` (not a test module itself).

Run as ``torchrun --standalone --nproc_per_node 2 tests/paired_grpo_worker.py MODEL_DIR OUT_DIR``. Each rank
trains :class:`PairedGRPOTrainer` and then, as a control, TRL's ``GRPOTrainer`` for a few steps on ``pav`` data, with
a reward that records, per reward call, whether every row's partner (same ``pair_id``, other order, as many
generations) is in that call. Each rank writes ``<OUT_DIR>/<trainer>-rank<rank>.json``.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from trl import GRPOConfig, GRPOTrainer

from j1_plugin.benchmarks.synthetic import arithmetic_pairs
from j1_plugin.rewards import consistency_reward
from j1_plugin.trainers.grpo import PairedGRPOTrainer
from j1_plugin.training_data import build_judgment_dataset

OTHER_ORDER = {"AB": "BA", "BA": "AB"}
CALLS: list[dict[str, Any]] = []


def pair_coverage(completions: list[Any], pair_id: list[str], order: list[str], **kwargs: Any) -> list[float]:
    """Records the share of rows whose partner half is in this call as often as the row itself; rewards 0."""
    counts = Counter(zip(pair_id, order, strict=True))
    covered = [counts[(pid, OTHER_ORDER[o])] == counts[(pid, o)] for pid, o in zip(pair_id, order, strict=True)]
    CALLS.append({"rows": len(pair_id), "pairs": sorted(set(pair_id)), "coverage": sum(covered) / len(covered)})
    return [0.0] * len(completions)


def main() -> None:
    model_dir, out_dir = sys.argv[1], Path(sys.argv[2])
    dataset, _ = build_judgment_dataset(arithmetic_pairs(8), "pav")
    for name, trainer_class in (("paired", PairedGRPOTrainer), ("stock", GRPOTrainer)):
        CALLS.clear()
        config = GRPOConfig(
            output_dir=str(out_dir / name),
            use_cpu=True,
            bf16=False,
            gradient_checkpointing=False,
            max_steps=3,
            per_device_train_batch_size=4,
            gradient_accumulation_steps=2,  # steps_per_generation 2: 8 rows per rank per generation
            num_generations=2,
            max_completion_length=8,
            logging_steps=1,
            report_to="none",
            save_strategy="no",
            seed=0,
        )
        trainer = trainer_class(
            model=model_dir, reward_funcs=[pair_coverage, consistency_reward], args=config, train_dataset=dataset
        )
        trainer.train()
        record = {
            "trainer": type(trainer).__name__,
            "rank": trainer.accelerator.process_index,
            "world_size": trainer.accelerator.num_processes,
            "distributed_type": str(trainer.accelerator.distributed_type),
            "global_step": trainer.state.global_step,
            "generation_batch_size": trainer.args.generation_batch_size,
            "calls": CALLS,
        }
        (out_dir / f"{name}-rank{os.environ.get('RANK', '0')}.json").write_text(json.dumps(record), "utf-8")


if __name__ == "__main__":
    main()
