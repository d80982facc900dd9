"""``j1 judge``: judge a benchmark's pairs with any registered backend, without lm-eval.

The output is exactly the judgments JSONL that ``j1 score`` reads, one line per judgment:
``pair_id``, ``order`` (or ``side`` for pointwise formats), ``sample``, ``format``, the judge's raw
``output``, and what the parser read from it (``verdict`` or ``score``, ``null`` on a failure, with
``reason_code``). Single-order runs add the ``seed`` that chose the order.

Runs resume: judgments already in the output file are not asked again (a repeated one there is an
error naming its lines), new ones are appended a chunk at a time, and the ``openai`` backend's
request cache keeps answers that arrived before a kill.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from j1_plugin.files import iter_jsonl
from j1_plugin.formats import JudgmentFormat
from j1_plugin.judges.base import Judge, Sampling
from j1_plugin.records import ORDERS, JudgmentRequest, PreferencePair
from j1_plugin.scoring import DEFAULT_SEED, seeded_order

SC_TEMPERATURE, SC_TOP_P = 1.0, 0.95  # the J1 protocol's sampling for SC@N, as in the lm-eval tasks


class JudgeRunError(ValueError):
    """The output file of a ``j1 judge`` run cannot be continued."""


@dataclass(frozen=True)
class PlannedJudgment:
    """One judgment to ask for: the request, which order or side it is, which sample."""

    request: JudgmentRequest
    key: str
    sample: int

    @property
    def identity(self) -> tuple[str, str, int]:
        return (self.request.pair_id, self.key, self.sample)


def plan(
    pairs: Sequence[PreferencePair],
    fmt: JudgmentFormat,
    *,
    samples: int = 1,
    single_order: bool = False,
    seed: int = DEFAULT_SEED,
) -> list[PlannedJudgment]:
    """Every judgment of a run: both orders (or both sides) of each pair, or one seeded order, times ``samples``."""
    planned = []
    for pair in pairs:
        if fmt.kind == "pointwise":
            requests = fmt.requests(pair)
        else:
            requests = fmt.requests(pair, orders=[seeded_order(pair.id, seed)] if single_order else ORDERS)
        for request in requests:
            key = request.side if fmt.kind == "pointwise" else request.order
            planned += [PlannedJudgment(request, str(key), sample) for sample in range(samples)]
    return planned


def judgments_done(out: Path, format_name: str, pointwise: bool = False) -> set[tuple[str, str, int]]:
    """(pair id, order or side, sample) of every judgment already in ``out``, all judged with format
    ``format_name``; a repeat is an error."""
    if not out.exists():
        return set()
    seen: dict[tuple[str, str, int], int] = {}
    key_name = "side" if pointwise else "order"
    for number, line in iter_jsonl(out, JudgeRunError):
        if not isinstance(line, dict):
            raise JudgeRunError(f"{out} line {number}: expected a JSON object")
        if line.get("format") != format_name:
            raise JudgeRunError(
                f"{out} line {number}: judged with format {line.get('format')!r}, not {format_name!r}; "
                "continue with the same --format, or write to another --out"
            )
        identity = (line.get("pair_id"), line.get(key_name), line.get("sample"))
        if identity in seen:
            raise JudgeRunError(f"{out} line {number} repeats line {seen[identity]}: {identity}")
        seen[identity] = number
    return set(seen)


def _line(planned: PlannedJudgment, fmt: JudgmentFormat, text: str, seed: int | None) -> dict[str, Any]:
    judgment = fmt.parse(text)
    pointwise = fmt.kind == "pointwise"
    line: dict[str, Any] = {
        "pair_id": planned.request.pair_id,
        "side" if pointwise else "order": planned.key,
        "sample": planned.sample,
        "format": fmt.name,
        "output": text,
        "score" if pointwise else "verdict": judgment.score if pointwise else judgment.verdict,
        "reason_code": judgment.reason_code,
    }
    if seed is not None:
        line["seed"] = seed
    return line


def judge_benchmark(
    pairs: Sequence[PreferencePair],
    fmt: JudgmentFormat,
    judge: Judge,
    out: str | os.PathLike[str],
    *,
    samples: int = 1,
    max_new_tokens: int = 4096,
    single_order: bool = False,
    seed: int = DEFAULT_SEED,
    chunk: int = 64,
    progress: bool = True,
) -> dict[str, Any]:
    """Judge ``pairs`` and append the judgments to ``out``; returns the run's summary."""
    if samples < 1:
        raise ValueError(f"samples must be at least 1, got {samples}")
    out = Path(out)
    planned = plan(pairs, fmt, samples=samples, single_order=single_order, seed=seed)
    done = judgments_done(out, fmt.name, pointwise=fmt.kind == "pointwise")
    todo: dict[tuple[str, str], list[PlannedJudgment]] = {}
    for item in planned:
        if item.identity not in done:
            todo.setdefault((item.request.pair_id, item.key), []).append(item)
    sampling = (
        Sampling(max_new_tokens=max_new_tokens, temperature=SC_TEMPERATURE, top_p=SC_TOP_P, n=samples, seed=seed)
        if samples > 1
        else Sampling(max_new_tokens=max_new_tokens, seed=seed)
    )
    groups = list(todo.values())
    bar = _bar(sum(map(len, groups)), progress)
    written, failures = 0, Counter()
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("a", encoding="utf-8") as handle:
        for start in range(0, len(groups), chunk):
            batch = groups[start : start + chunk]
            texts = judge.generate([group[0].request.messages for group in batch], sampling)
            for group, answers in zip(batch, texts, strict=True):
                if len(answers) != samples:
                    raise JudgeRunError(f"the judge returned {len(answers)} samples for one request, not {samples}")
                for item in group:
                    line = _line(item, fmt, answers[item.sample], seed if single_order else None)
                    failures[line["reason_code"]] += line["reason_code"] is not None
                    handle.write(json.dumps(line, ensure_ascii=False) + "\n")
                    written += 1
            handle.flush()
            if bar is not None:
                bar.update(sum(map(len, batch)))
    if bar is not None:
        bar.close()
    summary = {
        "out": str(out),
        "pairs": len(pairs),
        "judgments": len(planned),
        "written": written,
        "already_there": len(planned) - sum(map(len, groups)),
        "parse_failures": {code: count for code, count in sorted(failures.items()) if count},
    }
    stats = getattr(judge, "stats", None)
    if stats:
        summary["requests"] = dict(stats)
    return summary


def _bar(total: int, progress: bool) -> Any:
    if not progress or not total:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="j1 judge", unit="judgment", file=sys.stderr)


def summary_lines(summary: dict[str, Any]) -> list[str]:
    """The run's summary as a newcomer reads it."""
    failed = sum(summary["parse_failures"].values())
    lines = [
        f"j1 judge: {summary['written']} judgments written to {summary['out']} "
        f"({summary['already_there']} of {summary['judgments']} were there already; {summary['pairs']} pairs)",
        f"j1 judge: parse failures {failed}"
        + (f" ({', '.join(f'{k} {v}' for k, v in summary['parse_failures'].items())})" if failed else ""),
    ]
    if "requests" in summary:
        stats = summary["requests"]
        lines.append(
            f"j1 judge: requests sent {stats.get('sent', 0)}, answers from the cache {stats.get('cached', 0)}, "
            f"retries {stats.get('retries', 0)}"
        )
    return lines


SCALAR_FORMAT = "reward-model"  # the ``format`` of lines a scalar reward model wrote


def score_benchmark(
    pairs: Sequence[PreferencePair],
    scorer: Any,
    out: str | os.PathLike[str],
    *,
    single_order: bool = False,
    seed: int = DEFAULT_SEED,
    chunk: int = 64,
    progress: bool = True,
) -> dict[str, Any]:
    """Judge ``pairs`` with a scalar reward model (``scorer.score``), appending to ``out``; the run's summary.

    Each response is scored once; each order's line holds the shown responses' rewards
    (``reward_a``, ``reward_b``) and the ``verdict`` they give (the higher, or ``"tie"``).
    """
    out = Path(out)
    done = judgments_done(out, SCALAR_FORMAT)
    todo = []
    for pair in pairs:
        for order in [seeded_order(pair.id, seed)] if single_order else ORDERS:
            if (pair.id, order, 0) not in done:
                todo.append((pair, order))
    bar = _bar(len(todo), progress)
    written = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("a", encoding="utf-8") as handle:
        for start in range(0, len(todo), chunk):
            batch = todo[start : start + chunk]
            pairs_here = list({pair.id: pair for pair, _order in batch}.values())
            conversations = [[{"role": "user", "content": pair.prompt}, {"role": "assistant", "content": text}]
                             for pair in pairs_here for text in (pair.chosen, pair.rejected)]  # fmt: skip
            rewards = scorer.score(conversations)
            if len(rewards) != len(conversations):
                raise JudgeRunError(
                    f"the reward model returned {len(rewards)} scores for {len(conversations)} responses"
                )
            by_pair = {pair.id: (rewards[2 * k], rewards[2 * k + 1]) for k, pair in enumerate(pairs_here)}
            for pair, order in batch:
                chosen, rejected = by_pair[pair.id]
                reward_a, reward_b = (chosen, rejected) if order == "AB" else (rejected, chosen)
                verdict = "A" if reward_a > reward_b else "B" if reward_b > reward_a else "tie"
                line = {"pair_id": pair.id, "order": order, "sample": 0, "format": SCALAR_FORMAT, "verdict": verdict,
                        "reward_a": reward_a, "reward_b": reward_b, "reason_code": None}  # fmt: skip
                if single_order:
                    line["seed"] = seed
                handle.write(json.dumps(line) + "\n")
                written += 1
            handle.flush()
            if bar is not None:
                bar.update(len(batch))
    if bar is not None:
        bar.close()
    planned = len(pairs) * (1 if single_order else len(ORDERS))
    return {"out": str(out), "pairs": len(pairs), "judgments": planned, "written": written,
            "already_there": planned - len(todo), "parse_failures": {}}  # fmt: skip
