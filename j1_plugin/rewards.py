"""J1 reward functions for TRL: plain module-level functions with TRL's reward signature.

Each is called by TRL once per local generation batch as ``f(prompts=..., completions=...,
**dataset_columns, log_metric=..., ...)`` and returns one float (or ``None``: not applicable) per
completion. Every one parses with the judgment format named in the row's ``format`` column (as
written by :func:`j1_plugin.training_data.build_judgment_dataset`), the same parser evaluation
uses; a parse failure earns the lowest reward. Completions may be plain strings or
conversational (``[{"role": "assistant", "content": ...}]``); a ``reasoning_content`` field, as
produced by tokenizers that split out the reasoning, is joined back as ``<think>…</think>``.

Pair matching (``pointwise_reward``, ``consistency_reward``): TRL repeats each prompt
``num_generations`` times in a row, so within one batch the k-th rollout of one order (or side)
of a pair is matched with the k-th rollout of the other. A rollout whose partner is not in the
batch gets ``None``; :class:`j1_plugin.trainers.grpo.PairedGRPOTrainer` keeps partners together.

Use by dotted path: ``trl grpo --reward_funcs j1_plugin.rewards.verdict_reward ...``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from j1_plugin.plugins import get_format
from j1_plugin.records import Judgment

LogMetric = Callable[[str, float], None]


def completion_text(completion: Any) -> str:
    """The judge's full text from a plain or conversational completion (reasoning re-joined).

    >>> completion_text([{"role": "assistant", "reasoning_content": "A adds up.", "content": "<answer>[[A]]</answer>"}])
    '<think>A adds up.</think><answer>[[A]]</answer>'
    """
    if isinstance(completion, str):
        return completion
    message = completion[-1] if isinstance(completion, list) and completion else completion
    if not isinstance(message, dict):
        return ""
    content = message.get("content") or ""
    if isinstance(content, list):  # content parts
        content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
    thought = message.get("reasoning_content") or message.get("reasoning") or message.get("thinking")
    return f"<think>{thought}</think>{content}" if thought else content


def _judgments(completions: Sequence[Any], formats: Sequence[str] | None, default: str) -> list[Judgment]:
    names = formats if formats is not None else [default] * len(completions)
    return [get_format(name or default).parse(completion_text(c)) for c, name in zip(completions, names, strict=True)]


def _thought_chars(judgment: Judgment) -> int:
    end = judgment.raw.rfind("</")
    return len(judgment.raw) if end < 0 else end


def _log_judgments(log_metric: LogMetric | None, judgments: Sequence[Judgment]) -> None:
    if log_metric is None or not judgments:
        return
    log_metric("j1/parse_failure_rate", sum(not j.ok for j in judgments) / len(judgments))
    log_metric("j1/thought_chars", sum(map(_thought_chars, judgments)) / len(judgments))


def _is_pointwise(name: str | None) -> bool:
    return name is not None and get_format(name).kind == "pointwise"


def _verdict_correctness(
    completions: Sequence[Any],
    label: Sequence[str | None],
    formats: Sequence[str] | None,
    log_metric: LogMetric | None,
    default_format: str,
) -> list[float | None]:
    """1.0 for a parsed verdict equal to the label, else 0.0; ``None`` on pointwise rows (not parsed)."""
    names = formats or [None] * len(completions)
    applies = [not _is_pointwise(name) for name in names]
    judgments = _judgments(
        [c for c, keep in zip(completions, applies, strict=True) if keep],
        [n for n, keep in zip(names, applies, strict=True) if keep] if formats is not None else None,
        default_format,
    )
    _log_judgments(log_metric, judgments)
    parsed = iter(judgments)
    return [
        float((j := next(parsed)).ok and j.verdict == gold) if keep else None
        for keep, gold in zip(applies, label, strict=True)
    ]


def verdict_reward(
    completions: Sequence[Any],
    label: Sequence[str | None],
    format: Sequence[str] | None = None,
    log_metric: LogMetric | None = None,
    **kwargs: Any,
) -> list[float | None]:
    """1.0 when the parsed verdict names ``label`` (the better response as shown), else 0.0.

    The default J1 reward; it also serves ``pavs`` and ``pav-plan``. Rows of a pointwise format
    (multitask data) get ``None``.

    >>> verdict_reward(["<think>A is right.</think><answer> [[A]] </answer>", "[[A]] or [[B]]"], label=["A", "A"])
    [1.0, 0.0]
    """
    return _verdict_correctness(completions, label, format, log_metric, "pav")


def signed_verdict_reward(
    completions: Sequence[Any],
    label: Sequence[str | None],
    format: Sequence[str] | None = None,
    log_metric: LogMetric | None = None,
    **kwargs: Any,
) -> list[float | None]:
    """+1.0 for the right verdict, -1.0 for a wrong or unparseable one (a variant J1 tried; off by default).

    >>> signed_verdict_reward(["<answer>[[B]]</answer>", "<answer>[[A]]</answer>"], label=["B", "B"])
    [1.0, -1.0]
    """
    plain = verdict_reward(completions, label, format=format, log_metric=log_metric)
    return [None if value is None else 2.0 * value - 1.0 for value in plain]


def score_reward(
    completions: Sequence[Any],
    label: Sequence[str | None],
    format: Sequence[str] | None = None,
    log_metric: LogMetric | None = None,
    **kwargs: Any,
) -> list[float | None]:
    """Pairwise scores (``pas``): 1.0 when the better response as shown got the strictly higher score.

    >>> score_reward(["<think>x</think><score_A> 8 </score_A><score_B> 3 </score_B>",
    ...               "<think>x</think><score_A> 5 </score_A><score_B> 5 </score_B>"], label=["A", "A"])
    [1.0, 0.0]
    """
    return _verdict_correctness(completions, label, format, log_metric, "pas")


def format_reward(
    completions: Sequence[Any], format: Sequence[str] | None = None, log_metric: LogMetric | None = None, **kwargs: Any
) -> list[float]:
    """1.0 when the output follows its format's contract (parses), else 0.0 (off by default in J1).

    >>> format_reward(["<think>x</think><answer> [[B]] </answer>", "<think>unfinished"])
    [1.0, 0.0]
    """
    return [float(j.ok) for j in _judgments(completions, format, "pav")]


def _partners(keys: Sequence[tuple[Any, Any]]) -> dict[int, int]:
    """Index-wise matching: the k-th row of (pair, one half) with the k-th row of (pair, the other half)."""
    seen: dict[tuple[Any, Any], list[int]] = defaultdict(list)
    for index, key in enumerate(keys):
        seen[key].append(index)
    halves: dict[Any, list[Any]] = defaultdict(list)
    for pair_id, half in seen:
        halves[pair_id].append(half)
    partner: dict[int, int] = {}
    for pair_id, names in halves.items():
        if len(names) != 2:
            continue
        first, second = seen[(pair_id, names[0])], seen[(pair_id, names[1])]
        for a, b in zip(first, second, strict=False):
            partner[a], partner[b] = b, a
    return partner


def pointwise_reward(
    completions: Sequence[Any],
    pair_id: Sequence[str],
    side: Sequence[str | None],
    format: Sequence[str] | None = None,
    log_metric: LogMetric | None = None,
    **kwargs: Any,
) -> list[float | None]:
    """Pointwise (``pos``), distant supervision: both halves of a pair earn 1.0 when score(chosen) > score(rejected).

    The k-th rollout of the chosen side is compared with the k-th rollout of the rejected side of
    the same ``pair_id``; rows without a partner in the batch, and pairwise rows, get ``None``.

    >>> pointwise_reward(["<think>x</think><score> 9 </score>", "<think>x</think><score> 4 </score>"],
    ...                  pair_id=["p1", "p1"], side=["chosen", "rejected"])
    [1.0, 1.0]
    """
    judgments = _judgments(completions, format, "pos")
    _log_judgments(log_metric, judgments)
    partner = _partners(list(zip(pair_id, side, strict=True)))
    rewards: list[float | None] = []
    ties = compared = 0
    for index, judgment in enumerate(judgments):
        other = partner.get(index)
        if side[index] is None or other is None:
            rewards.append(None)
            continue
        chosen, rejected = (judgment, judgments[other]) if side[index] == "chosen" else (judgments[other], judgment)
        compared += 1
        if chosen.ok and rejected.ok:
            ties += chosen.score == rejected.score
            rewards.append(float(chosen.score > rejected.score))
        else:
            rewards.append(0.0)
    if log_metric is not None:
        log_metric("j1/tie_rate", ties / compared if compared else 0.0)
    return rewards


def consistency_reward(
    completions: Sequence[Any],
    label: Sequence[str | None],
    pair_id: Sequence[str],
    order: Sequence[str | None],
    format: Sequence[str] | None = None,
    log_metric: LogMetric | None = None,
    **kwargs: Any,
) -> list[float | None]:
    """1.0 only when the verdict is right in both orders of the pair (k-th rollout of AB with k-th of BA).

    ``None`` where the other order of the pair is not in the batch.

    >>> consistency_reward(["<answer>[[A]]</answer>", "<answer>[[B]]</answer>"], label=["A", "B"],
    ...                    pair_id=["p1", "p1"], order=["AB", "BA"])
    [1.0, 1.0]
    """
    judgments = _judgments(completions, format, "pav")
    correct = [j.ok and j.verdict == gold for j, gold in zip(judgments, label, strict=True)]
    partner = _partners(list(zip(pair_id, order, strict=True)))
    rewards: list[float | None] = []
    flips = matched = 0
    for index, right in enumerate(correct):
        other = partner.get(index)
        if order[index] is None or other is None:
            rewards.append(None)
            continue
        matched += 1
        flips += judgments[index].ok and judgments[other].ok and right != correct[other]
        rewards.append(float(right and correct[other]))
    if log_metric is not None:
        log_metric("j1/flip_rate", flips / matched if matched else 0.0)
    return rewards


DEFAULT_REWARDS = {"pav": "verdict_reward", "pavs": "verdict_reward", "pav-plan": "verdict_reward",
                   "pas": "score_reward", "pos": "pointwise_reward"}  # fmt: skip
ALL_REWARDS = (verdict_reward, score_reward, pointwise_reward, consistency_reward, format_reward, signed_verdict_reward)
