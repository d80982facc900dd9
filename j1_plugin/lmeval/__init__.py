"""lm-evaluation-harness integration: task folders, a TaskManager with plugin tasks, ``j1 eval``.

* ``lm_eval --include_path "$(j1 tasks-path)" --tasks j1_judgebench ...`` works with the stock CLI.
* :func:`run_cli` (``j1 eval``) is lm-eval's own CLI with every plugin's task folders added.
* :func:`task_manager` returns a ``TaskManager`` that knows the plugin tasks, for Python use.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from j1_plugin.benchmarks.base import TASKS_DIR
from j1_plugin.errors import report as report_error
from j1_plugin.files import json_object
from j1_plugin.lmeval.options import METADATA_KEYS, EvalOptions, MetadataError, check_metadata_keys
from j1_plugin.plugins import BUILTIN_PLUGIN_NAME, PluginError, task_dir_owners


class TaskClashError(PluginError):
    """Two plugins' task folders define the same lm-eval task or group name."""


def plugin_task_dirs() -> list[str]:
    """Every task folder registered by a benchmark plugin, the built-in one first.

    A task or group name defined in two of these folders is a :class:`TaskClashError` naming both
    files and plugins: lm-eval would silently let the later one replace the earlier.
    """
    owners = task_dir_owners() or {TASKS_DIR: BUILTIN_PLUGIN_NAME}
    first: dict[str, tuple[Path, str]] = {}
    for folder, plugin in owners.items():
        for name, path in _task_files(folder):
            if name in first and first[name][0] != path:
                earlier, owner = first[name]
                raise TaskClashError(
                    f"lm-eval task {name!r} is defined twice: in {earlier} (plugin {owner!r}) and in {path} "
                    f"(plugin {plugin!r}); rename one of them, or leave a plugin out with J1_PLUGINS=<names>"
                )
            first.setdefault(name, (path, plugin))
    return [str(folder) for folder in owners]


def _task_files(folder: str | Path) -> list[tuple[str, Path]]:
    """(task or group name, file) of every task YAML in ``folder`` (sub-folders included, as lm-eval reads them)."""
    return [(name, path) for name, _about, path in _task_configs(folder, include_private=True)]


def _task_configs(folder: str | Path, include_private: bool = False) -> list[tuple[str, str, Path]]:
    """(name, what it runs, file) of the task and group YAMLs of ``folder``."""
    import yaml

    found = []
    for path in sorted(Path(folder).rglob("*.yaml")):
        if path.name.startswith("_") and not include_private:
            continue
        try:
            config = yaml.load(path.read_text("utf-8"), Loader=yaml.BaseLoader) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue  # lm-eval reports a broken task file itself
        if not isinstance(config, dict):
            continue
        if "group" in config and isinstance(config["group"], str):
            tasks = config.get("task") or ()
            found.append((config["group"], "group: " + " ".join(map(str, tasks if isinstance(tasks, list) else ()))
                          , path))  # fmt: skip
        elif isinstance(config.get("task"), str):
            metadata = config.get("metadata")
            found.append((config["task"], str((metadata if isinstance(metadata, dict) else {}).get("benchmark", "")),
                          path))  # fmt: skip
    return found


def task_manager(extra: Sequence[str | Path] = (), **kwargs: Any):
    """A ``lm_eval`` TaskManager with the plugin task folders, then ``extra`` folders (which win clashes).

    Keyword arguments go to ``TaskManager`` (``include_defaults=False`` skips lm-eval's own
    14k tasks and their indexing time; ``metadata={...}`` sets J1 run options).
    """
    from lm_eval.tasks import TaskManager

    if kwargs.get("metadata"):
        check_metadata_keys(kwargs["metadata"], pair_option_names())
    return TaskManager(include_path=[*plugin_task_dirs(), *map(str, extra)], **kwargs)


def pair_option_names() -> list[str]:
    """Run options that some registered benchmark reads (e.g. RM-Bench ``variant``)."""
    from j1_plugin.plugins import get_benchmark, list_benchmarks

    return sorted({name for bench in list_benchmarks() for name in get_benchmark(bench).pair_option_names})


def _flag_value(args: Sequence[str], *names: str) -> str | None:
    """The value given to the first of ``names`` in a command line (``--flag v`` or ``--flag=v``)."""
    for index, arg in enumerate(args):
        if arg in names and index + 1 < len(args):
            return args[index + 1]
        for name in names:
            if arg.startswith(f"{name}="):
                return arg.split("=", 1)[1]
    return None


def check_cli_metadata(args: Sequence[str]) -> None:
    """Refuse a ``--metadata`` that is not a JSON object of known J1 keys (one clear line, before any loading)."""
    text = _flag_value(args, "--metadata")
    if text is None:
        return
    metadata = json_object(text, "--metadata", MetadataError)
    check_metadata_keys(metadata, pair_option_names())
    EvalOptions.from_metadata({"benchmark": "any", **metadata})  # value types and ranges


def include_plugin_tasks_everywhere() -> None:
    """Make every ``TaskManager`` created from now on start with the plugin task folders."""
    import lm_eval.tasks.manager as manager

    original = manager.TaskManager.__init__
    if getattr(original, "_j1_plugin_tasks", False):
        return
    folders = plugin_task_dirs()

    def __init__(self, *args: Any, include_path: Any = None, **kwargs: Any) -> None:
        if include_path is None:
            paths = []
        elif isinstance(include_path, (list, tuple)):
            paths = list(include_path)
        else:
            paths = [include_path]
        given = {str(path) for path in paths}
        paths = [folder for folder in folders if folder not in given] + paths  # user folders come later and win
        original(self, *args, include_path=paths, **kwargs)

    __init__._j1_plugin_tasks = True  # type: ignore[attr-defined]
    manager.TaskManager.__init__ = __init__


def task_names() -> list[tuple[str, str]]:
    """(task or group name, benchmark) of every task YAML in the plugin task folders."""
    return [(name, about) for folder in plugin_task_dirs() for name, about, _path in _task_configs(folder)]


def eval_help() -> str:
    """What ``j1 eval --help`` prints before lm-eval's own help: the J1 tasks and the --metadata keys."""
    lines = [
        "j1 eval: lm-eval's CLI with every plugin's J1 tasks, --apply_chat_template by default",
        "(--no_chat_template turns it off) and answers cached per model under <cache>/eval-requests/, so a",
        "killed run resumes where it stopped (--no_cache turns it off; --use_cache PATH picks the place). Example:",
        '  j1 eval --model hf --model_args pretrained=MODEL --tasks j1_judgebench --metadata \'{"format": "pav"}\'',
        "",
        "J1 tasks (--tasks):",
    ]
    lines += [f"  {name:<30} {about}" for name, about in task_names()]
    lines += ["", "J1 options, as one JSON object in --metadata (defaults in brackets):"]
    lines += [f"  {key:<18} [{default}] {meaning}" for key, default, meaning in METADATA_KEYS]
    lines += ["", "lm-eval's own options follow.", ""]
    return "\n".join(lines)


def _is_evaluation(argv: Sequence[str]) -> bool:
    return not argv or argv[0] not in ("ls", "validate", "-h", "--help")


NO_CACHE_FLAG = "--no_cache"
EVAL_CACHE_ENV = "J1_EVAL_CACHE"


def request_cache_prefix(args: Sequence[str], root: Path | None = None) -> Path:
    """Where ``j1 eval`` keeps lm-eval's request cache for this model (a prefix: lm-eval adds ``_rank<N>.db``).

    The folder is ``$J1_EVAL_CACHE``, else ``<cache>/eval-requests`` (``<cache>`` is ``$J1_CACHE_DIR``
    or ``~/.cache/j1-plugin``). lm-eval's cache keys an answer by the request alone (prompt and
    generation settings), not by the model, so each model gets its own sub-folder, named by a hash
    of ``--model``, ``--model_args`` and, for a local checkpoint folder, its files' sizes and
    modification times: retraining into the same folder starts a fresh cache.
    """
    import hashlib
    import json

    from j1_plugin.tiny_models import default_cache_dir

    model = _flag_value(args, "--model") or "hf"
    model_args = _flag_value(args, "--model_args") or ""
    identity: list[Any] = [model, model_args]
    for part in model_args.split(","):
        key, _, value = part.partition("=")
        if key.strip() in ("pretrained", "model", "peft", "tokenizer") and Path(value).is_dir():
            identity += sorted(
                (str(path.relative_to(value)), path.stat().st_size, path.stat().st_mtime_ns)
                for path in Path(value).iterdir()
                if path.is_file()
            )
    digest = hashlib.sha256(json.dumps(identity).encode()).hexdigest()[:16]
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in Path(model_args.split(",")[0]).name)[-40:]
    folder = root or (Path(os.environ[EVAL_CACHE_ENV]) if os.environ.get(EVAL_CACHE_ENV) else None)
    return (folder or default_cache_dir() / "eval-requests") / f"{model}-{name}-{digest}" / "requests"


def _with_request_cache(args: list[str]) -> list[str]:
    """``args`` with lm-eval's ``--use_cache`` on by default (see :func:`request_cache_prefix`)."""
    import sys

    if NO_CACHE_FLAG in args:
        return [arg for arg in args if arg != NO_CACHE_FLAG]
    asked_help = {"-h", "--help"} & set(args)
    if not _is_evaluation(args) or asked_help or _flag_value(args, "--use_cache") is not None:
        return args
    prefix = request_cache_prefix(args)
    print(
        f"j1 eval: answers are cached under {prefix.parent} (a killed run resumes; sampled requests are not "
        f"cached; {NO_CACHE_FLAG} turns it off)",
        file=sys.stderr,
    )
    return [*args, "--use_cache", str(prefix)]


def run_cli(argv: Sequence[str]) -> int:
    """Run lm-eval's CLI on ``argv`` with plugin tasks and registrations available.

    Evaluations get ``--apply_chat_template`` unless it is given or ``--no_chat_template`` is
    passed (J1 prompts are chat turns), and lm-eval's request cache in a per-model folder unless
    ``--use_cache`` is given or ``--no_cache`` is passed (see :func:`request_cache_prefix`).
    """
    import sys

    import lm_eval.api.metrics
    import lm_eval.filters
    import lm_eval.models  # noqa: F401
    from lm_eval.__main__ import cli_evaluate

    import j1_plugin.lmeval.filters  # noqa: F401  (registers the j1_verdict filter)

    args = list(argv)
    if args[:1] in (["-h"], ["--help"]) or (args and args[0] == "run" and {"-h", "--help"} & set(args)):
        print(eval_help())
    if "--no_chat_template" in args:
        args.remove("--no_chat_template")
    elif _is_evaluation(args) and not any(a.startswith("--apply_chat_template") for a in args):
        args.append("--apply_chat_template")
    saved = sys.argv
    try:
        if _is_evaluation(args):
            check_cli_metadata(args)
        args = _with_request_cache(args)
        sys.argv = ["lm_eval", *args]
        include_plugin_tasks_everywhere()
        cli_evaluate()
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    except Exception as exc:  # one line naming what to fix; J1_DEBUG=1 keeps the traceback
        return report_error("j1 eval", exc)
    finally:
        sys.argv = saved
    written = _flag_value(args, "--output_path", "-o")
    if written is not None and Path(written).exists():
        where = Path(written).resolve()
        print(f"j1 eval: results (and samples, with --log_samples) are under {where}", file=sys.stderr)
    return 0


__all__ = [
    "TASKS_DIR",
    "MetadataError",
    "check_cli_metadata",
    "eval_help",
    "include_plugin_tasks_everywhere",
    "plugin_task_dirs",
    "run_cli",
    "task_manager",
    "task_names",
]
