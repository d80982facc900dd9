"""Text primitives that read a judge's output: the one parser used by evaluation and training.

Rules (J1 output contracts):

* the decision is read only from the text *after* the reasoning block (the last closing tag of
  the format's final reasoning tag, e.g. ``</think>``); anything the judge quotes inside its
  reasoning, including answer tags copied from the responses, is ignored;
* a reasoning block that is opened but never closed is a failure (the judge ran out of tokens);
* the last well-formed block of a tag wins, where well-formed means an opening and a closing tag
  with neither tag in between;
* a score is a number in 0..10, optionally followed by ``/10``.

Every function here works on plain ``str`` with ``str.rfind`` and small anchored regular
expressions, so parsing cost does not grow with the length of the reasoning.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from j1_plugin.records import ParseStatus

_VERDICT = re.compile(r"\[\[\s*([AB])\s*\]\]")
_SCORE = re.compile(r"\s*([+-]?\d+(?:\.\d+)?)\s*(?:/\s*10(?:\.0*)?)?\s*")

MIN_SCORE = 0.0
MAX_SCORE = 10.0


class ParseFailure(Exception):
    """Raised inside the parsers to stop at the first broken rule; never leaves ``parse``."""

    def __init__(self, status: ParseStatus, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def answer_region(text: str, reasoning_tags: Sequence[str]) -> str:
    """Return the part of ``text`` after the reasoning block.

    ``reasoning_tags`` lists the format's reasoning tags in order (``("think",)`` or
    ``("plan", "execution")``); the block ends at the last closing tag of the final one. Output
    with no reasoning block at all is read whole.
    """
    closing = f"</{reasoning_tags[-1]}>"
    end = text.rfind(closing)
    if end >= 0:
        return text[end + len(closing) :]
    for tag in reasoning_tags:
        if f"<{tag}>" in text:
            raise ParseFailure(
                ParseStatus.UNCLOSED_REASONING,
                f"<{tag}> is opened but {closing} never ends the reasoning (output cut short?)",
            )
    return text


def last_block(region: str, tag: str) -> str | None:
    """Content of the last well-formed ``<tag>…</tag>`` block in ``region``, or ``None``."""
    opening, closing = f"<{tag}>", f"</{tag}>"
    end = len(region)
    while True:
        close_at = region.rfind(closing, 0, end)
        if close_at < 0:
            return None
        open_at = region.rfind(opening, 0, close_at)
        if open_at < 0:
            return None
        content = region[open_at + len(opening) : close_at]
        if closing not in content:
            return content
        end = close_at


def read_verdict(content: str) -> str:
    """The single ``[[A]]``/``[[B]]`` verdict inside an answer block."""
    found = set(_VERDICT.findall(content))
    if len(found) == 1:
        return found.pop()
    if found:
        raise ParseFailure(ParseStatus.AMBIGUOUS, "the answer block names both [[A]] and [[B]]")
    raise ParseFailure(ParseStatus.MALFORMED, "the answer block holds neither [[A]] nor [[B]]")


def read_score(content: str, tag: str) -> float:
    """A score in 0..10 (integer or decimal, ``/10`` allowed) from a score block's content."""
    match = _SCORE.fullmatch(content)
    if match is None:
        shown = content.strip()
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        raise ParseFailure(ParseStatus.MALFORMED, f"<{tag}> does not hold a number: {shown!r}")
    value = float(match.group(1))
    if not MIN_SCORE <= value <= MAX_SCORE:
        raise ParseFailure(
            ParseStatus.OUT_OF_RANGE, f"<{tag}> score {match.group(1)} is outside {MIN_SCORE:g}..{MAX_SCORE:g}"
        )
    return value


def required_block(region: str, tag: str) -> str:
    """Like :func:`last_block`, but a missing block is a parse failure."""
    content = last_block(region, tag)
    if content is None:
        raise ParseFailure(ParseStatus.NO_ANSWER, f"no <{tag}>…</{tag}> block after the reasoning")
    return content


def format_score(value: float) -> str:
    """Write a score the way a judge would: ``7`` or ``7.5``."""
    return f"{value:g}"
