"""A Think-J style reward for j1-plugin: 1 for the right verdict, 0.5 for a tie, 0 for a wrong or
unreadable one.

A tie arises in score formats (``pas``: equal scores), so the reward suits them; with verdict
formats it is the plain right/wrong reward. It enters through j1-plugin's ``register_rewards`` hook
as ``thinkj_reward``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from j1_plugin import get_format, hookimpl
from j1_plugin.rewards import completion_text

DEFAULT_FORMAT = "pas"
POINTS = {"right": 1.0, "tie": 0.5, "wrong": 0.0}


def thinkj_reward(
    completions: Sequence[Any], label: Sequence[str], format: Sequence[str] | None = None, **kwargs: Any
) -> list[float]:
    """1.0 / 0.5 / 0.0 for a verdict that names ``label``, a tie, or anything else (rows' own formats)."""
    names = format if format is not None else [DEFAULT_FORMAT] * len(completions)
    values = []
    for index, (completion, gold, name) in enumerate(zip(completions, label, names, strict=True)):
        judgment = get_format(name or DEFAULT_FORMAT).parse(completion_text(completion, index))
        outcome = "wrong" if not judgment.ok else "right" if judgment.verdict == gold else (
            "tie" if judgment.verdict == "tie" else "wrong")  # fmt: skip
        values.append(POINTS[outcome])
    return values


@hookimpl
def register_rewards(register):
    register(thinkj_reward)
