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

Logged metrics (fractions, through TRL's ``log_metric``): ``j1/parse_failure_rate`` and
``j1/thought_chars`` on every call; ``j1/flip_rate`` when the batch holds both orders of a pair
with both rollouts parsed (pairs where exactly one order is right, as in
:func:`j1_plugin.scoring.j1_metrics`); ``j1/tie_rate`` when it holds score-format decisions
(``pas`` rows, ``pos`` pairs), some of them parsed. A rate with nothing to measure is not logged.

Use by dotted path: ``trl grpo --reward_funcs j1_plugin.rewards.verdict_reward ...``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from j1_plugin.errors import shown
from j1_plugin.plugins import get_format
from j1_plugin.records import ORDERS, SIDES, Judgment
from j1_plugin.scoring import outcome_of

LogMetric = Callable[[str, float], None]


class RewardInputError(ValueError):
    """A completion or dataset column handed to a reward is not what TRL and our datasets produce."""


def completion_text(completion: Any, index: int = 0) -> str:
    """The judge's full text from a plain or conversational completion (reasoning re-joined).

    Content may be a string or a list of content parts; ``text`` parts are joined and parts of
    other types (an image, say) carry no text. Anything else is a :class:`RewardInputError`
    naming completion ``index``, never a silently empty answer.

    >>> completion_text([{"role": "assistant", "reasoning_content": "A adds up.", "content": "<answer>[[A]]</answer>"}])
    '<think>A adds up.</think><answer>[[A]]</answer>'
    """
    if isinstance(completion, str):
        return completion
    where = f"completion {index}"
    message = completion[-1] if isinstance(completion, list) and completion else completion
    if not isinstance(message, dict):
        raise RewardInputError(f"{where} must be text or a list of chat messages, got {shown(completion)}")
    content = message.get("content")
    if content is None:
        content = ""
    elif isinstance(content, list):  # content parts
        content = "".join(_part_text(part, f"{where}: content part {k}") for k, part in enumerate(content))
    elif not isinstance(content, str):
        raise RewardInputError(f"{where}: 'content' must be text or a list of content parts, got {shown(content)}")
    thought = message.get("reasoning_content") or message.get("reasoning") or message.get("thinking")
    if thought is not None and not isinstance(thought, str):
        raise RewardInputError(f"{where}: the reasoning field must be text, got {shown(thought)}")
    return f"<think>{thought}</think>{content}" if thought else content


def _part_text(part: Any, where: str) -> str:
    if not isinstance(part, dict):
        raise RewardInputError(f"{where} must be an object such as {{'type': 'text', 'text': ...}}, got {shown(part)}")
    if part.get("type", "text") != "text":
        return ""
    text = part.get("text")
    if not isinstance(text, str):
        raise RewardInputError(f"{where}: a text part's 'text' must be a string, got {shown(text)}")
    return text


def _check_column(name: str, values: Sequence[Any], allowed: Sequence[Any], rows: Sequence[int] | None = None) -> None:
    """Every value of column ``name`` (at ``rows``, or all) is one of ``allowed``; else a RewardInputError."""
    for index in range(len(values)) if rows is None else rows:
        if values[index] not in allowed:
            expected = ", ".join(map(repr, allowed))
            found = shown(values[index])
            raise RewardInputError(f"column {name!r} row {index} is {found}; expected one of {expected}")


def _judgments(completions: Sequence[Any], formats: Sequence[str] | None, default: str) -> list[Judgment]:
    names = formats if formats is not None else [default] * len(completions)
    return [
        get_format(name or default).parse(completion_text(c, index))
        for index, (c, name) in enumerate(zip(completions, names, strict=True))
    ]


def _thought_chars(judgment: Judgment) -> int:
    end = judgment.raw.rfind("</")
    return len(judgment.raw) if end < 0 else end


def _log_judgments(log_metric: LogMetric | None, judgments: Sequence[Judgment]) -> None:
    if log_metric is None or not judgments:
        return
    log_metric("j1/parse_failure_rate", sum(not j.ok for j in judgments) / len(judgments))
    log_metric("j1/thought_chars", sum(map(_thought_chars, judgments)) / len(judgments))


def _log_rate(log_metric: LogMetric | None, name: str, hits: int, parsed: int, total: int) -> None:
    """Log ``hits / total`` as ``name``, unless none of the ``total`` decisions parsed."""
    if log_metric is not None and parsed:
        log_metric(name, hits / total)


def _log_flip_rate(
    log_metric: LogMetric | None, judgments: Sequence[Judgment], label: Sequence[str | None], partner: dict[int, int]
) -> None:
    """``j1/flip_rate`` over the matched (AB, BA) rollouts with both orders parsed."""
    flips = both = 0
    for index, other in partner.items():
        if index < other and judgments[index].ok and judgments[other].ok:
            both += 1
            outcomes = {outcome_of(judgments[k].verdict, label[k] or "") for k in (index, other)}
            flips += outcomes == {"correct", "wrong"}
    _log_rate(log_metric, "j1/flip_rate", flips, both, both)


def _is_pointwise(name: str | None) -> bool:
    return name is not None and get_format(name).kind == "pointwise"


def _verdict_correctness(
    completions: Sequence[Any],
    label: Sequence[str | None],
    formats: Sequence[str] | None,
    log_metric: LogMetric | None,
    default_format: str,
    columns: dict[str, Any],
) -> list[float | None]:
    """1.0 for a parsed verdict equal to the label, else 0.0; ``None`` on pointwise rows (not parsed).

    ``columns`` are the other dataset columns; with ``pair_id`` and ``order`` the flip rate is logged.
    """
    names = [name or default_format for name in formats] if formats is not None else [default_format] * len(completions)
    rows = [index for index, name in enumerate(names) if not _is_pointwise(name)]
    _check_column("label", label, ("A", "B"), rows)
    if columns.get("order") is not None:
        _check_column("order", columns["order"], (*ORDERS, None))
    judgments = _judgments([completions[i] for i in rows], [names[i] for i in rows], default_format)
    labels = [label[i] for i in rows]
    _log_judgments(log_metric, judgments)
    pair_id, order = columns.get("pair_id"), columns.get("order")
    if pair_id is not None and order is not None:
        _log_flip_rate(log_metric, judgments, labels, _partners([(pair_id[i], order[i]) for i in rows]))
    scored = [
        j for j, i in zip(judgments, rows, strict=True) if not getattr(get_format(names[i]), "asks_verdict", True)
    ]
    _log_rate(
        log_metric, "j1/tie_rate", sum(j.verdict == "tie" for j in scored), sum(j.ok for j in scored), len(scored)
    )
    values: list[float | None] = [None] * len(completions)
    for index, judgment, gold in zip(rows, judgments, labels, strict=True):
        values[index] = float(judgment.ok and judgment.verdict == gold)
    return values


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
    return _verdict_correctness(completions, label, format, log_metric, "pav", kwargs)


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
    plain = verdict_reward(completions, label, format=format, log_metric=log_metric, **kwargs)
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
    return _verdict_correctness(completions, label, format, log_metric, "pas", kwargs)


def format_reward(
    completions: Sequence[Any], format: Sequence[str] | None = None, log_metric: LogMetric | None = None, **kwargs: Any
) -> list[float]:
    """1.0 when the output follows its format's contract (parses), else 0.0 (off by default in J1).

    >>> format_reward(["<think>x</think><answer> [[B]] </answer>", "<think>unfinished"])
    [1.0, 0.0]
    """
    return [float(j.ok) for j in _judgments(completions, format, "pav")]


def _partners(keys: Sequence[tuple[Any, Any]]) -> dict[int, int]:
    """Index-wise matching: the k-th row of (pair, one half) with the k-th row of (pair, the other half).

    Rows whose half is ``None`` (another task's rows in multitask data) have no partner.
    """
    seen: dict[tuple[Any, Any], list[int]] = defaultdict(list)
    for index, key in enumerate(keys):
        if key[1] is not None:
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
    _check_column("side", side, (*SIDES, None))
    judgments = _judgments(completions, format, "pos")
    _log_judgments(log_metric, judgments)
    partner = _partners(list(zip(pair_id, side, strict=True)))
    rewards: list[float | None] = []
    ties = parsed = compared = 0
    for index, judgment in enumerate(judgments):
        other = partner.get(index)
        if side[index] is None or other is None:
            rewards.append(None)
            continue
        chosen, rejected = (judgment, judgments[other]) if side[index] == "chosen" else (judgments[other], judgment)
        compared += 1
        if chosen.ok and rejected.ok:
            parsed += 1
            ties += chosen.score == rejected.score
            rewards.append(float(chosen.score > rejected.score))
        else:
            rewards.append(0.0)
    _log_rate(log_metric, "j1/tie_rate", ties, parsed, compared)  # each pair is counted once per half
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
    _check_column("order", order, (*ORDERS, None))
    _check_column("label", label, ("A", "B"), [index for index, half in enumerate(order) if half is not None])
    judgments = _judgments(completions, format, "pav")
    correct = [j.ok and j.verdict == gold for j, gold in zip(judgments, label, strict=True)]
    partner = _partners(list(zip(pair_id, order, strict=True)))
    _log_flip_rate(log_metric, judgments, label, partner)
    rewards: list[float | None] = []
    for index, right in enumerate(correct):
        other = partner.get(index)
        if order[index] is None or other is None:
            rewards.append(None)
            continue
        rewards.append(float(right and correct[other]))
    return rewards


DEFAULT_REWARDS = {"pav": "verdict_reward", "pavs": "verdict_reward", "pav-plan": "verdict_reward",
                   "pas": "score_reward", "pos": "pointwise_reward"}  # fmt: skip
ALL_REWARDS = (verdict_reward, score_reward, pointwise_reward, consistency_reward, format_reward, signed_verdict_reward)
