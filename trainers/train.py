"""``j1 train``: train a J1 judge from a recipe, online with pair-aware GRPO or offline with DPO.

Run it as ``j1 train --config recipe.yaml``, ``python -m j1_plugin.trainers.train --config recipe.yaml``
or ``accelerate launch [--config_file accelerate.yaml] -m j1_plugin.trainers.train --config recipe.yaml``;
``recipe.yaml`` is a path or the name of a bundled recipe (``RECIPES_DIR``; accelerate configs
are in ``ACCELERATE_DIR``).
Arguments are parsed by TRL's ``TrlParser`` over :class:`J1Arguments`, ``trl.GRPOConfig`` (or
``trl.DPOConfig`` with ``trainer: dpo``) and ``trl.ModelConfig``, so every TRL and transformers
training option works as a YAML key and as a ``--key value`` flag; flags override the recipe.

A recipe may hold a ``variants:`` mapping of named overlays; ``--variant NAME`` applies one on top
of the recipe before the flags. Every bundled recipe has a ``tiny`` variant that trains on CPU
in seconds (``j1 train --config <recipe> --variant tiny``), used by the tests.

``model_name_or_path: j1:tiny-judge`` names the tiny offline judge of
:mod:`j1_plugin.tiny_models` (built into the cache on first use).

GRPO: the judgment data comes from :func:`j1_plugin.training_data.build_judgment_dataset`
(both orders of every pair, or both sides for pointwise formats), rewards from the plugin
registry or dotted paths, and the trainer is :class:`j1_plugin.trainers.grpo.PairedGRPOTrainer`,
which keeps both halves of a pair in one reward call. DPO: the seed judge samples judgments that
:func:`j1_plugin.trainers.dpo.build_dpo_dataset` grades and pairs; they are saved to
``<output_dir>/dpo_data`` and reused by later runs into the same ``output_dir`` (e.g. a resume).

With a held-out set (``eval_dataset`` or ``eval_fraction``) and ``eval_strategy: steps``, every
``eval_steps`` the trainer evaluates on it and :class:`j1_plugin.trainers.callbacks.J1EvalCallback`
logs the J1 metrics of greedy judgments (``eval_j1/…``).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import os
import random
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from j1_plugin.errors import report as report_error

TRAINERS = ("grpo", "dpo")
RECIPES_DIR = Path(__file__).parent / "recipes"
ACCELERATE_DIR = Path(__file__).parent / "accelerate"
SYNTHETIC_ARITHMETIC = "synthetic:arithmetic:"
TINY_JUDGE = "j1:tiny-judge"
DPO_DATA_DIR = "dpo_data"


class RecipeError(ValueError):
    """A recipe or flag that cannot make a training run; the message says what to change."""


@dataclass
class J1Arguments:
    """J1 options of ``j1 train``; TRL's own options come from ``GRPOConfig``/``DPOConfig`` and ``ModelConfig``."""

    trainer: str = field(
        default="grpo",
        metadata={
            "help": "'grpo' (online RL with verifiable rewards, the J1 recipe) or 'dpo' (offline baseline).",
            "choices": list(TRAINERS),
        },
    )
    variant: str | None = field(
        default=None,
        metadata={"help": "Name of an overlay in the recipe's 'variants:' mapping (e.g. 'tiny'), applied first."},
    )
    dataset: str | None = field(
        default=None,
        metadata={
            "help": "Preference pairs: a hub dataset id, a local .jsonl/.json/.parquet file or folder, or "
            "'synthetic:arithmetic:<N>' for N bundled verifiable arithmetic pairs."
        },
    )
    dataset_split: str = field(default="train", metadata={"help": "Split of a hub dataset."})
    columns: dict | str | None = field(
        default=None,
        metadata={
            "help": "Column names of the source, as a mapping from id/prompt/chosen/rejected to the "
            "source's names (YAML mapping, or JSON on the command line)."
        },
    )
    formats: list[str] = field(
        default_factory=lambda: ["pav"],
        metadata={"help": "Judgment formats to train on, e.g. 'pav', or 'pav pos' for J1's multitask recipe."},
    )
    template: str | None = field(
        default=None, metadata={"help": "Prompt template file replacing the formats' built-in template."}
    )
    reward_funcs: list[str] | None = field(
        default=None,
        metadata={
            "help": "GRPO rewards: registered names (see 'j1 plugins', e.g. verdict_reward) or dotted import "
            "paths (pkg.module.function). Default: each format's reward (pav: verdict_reward, "
            "pos: pointwise_reward, pas: score_reward). Weigh them with reward_weights."
        },
    )
    max_prompt_tokens: int | None = field(
        default=None,
        metadata={"help": "Cut the judged responses so a prompt fits this many tokens (the evaluation's rule)."},
    )
    skip_bad_rows: bool = field(
        default=False, metadata={"help": "Skip (and count) preference rows that cannot be read, instead of failing."}
    )
    eval_dataset: str | None = field(
        default=None, metadata={"help": "Held-out preference pairs (same kinds of source as 'dataset')."}
    )
    eval_dataset_split: str = field(default="test", metadata={"help": "Split of a hub eval_dataset."})
    eval_fraction: float | None = field(
        default=None,
        metadata={"help": "Hold this fraction of the training pairs out for evaluation (seeded by 'seed')."},
    )
    eval_max_pairs: int | None = field(
        default=64, metadata={"help": "At most this many held-out pairs (keeps evaluation during training cheap)."}
    )
    eval_max_new_tokens: int = field(
        default=1024, metadata={"help": "Token budget of each greedy held-out judgment for the eval_j1 metrics."}
    )
    seed_judge: str | None = field(
        default=None, metadata={"help": "DPO: model that samples the judgments to pair (default: the trained model)."}
    )
    seed_judge_backend: str = field(
        default="hf", metadata={"help": "DPO: judge backend of the seed judge ('hf', or 'vllm' on a GPU)."}
    )
    dpo_samples: int = field(default=4, metadata={"help": "DPO: judgments sampled per prompt and order."})
    dpo_max_new_tokens: int = field(default=4096, metadata={"help": "DPO: token budget of each sampled judgment."})
    dpo_temperature: float = field(default=1.0, metadata={"help": "DPO: sampling temperature of the seed judge."})
    dpo_top_p: float = field(default=0.95, metadata={"help": "DPO: nucleus sampling of the seed judge."})
    dpo_data_only: bool = field(
        default=False, metadata={"help": "DPO: build and save the DPO data to <output_dir>/dpo_data, then stop."}
    )


# ---------------------------------------------------------------------------------------------- parsing


def bundled_recipes() -> list[str]:
    """File names of the recipes shipped in ``trainers/recipes`` (installed as ``j1_plugin/trainers/recipes``)."""
    return sorted(path.name for path in RECIPES_DIR.glob("*.yaml"))


def recipe_path(name: str) -> str:
    """``name`` itself when it is a file, else the bundled recipe of that name (``.yaml`` optional)."""
    if Path(name).exists():
        return name
    if Path(name).name == name:  # a bare name: look among the bundled recipes
        for candidate in (RECIPES_DIR / name, RECIPES_DIR / f"{name}.yaml"):
            if candidate.is_file():
                return str(candidate)
    raise RecipeError(f"no recipe file {name!r}; bundled recipes: {', '.join(bundled_recipes())}")


def _read_recipe(path: str) -> dict[str, Any]:
    import yaml

    try:
        with open(path, encoding="utf-8") as handle:
            recipe = yaml.safe_load(handle)
    except OSError as exc:
        raise RecipeError(f"cannot read recipe {path}: {exc.strerror or exc}") from None
    if not isinstance(recipe, dict):
        raise RecipeError(f"recipe {path} must be a YAML mapping of options")
    return recipe


def apply_variant(recipe: dict[str, Any], variant: str | None, source: str = "the recipe") -> dict[str, Any]:
    """The recipe without its ``variants:`` mapping, with the named variant's keys laid over it.

    >>> apply_variant({"max_steps": 300, "variants": {"tiny": {"max_steps": 2}}}, "tiny")
    {'max_steps': 2}
    """
    recipe = dict(recipe)
    variants = recipe.pop("variants", None) or {}
    if not isinstance(variants, dict):
        raise RecipeError(f"'variants' in {source} must map variant names to option mappings")
    if variant is None:
        return recipe
    if variant not in variants:
        offered = ", ".join(variants) or "none"
        raise RecipeError(f"{source} has no variant {variant!r}; its variants: {offered}")
    overlay = variants[variant] or {}
    if not isinstance(overlay, dict):
        raise RecipeError(f"variant {variant!r} of {source} must be a mapping of options")
    return {**recipe, **overlay}


def _make_parser(trainer: str, variant: str | None) -> Any:
    from trl import DPOConfig, GRPOConfig, ModelConfig, TrlParser

    class RecipeParser(TrlParser):
        """TrlParser whose recipe may carry ``variants:``; the chosen one is laid over the recipe."""

        def set_defaults_with_config(self, **config: Any) -> list[str]:
            return super().set_defaults_with_config(**apply_variant(config, variant))

    config_class = GRPOConfig if trainer == "grpo" else DPOConfig
    return RecipeParser((J1Arguments, config_class, ModelConfig), prog="j1 train")


def parse_arguments(argv: Sequence[str]) -> tuple[J1Arguments, Any, Any]:
    """(J1 options, GRPOConfig or DPOConfig, ModelConfig) from ``--config`` recipe, variant and flags."""
    peek = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    for flag in ("--config", "--trainer", "--variant"):
        peek.add_argument(flag)
    argv = list(argv)
    known, _ = peek.parse_known_args(argv)
    recipe: dict[str, Any] = {}
    if known.config is not None:
        if "--config" not in argv:
            raise RecipeError("write the recipe as --config PATH (two words)")
        known.config = argv[argv.index("--config") + 1] = recipe_path(known.config)
        recipe = _read_recipe(known.config)
    elif known.variant is not None:
        raise RecipeError("--variant picks an overlay of a recipe; give the recipe with --config")
    variant = known.variant if known.variant is not None else recipe.get("variant")
    recipe = apply_variant(recipe, variant, source=known.config or "the recipe")
    trainer = known.trainer or recipe.get("trainer") or "grpo"
    if trainer not in TRAINERS:
        raise RecipeError(f"unknown trainer {trainer!r}; choose one of: {', '.join(TRAINERS)}")
    try:
        j1_args, training_args, model_args = _make_parser(trainer, variant).parse_args_and_config(argv)
    except ValueError as exc:  # unknown recipe keys, bad values
        raise RecipeError(str(exc)) from exc
    if isinstance(j1_args.columns, str):
        try:
            j1_args.columns = json.loads(j1_args.columns)
        except json.JSONDecodeError as exc:
            raise RecipeError(f"columns must be a mapping (JSON on the command line): {exc}") from None
    return j1_args, training_args, model_args


# ---------------------------------------------------------------------------------------------- data


def _is_main_process() -> bool:
    """True on the first process of a launch (and in a plain single-process run)."""
    return int(os.environ.get("RANK", "0")) == 0


def _say(message: str) -> None:
    """Print once per run (on the main process of a multi-process launch)."""
    if _is_main_process():
        print(f"j1 train: {message}", flush=True)


def _synthetic_pairs(source: str, held_out: bool) -> list[Any]:
    from j1_plugin.benchmarks.synthetic import arithmetic_pairs

    count = source[len(SYNTHETIC_ARITHMETIC) :]
    if not count.isdigit() or int(count) < 1:
        raise RecipeError(f"{source!r}: write synthetic:arithmetic:<N> with N a positive number of pairs")
    if held_out:  # other questions than the training pairs
        return arithmetic_pairs(int(count), seed=1, prefix="heldout-sum")
    return arithmetic_pairs(int(count), seed=0)


def load_pairs(source: str, j1: J1Arguments, *, split: str, report: Any, held_out: bool = False) -> list[Any]:
    """Preference pairs of a hub id, a local file, or ``synthetic:arithmetic:<N>``."""
    from j1_plugin.training_data import load_preference_pairs

    if source.startswith("synthetic:"):
        if not source.startswith(SYNTHETIC_ARITHMETIC):
            raise RecipeError(f"unknown synthetic data {source!r}; the bundled one is synthetic:arithmetic:<N>")
        return _synthetic_pairs(source, held_out)
    return load_preference_pairs(source, split=split, columns=j1.columns, skip_bad_rows=j1.skip_bad_rows, report=report)


def split_pairs(j1: J1Arguments, seed: int) -> tuple[list[Any], list[Any], Any]:
    """(training pairs, held-out pairs, load report) from ``dataset`` and ``eval_dataset``/``eval_fraction``."""
    from j1_plugin.training_data import BuildReport

    if not j1.dataset:
        raise RecipeError("set 'dataset': a hub id, a local file, or synthetic:arithmetic:<N>")
    report = BuildReport()
    pairs = load_pairs(j1.dataset, j1, split=j1.dataset_split, report=report)
    cap = j1.eval_max_pairs if j1.eval_max_pairs is not None else len(pairs)
    if j1.eval_dataset and j1.eval_fraction:
        raise RecipeError("set either eval_dataset or eval_fraction, not both")
    if j1.eval_dataset:
        held = load_pairs(j1.eval_dataset, j1, split=j1.eval_dataset_split, report=BuildReport(), held_out=True)
        return pairs, held[:cap], report
    if not j1.eval_fraction:
        return pairs, [], report
    if not 0 < j1.eval_fraction < 1:
        raise RecipeError(f"eval_fraction must be between 0 and 1, got {j1.eval_fraction}")
    count = min(cap, max(1, round(j1.eval_fraction * len(pairs))))
    if count >= len(pairs):
        raise RecipeError(f"eval_fraction {j1.eval_fraction} leaves no training pairs out of {len(pairs)}")
    shuffled = list(pairs)
    random.Random(seed).shuffle(shuffled)
    held_ids = {pair.id for pair in shuffled[:count]}
    return [p for p in pairs if p.id not in held_ids], [p for p in pairs if p.id in held_ids], report


def check_formats(formats: Sequence[str]) -> None:
    from j1_plugin.plugins import NotRegisteredError, get_format

    if not formats:
        raise RecipeError("'formats' is empty; name at least one judgment format (e.g. pav)")
    for name in formats:
        try:
            get_format(name)
        except NotRegisteredError as exc:
            raise RecipeError(f"formats: {exc}") from None


def resolve_reward(name: str) -> Callable[..., Any]:
    """A registered reward by name, or any callable by dotted import path."""
    from j1_plugin.plugins import list_rewards

    registered = list_rewards()
    if name in registered:
        from j1_plugin.plugins import get_reward

        return get_reward(name)
    if "." in name:
        module_name, attribute = name.rsplit(".", 1)
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise RecipeError(f"reward {name!r}: cannot import module {module_name!r}: {exc}") from None
        reward = getattr(module, attribute, None)
        if not callable(reward):
            raise RecipeError(f"reward {name!r}: module {module_name!r} has no callable {attribute!r}")
        return reward
    raise RecipeError(
        f"unknown reward {name!r}: it is neither a registered reward ({', '.join(registered)}) "
        "nor a dotted import path (package.module.function)"
    )


def reward_names(j1: J1Arguments) -> list[str]:
    """``reward_funcs``, or the default reward of each format (without repeats)."""
    from j1_plugin.rewards import DEFAULT_REWARDS

    if j1.reward_funcs:
        return list(j1.reward_funcs)
    names: list[str] = []
    for fmt in j1.formats:
        if fmt not in DEFAULT_REWARDS:
            raise RecipeError(f"format {fmt!r} has no default reward; name one with reward_funcs")
        if DEFAULT_REWARDS[fmt] not in names:
            names.append(DEFAULT_REWARDS[fmt])
    return names


def resolve_model(model_args: Any) -> str:
    path = model_args.model_name_or_path
    if not path:
        raise RecipeError("set model_name_or_path: a hub id, a local model folder, or j1:tiny-judge")
    if path == TINY_JUDGE:
        from j1_plugin.tiny_models import tiny_judge_path

        path = model_args.model_name_or_path = str(tiny_judge_path())
    return path


def _model_init_kwargs(training_args: Any, model_args: Any) -> None:
    """As TRL's own scripts do: ModelConfig's revision, attention and dtype go to model loading."""
    kwargs = {
        "revision": model_args.model_revision,
        "trust_remote_code": training_args.trust_remote_code,
        "attn_implementation": model_args.attn_implementation,
        "dtype": model_args.dtype,
    }
    training_args.model_init_kwargs = {**kwargs, **(training_args.model_init_kwargs or {})}


def _tokenizer(model: str, model_args: Any, training_args: Any) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(
        model, revision=model_args.model_revision, trust_remote_code=training_args.trust_remote_code
    )


def _resume_value(value: str | None) -> str | bool | None:
    """``--resume_from_checkpoint true`` means the last checkpoint in output_dir; any other value is a path."""
    if value is None or str(value).lower() in ("", "false", "no", "none"):
        return None
    return True if str(value).lower() in ("true", "yes", "last") else str(value)


def checkpoint_problem(folder: Path) -> str | None:
    """Why ``folder`` is not a complete checkpoint, or ``None`` when it is one.

    transformers writes ``trainer_state.json`` last, after the weights, optimizer and RNG state, so
    a checkpoint whose state file is missing or cut short was interrupted while being saved.
    """
    state = folder / "trainer_state.json"
    if not state.is_file():
        return "no trainer_state.json (interrupted while saving?)"
    try:
        json.loads(state.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return "trainer_state.json is cut short (interrupted while saving?)"
    return None


def resume_checkpoint(value: str | bool | None, output_dir: str) -> str | None:
    """The checkpoint folder to resume from: the newest complete one for ``True``, else the path given.

    Incomplete checkpoints are skipped with a note; none at all, or an incomplete path asked for by
    name, is a :class:`RecipeError` saying what to do.
    """
    if value is None:
        return None
    if value is not True:
        problem = checkpoint_problem(Path(value)) if Path(value).is_dir() else "it is not a folder"
        if problem:
            raise RecipeError(f"cannot resume from {value}: {problem}")
        return str(value)
    found = sorted(
        (int(path.name.removeprefix("checkpoint-")), path)
        for path in Path(output_dir).glob("checkpoint-*")
        if path.is_dir() and path.name.removeprefix("checkpoint-").isdigit()
    )
    for _step, path in reversed(found):
        problem = checkpoint_problem(path)
        if problem is None:
            return str(path)
        _say(f"skipping {path}: {problem}")
    raise RecipeError(
        f"--resume_from_checkpoint true: no complete checkpoint in {output_dir}"
        + (f" ({len(found)} incomplete)" if found else "")
        + "; start without it, or pass a checkpoint folder"
    )


# ---------------------------------------------------------------------------------------------- trainers


def _eval_callback(trainer: Any, held_out: list[Any], j1: J1Arguments, tokenizer: Any, formats: list[str]) -> Any:
    from j1_plugin.trainers.callbacks import J1EvalCallback

    return J1EvalCallback(
        trainer,
        held_out,
        formats,
        max_new_tokens=j1.eval_max_new_tokens,
        max_prompt_tokens=j1.max_prompt_tokens,
        tokenizer=tokenizer,
        template=j1.template,
    )


def _check_eval(training_args: Any, held_out: list[Any]) -> bool:
    evaluates = training_args.eval_strategy != "no"  # an IntervalStrategy, a str enum
    if evaluates and not held_out:
        raise RecipeError(
            f"eval_strategy is {training_args.eval_strategy!s} but there is no held-out set; "
            "set eval_dataset or eval_fraction, or eval_strategy: 'no'"
        )
    if held_out and not evaluates:
        raise RecipeError(
            "a held-out set is given (eval_dataset or eval_fraction, perhaps from the recipe) but eval_strategy is "
            "'no'; either evaluate on it (eval_strategy: steps, eval_steps: N) or drop it (--eval_fraction 0, "
            "no eval_dataset)"
        )
    return evaluates


def build_grpo(j1: J1Arguments, training_args: Any, model_args: Any) -> Any:
    """The :class:`PairedGRPOTrainer` of a recipe, with the J1 eval callback when it evaluates."""
    from trl import get_peft_config, get_quantization_config

    from j1_plugin.trainers.grpo import PairedGRPOTrainer
    from j1_plugin.training_data import build_judgment_dataset

    names = reward_names(j1)
    rewards = [resolve_reward(name) for name in names]
    model = resolve_model(model_args)
    train_pairs, held_out, loaded = split_pairs(j1, training_args.seed)
    evaluates = _check_eval(training_args, held_out)
    tokenizer = _tokenizer(model, model_args, training_args) if j1.max_prompt_tokens else None
    options = {"max_prompt_tokens": j1.max_prompt_tokens, "tokenizer": tokenizer, "template": j1.template}
    train_dataset, report = build_judgment_dataset(train_pairs, j1.formats, **options)
    report.skipped, report.skip_reasons = loaded.skipped, loaded.skip_reasons
    _say(f"training data ({', '.join(j1.formats)}): {report}")
    eval_dataset = None
    if held_out:
        eval_dataset, eval_report = build_judgment_dataset(held_out, j1.formats, **options)
        _say(f"held-out data: {eval_report}")
    _say(f"rewards: {', '.join(names)}")
    _model_init_kwargs(training_args, model_args)
    trainer = PairedGRPOTrainer(
        model=model,
        reward_funcs=rewards,
        args=training_args,
        train_dataset=train_dataset,
        eval_dataset=eval_dataset,
        peft_config=get_peft_config(model_args),
        quantization_config=get_quantization_config(model_args),
    )
    if evaluates:
        trainer.add_callback(_eval_callback(trainer, held_out, j1, tokenizer, j1.formats))
    return trainer


def _sample_dpo_data(
    j1: J1Arguments, training_args: Any, model: str, pairs: dict[str, list[Any]], tokenizer: Any
) -> dict[str, Any]:
    """Sample the seed judge on every split of ``pairs`` and grade its judgments into DPO rows."""
    import torch

    from j1_plugin.judges import Sampling
    from j1_plugin.plugins import get_judge
    from j1_plugin.trainers.dpo import build_dpo_dataset

    judge_model = j1.seed_judge or model
    options: dict[str, Any] = {"device": str(training_args.device)} if j1.seed_judge_backend == "hf" else {}
    judge = get_judge(j1.seed_judge_backend)(judge_model, **options)
    sampling = Sampling(
        max_new_tokens=j1.dpo_max_new_tokens,
        temperature=j1.dpo_temperature,
        top_p=j1.dpo_top_p,
        n=j1.dpo_samples,
        seed=training_args.seed,
    )
    built = {}
    for split, split_pairs in pairs.items():
        dataset, report = build_dpo_dataset(
            judge,
            split_pairs,
            j1.formats[0],
            samples=j1.dpo_samples,
            sampling=sampling,
            max_prompt_tokens=j1.max_prompt_tokens,
            tokenizer=tokenizer,
            seed=training_args.seed,
        )
        _say(f"DPO {split} data from seed judge {judge_model}: {report}")
        built[split] = dataset
    del judge  # free its memory for training
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    return built


def dpo_data(
    j1: J1Arguments, training_args: Any, model: str, pairs: dict[str, list[Any]], tokenizer: Any = None
) -> dict[str, Any]:
    """The DPO rows per split: sampled on the main process and saved, or loaded from an earlier run.

    ``tokenizer`` (of the trained model) counts prompt tokens for ``max_prompt_tokens``; without
    it the seed judge's own tokenizer does.
    """
    import datasets

    folder = Path(training_args.output_dir) / DPO_DATA_DIR
    with training_args.main_process_first(local=False, desc="sampling the seed judge for DPO data"):
        if not (folder / "dataset_dict.json").exists():
            if not _is_main_process():
                raise RuntimeError(
                    f"the main process did not save the DPO data to {folder}; with several nodes, "
                    "output_dir must be on a filesystem they share"
                )
            built = _sample_dpo_data(j1, training_args, model, pairs, tokenizer)
            for split, dataset in built.items():  # nothing is saved, so the next run samples again
                if len(dataset) == 0:
                    raise RecipeError(
                        f"the DPO {split} data is empty: the seed judge's samples were all correct or all wrong "
                        "on every prompt; raise dpo_samples, use more pairs or a stronger seed judge"
                    )
            datasets.DatasetDict(built).save_to_disk(str(folder))
        else:
            _say(f"reusing the DPO data saved in {folder} (delete it to sample again)")
        loaded = datasets.load_from_disk(str(folder))
    if set(loaded) != set(pairs):
        raise RecipeError(f"{folder} holds splits {sorted(loaded)}, this run needs {sorted(pairs)}; delete it")
    return dict(loaded)


def build_dpo(j1: J1Arguments, training_args: Any, model_args: Any) -> Any:
    """The ``trl.DPOTrainer`` of a recipe on seed-judge DPO data (``None`` with ``dpo_data_only``)."""
    from trl import get_peft_config, get_quantization_config

    from j1_plugin.trainers.dpo import dpo_trainer, pairwise_format

    if j1.reward_funcs:
        raise RecipeError("reward_funcs apply to trainer: grpo; DPO pairs judgments graded by the format's parser")
    if len(j1.formats) != 1:
        raise RecipeError(f"DPO trains one pairwise format (e.g. formats: [pav]), got {j1.formats}")
    try:
        pairwise_format(j1.formats[0])
    except ValueError as exc:
        raise RecipeError(str(exc)) from None
    model = resolve_model(model_args)
    train_pairs, held_out, loaded = split_pairs(j1, training_args.seed)
    evaluates = _check_eval(training_args, held_out)
    _say(f"preference pairs: {len(train_pairs)} for training, {len(held_out)} held out; {loaded.skipped} skipped")
    tokenizer = _tokenizer(model, model_args, training_args) if j1.max_prompt_tokens else None
    splits = {"train": train_pairs, **({"held_out": held_out} if held_out else {})}
    data = dpo_data(j1, training_args, model, splits, tokenizer)
    if j1.dpo_data_only:
        _say(f"DPO data saved in {Path(training_args.output_dir) / DPO_DATA_DIR}; stopping (dpo_data_only)")
        return None
    _model_init_kwargs(training_args, model_args)
    trainer = dpo_trainer(
        model,
        data["train"],
        training_args,
        eval_dataset=data.get("held_out"),
        peft_config=get_peft_config(model_args),
        quantization_config=get_quantization_config(model_args),
    )
    if evaluates:
        trainer.add_callback(_eval_callback(trainer, held_out, j1, tokenizer, j1.formats))
    return trainer


def build_trainer(j1: J1Arguments, training_args: Any, model_args: Any) -> Any:
    """The trainer a recipe asks for (checks formats first, so a typo fails before any model loads)."""
    check_formats(j1.formats)
    if j1.trainer == "dpo":
        return build_dpo(j1, training_args, model_args)
    if j1.dpo_data_only:
        raise RecipeError("dpo_data_only applies to trainer: dpo")
    return build_grpo(j1, training_args, model_args)


COMMON_TRL_OPTIONS = (
    "model_name_or_path", "output_dir", "max_steps", "learning_rate", "per_device_train_batch_size",
    "num_generations", "max_completion_length", "beta", "use_peft", "use_vllm", "eval_strategy", "eval_steps",
    "save_steps", "resume_from_checkpoint", "seed",
)  # fmt: skip


def _recipe_variants(name: str) -> list[str]:
    try:
        variants = _read_recipe(str(RECIPES_DIR / name)).get("variants") or {}
    except RecipeError:
        return []
    return list(variants) if isinstance(variants, dict) else []


def short_help(width: int = 100) -> str:
    """The one-screen ``j1 train --help``: recipes, J1 options, the usual TRL ones, and how to see all."""
    import dataclasses
    import textwrap

    lines = [
        "usage: j1 train --config RECIPE [--variant NAME] [--OPTION VALUE ...]",
        "",
        "Train a J1 judge with TRL: online with pair-aware GRPO (trainer: grpo) or offline with DPO",
        "(trainer: dpo). Every TRL and transformers training option is a recipe key or a --flag; flags",
        "override the recipe. Also: python -m j1_plugin.trainers.train, or accelerate launch -m ...",
        "",
        "recipe:",
        "  --config RECIPE       a YAML file, or a bundled recipe by name:",
    ]
    for name in bundled_recipes():
        variants = _recipe_variants(name)
        lines.append(f"                          {name}" + (f" (variants: {', '.join(variants)})" if variants else ""))
    lines += [
        f"                        bundled recipes: {RECIPES_DIR}",
        f"                        accelerate configs: {ACCELERATE_DIR}",
        "",
        "J1 options:",
    ]
    indent = " " * 24
    for spec in dataclasses.fields(J1Arguments):
        flag = f"  --{spec.name}"
        text = spec.metadata.get("help", "")
        if spec.default is not dataclasses.MISSING and spec.default not in (None, False):
            text += f" (default: {spec.default})"
        elif spec.default_factory is not dataclasses.MISSING:
            text += f" (default: {' '.join(map(str, spec.default_factory()))})"
        wrapped = textwrap.wrap(text, width - len(indent))
        first = f"{flag:<24}" if len(flag) < 24 else flag + "\n" + indent
        lines.append(first + wrapped[0] if wrapped else flag)
        lines += [indent + line for line in wrapped[1:]]
    lines += ["", "often-used TRL options (any GRPOConfig / DPOConfig / ModelConfig field works):"]
    lines += textwrap.wrap(", ".join(f"--{name}" for name in COMMON_TRL_OPTIONS), width, initial_indent="  ",
                           subsequent_indent="  ")  # fmt: skip
    lines += [
        "",
        "j1 train --help-all lists every TRL and transformers option with its help (GRPO's; add --trainer dpo",
        "for DPO's). Examples: j1 train --config tiny_cpu.yaml;  j1 train --config j1_multitask.yaml --variant tiny",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Parse a recipe and flags, build the trainer, train (or resume), save; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # TRL's configs default gradient_checkpointing to True and its docs (and our recipes) use that name;
    # transformers' rename warning about it says nothing a `j1 train` user can act on.
    warnings.filterwarnings("ignore", message=r"`gradient_checkpointing` is deprecated", category=FutureWarning)
    if "--help-all" in argv:
        argv = [("--help" if arg == "--help-all" else arg) for arg in argv]
    elif "-h" in argv or "--help" in argv:
        print(short_help())
        return 0
    try:
        j1, training_args, model_args = parse_arguments(argv)
        resume = resume_checkpoint(_resume_value(training_args.resume_from_checkpoint), training_args.output_dir)
        trainer = build_trainer(j1, training_args, model_args)
        if trainer is None:
            return 0
        trainer.train(resume_from_checkpoint=resume)
    except Exception as exc:
        # RecipeError, bad preference data, and TRL's or the trainer's own checks (batch geometry,
        # reward weights, a model that cannot be found) all say what to change, in one line;
        # J1_DEBUG=1 keeps the traceback.
        return report_error("j1 train", exc)
    trainer.save_model(training_args.output_dir)
    trainer.save_state()
    _say(f"done at global step {trainer.state.global_step}; model saved to {training_args.output_dir}")
    if hasattr(trainer, "end"):  # transformers >= 5.18: finish trackers, destroy the process group
        trainer.end()
    return 0


if __name__ == "__main__":
    sys.exit(main())
