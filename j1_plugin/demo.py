"""The embedded default job behind ``make demo`` / ``j1 demo``.

It builds (or reuses) the tiny offline judge, renders every registered judgment format on a few
synthetic arithmetic pairs, generates with the judge, parses each output with the format's own
parser and prints one row per judgment.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from j1_plugin.formats import JudgmentFormat, pointwise_verdict
from j1_plugin.judges import HFJudge, Sampling, judge_requests
from j1_plugin.plugins import get_format, list_formats
from j1_plugin.records import Judgment, JudgmentRequest, PreferencePair
from j1_plugin.tiny_models import tiny_judge_path


def arithmetic_pairs(count: int = 3, seed: int = 0) -> list[PreferencePair]:
    """Verifiable synthetic pairs: a sum question, the right worked answer, an off-by-some one."""
    import random

    rng = random.Random(seed)
    pairs = []
    for index in range(count):
        a, b = rng.randint(10, 99), rng.randint(10, 99)
        wrong = a + b + rng.choice((-10, -1, 1, 10))
        pairs.append(
            PreferencePair(
                id=f"sum-{index}",
                prompt=f"What is {a} + {b}?",
                chosen=f"{a} + {b} = {a + b}. The answer is {a + b}.",
                rejected=f"{a} + {b} = {wrong}. The answer is {wrong}.",
                metadata={"gold": str(a + b)},
            )
        )
    return pairs


def _decision(fmt: JudgmentFormat, judgment: Judgment) -> str:
    if not judgment.ok:
        return "-"
    if fmt.kind == "pointwise":
        return f"score {judgment.score:g}"
    return str(judgment.verdict)


def _excerpt(text: str, width: int = 34) -> str:
    shown = repr(text)
    return shown if len(shown) <= width else shown[: width - 3] + "..."


def run_demo(
    model_dir: str | os.PathLike[str] | None = None,
    *,
    pairs: Sequence[PreferencePair] | None = None,
    formats: Sequence[str] | None = None,
    max_new_tokens: int = 48,
    echo: Callable[[str], None] = print,
) -> dict[str, list[tuple[JudgmentRequest, Judgment]]]:
    """Judge ``pairs`` in every format with the tiny judge and print the table; returns the rows."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    model_path = Path(model_dir) if model_dir is not None else tiny_judge_path()
    judge = HFJudge(model_path, device="cpu", dtype="float32")
    pairs = list(pairs) if pairs is not None else arithmetic_pairs()
    names = list(formats) if formats is not None else list_formats()
    sampling = Sampling(max_new_tokens=max_new_tokens)
    parameters = sum(p.numel() for p in judge.model.parameters())

    echo(f"J1 demo: judge at {model_path} ({parameters / 1e6:.2f}M parameters, random weights)")
    echo(f"{len(pairs)} synthetic pairs x {len(names)} formats, greedy decoding, {max_new_tokens} new tokens")
    echo("")
    header = f"{'format':<10} {'pair':<7} {'shown':<9} {'decision':<10} {'status':<19} judge output"
    echo(header)
    echo("-" * len(header))
    rows: dict[str, list[tuple[JudgmentRequest, Judgment]]] = {}
    for name in names:
        fmt = get_format(name)
        requests = [request for pair in pairs for request in fmt.requests(pair)]
        judgments = [samples[0] for samples in judge_requests(judge, fmt, requests, sampling)]
        rows[name] = list(zip(requests, judgments, strict=True))
        for request, judgment in rows[name]:
            shown = request.order or request.side
            echo(
                f"{name:<10} {request.pair_id:<7} {shown:<9} {_decision(fmt, judgment):<10} "
                f"{judgment.status.value:<19} {_excerpt(judgment.raw)}"
            )
    echo("")
    for name, judged in rows.items():
        fmt = get_format(name)
        parsed = sum(judgment.ok for _, judgment in judged)
        line = f"{name:<10} parsed {parsed}/{len(judged)}"
        if fmt.kind == "pointwise":
            outcomes = [pointwise_verdict(judged[i][1], judged[i + 1][1]) for i in range(0, len(judged), 2)]
            line += f"; pair outcomes (chosen as A): {outcomes}"
        else:
            correct = sum(judgment.verdict == request.label for request, judgment in judged)
            line += f"; correct verdicts {correct}/{len(judged)}"
        echo(line)
    failures = {j.reason for judged in rows.values() for _, j in judged if not j.ok}
    if failures:
        echo("")
        echo("Parse failure reasons seen: " + "; ".join(sorted(str(r) for r in failures)))
    return rows
