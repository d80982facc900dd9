"""GRPO that keeps both halves of every J1 pair in one reward call: :class:`PairedGRPOTrainer`.

J1's consistency reward (both orders of a pair) and pointwise reward (both sides of a pair) score
a row against its partner, so the partner must be generated in the same call on the same
process. TRL's sampler shuffles rows one by one; :class:`PairedRepeatSampler` shuffles whole pairs
(rows sharing ``pair_id``) instead, and :func:`check_pair_geometry` states the batch sizes that
keep a pair from straddling two processes.

How TRL lays out a generation batch (``trl`` 1.16, ``GRPOTrainer._get_train_sampler`` and
Accelerate's ``BatchSamplerShard``): the sampler yields each row ``num_generations`` times in a
row; the dataloader cuts the stream into slices of ``per_device_train_batch_size x
steps_per_generation`` rows and hands slice *k* to process ``k % num_processes``; each process
generates and scores its slice in one call. A pair takes ``2 x num_generations`` consecutive rows,
so it stays whole when the slice length is a multiple of that. ``_get_train_sampler`` and
``_get_eval_sampler`` are internal TRL hooks: check this module when upgrading ``trl``.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Hashable, Iterator, Sequence
from typing import Any

import datasets
import torch
from torch.utils.data import Sampler
from trl import GRPOTrainer

PAIR_COLUMN = "pair_id"
HALVES = ("order", "side")  # pairwise: "AB"/"BA"; pointwise: "chosen"/"rejected"


def _multiples(step: int, count: int = 3) -> str:
    return ", ".join(str(step * k) for k in range(1, count + 1)) + " …"


def check_pair_geometry(
    per_device_train_batch_size: int, steps_per_generation: int, num_generations: int, num_processes: int = 1
) -> int:
    """Raise ``ValueError`` unless each process's slice of a generation batch holds whole pairs.

    The rule is ``per_device_train_batch_size x steps_per_generation`` being a multiple of
    ``2 x num_generations``; the message lists sizes that would work. Returns the number of pairs
    one generation batch takes over all processes.

    >>> check_pair_geometry(4, 2, 4, num_processes=2)
    2
    """
    sizes = {
        "per_device_train_batch_size": per_device_train_batch_size,
        "steps_per_generation": steps_per_generation,
        "num_generations": num_generations,
        "num_processes": num_processes,
    }
    for name, value in sizes.items():
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if num_generations < 2:
        raise ValueError(f"num_generations must be at least 2 (GRPO compares generations), got {num_generations}")
    rows = per_device_train_batch_size * steps_per_generation
    pair_rows = 2 * num_generations
    if rows % pair_rows == 0:
        return rows * num_processes // pair_rows
    processes = f"{num_processes} process" + ("es" if num_processes != 1 else "")
    batch_step = pair_rows // math.gcd(steps_per_generation, pair_rows)
    steps_step = pair_rows // math.gcd(per_device_train_batch_size, pair_rows)
    generations = [g for g in range(2, rows // 2 + 1) if rows % (2 * g) == 0]
    alternatives = (
        f"per_device_train_batch_size {_multiples(batch_step)} (with steps_per_generation={steps_per_generation}); "
        f"or steps_per_generation {_multiples(steps_step)} (with per_device_train_batch_size="
        f"{per_device_train_batch_size})"
    )
    if generations:
        listed = ", ".join(map(str, generations[:4])) + (" …" if len(generations) > 4 else "")
        alternatives += f"; or num_generations {listed} (with the current batch)"
    raise ValueError(
        f"per_device_train_batch_size x steps_per_generation must be a multiple of 2 x num_generations "
        f"(= {pair_rows}), so that both halves of every pair, with their {num_generations} generations each, "
        f"land in the same process's slice of a generation batch; got {per_device_train_batch_size} x "
        f"{steps_per_generation} = {rows} (steps_per_generation defaults to gradient_accumulation_steps). "
        f"Sizes that work with num_generations={num_generations} on {processes}: {alternatives}."
    )


def group_pairs(pair_ids: Sequence[Hashable], halves: Sequence[Any] | None = None) -> list[list[int]]:
    """Row indices grouped by pair id, in first-seen order; every pair must have exactly two rows.

    ``halves`` (e.g. the ``order`` or ``side`` of each row), when given, must differ within a pair.
    Raises ``ValueError`` naming the first pair that breaks the rule.

    >>> group_pairs(["p1", "p2", "p1", "p2"])
    [[0, 2], [1, 3]]
    """
    groups: dict[Hashable, list[int]] = {}
    for index, pair_id in enumerate(pair_ids):
        groups.setdefault(pair_id, []).append(index)
    for pair_id, rows in groups.items():
        if len(rows) != 2:
            raise ValueError(
                f"pair {pair_id!r} has {len(rows)} row(s) in the data, but every {PAIR_COLUMN} must have exactly 2 "
                f"(both orders of a pairwise pair, or both sides of a pointwise pair); rows {rows[:5]}"
            )
        if halves is not None and halves[rows[0]] is not None and halves[rows[0]] == halves[rows[1]]:
            raise ValueError(f"pair {pair_id!r} has two rows for the same half {halves[rows[0]]!r}; expected one each")
    return list(groups.values())


class PairedRepeatSampler(Sampler[int]):
    """TRL's ``RepeatSampler`` ordering, shuffled pair by pair: both halves of a pair stay adjacent.

    Yields chunks of ``batch_size`` distinct rows (``batch_size / 2`` whole pairs), each row
    ``mini_repeat_count`` times in a row, each chunk ``repeat_count`` times; a last incomplete chunk
    is dropped. With the same ``seed`` every process draws the same order; each new iteration
    (epoch) draws a new one.
    """

    def __init__(
        self,
        pair_ids: Sequence[Hashable],
        mini_repeat_count: int,
        batch_size: int = 2,
        repeat_count: int = 1,
        shuffle: bool = True,
        seed: int | None = None,
    ) -> None:
        if batch_size < 2 or batch_size % 2:
            raise ValueError(f"batch_size counts distinct rows of whole pairs, so it must be even; got {batch_size}")
        self.pairs = group_pairs(list(pair_ids))
        self.mini_repeat_count = mini_repeat_count
        self.batch_size = batch_size
        self.repeat_count = repeat_count
        self.shuffle = shuffle
        self.seed = seed
        self.generator = torch.Generator()
        if seed is not None:
            self.generator.manual_seed(seed)
        else:
            self.generator.seed()

    @property
    def pairs_per_chunk(self) -> int:
        return self.batch_size // 2

    def __iter__(self) -> Iterator[int]:
        count = len(self.pairs)
        order = torch.randperm(count, generator=self.generator).tolist() if self.shuffle else range(count)
        rows = [row for pair in order for row in self.pairs[pair]]
        for start in range(0, len(rows) - self.batch_size + 1, self.batch_size):
            chunk = rows[start : start + self.batch_size]
            for _ in range(self.repeat_count):
                for row in chunk:
                    yield from [row] * self.mini_repeat_count

    def __len__(self) -> int:
        chunks = len(self.pairs) // self.pairs_per_chunk
        return chunks * self.batch_size * self.mini_repeat_count * self.repeat_count


def _pair_columns(dataset: Any) -> tuple[list[Any], list[Any]] | None:
    """(pair ids, halves) of a map-style dataset with a ``pair_id`` column, else ``None``.

    An ``IterableDataset`` with ``pair_id`` raises: TRL streams those without a sampler, so pairs could not be
    kept. So does one whose columns are unknown until it is read, which could hold ``pair_id`` unseen.
    """
    if isinstance(dataset, datasets.IterableDataset):
        names = dataset.column_names
        materialise = "materialise it (e.g. datasets.Dataset.from_list(list(stream)))"
        if names is None:
            raise ValueError(
                f"PairedGRPOTrainer got an IterableDataset whose columns are unknown until it is read, so it cannot "
                f"tell whether rows are paired by {PAIR_COLUMN!r}; declare its features (e.g. "
                f"IterableDataset.from_generator(..., features=...)) or {materialise}"
            )
        if PAIR_COLUMN in names:
            raise ValueError(
                f"PairedGRPOTrainer needs a map-style datasets.Dataset to keep both halves of a pair together, but "
                f"got an IterableDataset with {PAIR_COLUMN!r}; {materialise}"
            )
    if not isinstance(dataset, datasets.Dataset) or PAIR_COLUMN not in dataset.column_names:
        return None
    pair_ids = list(dataset[PAIR_COLUMN])
    orders, sides = (list(dataset[name]) if name in dataset.column_names else [None] * len(pair_ids) for name in HALVES)
    return pair_ids, [order if order is not None else side for order, side in zip(orders, sides, strict=True)]


def _eval_datasets(eval_dataset: Any) -> list[Any]:
    if eval_dataset is None:
        return []
    return list(eval_dataset.values()) if isinstance(eval_dataset, dict) else [eval_dataset]


class PairedGRPOTrainer(GRPOTrainer):
    """``trl.GRPOTrainer`` that generates both halves of every pair in the same reward call.

    Same constructor as ``GRPOTrainer``. When the train (or eval) dataset has a ``pair_id`` column
    it is sampled with :class:`PairedRepeatSampler`, and misfit batch sizes or a pair without its
    other half raise ``ValueError`` at construction; otherwise it is a plain ``GRPOTrainer``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        bound = inspect.signature(GRPOTrainer.__init__).bind(self, *args, **kwargs).arguments
        config = bound.get("args")
        if config is not None:  # fail before the model loads
            self._check_pairs(config, config.world_size, bound.get("train_dataset"), bound.get("eval_dataset"))
            super().__init__(*args, **kwargs)
        else:
            super().__init__(*args, **kwargs)
            self._check_pairs(self.args, self.accelerator.num_processes, self.train_dataset, self.eval_dataset)

    @staticmethod
    def _check_pairs(config: Any, num_processes: int, train_dataset: Any, eval_dataset: Any) -> None:
        columns = _pair_columns(train_dataset)
        if columns is not None:
            pairs = len(group_pairs(*columns))
            per_batch = check_pair_geometry(
                config.per_device_train_batch_size, config.steps_per_generation, config.num_generations, num_processes
            )
            if pairs < per_batch:
                raise ValueError(
                    f"the train dataset has {pairs} pairs, but one generation batch takes {per_batch} "
                    f"(per_device_train_batch_size {config.per_device_train_batch_size} x steps_per_generation "
                    f"{config.steps_per_generation} x {num_processes} process(es) / (2 x num_generations "
                    f"{config.num_generations})); add pairs or shrink the batch"
                )
        for dataset in _eval_datasets(eval_dataset):
            columns = _pair_columns(dataset)
            if columns is None:
                continue
            group_pairs(*columns)
            generations = config.num_generations_eval or config.num_generations
            if config.per_device_eval_batch_size % (2 * generations):
                raise ValueError(
                    f"per_device_eval_batch_size must be a multiple of 2 x num_generations_eval (= {2 * generations}) "
                    f"so that both halves of every eval pair land in the same reward call; got "
                    f"{config.per_device_eval_batch_size}. Sizes that work: {_multiples(2 * generations)}"
                )

    def _get_train_sampler(self, dataset: Any = None) -> Sampler:
        dataset = self.train_dataset if dataset is None else dataset
        columns = _pair_columns(dataset)
        if columns is None:
            return super()._get_train_sampler(dataset)
        return PairedRepeatSampler(
            columns[0],
            mini_repeat_count=self.num_generations,
            batch_size=self.args.generation_batch_size // self.num_generations,
            repeat_count=self.num_iterations * self.args.steps_per_generation,
            shuffle=self.shuffle_dataset,
            seed=self.args.seed,
        )

    def _get_eval_sampler(self, eval_dataset: Any) -> Sampler:
        columns = _pair_columns(eval_dataset)
        if columns is None:
            return super()._get_eval_sampler(eval_dataset)
        return PairedRepeatSampler(columns[0], mini_repeat_count=self.num_generations_eval, seed=self.args.seed)


__all__ = ["PairedGRPOTrainer", "PairedRepeatSampler", "check_pair_geometry", "group_pairs"]
