"""The ``j1`` command's help: every option explained, ``j1 eval --help`` leading with the J1 tasks and options."""

from __future__ import annotations

import argparse
import dataclasses

from j1_plugin.cli import build_parser, main
from j1_plugin.lmeval.options import METADATA_KEYS, EvalOptions


def subcommands() -> dict[str, argparse.ArgumentParser]:
    (commands,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(commands.choices)


def test_every_option_of_every_subcommand_has_a_help_text():
    missing = []
    for name, parser in subcommands().items():
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            if not action.help:
                missing.append(f"j1 {name} {'/'.join(action.option_strings) or action.dest}")
    assert missing == []


def test_demo_help_says_that_it_trains(capsys):
    text = subcommands()["demo"].format_help()
    assert "GRPO" in text and "held-out" in text


def test_eval_help_lists_the_j1_tasks_and_every_metadata_key_before_lm_evals_help(capsys):
    assert main(["eval", "--help"]) == 0
    text = capsys.readouterr().out
    j1_part, _, lm_eval_part = text.partition("lm-eval's own options follow.")
    for task in ("j1_judgebench", "j1_rewardbench", "j1_rmbench_full", "j1_followbench", "j1_ppe_correctness_math"):
        assert f"  {task} " in j1_part
    for key, default, _ in METADATA_KEYS:
        assert f"  {key} " in j1_part and f"[{default}]" in j1_part
    assert "usage: lm-eval" in lm_eval_part


def test_the_metadata_table_names_every_option_the_tasks_read():
    fields = {f.name for f in dataclasses.fields(EvalOptions)} - {"benchmark", "metadata"}
    assert fields <= {key for key, _, _ in METADATA_KEYS}


def test_a_reader_that_stops_early_gets_no_broken_pipe_error():
    import subprocess
    import sys
    from pathlib import Path

    j1 = Path(sys.executable).parent / "j1"
    shell = f"'{j1}' plugins --json | head -c 1 >/dev/null; echo ${{PIPESTATUS[0]}}"
    done = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "0" and "BrokenPipe" not in done.stderr and "Traceback" not in done.stderr
