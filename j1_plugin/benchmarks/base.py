"""What a judge benchmark provides, and the shared data plumbing.

A :class:`Benchmark` knows where its data lives on the hub, how to read the same schema from a
local file (``.jsonl``, ``.json`` or ``.parquet``), how to turn rows into
:class:`~j1_plugin.records.PreferencePair` objects with stable ids, and how to compute its
official score from :class:`~j1_plugin.scoring.PairOutcome` objects.

Pairs carry two metadata keys used by scoring: ``group`` (the subset, category or domain that
official scores average over) and, for RM-Bench, ``cell`` (chosen style, rejected style).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar

import j1_plugin.tasks
from j1_plugin.files import iter_jsonl, read_json
from j1_plugin.records import PreferencePair, first_duplicate_id
from j1_plugin.scoring import OfficialScores, PairOutcome, measured

# The task YAML folder: the checkout's top-level tasks/, installed as the data package j1_plugin.tasks.
TASKS_DIR = Path(j1_plugin.tasks.__file__).resolve().parent
LOCAL_SUFFIXES = (".jsonl", ".json", ".parquet")


class BenchmarkDataError(ValueError):
    """A benchmark row or file does not match the expected schema."""


def read_table(path: str | os.PathLike[str], dataset: str) -> list[dict[str, Any]]:
    """Rows of a local ``.jsonl``, ``.json`` (a list, or an object with a ``data`` list) or ``.parquet`` file."""
    path = Path(path)
    if not path.is_file():
        raise BenchmarkDataError(f"{dataset}: data file {path} does not exist")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import pyarrow
        import pyarrow.parquet as pq

        try:
            return pq.read_table(path).to_pylist()
        except (pyarrow.ArrowException, OSError) as exc:
            raise BenchmarkDataError(f"{dataset}: {path} is not a readable Parquet file ({exc})") from None
    try:
        if suffix == ".jsonl":
            return [row for _, row in iter_jsonl(path, BenchmarkDataError)]
        data = read_json(path, BenchmarkDataError) if suffix == ".json" else None
    except BenchmarkDataError as exc:  # the message names the file; name the dataset too when it differs
        raise BenchmarkDataError(str(exc) if dataset == str(path) else f"{dataset}: {exc}") from None
    if suffix == ".json":
        if isinstance(data, dict) and isinstance(data.get("data"), list):
            data = data["data"]
        if not isinstance(data, list):
            raise BenchmarkDataError(f"{dataset}: {path} must hold a JSON list of rows")
        return data
    raise BenchmarkDataError(f"{dataset}: {path} has suffix {suffix!r}; expected one of {', '.join(LOCAL_SUFFIXES)}")


def load_hub_rows(hub_id: str, split: str, **load_options: Any) -> list[dict[str, Any]]:
    """Rows of a hub dataset split, through ``datasets.load_dataset`` (needs network or a warm cache)."""
    import datasets

    return datasets.load_dataset(hub_id, split=split, **load_options).to_list()


def pair_from_positions(
    pair_id: str, prompt: str, first: str, second: str, better: str, metadata: Mapping[str, Any]
) -> PreferencePair:
    """A pair from two responses as the dataset shows them (A, B) and the letter of the better one."""
    if better not in ("A", "B"):
        raise ValueError(f"pair {pair_id!r}: the better response must be 'A' or 'B', got {better!r}")
    chosen, rejected = (first, second) if better == "A" else (second, first)
    return PreferencePair(pair_id, prompt, chosen, rejected, metadata=metadata, chosen_position=better)


class Pairs(list):
    """A benchmark's pairs, with the rows its documented rules skipped counted by reason.

    ``skipped`` maps each of the benchmark's :attr:`Benchmark.skip_reasons` to a row count (zero
    included), so a run can report what it left out instead of shrinking in silence.
    """

    def __init__(self, pairs: Iterable[PreferencePair] = (), skipped: Mapping[str, int] | None = None) -> None:
        super().__init__(pairs)
        self.skipped: dict[str, int] = dict(skipped or {})


def skipped_counts(pairs: Sequence[PreferencePair]) -> dict[str, int]:
    """The skip counts of ``pairs`` if it is a :class:`Pairs`, else none."""
    return dict(getattr(pairs, "skipped", {}))


class RowReader:
    """Typed field access for one row; every error names the dataset, the row and the field."""

    def __init__(self, dataset: str, row: Any, index: int, id_field: str | None) -> None:
        if not isinstance(row, Mapping):
            raise BenchmarkDataError(f"{dataset}: row {index} is a {type(row).__name__}, expected an object")
        self.dataset, self.row = dataset, row
        raw_id = row.get(id_field) if id_field else None
        self.label = f"row {index}" + (f" (id {raw_id!r})" if raw_id is not None else "")

    def fail(self, name: str, problem: str) -> BenchmarkDataError:
        return BenchmarkDataError(f"{self.dataset}: {self.label}: field {name!r} {problem}")

    def get(self, name: str, kind: type | tuple[type, ...], *, optional: bool = False) -> Any:
        if name not in self.row or self.row[name] is None:
            if optional:
                return None
            raise self.fail(name, "is missing")
        value = self.row[name]
        if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            raise self.fail(name, f"must be {_type_names(kind)}, got bool")
        if not isinstance(value, kind):
            raise self.fail(name, f"must be {_type_names(kind)}, got {type(value).__name__}")
        return value

    def text(self, name: str) -> str:
        return self.get(name, str)

    def identifier(self, name: str) -> str:
        value = str(self.get(name, (str, int)))
        if not value.strip():
            raise self.fail(name, "is blank; ids name the judgments of a pair")
        return value

    def text_list(self, name: str, length: int | None = None) -> list[str]:
        value = self.get(name, (list, tuple))
        if not value:
            raise self.fail(name, "is an empty list")
        if length is not None and len(value) != length:
            raise self.fail(name, f"must hold {length} items, got {len(value)}")
        for position, item in enumerate(value):
            if not isinstance(item, str):
                raise self.fail(name, f"item {position} must be a string, got {type(item).__name__}")
        return list(value)

    def choice(self, name: str, allowed: Sequence[str]) -> str:
        value = self.text(name)
        if value not in allowed:
            raise self.fail(name, f"is {value!r}; expected one of {', '.join(map(repr, allowed))}")
        return value


def _type_names(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join({"str": "a string", "int": "an integer", "list": "a list", "tuple": "a list"}.get(
        k.__name__, k.__name__) for k in kinds)  # fmt: skip


class Benchmark:
    """Base class of judge benchmarks; subclasses fill in the class attributes and two methods."""

    name: ClassVar[str]
    title: ClassVar[str]
    hub_id: ClassVar[str | None] = None
    default_split: ClassVar[str] = "test"
    splits: ClassVar[tuple[str, ...]] = ()
    pair_id_rule: ClassVar[str]
    official_keys: ClassVar[tuple[str, ...]]
    single_order_official: ClassVar[bool] = True
    task_dir: ClassVar[Path | None] = TASKS_DIR
    # Run options (lm-eval ``--metadata`` keys) passed on to ``load_pairs`` and ``official_key_names``.
    pair_option_names: ClassVar[tuple[str, ...]] = ()
    # Options for ``j1 score``: pairs wide enough to look up any judged pair id.
    rescoring_options: ClassVar[Mapping[str, Any]] = MappingProxyType({})
    # Why rows may be left out by the benchmark's own rules (e.g. PPE's ties); each is counted.
    skip_reasons: ClassVar[tuple[str, ...]] = ()

    def load_rows(self, data_file: str | os.PathLike[str] | None = None, split: str | None = None) -> list[dict]:
        """Rows from ``data_file`` if given, else from the hub."""
        if data_file is not None:
            return read_table(data_file, self.name)
        if self.hub_id is None:
            raise BenchmarkDataError(f"{self.name} has no public hub copy; pass a local data file")
        return load_hub_rows(self.hub_id, self._check_split(split))

    def _check_split(self, split: str | None) -> str:
        split = split or self.default_split
        if self.splits and split not in self.splits:
            raise BenchmarkDataError(f"{self.name}: unknown split {split!r}; expected one of {', '.join(self.splits)}")
        return split

    def pairs_from_rows(self, rows: Iterable[Mapping[str, Any]], **options: Any) -> list[PreferencePair]:
        raise NotImplementedError

    def load_pairs(
        self, data_file: str | os.PathLike[str] | None = None, split: str | None = None, **options: Any
    ) -> list[PreferencePair]:
        """Preference pairs from the hub or a local file, validated row by row."""
        return self.checked(self.pairs_from_rows(self.load_rows(data_file, split), **options))

    def checked(self, pairs: list[PreferencePair]) -> Pairs:
        """``pairs`` (skip counts kept) if there are some, with unique ids; else a :class:`BenchmarkDataError`."""
        skipped = {reason: 0 for reason in self.skip_reasons} | skipped_counts(pairs)
        if not pairs:
            left_out = ", ".join(f"{count} {reason.replace('_', ' ')}" for reason, count in skipped.items() if count)
            raise BenchmarkDataError(
                f"{self.name}: the data holds no pairs to judge" + (f" (skipped: {left_out})" if left_out else "")
            )
        duplicate = first_duplicate_id(pairs)
        if duplicate is not None:
            raise BenchmarkDataError(
                f"{self.name}: pair id {duplicate!r} occurs twice; pair ids ({self.pair_id_rule}) must be unique"
            )
        return Pairs(pairs, skipped)

    def official(self, outcomes: Sequence[PairOutcome], **options: Any) -> OfficialScores:
        raise NotImplementedError

    def measured_official(self, outcomes: Sequence[PairOutcome], **options: Any) -> OfficialScores:
        """The official scores as reported: :meth:`official`, or every number ``None`` when no judgment parsed."""
        scores = self.official(outcomes, **options)
        return scores if measured(outcomes) else scores.not_available()

    def official_key_names(self, **options: Any) -> tuple[str, ...]:
        """The scalar official score names for these options; nested scores appear as ``key/name``."""
        return self.official_keys
