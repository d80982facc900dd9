"""What every judgment format provides: prompt rendering from a template, and parsing.

A template is the text of the single user turn the judge sees. It names its inputs with
placeholders in braces: ``{question}`` plus ``{response_a}`` and ``{response_b}`` (pairwise) or
``{response}`` (pointwise). Substitution is a single pass, so a response that happens to
contain ``{response_b}`` or any other brace text is inserted verbatim and never re-expanded;
other brace text in a template (code, JSON) is left alone.

A judge that copies the prompt's instructions instead of answering is told apart: a failed
parse whose output contains one of the template's instruction sentences verbatim gets the
reason code ``prompt_echo``. (The built-in templates are written so that no part of them parses
as a decision; see ``tests/test_prompt_echo.py``.)
"""

from __future__ import annotations

import dataclasses
import os
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import ClassVar, Literal

from j1_plugin.formats.parsing import REASON_CODES, ParseFailure, bounded_reason, quote
from j1_plugin.records import Judgment, JudgmentRequest, Message, ParseStatus, PreferencePair, Verdict

_PLACEHOLDER = re.compile(r"\{(question|response_a|response_b|response)\}")
_SENTENCE_BREAK = re.compile(r"(?<=[.:;!?])\s+")
# Instruction sentences shorter than this are too generic to show that an output copies the prompt.
ECHO_MIN_CHARS = 24


class TemplateError(ValueError):
    """A prompt template is missing a placeholder its format needs."""


def fill_template(template: str, values: Mapping[str, str]) -> str:
    """Replace known placeholders in one pass; unknown brace text stays as written."""

    def substitute(match: re.Match[str]) -> str:
        return values.get(match.group(1), match.group(0))

    return _PLACEHOLDER.sub(substitute, template)


def builtin_template(name: str) -> str:
    """The packaged prompt template of a built-in format."""
    return resources.files("j1_plugin.formats").joinpath("templates", f"{name}.txt").read_text("utf-8")


def verdict_from_scores(score_a: float | None, score_b: float | None) -> Verdict | None:
    """Turn two scores into a pairwise outcome: the higher wins, equal is a tie.

    ``None`` for either score (a failed parse) gives ``None``.

    >>> verdict_from_scores(8, 6.5), verdict_from_scores(3, 3), verdict_from_scores(None, 4)
    ('A', 'tie', None)
    """
    if score_a is None or score_b is None:
        return None
    if score_a > score_b:
        return "A"
    if score_b > score_a:
        return "B"
    return "tie"


@dataclass(frozen=True)
class JudgmentFormat(ABC):
    """A judgment format: how to ask a judge for a decision and how to read its answer.

    Subclasses set ``kind`` and ``placeholders`` and implement :meth:`requests`,
    :meth:`parse` and :meth:`write_output`.
    """

    name: str
    description: str
    template: str
    template_source: str = "<built-in>"

    kind: ClassVar[Literal["pairwise", "pointwise"]]
    placeholders: ClassVar[tuple[str, ...]]

    def __post_init__(self) -> None:
        present = set(_PLACEHOLDER.findall(self.template))
        missing = [p for p in self.placeholders if p not in present]
        if missing:
            wanted = ", ".join("{" + p + "}" for p in self.placeholders)
            absent = ", ".join("{" + p + "}" for p in missing)
            raise TemplateError(
                f"template {self.template_source} for format {self.name!r} lacks {absent}; "
                f"a {self.kind} template must contain {wanted}"
            )

    def with_template(self, template: str | os.PathLike[str]) -> JudgmentFormat:
        """A copy of this format that renders prompts from a template file.

        Output parsing is unchanged, so the template must ask for this format's output tags.
        """
        path = Path(template)
        try:
            text = path.read_text("utf-8")
        except OSError as exc:
            raise TemplateError(f"cannot read template file {path}: {exc.strerror or exc}") from exc
        return dataclasses.replace(self, template=text, template_source=str(path))

    def render(self, question: str, responses: Sequence[str]) -> tuple[Message, ...]:
        """Chat messages (one user turn) asking the judge about ``responses`` in the given order."""
        if len(responses) != len(self.placeholders) - 1:
            raise ValueError(
                f"format {self.name!r} judges {len(self.placeholders) - 1} response(s) at a time, got {len(responses)}"
            )
        values = dict(zip(self.placeholders, (question, *responses), strict=True))
        return ({"role": "user", "content": fill_template(self.template, values)},)

    @abstractmethod
    def requests(self, pair: PreferencePair, orders: Sequence[str] | None = None) -> list[JudgmentRequest]:
        """The judgment requests for one pair (both orders, or both sides, by default)."""

    @abstractmethod
    def read(self, text: str) -> Judgment:
        """Parse ``text``; may raise :class:`ParseFailure`, which :meth:`parse` turns into a result."""

    @abstractmethod
    def write_output(
        self,
        reasoning: str = "",
        *,
        verdict: str | None = None,
        scores: Mapping[str, float] | None = None,
    ) -> str:
        """Write a judge answer that follows this format's output contract exactly."""

    @property
    def reason_codes(self) -> tuple[str, ...]:
        """The failure reason codes this format's parser can give (counted by evaluation)."""
        return REASON_CODES

    @cached_property
    def instruction_sentences(self) -> tuple[str, ...]:
        """The template's own sentences and lines, without placeholders, long enough to be telling."""
        pieces = []
        for line in _PLACEHOLDER.sub("\n", self.template).splitlines():
            pieces += [line.strip(), *(piece.strip() for piece in _SENTENCE_BREAK.split(line))]
        return tuple(dict.fromkeys(piece for piece in pieces if len(piece) >= ECHO_MIN_CHARS))

    def echoed_instruction(self, text: str) -> str | None:
        """The first instruction sentence of the template that ``text`` copies verbatim, or ``None``."""
        return next((sentence for sentence in self.instruction_sentences if sentence in text), None)

    def parse(self, text: str | None) -> Judgment:
        """Read a judge's output. Never raises: failures come back with a status, reason and reason code."""
        if not isinstance(text, str) or not text.strip():
            return Judgment(
                raw=text if isinstance(text, str) else "",
                status=ParseStatus.NO_ANSWER,
                reason="the judge returned no text",
                reason_code="no_text",
            )
        try:
            return self.read(text)
        except ParseFailure as failure:
            reason, code = failure.reason, failure.code
            echoed = self.echoed_instruction(text)
            if echoed is not None:
                reason, code = f"the output copies the prompt's instructions ({quote(echoed)}); {reason}", "prompt_echo"
            return Judgment(raw=text, status=failure.status, reason=bounded_reason(reason), reason_code=code)
