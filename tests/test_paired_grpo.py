"""The pair-aware GRPO trainer: pairs stay whole per process and generation batch, misfits fail at start-up."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import datasets
import pytest
from trl import GRPOConfig
from trl.trainer.utils import RepeatSampler

from j1_plugin.benchmarks.synthetic import arithmetic_pairs
from j1_plugin.rewards import consistency_reward, pointwise_reward, score_reward, verdict_reward
from j1_plugin.trainers.grpo import PairedGRPOTrainer, PairedRepeatSampler, check_pair_geometry, group_pairs
from j1_plugin.training_data import build_judgment_dataset

WORKER = Path(__file__).with_name("paired_grpo_worker.py")

# (num_processes, per_device_train_batch_size, steps_per_generation, num_generations, num_iterations)
GEOMETRIES = [(1, 4, 1, 2, 1), (2, 4, 2, 2, 1), (2, 8, 1, 4, 1), (3, 4, 3, 2, 2), (4, 6, 2, 3, 1), (8, 2, 2, 2, 1)]


def geometry_id(geometry: tuple[int, ...]) -> str:
    return "P{}-batch{}-steps{}-G{}-iter{}".format(*geometry)


REWARDS = {
    "pav": [verdict_reward, consistency_reward],
    "pas": [score_reward],
    "pavs": [verdict_reward],
    "pos": [pointwise_reward],
    "pav-plan": [verdict_reward],
}


def unpaired_rows(num_pairs: int) -> list[str]:
    """Pair ids of a dataset whose halves are far apart: every first half, then every second half."""
    return [f"p{i}" for i in range(num_pairs)] * 2


def sampler_args(processes: int, batch: int, steps: int, generations: int, iterations: int) -> dict:
    """The sampler arguments GRPOTrainer._get_train_sampler derives from a batch geometry."""
    generation_batch_size = batch * processes * steps
    return {
        "mini_repeat_count": generations,
        "batch_size": generation_batch_size // generations,
        "repeat_count": iterations * steps,
    }


def generation_calls(
    order: list[int], processes: int, batch: int, steps: int, iterations: int
) -> list[list[list[int]]]:
    """Rows per generation call and process, as TRL 1.16 with Accelerate slices a sampler's stream.

    The dataloader cuts the stream into batches of ``batch x steps`` rows and gives batch ``k`` to
    process ``k % processes`` (``BatchSamplerShard``); each process generates on its batch at every
    ``steps x iterations``-th micro-step and reuses it for the others (``_prepare_inputs``).
    """
    rows = batch * steps
    local: list[list[list[int]]] = [[] for _ in range(processes)]
    for k in range(len(order) // rows):
        local[k % processes].append(order[k * rows : (k + 1) * rows])
    every = steps * iterations
    calls = []
    for index in range(0, min(map(len, local)), every):
        for reused in range(index, index + every):  # the batches a generation stands in for are the same rows
            assert all(local[p][reused] == local[p][index] for p in range(processes))
        calls.append([local[p][index] for p in range(processes)])
    return calls


def partner_coverage(rows: list[int], pair_of: list[str]) -> float:
    """Share of rows whose partner (same pair, other row) is in ``rows`` exactly as often as the row itself."""
    counts = Counter(rows)
    partner = {}
    for a, b in group_pairs(pair_of):
        partner[a], partner[b] = b, a
    return sum(counts[partner[row]] == counts[row] for row in rows) / len(rows)


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=geometry_id)
def test_every_row_meets_its_partner_in_its_process_slice(geometry):
    processes, batch, steps, generations, iterations = geometry
    pairs_per_call = check_pair_geometry(batch, steps, generations, processes)
    pair_of = unpaired_rows(3 * pairs_per_call)
    sampler = PairedRepeatSampler(pair_of, seed=0, **sampler_args(*geometry))
    calls = generation_calls(list(sampler), processes, batch, steps, iterations)
    assert len(calls) == 3
    for call in calls:
        assert [partner_coverage(rows, pair_of) for rows in call] == [1.0] * processes
        gathered = [row for rows in call for row in rows]  # rewards are gathered in process order
        runs = [gathered[i : i + generations] for i in range(0, len(gathered), generations)]
        assert all(len(set(run)) == 1 for run in runs), "each prompt's generations must be consecutive"


@pytest.mark.parametrize("geometry", [g for g in GEOMETRIES if g[0] > 1], ids=geometry_id)
def test_the_stock_sampler_splits_pairs_in_the_same_simulation(geometry):
    processes, batch, steps, generations, iterations = geometry
    pair_of = unpaired_rows(3 * check_pair_geometry(batch, steps, generations, processes))
    sampler = RepeatSampler(pair_of, seed=0, **sampler_args(*geometry))
    calls = generation_calls(list(sampler), processes, batch, steps, iterations)
    assert min(partner_coverage(rows, pair_of) for call in calls for rows in call) < 1.0


def test_every_pair_appears_once_per_epoch():
    pair_of = unpaired_rows(12)
    sampler = PairedRepeatSampler(pair_of, mini_repeat_count=4, batch_size=4, repeat_count=2, seed=3)
    order = list(sampler)
    assert len(order) == len(sampler) == 24 * 4 * 2
    assert Counter(order) == dict.fromkeys(range(24), 8)


def test_an_incomplete_last_generation_batch_is_dropped_whole():
    pair_of = unpaired_rows(5)  # two pairs per batch: the fifth pair is left out
    order = list(PairedRepeatSampler(pair_of, mini_repeat_count=2, batch_size=4, seed=0))
    assert len(order) == 16
    assert len({pair_of[row] for row in order}) == 4
    assert partner_coverage(order, pair_of) == 1.0


def test_the_same_seed_gives_the_same_order_and_each_epoch_a_new_one():
    pair_of = unpaired_rows(20)

    def epochs(seed: int) -> list[list[int]]:
        sampler = PairedRepeatSampler(pair_of, mini_repeat_count=2, batch_size=4, seed=seed)
        return [list(sampler), list(sampler)]

    assert epochs(0) == epochs(0)
    assert epochs(0) != epochs(1)
    first, second = epochs(0)
    assert first != second


def test_without_shuffle_pairs_come_in_first_seen_order():
    order = list(PairedRepeatSampler(["x", "y", "x", "y"], mini_repeat_count=2, batch_size=2, shuffle=False))
    assert order == [0, 0, 2, 2, 1, 1, 3, 3]


def test_a_pair_missing_its_other_half_is_named():
    with pytest.raises(ValueError, match=r"pair 'p2' has 1 row\(s\)"):
        PairedRepeatSampler(["p1", "p2", "p1"], mini_repeat_count=2)
    with pytest.raises(ValueError, match=r"pair 'p1' has 3 row\(s\)"):
        group_pairs(["p1", "p1", "p1"])
    with pytest.raises(ValueError, match=r"pair 'p1' has two rows for the same half 'AB'"):
        group_pairs(["p1", "p1"], ["AB", "AB"])


def test_geometry_check_returns_pairs_per_generation_batch():
    assert check_pair_geometry(4, 2, 4, num_processes=2) == 2
    assert check_pair_geometry(16, 1, 4, num_processes=8) == 16


def test_geometry_check_suggests_sizes_that_work():
    with pytest.raises(ValueError) as error:
        check_pair_geometry(3, 1, 4, num_processes=2)
    message = str(error.value)
    assert "must be a multiple of 2 x num_generations (= 8)" in message
    assert "got 3 x 1 = 3" in message
    assert "num_generations=4 on 2 processes: per_device_train_batch_size 8, 16, 24 …" in message
    assert "steps_per_generation 8, 16, 24 … (with per_device_train_batch_size=3)" in message
    for batch in (8, 16, 24):  # every suggestion passes the check
        check_pair_geometry(batch, 1, 4, num_processes=2)


def test_geometry_check_suggests_steps_and_generations_that_fit_the_batch():
    with pytest.raises(ValueError) as error:
        check_pair_geometry(6, 1, 2)
    message = str(error.value)
    assert "steps_per_generation 2, 4, 6 …" in message
    assert "num_generations 3 (with the current batch)" in message
    check_pair_geometry(6, 2, 2)
    check_pair_geometry(6, 1, 3)


def grpo_config(tmp_path: Path, **overrides) -> GRPOConfig:
    settings = {
        "output_dir": str(tmp_path / "out"),
        "max_steps": 2,
        "per_device_train_batch_size": 4,
        "num_generations": 2,
        "max_completion_length": 16,
        "learning_rate": 1e-5,
        "logging_steps": 1,
        "bf16": False,
        "gradient_checkpointing": False,
        "report_to": "none",
        "save_strategy": "no",
        "seed": 0,
    }
    return GRPOConfig(**{**settings, **overrides})


def pav_dataset(count: int = 4):
    return build_judgment_dataset(arithmetic_pairs(count), "pav")[0]


def test_misfit_batch_sizes_fail_before_the_model_loads(tmp_path):
    config = grpo_config(tmp_path, per_device_train_batch_size=3, num_generations=3)
    with pytest.raises(ValueError, match=r"multiple of 2 x num_generations \(= 6\).*per_device_train_batch_size 6, "):
        PairedGRPOTrainer(model=str(tmp_path / "no-model-here"), reward_funcs=verdict_reward, args=config,
                          train_dataset=pav_dataset())  # fmt: skip


def test_a_pair_missing_its_other_half_fails_at_start_up(tmp_path):
    dataset = pav_dataset(4)
    with pytest.raises(ValueError, match=r"pair 'sum-3' has 1 row"):
        PairedGRPOTrainer(model=str(tmp_path / "no-model-here"), reward_funcs=verdict_reward,
                          args=grpo_config(tmp_path), train_dataset=dataset.select(range(7)))  # fmt: skip


def test_too_few_pairs_for_one_generation_batch_fail_at_start_up(tmp_path):
    config = grpo_config(tmp_path, per_device_train_batch_size=16)
    with pytest.raises(ValueError, match=r"has 3 pairs, but one generation batch takes 4"):
        PairedGRPOTrainer(model=str(tmp_path / "no-model-here"), reward_funcs=verdict_reward, args=config,
                          train_dataset=pav_dataset(3))  # fmt: skip


def test_a_streaming_dataset_that_could_split_pairs_is_refused_at_start_up(tmp_path):
    rows = pav_dataset(4).to_list()
    streams = {
        "with pair ids": (datasets.Dataset.from_list(rows).to_iterable_dataset(), "an IterableDataset with 'pair_id'"),
        "columns unknown": (datasets.IterableDataset.from_generator(lambda: iter(rows)), "columns are unknown"),
    }
    for stream, message in streams.values():
        with pytest.raises(ValueError, match=message):
            PairedGRPOTrainer(model=str(tmp_path / "no-model-here"), reward_funcs=verdict_reward,
                              args=grpo_config(tmp_path), train_dataset=stream)  # fmt: skip


def test_misfit_eval_batch_size_fails_at_start_up(tmp_path):
    config = grpo_config(tmp_path, per_device_eval_batch_size=6)
    with pytest.raises(ValueError, match=r"per_device_eval_batch_size must be a multiple of .*\(= 4\).*4, 8, 12"):
        PairedGRPOTrainer(model=str(tmp_path / "no-model-here"), reward_funcs=verdict_reward, args=config,
                          train_dataset=pav_dataset(), eval_dataset=pav_dataset())  # fmt: skip


def is_number(value) -> bool:
    """A logged reward mean is NaN, or ``None`` in ``log_history``, when every row's reward was ``None``."""
    return isinstance(value, float) and not math.isnan(value)


def logged(trainer, key: str) -> list[float]:
    return [entry[key] for entry in trainer.state.log_history if key in entry]


@pytest.mark.slow
@pytest.mark.parametrize("fmt", list(REWARDS))
def test_grpo_trains_each_format_and_logs_its_rewards(fmt, tiny_judge_dir, tmp_path):
    dataset, _ = build_judgment_dataset(arithmetic_pairs(4), fmt)
    trainer = PairedGRPOTrainer(model=str(tiny_judge_dir), reward_funcs=REWARDS[fmt], args=grpo_config(tmp_path),
                                train_dataset=dataset)  # fmt: skip
    assert isinstance(trainer._get_train_sampler(), PairedRepeatSampler)
    trainer.train()
    assert trainer.state.global_step == 2
    for reward in REWARDS[fmt]:
        means = logged(trainer, f"rewards/{reward.__name__}/mean")
        assert len(means) == 2
        assert all(is_number(value) for value in means), "no row got a reward (a pair reward found no partner)"


@pytest.mark.slow
def test_eval_keeps_pairs_together(tiny_judge_dir, tmp_path):
    config = grpo_config(tmp_path, per_device_eval_batch_size=4)
    trainer = PairedGRPOTrainer(model=str(tiny_judge_dir), reward_funcs=[consistency_reward], args=config,
                                train_dataset=pav_dataset(), eval_dataset=pav_dataset(4))  # fmt: skip
    assert isinstance(trainer._get_eval_sampler(trainer.eval_dataset), PairedRepeatSampler)
    metrics = trainer.evaluate()  # 4 reward calls; the metric is NaN if any call had no whole pair
    assert is_number(metrics["eval_rewards/consistency_reward/mean"])


@pytest.mark.slow
def test_data_without_pair_ids_uses_trl_sampler(tiny_judge_dir, tmp_path):
    config = grpo_config(tmp_path, per_device_train_batch_size=3, num_generations=3)  # a misfit only for pairs
    trainer = PairedGRPOTrainer(model=str(tiny_judge_dir), reward_funcs=verdict_reward, args=config,
                                train_dataset=pav_dataset().remove_columns("pair_id"))  # fmt: skip
    sampler = trainer._get_train_sampler()
    assert type(sampler) is RepeatSampler


@pytest.mark.slow
def test_two_processes_keep_every_pair_in_one_reward_call(tiny_judge_dir, tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false", "HF_HUB_OFFLINE": "1",
           "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}  # fmt: skip
    torchrun = Path(sys.executable).with_name("torchrun")
    command = [str(torchrun), "--standalone", "--nproc_per_node", "2", str(WORKER), str(tiny_judge_dir), str(tmp_path)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]
    runs = {name: [json.loads((tmp_path / f"{name}-rank{r}.json").read_text()) for r in (0, 1)]
            for name in ("paired", "stock")}  # fmt: skip
    for records in runs.values():
        assert [(r["rank"], r["world_size"], r["global_step"]) for r in records] == [(0, 2, 3), (1, 2, 3)]
        assert all(r["distributed_type"] == "DistributedType.MULTI_CPU" for r in records)
        assert all(r["generation_batch_size"] == 16 for r in records)  # 2 processes x 4 x 2 steps per generation
    paired = runs["paired"]
    assert [len(r["calls"]) for r in paired] == [3, 3]
    for first, second in zip(paired[0]["calls"], paired[1]["calls"], strict=True):
        assert first["rows"] == second["rows"] == 8
        assert first["coverage"] == second["coverage"] == 1.0
        assert not set(first["pairs"]) & set(second["pairs"]), "the two processes must judge different pairs"
    stock_coverage = [call["coverage"] for r in runs["stock"] for call in r["calls"]]
    assert min(stock_coverage) < 1.0  # control: TRL's own sampler splits pairs across processes
