"""The ``j1`` command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from j1_plugin.errors import DEBUG_ENV, ask_for_tracebacks
from j1_plugin.errors import report as report_error
from j1_plugin.models import DEFAULT_MODEL
from j1_plugin.plugins import KINDS, get_plugin_manager
from j1_plugin.scoring import DEFAULT_SEED


def plugin_report() -> dict[str, Any]:
    """Every loaded plugin with what it registers, plus the plugins that failed to load or were disabled."""
    pm = get_plugin_manager()
    registry = pm.registry
    plugins = []
    failed_names = {failure.name for failure in pm.failures}
    for name, _plugin in pm.list_name_plugin():
        if name in failed_names:
            continue
        distribution, version = pm.distributions.get(name, (None, None))
        entry: dict[str, Any] = {"name": name, "distribution": distribution, "version": version}
        for kind in KINDS:
            entry[f"{kind}s"] = [r.name for r in registry.registrations(kind) if r.plugin == name]
        plugins.append(entry)
    failed = [{"name": f.name, "distribution": f.distribution, "error": f.error} for f in pm.failures]
    return {"plugins": plugins, "failed": failed}


def _print_plugins(report: dict[str, Any]) -> None:
    for plugin in report["plugins"]:
        source = f" ({plugin['distribution']} {plugin['version']})" if plugin["distribution"] else ""
        print(f"{plugin['name']}{source}")
        for kind in KINDS:
            names = plugin[f"{kind}s"]
            print(f"  {kind + 's:':<12}{', '.join(names) if names else '-'}")
    if report["failed"]:
        print("not loaded (or disabled):")
        for failure in report["failed"]:
            source = f" ({failure['distribution']})" if failure["distribution"] else ""
            print(f"  {failure['name']}{source}: {failure['error']}")


def _cmd_plugins(args: argparse.Namespace) -> int:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # failures are part of the report itself
        report = plugin_report()
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print_plugins(report)
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    if args.skip_training:
        from j1_plugin.demo.suite import run_demo, run_suite_demo
        from j1_plugin.tiny_models import tiny_judge_path

        model = args.model or tiny_judge_path()
        run_demo(model, max_new_tokens=args.max_new_tokens)
        run_suite_demo(model)
        return 0
    from j1_plugin.demo import run_default_demo
    from j1_plugin.demo.learning import DEMO, LONG

    run_default_demo(args.model, args.out, LONG if args.long else DEMO, threads=args.threads, progress=True)
    return 0


def _format_value(value: Any) -> str:
    """A table cell: two decimals for a number, "n/a" (``None``) for a measurement that could not be made."""
    return "n/a" if value is None else f"{value:.2f}" if isinstance(value, float) else str(value)


def print_score_report(report: dict[str, Any]) -> None:
    """A human-readable table of a ``j1 score`` report."""
    print(f"{report['benchmark']}: {report['pairs']} pairs, {report['judgments']} judgments "
          f"(seed {report['seed']}, {report['aggregate']})")  # fmt: skip
    print("official")
    for key, value in report["official"].items():
        if isinstance(value, dict):
            for name, inner in value.items():
                print(f"  {key}/{name:<28} {_format_value(inner)}")
        else:
            print(f"  {key:<37} {_format_value(value)}")
    print("j1")
    for key, value in report["j1"].items():
        print(f"  {key:<37} {_format_value(value)}")
    if report.get("failures"):
        print("failed judgments by reason")
        for code, count in report["failures"].items():
            print(f"  {code:<37} {count}")
    if report["absent"]:
        print(f"absent from the judged data: {', '.join(report['absent'])}")
    if report["unjudged_pairs"]:
        print(f"pairs in the data without judgments: {report['unjudged_pairs']}")


def _cmd_score(args: argparse.Namespace) -> int:
    from j1_plugin.rescoring import load_judged, rescore

    benchmark, pairs, lines, fmt = load_judged(args.benchmark, args.judgments, data=args.data, split=args.split,
                                               format=args.format, template=args.template)  # fmt: skip
    report = rescore(benchmark, pairs, lines, fmt=fmt, aggregate=args.aggregate, seed=args.seed,
                     source=str(args.judgments))  # fmt: skip
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_score_report(report)
    return 0


OPENAI_ONLY = ("base_url", "concurrency", "api_key_env", "requests_per_minute", "cache")


def _flag_given(argv: Sequence[str], flag: str) -> bool:
    """Whether ``flag`` was written on the command line (``--flag v`` or ``--flag=v``), default value or not."""
    return any(token == flag or token.startswith(flag + "=") for token in argv)


def _backend_options(args: argparse.Namespace, backend: str, model: str) -> dict[str, Any]:
    """The options of a judge backend from the command line (``j1 judge`` and ``j1 synth`` share them)."""
    from j1_plugin.judges.openai import default_request_cache

    if backend == "openai":
        if args.base_url is None:
            raise ValueError("the openai backend needs --base-url (e.g. http://127.0.0.1:8000/v1)")
        cache = None
        if not args.no_cache:
            cache = args.cache or default_request_cache(args.base_url, model)
        options: dict[str, Any] = {
            "base_url": args.base_url,
            "concurrency": args.concurrency,
            "api_key_env": args.api_key_env,
            "requests_per_minute": args.requests_per_minute,
            "cache_dir": cache,
        }
        return {key: value for key, value in options.items() if value is not None}
    given = [f"--{name.replace('_', '-')}" for name in OPENAI_ONLY if getattr(args, name) is not None]
    if args.no_cache:
        given.append("--no-cache")
    if given:
        raise ValueError(f"{', '.join(given)} only apply to the openai backend")
    return {"device": args.device} if backend in ("hf", "reward-model") and args.device else {}


def _add_backend_options(parser: argparse.ArgumentParser) -> None:
    """How to reach a backend: the options ``j1 judge`` and ``j1 synth`` share."""
    parser.add_argument("--base-url", default=None, help="openai: the endpoint, e.g. http://127.0.0.1:8000/v1")
    parser.add_argument("--concurrency", type=int, default=None, help="openai: requests in flight (default 8)")
    parser.add_argument("--requests-per-minute", type=float, default=None, help="openai: request rate limit")
    parser.add_argument("--api-key-env", default=None, help="openai: variable holding the key (default OPENAI_API_KEY)")
    parser.add_argument("--cache", default=None, help="openai: request cache folder (default: under the j1 cache)")
    parser.add_argument("--no-cache", action="store_true", help="openai: no request cache")
    parser.add_argument("--device", default=None, help="hf, reward-model: torch device")


def _cmd_judge(args: argparse.Namespace) -> int:
    from j1_plugin.judging import judge_benchmark, summary_lines
    from j1_plugin.plugins import get_benchmark, get_format, get_judge

    benchmark = get_benchmark(args.benchmark)
    fmt = get_format(args.format, template=args.template)
    options = _backend_options(args, args.backend, args.model)
    pairs = benchmark.load_pairs(args.data, args.split)
    judge = get_judge(args.backend)(args.model, **options)
    if getattr(judge, "kind", None) == "scalar":  # a reward model: scores, no text
        from j1_plugin.judging import score_benchmark

        given = [flag for flag in ("--format", "--template", "--samples", "--max-new-tokens")
                 if _flag_given(args.argv, flag)]  # fmt: skip
        if given:
            raise ValueError(f"{', '.join(given)}: a scalar reward model writes no text; leave them out")
        summary = score_benchmark(pairs, judge, args.out, single_order=args.single_order, seed=args.seed,
                                  progress=not args.quiet)  # fmt: skip
    else:
        summary = judge_benchmark(
            pairs, fmt, judge, args.out, samples=args.samples, max_new_tokens=args.max_new_tokens,
            single_order=args.single_order, seed=args.seed, progress=not args.quiet,
        )  # fmt: skip
    for line in summary_lines(summary):
        print(line, file=sys.stderr)
    if options.get("cache_dir") is not None:
        print(f"j1 judge: answers cached under {options['cache_dir']} (a killed run resumes; --no-cache turns it off)",
              file=sys.stderr)  # fmt: skip
    print(f"j1 judge: score it with: j1 score --benchmark {benchmark.name} --judgments {args.out}", file=sys.stderr)
    return 0


class SynthRecipeError(ValueError):
    """A ``j1 synth --config`` recipe that cannot run; the message names the file, part and key."""


SYNTH_PART_ONLY = ("kind", "source", "split", "subset", "columns", "out")


def _synth_jobs(args: argparse.Namespace) -> tuple[list[dict[str, Any]], str | None, bool]:
    """The settings of each ``j1 synth`` job (one, or a recipe's parts), the recipe's mix file, and
    whether the jobs are a recipe's parts.

    Precedence: the options' defaults, then the recipe's top level, then its part, then the flags
    given on the command line. With ``parts``, the top-level ``out`` is the mix of every part.
    """
    actions = {a.dest: a for a in args.synth_parser._actions if a.dest not in ("help", "config")}
    given = {dest for dest, action in actions.items()
             if any(_flag_given(args.argv, option) for option in action.option_strings)}  # fmt: skip
    if args.kind is not None:
        given.add("kind")
    flags = {dest: getattr(args, dest) for dest in given}
    defaults = {dest: action.default for dest, action in actions.items()}
    if not args.config:
        return [{**defaults, **flags}], None, False
    import importlib.util

    import yaml

    bundled = Path(importlib.util.find_spec("j1_plugin.trainers").submodule_search_locations[0]) / "synth"
    path = Path(args.config)
    if not path.exists() and (bundled / args.config).exists():
        path = bundled / args.config
    try:
        recipe = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise SynthRecipeError(f"cannot read the recipe {path}: {exc}") from None
    if not isinstance(recipe, dict):
        raise SynthRecipeError(f"{path}: a recipe is a mapping of j1 synth options (and optional 'parts')")

    def checked(mapping: Any, where: str) -> dict[str, Any]:
        if not isinstance(mapping, dict):
            raise SynthRecipeError(f"{where}: expected a mapping of j1 synth options")
        settings = {}
        for key, value in mapping.items():
            dest = str(key).replace("-", "_")
            action = actions.get(dest)
            if action is None:
                raise SynthRecipeError(f"{where}: unknown option {key!r}; the options are "
                                       f"{', '.join(sorted(actions))} and parts")  # fmt: skip
            if isinstance(action, argparse._StoreTrueAction):
                ok = isinstance(value, bool)
            elif action.type is int:
                ok = isinstance(value, int) and not isinstance(value, bool)
            elif action.type is float:
                ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            else:
                ok = isinstance(value, str) and (not action.choices or value in action.choices)
            if not ok:
                wanted = ("true or false" if isinstance(action, argparse._StoreTrueAction) else
                          "a whole number" if action.type is int else "a number" if action.type is float else
                          f"one of {', '.join(action.choices)}" if action.choices else "text")  # fmt: skip
                raise SynthRecipeError(f"{where}: {key!r} must be {wanted}, got {value!r}")
            settings[dest] = value
        return settings

    parts = recipe.pop("parts", None)
    top = checked(recipe, str(path))
    if parts is None:
        return [{**defaults, **top, **flags}], None, False
    if not isinstance(parts, list) or not parts:
        raise SynthRecipeError(f"{path}: 'parts' must be a non-empty list of jobs")
    fixed = sorted(given & set(SYNTH_PART_ONLY))
    if fixed:
        raise SynthRecipeError(f"{', '.join('--' + name.replace('_', '-') for name in fixed)}: set per part in "
                               f"{path}, not on the command line")  # fmt: skip
    mix = top.pop("out", None)
    jobs = [{**defaults, **top, **checked(part, f"{path} parts[{index}]"), **flags}
            for index, part in enumerate(parts)]  # fmt: skip
    outs = [job["out"] for job in jobs]
    if len(set(outs)) != len(outs) or mix in outs:
        raise SynthRecipeError(f"{path}: every part needs its own 'out', apart from the mix's")
    return jobs, mix, True


def _cmd_synth(args: argparse.Namespace) -> int:
    from j1_plugin.synth import write_mix

    jobs, mix, from_parts = _synth_jobs(args)
    for index, job in enumerate(jobs):
        missing = [name for name in ("kind", "source", "generator", "out") if not job.get(name)]
        if missing:
            where = f"part {index} of {args.config}" if from_parts else "j1 synth"
            raise ValueError(f"{where}: set {', '.join(missing)} (on the command line or in the recipe)")
    generators: dict[tuple[str, str], Any] = {}
    for job in jobs:
        _synth_job(argparse.Namespace(**job), generators)
    if mix is not None:
        counts = write_mix([job["out"] for job in jobs], mix)
        parts = ", ".join(f"{count} from {out}" for out, count in counts.items())
        print(f"j1 synth: the mix: {sum(counts.values())} pairs ({parts}) in {mix}", file=sys.stderr)
    last = mix if mix is not None else jobs[-1]["out"]
    print(f"j1 synth: train a judge on it with: j1 train --config tiny_cpu.yaml --dataset {last}", file=sys.stderr)
    return 0


def _synth_job(args: argparse.Namespace, generators: dict[tuple[str, str], Any]) -> None:
    from j1_plugin.plugins import get_judge
    from j1_plugin.synth import (
        parse_columns,
        parse_shard,
        read_source,
        shard_rows,
        source_rows,
        summary_lines,
        synthesize,
    )

    backend, sep, model = args.generator.partition(":")
    if not sep or not backend or not model:
        raise ValueError(f"--generator must be BACKEND:MODEL (e.g. hf:{DEFAULT_MODEL} or openai:my-model), "
                         f"got {args.generator!r}")  # fmt: skip
    if args.limit is not None and args.limit < 1:
        raise ValueError(f"--limit must be at least 1, got {args.limit}")
    columns, shard = parse_columns(args.columns), parse_shard(args.shard)
    options = _backend_options(args, backend, model)
    if backend in ("hf", "vllm") and not os.path.exists(model):
        from j1_plugin.plugins import get_model, list_models

        if model in list_models():
            model = str(get_model(model).path())
    raw, label = source_rows(args.source, split=args.split, subset=args.subset)
    rows = shard_rows(read_source(args.kind, raw, label, columns, limit=args.limit), shard)
    identity = (backend, json.dumps([model, options], sort_keys=True, default=str))
    if identity not in generators:  # a recipe's parts share one loaded generator
        generators[identity] = get_judge(backend)(model, **options)
    summary = synthesize(
        args.kind, rows, generators[identity], args.out, generator_name=f"{backend}:{model}", samples=args.samples,
        max_new_tokens=args.max_new_tokens, temperature=args.temperature, top_p=args.top_p, seed=args.seed,
        max_length_ratio=args.max_length_ratio, chunk=args.chunk, source=label, shard=shard,
        max_pairs=args.max_pairs, progress=not args.quiet,
    )  # fmt: skip
    for line in summary_lines(summary):
        print(line, file=sys.stderr)


def _cmd_report(args: argparse.Namespace) -> int:
    from j1_plugin.report import load_input, report_json, write_report

    entries = [entry for spec in args.inputs for entry in load_input(spec, args.data_dir)]
    paths = write_report(entries, args.out, title=args.title)
    if args.json:
        print(json.dumps(report_json(entries), indent=2))
    print(f"j1 report: {len(entries)} results of {len({e.label for e in entries})} judges; page {paths['html']}, "
          f"summary {paths['markdown']}, {len(paths) - 2} figures", file=sys.stderr)  # fmt: skip
    return 0


def _cmd_tasks_path(args: argparse.Namespace) -> int:
    from j1_plugin.lmeval import plugin_task_dirs

    folders = plugin_task_dirs()
    print("\n".join(folders) if args.all else folders[0])
    return 0


def _cmd_tiny_judge(args: argparse.Namespace) -> int:
    from j1_plugin.tiny_models import build_tiny_judge, tiny_judge_path

    print(build_tiny_judge(args.out) if args.out else tiny_judge_path())
    return 0


def _cmd_model(args: argparse.Namespace) -> int:
    from j1_plugin.plugins import get_model, get_plugin_manager

    if args.list:
        for entry in get_plugin_manager().registry.registrations("model"):
            print(f"{entry.name:<24} {entry.obj.description} [plugin {entry.plugin}]")
        return 0
    print(get_model(args.name).path())
    return 0


def _cmd_suite(args: argparse.Namespace) -> int:
    from j1_plugin.benchmarks.synthetic import write_suite

    for name, path in write_suite(args.out).items():
        print(f"{name:<16} {path}")
    return 0


def _add_data_options(parser: argparse.ArgumentParser, data_default: str) -> None:
    """The benchmark and where its pairs come from: the options ``j1 score`` and ``j1 judge`` share."""
    parser.add_argument("--benchmark", required=True, help="benchmark name (see j1 plugins)")
    parser.add_argument("--data", default=None, help=f"local data file in the hub schema (default: {data_default})")
    parser.add_argument("--split", default=None, help="hub split (default: the benchmark's)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="j1", description="J1 thinking LLM judges: formats, benchmarks, training.")
    parser.add_argument(
        "--debug", action="store_true", help=f"show the full traceback of an error (or set {DEBUG_ENV}=1)"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    plugins = commands.add_parser("plugins", help="list loaded plugins and what each registers")
    plugins.add_argument("--json", action="store_true", help="print a JSON report for machines")
    plugins.set_defaults(handler=_cmd_plugins)

    demo_about = "train a real judge (embedded SmolLM2-135M-Instruct) with J1's recipe, measure it on held-out pairs"
    demo = commands.add_parser(
        "demo",
        help=demo_about,
        description=demo_about + ": base model, format warm-up, paired GRPO, then the held-out table with 95% "
        "intervals and one JSON line. About 10 minutes on 2 CPU cores; --long runs the learning-curve recipe.",
    )
    demo.add_argument("--model", default=None, help="judge model folder (default: the embedded default judge)")
    demo.add_argument("--out", default=None, help="folder for the run's files (default: <cache>/demo)")
    demo.add_argument("--threads", type=int, default=None, help="torch threads (default: $J1_THREADS or every core)")
    demo.add_argument("--long", action="store_true", help="the longer recipe with a held-out learning curve")
    demo.add_argument(
        "--skip-training",
        action="store_true",
        help="instead: tour every format and benchmark the judge as it is on the synthetic suite "
        "(default model: the tiny test judge)",
    )
    demo.add_argument("--max-new-tokens", type=int, default=48, help="tokens per judgment in the --skip-training tour")
    demo.set_defaults(handler=_cmd_demo)

    commands.add_parser(
        "eval",
        help="lm-eval's CLI with every plugin's J1 tasks (j1 eval --model hf --model_args ... --tasks j1_judgebench)",
        add_help=False,
    )

    commands.add_parser(
        "train",
        help="train a J1 judge with TRL from a recipe (j1 train --config recipe.yaml [--key value ...])",
        add_help=False,
    )

    score = commands.add_parser("score", help="score saved judgments (JSONL) with a benchmark's official rule")
    _add_data_options(score, "the hub, or a samples file's own pairs")
    score.add_argument(
        "--judgments", required=True, help="JSONL file of judgments, or an lm-eval --log_samples file of a J1 task"
    )
    score.add_argument(
        "--format",
        default=None,
        help="format that parses 'output' lines (default: the lines' own 'format', else pav, or pos)",
    )
    score.add_argument("--template", default=None, help=argparse.SUPPRESS)
    score.add_argument("--aggregate", choices=("vote", "mean_score"), default=None, help="SC@N vote or mean score")
    score.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the single random order per pair")
    score.add_argument("--json", action="store_true", help="print the JSON report")
    score.set_defaults(handler=_cmd_score)

    judge_about = "judge a benchmark's pairs with any backend (no lm-eval), writing the file j1 score reads"
    judge = commands.add_parser("judge", help=judge_about, description=judge_about + ". Both orders by default; "
                                "a rerun continues the --out file and the openai backend's request cache.")  # fmt: skip
    _add_data_options(judge, "the hub")
    judge.add_argument("--backend", default="openai", help="judge backend: openai (default), hf, vllm, "
                       "reward-model (a scalar reward model) or a plugin's")  # fmt: skip
    judge.add_argument("--model", required=True, help="the endpoint's model name, or a checkpoint for hf/vllm")
    judge.add_argument("--format", default="pav", help="judgment format (default pav)")
    judge.add_argument("--template", default=None, help="prompt template file for the format")
    judge.add_argument("--samples", type=int, default=1, help="N for SC@N / Mean-Score@N (sampled at T=1.0, p=0.95)")
    judge.add_argument("--max-new-tokens", type=int, default=4096, help="tokens per judgment (default 4096)")
    judge.add_argument("--single-order", action="store_true", help="judge one seeded order per pair, not both")
    judge.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the single order and of sampling")
    _add_backend_options(judge)
    judge.add_argument("--out", required=True, help="judgments JSONL to write (continued if it exists)")
    judge.add_argument("--quiet", action="store_true", help="no progress bar")
    judge.set_defaults(handler=_cmd_judge)

    synth_about = "make J1 training pairs with a generator: verifiable (math-verify checked) or open (modified prompts)"
    synth_more = ". The output is JSONL that j1 train reads; a rerun continues it, generating no prompt twice."
    synth = commands.add_parser("synth", help=synth_about, description=synth_about + synth_more, allow_abbrev=False)
    synth.add_argument("kind", nargs="?", choices=("verifiable", "open"), default=None,
                       help="verifiable: prompts with a gold answer; open: any prompts")  # fmt: skip
    synth.add_argument("--config", default=None, help="a recipe (YAML) of these options, or of 'parts' made in "
                       "turn and mixed into its 'out'; flags override it (bundled: j1_mix.yaml)")  # fmt: skip
    synth.add_argument("--source", default=None, help="prompts: a local .jsonl/.json/.parquet file or a hub id")
    synth.add_argument("--split", default="train", help="hub split (default train)")
    synth.add_argument("--subset", default=None, help="hub dataset config name")
    synth.add_argument("--columns", default=None, help="column names, e.g. prompt=problem,answer=solution,id=uid "
                       "(default: problem/question/prompt, solution/answer, id)")  # fmt: skip
    synth.add_argument("--generator", default=None, help=f"BACKEND:MODEL, e.g. hf:{DEFAULT_MODEL}, hf:PATH or "
                       "openai:my-model (with --base-url)")  # fmt: skip
    synth.add_argument("--samples", type=int, default=4, help="verifiable: solutions sampled per prompt (default 4)")
    synth.add_argument("--max-new-tokens", type=int, default=1024, help="tokens per generation (default 1024)")
    synth.add_argument("--temperature", type=float, default=0.8, help="sampling temperature (default 0.8)")
    synth.add_argument("--top-p", type=float, default=0.95, help="nucleus sampling (default 0.95)")
    synth.add_argument("--seed", type=int, default=0, help="sampling seed (default 0), recorded in every pair")
    synth.add_argument("--max-length-ratio", type=float, default=3.0, help="open: drop pairs whose responses' "
                       "lengths differ more than this (default 3)")  # fmt: skip
    synth.add_argument("--limit", type=int, default=None, help="only the first N rows of the source")
    synth.add_argument("--max-pairs", type=int, default=None, help="stop once the output holds N pairs")
    synth.add_argument("--shard", default=None, help="I/N: this machine's share, the rows whose index is I mod N")
    synth.add_argument("--chunk", type=int, default=16, help="prompts generated together and written at once")
    _add_backend_options(synth)
    synth.add_argument("--out", default=None, help="pairs JSONL to write (continued if it exists)")
    synth.add_argument("--quiet", action="store_true", help="no progress bar")
    synth.set_defaults(handler=_cmd_synth, synth_parser=synth)

    report_about = "one HTML page (and Markdown, PNG figures) of judges' results beside the J1 paper's numbers"
    report = commands.add_parser("report", help=report_about, description=report_about + ". Inputs: lm-eval output "
                                 "folders or samples files of J1 tasks, BENCHMARK:FILE judgments (j1 judge), "
                                 "j1 score --json reports, j1 demo folders; LABEL@INPUT names the judge.")  # fmt: skip
    report.add_argument("inputs", nargs="+", metavar="INPUT", help="results to show (see above)")
    report.add_argument("--out", required=True, help="folder for report.html, report.md and the figures")
    report.add_argument("--data-dir", default=None, help="folder of <benchmark>.jsonl data for BENCHMARK:FILE inputs "
                        "(e.g. from j1 suite; default: the hub)")  # fmt: skip
    report.add_argument("--title", default="J1 judges", help="the page's title")
    report.add_argument("--json", action="store_true", help="also print the numbers as JSON")
    report.set_defaults(handler=_cmd_report)

    tasks_path = commands.add_parser("tasks-path", help="print the lm-eval task folder for --include_path")
    tasks_path.add_argument("--all", action="store_true", help="print every plugin's task folder, one per line")
    tasks_path.set_defaults(handler=_cmd_tasks_path)

    tiny = commands.add_parser("tiny-judge", help="build the tiny offline test judge and print its folder")
    tiny.add_argument("out", nargs="?", default=None, help="folder to build into (default: the cache)")
    tiny.set_defaults(handler=_cmd_tiny_judge)

    model = commands.add_parser(
        "model", help="print the local checkpoint folder of a named judge model (converted once, offline)"
    )
    model.add_argument(
        "name", nargs="?", default=DEFAULT_MODEL, help=f"registered model name (default {DEFAULT_MODEL})"
    )
    model.add_argument("--list", action="store_true", help="list the registered models instead")
    model.set_defaults(handler=_cmd_model)

    suite = commands.add_parser("suite", help="write the small synthetic suite (every benchmark, hub schema)")
    suite.add_argument("out", help="folder for <benchmark>.jsonl files (use as --metadata data_dir)")
    suite.set_defaults(handler=_cmd_suite)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The ``j1`` command; output piped into a reader that stops early (``j1 plugins | head``) ends quietly."""
    try:
        status = _run(argv)
        sys.stdout.flush()
        return status
    except BrokenPipeError:
        # The reader has gone: point stdout at /dev/null so the interpreter's final flush stays silent.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


def _run(argv: Sequence[str] | None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = argv[:1] == ["--debug"]  # before the command, so eval and train pass every later flag on untouched
    ask_for_tracebacks(debug)
    try:
        return _run_command(argv[1:] if debug else argv)
    finally:
        ask_for_tracebacks(False)


def _run_command(argv: list[str]) -> int:
    if argv[:1] == ["eval"]:
        from j1_plugin.lmeval import run_cli

        return run_cli(argv[1:])
    if argv[:1] == ["train"]:
        from j1_plugin.trainers.train import main as train_main

        return train_main(argv[1:])
    args = build_parser().parse_args(argv)
    args.argv = argv
    try:
        return args.handler(args)
    except BrokenPipeError:
        raise
    except Exception as exc:  # one line; J1_DEBUG=1 or --debug keeps the traceback
        return report_error("j1", exc)


if __name__ == "__main__":
    sys.exit(main())
