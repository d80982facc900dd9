"""Run-time options of the J1 lm-eval tasks, read from lm-eval's task metadata.

Everything is chosen at run time, without editing YAML, through ``--metadata`` (JSON) or
``TaskManager(metadata=...)``; ``--model_args`` entries arrive in the same mapping, which is how
the tokenizer is found for truncation.

The keys, their defaults and meanings are :data:`METADATA_KEYS` (shown by ``j1 eval --help``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from j1_plugin.benchmarks.base import LOCAL_SUFFIXES
from j1_plugin.scoring import DEFAULT_SEED, default_aggregate

DATA_DIR_ENV = "J1_DATA_DIR"

# (key, default, meaning) of every --metadata option; `j1 eval --help` prints this table.
METADATA_KEYS = (
    ("format", "pav", "judgment format (any registered one, plugins' included)"),
    ("template", "none", "prompt template file for that format"),
    ("samples", "1", "N for SC@N / Mean-Score@N; N > 1 samples at temperature/top_p, one request each"),
    ("temperature", "1.0", "sampling temperature when samples > 1"),
    ("top_p", "0.95", "nucleus sampling when samples > 1"),
    ("aggregate", "auto", "vote (SC@N) or mean_score (Mean-Score@N); auto: mean_score for score-only formats"),
    ("single_order", "false", "judge one seeded order per pair instead of both"),
    ("seed", str(DEFAULT_SEED), "seed of the single-order choice (recorded in the sample logs)"),
    ("data_file", "none", "local file in the hub schema instead of the hub"),
    ("data_dir", f"${DATA_DIR_ENV}", "folder with <benchmark>.jsonl|json|parquet files"),
    ("split", "per benchmark", "hub split (e.g. JudgeBench claude)"),
    ("variant", "diagonal", "RM-Bench: diagonal or full (3x3 matrix)"),
    ("domains", "all", "PPE correctness: one domain or a list"),
    ("max_prompt_tokens", "auto", "prompt token budget; auto = tokenizer model_max_length minus max_gen_toks"),
    ("tokenizer", "pretrained=", "tokenizer that counts prompt tokens for max_prompt_tokens"),
)


TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")
# Keys the J1 tasks read besides METADATA_KEYS: lm-eval's YAML ones and the generation budget.
OTHER_KEYS = ("benchmark", "version", "max_gen_toks")


class MetadataError(ValueError):
    """A J1 run option (``--metadata``) with an unknown name or a value of the wrong kind."""


def _flag(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS + FALSE_WORDS:
        return value.strip().lower() in TRUE_WORDS
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise MetadataError(f"metadata {key!r} must be true or false, got {value!r}")


def _whole(key: str, value: Any, minimum: int | None = None) -> int:
    """``value`` as an int: a JSON integer or a string of digits, never a truncated float."""
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
        number = int(value)
    if number is None:
        raise MetadataError(f"metadata {key!r} must be a whole number, got {value!r}")
    if minimum is not None and number < minimum:
        raise MetadataError(f"metadata {key!r} must be at least {minimum}, got {number}")
    return number


def _real(key: str, value: Any, low: float, high: float, low_open: bool) -> float:
    try:
        number = float(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        number = None
    if number is None or number != number:  # NaN
        raise MetadataError(f"metadata {key!r} must be a number, got {value!r}")
    if number < low or (low_open and number == low) or number > high:
        bound = f"{'above' if low_open else 'at least'} {low:g} and at most {high:g}"
        raise MetadataError(f"metadata {key!r} must be {bound}, got {value!r}")
    return number


def _prompt_budget(value: Any) -> int | str | None:
    """``"auto"``, ``None`` (no budget: ``null`` or ``"none"``) or a token count of at least 1."""
    word = value.strip().lower() if isinstance(value, str) else None
    if word == "auto":
        return "auto"
    if value is None or word == "none":
        return None
    return _whole("max_prompt_tokens", value, minimum=1)


def check_metadata_keys(metadata: Mapping[str, Any], extra: Sequence[str] = ()) -> None:
    """Refuse keys no J1 task reads (typos), naming the nearest known key; ``extra`` adds allowed names."""
    import difflib

    known = [key for key, _, _ in METADATA_KEYS] + list(OTHER_KEYS) + list(extra)
    for key in metadata:
        if key not in known:
            near = difflib.get_close_matches(str(key), known, n=1)
            hint = f"; did you mean {near[0]!r}?" if near else f"; known keys: {', '.join(sorted(known))}"
            raise MetadataError(f"unknown --metadata key {key!r}{hint}")


@dataclass(frozen=True)
class EvalOptions:
    benchmark: str
    format: str = "pav"
    template: str | None = None
    samples: int = 1
    temperature: float = 1.0
    top_p: float = 0.95
    aggregate: str | None = None
    single_order: bool = False
    seed: int = DEFAULT_SEED
    data_file: str | None = None
    data_dir: str | None = None
    split: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    max_prompt_tokens: int | str | None = "auto"
    tokenizer: str | None = None

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, Any] | None) -> EvalOptions:
        meta = dict(metadata or {})
        if "benchmark" not in meta:
            raise ValueError("J1 task metadata must name its 'benchmark'")
        options = cls(
            benchmark=str(meta["benchmark"]),
            format=str(meta.get("format", "pav")),
            template=meta.get("template"),
            samples=_whole("samples", meta.get("samples", 1), minimum=1),
            temperature=_real("temperature", meta.get("temperature", 1.0), 0.0, 100.0, low_open=True),
            top_p=_real("top_p", meta.get("top_p", 0.95), 0.0, 1.0, low_open=True),
            aggregate=meta.get("aggregate"),
            single_order=_flag("single_order", meta.get("single_order", False)),
            seed=_whole("seed", meta.get("seed", DEFAULT_SEED)),
            data_file=meta.get("data_file"),
            data_dir=meta.get("data_dir") or os.environ.get(DATA_DIR_ENV),
            split=meta.get("split"),
            metadata=meta,
            max_prompt_tokens=_prompt_budget(meta.get("max_prompt_tokens", "auto")),
            tokenizer=meta.get("tokenizer") or meta.get("pretrained"),
        )
        if options.aggregate not in (None, "vote", "mean_score"):
            raise MetadataError(f"metadata 'aggregate' must be 'vote' or 'mean_score', got {options.aggregate!r}")
        return options

    def aggregation(self, fmt: Any) -> str:
        """The SC@N reduction: as asked, else the format's default (:func:`~j1_plugin.scoring.default_aggregate`)."""
        return self.aggregate if self.aggregate is not None else default_aggregate(fmt)

    def pair_options(self, benchmark: Any) -> dict[str, Any]:
        """The run options ``benchmark`` declares in ``pair_option_names`` (e.g. RM-Bench ``variant``)."""
        return {name: self.metadata[name] for name in benchmark.pair_option_names if name in self.metadata}

    def local_data(self) -> Path | None:
        """The local data file (or RM-Bench folder) to read, if the run names one."""
        if self.data_file:
            return Path(self.data_file)
        if self.data_dir:
            folder = Path(self.data_dir)
            for candidate in [folder / f"{self.benchmark}{suffix}" for suffix in LOCAL_SUFFIXES] + [
                folder / self.benchmark
            ]:
                if candidate.exists():
                    return candidate
        return None
