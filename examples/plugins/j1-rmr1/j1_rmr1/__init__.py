"""An RM-R1 style format for j1-plugin: the judge writes a rubric, evaluates both answers by it, then
answers ``<answer> [[A]] </answer>`` or ``[[B]]``; and its reward, +1 for the right verdict and -1
for a wrong or unreadable one.

Everything enters through j1-plugin's hooks (the ``j1_plugin`` entry point in ``pyproject.toml``):
the format is registered as ``rmr1`` and the reward as ``rmr1_reward``.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.resources import files
from typing import Any

from j1_plugin import get_format, hookimpl
from j1_plugin.formats import PairwiseFormat
from j1_plugin.rewards import completion_text

FORMAT_NAME = "rmr1"


def rmr1_format() -> PairwiseFormat:
    return PairwiseFormat(
        name=FORMAT_NAME,
        description="RM-R1 style: <rubric>, <eval>, then the <answer> verdict",
        template=files(__name__).joinpath("template.txt").read_text("utf-8"),
        reasoning_tags=("rubric", "eval"),
    )


def rmr1_reward(
    completions: Sequence[Any], label: Sequence[str], format: Sequence[str] | None = None, **kwargs: Any
) -> list[float]:
    """+1.0 when the verdict names ``label`` (the better answer as shown), -1.0 otherwise.

    The verdict is read by the row's own format (``rmr1`` unless the dataset's ``format`` column
    says otherwise), with j1-plugin's parser, as in evaluation.
    """
    names = format if format is not None else [FORMAT_NAME] * len(completions)
    values = []
    for index, (completion, gold, name) in enumerate(zip(completions, label, names, strict=True)):
        judgment = get_format(name or FORMAT_NAME).parse(completion_text(completion, index))
        values.append(1.0 if judgment.ok and judgment.verdict == gold else -1.0)
    return values


@hookimpl
def register_formats(register):
    register(rmr1_format())


@hookimpl
def register_rewards(register):
    register(rmr1_reward)
