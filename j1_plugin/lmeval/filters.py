"""A ``j1_verdict`` lm-eval filter for hand-written YAML tasks: judge text to ``A``, ``B`` or ``[invalid]``.

The J1 tasks of this package do not need it (they parse in ``process_results``); it lets a user
build stock lm-eval pipelines such as ``[j1_verdict, majority_vote, take_first]`` with the same
parser. The format is the filter argument ``format`` (default ``pav``).
"""

from __future__ import annotations

import contextlib

import lm_eval.filters  # noqa: F401  (lm-eval's built-in filters first)
from lm_eval.api.filter import Filter
from lm_eval.api.registry import register_filter

from j1_plugin.plugins import get_format

INVALID = "[invalid]"


class J1VerdictFilter(Filter):
    def __init__(self, format: str = "pav", **kwargs) -> None:
        super().__init__(**kwargs)
        self.fmt = get_format(format)

    def apply(self, resps, docs):
        def verdict(text: str) -> str:
            judgment = self.fmt.parse(text)
            return judgment.verdict if judgment.ok and judgment.verdict in ("A", "B", "tie") else INVALID

        return [[verdict(text) for text in per_doc] for per_doc in resps]


with contextlib.suppress(ValueError):  # already registered in this process
    register_filter("j1_verdict")(J1VerdictFilter)
