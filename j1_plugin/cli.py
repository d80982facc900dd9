"""The ``j1`` command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from j1_plugin.plugins import KINDS, PluginError, get_plugin_manager


def plugin_report() -> dict[str, Any]:
    """Every loaded plugin with what it registers, plus the plugins that failed to load."""
    pm = get_plugin_manager()
    registry = pm.registry
    plugins = []
    for name, _plugin in pm.list_name_plugin():
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
        print("not loaded:")
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
    from j1_plugin.demo import run_demo

    run_demo(args.model, max_new_tokens=args.max_new_tokens)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="j1", description="J1 thinking LLM judges: formats, benchmarks, training.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    plugins = commands.add_parser("plugins", help="list loaded plugins and what each registers")
    plugins.add_argument("--json", action="store_true", help="print a JSON report for machines")
    plugins.set_defaults(handler=_cmd_plugins)

    demo = commands.add_parser("demo", help="judge synthetic pairs in every format with a tiny offline model")
    demo.add_argument("--model", default=None, help="judge model directory (default: the cached tiny judge)")
    demo.add_argument("--max-new-tokens", type=int, default=48)
    demo.set_defaults(handler=_cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except PluginError as exc:
        print(f"j1: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
