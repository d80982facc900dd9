"""Text primitives that read a judge's output: the one parser used by evaluation and training.

Rules (J1 output contracts):

* the decision is read only from the text *after* the reasoning block (the last closing tag of
  the format's final reasoning tag, e.g. ``</think>``); anything the judge quotes inside its
  reasoning, including answer tags copied from the responses, is ignored;
* a reasoning block that is opened but never closed is a failure (the judge ran out of tokens),
  and so is a reasoning tag opened again after the last closing tag;
* the last well-formed block of a tag wins, where well-formed means an opening and a closing tag
  with neither tag in between;
* a score is a number in 0..10, optionally followed by ``/10``.

The contract is exact: a verdict is never guessed from text that breaks it. A failure instead
carries a :class:`~j1_plugin.records.ParseStatus`, a short human reason that quotes (at most
:data:`QUOTE_CHARS` characters of) what was found instead, and a stable reason code for counting
failures by cause. The codes (:data:`REASON_CODES`):

* ``no_text`` (status ``no_answer``): nothing at all (``None``, empty or only whitespace);
* ``unclosed_reasoning``: a reasoning tag opened and never closed, or opened again after the
  last closing tag;
* ``no_answer_block`` (``no_answer``): no ``<answer>…</answer>`` after the reasoning;
* ``answer_unclosed`` (``no_answer``): ``<answer>`` opened after the reasoning, never closed;
* ``answer_only_in_reasoning`` (``no_answer``): an answer block only inside the reasoning;
* ``verdict_outside_answer`` (``no_answer``): ``[[A]]``/``[[B]]`` after the reasoning but
  outside any answer block;
* ``both_verdicts`` (``ambiguous``): the answer block names both ``[[A]]`` and ``[[B]]``;
* ``no_verdict_in_answer`` (``malformed``): the answer block holds neither;
* ``no_score_block``, ``score_unclosed``, ``score_only_in_reasoning`` (``no_answer``): as for
  the answer block, for ``<score>``, ``<score_A>`` or ``<score_B>``;
* ``score_outside_tag`` (``no_answer``): a score written as prose ("Score: 7"), not in its tag (a
  range such as "score from 0 to 10" is not a score);
* ``score_not_number`` (``malformed``): a score block that does not hold a number;
* ``score_out_of_range`` (``out_of_range``): a score outside 0..10;
* ``prompt_echo`` (status as found): the failed output copies a sentence of the prompt's
  instructions; set by :meth:`~j1_plugin.formats.JudgmentFormat.parse`, which knows the prompt.

Every function here works on plain ``str`` with ``str.rfind``/``str.find`` and regular expressions
that never backtrack over more than a few characters, so parsing cost grows linearly with the length
of the output (``benchmarks/parse_worst_case.py`` times the worst shapes found, at 10 MB). Failure
reasons are at most :data:`REASON_CHARS` characters long.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from j1_plugin.records import ParseStatus

_VERDICT = re.compile(r"\[\[\s*+([AB])\s*+\]\]")
_VERDICT_OF = {letter: re.compile(rf"\[\[\s*+{letter}\s*+\]\]") for letter in "AB"}
_SCORE = re.compile(r"\s*+([+-]?\d+(?:\.\d+)?)\s*+(?:/\s*+10(?:\.0*+)?)?\s*+")
# A score written as prose ("Score: 7", "score_B = 6"); tags themselves never match (no < or >), nor
# does a range ("score from 0 to 10", the instructions' own words, often copied by small judges).
# The possessive quantifiers match exactly what greedy ones would, without backtracking.
_LOOSE_SCORE = re.compile(r"\bscore(?:_?[AB])?\b[^<>\d\n]{0,24}+\d(?![\d.]*+\s*+to\s*\d)", re.IGNORECASE)

MIN_SCORE = 0.0
MAX_SCORE = 10.0
QUOTE_CHARS = 40
# The longest failure reason kept (plugin parsers included); longer ones are cut, ending in "...".
REASON_CHARS = 300
# A failure's explanation looks for a stray verdict or a prose score in at most this many characters
# at the end of the answer region; the decision itself always reads the whole output.
HINT_CHARS = 100_000

# Reason codes by what a format asks for: every format, the answer block, score blocks.
GENERAL_CODES = ("no_text", "unclosed_reasoning", "prompt_echo")
VERDICT_CODES = (
    "no_answer_block",
    "answer_unclosed",
    "answer_only_in_reasoning",
    "verdict_outside_answer",
    "both_verdicts",
    "no_verdict_in_answer",
)
SCORE_CODES = (
    "no_score_block",
    "score_unclosed",
    "score_only_in_reasoning",
    "score_outside_tag",
    "score_not_number",
    "score_out_of_range",
)
REASON_CODES = GENERAL_CODES + VERDICT_CODES + SCORE_CODES


class ParseFailure(Exception):
    """Raised inside the parsers to stop at the first broken rule; never leaves ``parse``.

    ``code`` is one of :data:`REASON_CODES` for the built-in parsers; a plugin parser that
    passes none gets its status value as the code.
    """

    def __init__(self, status: ParseStatus, reason: str, code: str | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.code = code or status.value


def quote(text: str, limit: int = QUOTE_CHARS) -> str:
    """``text`` stripped, cut to ``limit`` characters, as a Python literal for a failure reason.

    >>> quote("  <answer> [[A]] and a very long explanation that goes on  ")
    "'<answer> [[A]] and a very long explan...'"
    """
    shown = text.strip()
    return repr(shown if len(shown) <= limit else shown[: limit - 3] + "...")


def answer_region(text: str, reasoning_tags: Sequence[str]) -> str:
    """Return the part of ``text`` after the reasoning block (always a suffix of ``text``).

    ``reasoning_tags`` lists the format's reasoning tags in order (``("think",)`` or
    ``("plan", "execution")``); the block ends at the last closing tag of the final one. Output
    with no reasoning block at all is read whole. A reasoning tag opened and not closed, before
    or after the last closing tag, is a failure.
    """
    closing = f"</{reasoning_tags[-1]}>"
    end = text.rfind(closing)
    region = text if end < 0 else text[end + len(closing) :]
    for tag in reasoning_tags:
        if f"<{tag}>" in region:
            where = "" if end < 0 else f" again after the last {closing}"
            raise ParseFailure(
                ParseStatus.UNCLOSED_REASONING,
                f"<{tag}> is opened{where} but {closing} never closes it (output cut short?)",
                "unclosed_reasoning",
            )
    return region


def last_block(region: str, tag: str) -> str | None:
    """Content of the last well-formed ``<tag>…</tag>`` block in ``region``, or ``None``.

    The last opening tag before the last closing tag starts it; the first closing tag after that
    opening ends it (so no tag of either kind lies in between).
    """
    opening, closing = f"<{tag}>", f"</{tag}>"
    close_at = region.rfind(closing)
    if close_at < 0:
        return None
    open_at = region.rfind(opening, 0, close_at)
    if open_at < 0:
        return None
    start = open_at + len(opening)
    return region[start : region.find(closing, start)]


def read_verdict(content: str) -> str:
    """The single ``[[A]]``/``[[B]]`` verdict inside an answer block."""
    first = _VERDICT.search(content)  # one scan finds a verdict; a second looks only for the other letter
    both = first is not None and _VERDICT_OF["B" if first.group(1) == "A" else "A"].search(content) is not None
    if first is not None and not both:
        return first.group(1)
    if both:
        raise ParseFailure(ParseStatus.AMBIGUOUS, "the answer block names both [[A]] and [[B]]", "both_verdicts")
    raise ParseFailure(
        ParseStatus.MALFORMED,
        f"the answer block holds neither [[A]] nor [[B]]: {quote(content)}",
        "no_verdict_in_answer",
    )


def read_score(content: str, tag: str) -> float:
    """A score in 0..10 (integer or decimal, ``/10`` allowed) from a score block's content."""
    match = _SCORE.fullmatch(content)
    if match is None:
        raise ParseFailure(
            ParseStatus.MALFORMED, f"<{tag}> does not hold a number: {quote(content)}", "score_not_number"
        )
    value = float(match.group(1))
    if not MIN_SCORE <= value <= MAX_SCORE:
        shown = match.group(1) if len(match.group(1)) <= QUOTE_CHARS else quote(match.group(1))
        raise ParseFailure(
            ParseStatus.OUT_OF_RANGE,
            f"<{tag}> score {shown} is outside {MIN_SCORE:g}..{MAX_SCORE:g}",
            "score_out_of_range",
        )
    return value


def required_block(region: str, tag: str, reasoning: str = "") -> str:
    """Like :func:`last_block`, but a missing block is a parse failure that says what was found instead.

    ``reasoning`` is the text before ``region`` (the reasoning block), searched only to explain a
    failure, never for the decision.
    """
    content = last_block(region, tag)
    if content is None:
        raise missing_block(region, tag, reasoning)
    return content


def missing_block(region: str, tag: str, reasoning: str = "") -> ParseFailure:
    """The failure for a ``<tag>…</tag>`` block absent from ``region``, naming the closest thing found."""
    family = "answer" if tag == "answer" else "score"
    wanted = f"<{tag}>…</{tag}>"
    opened = region.rfind(f"<{tag}>")
    if opened >= 0:
        return ParseFailure(
            ParseStatus.NO_ANSWER,
            f"<{tag}> is opened after the reasoning but never closed: {quote(region[opened:])}",
            f"{family}_unclosed",
        )
    if last_block(reasoning, tag) is not None:
        return ParseFailure(
            ParseStatus.NO_ANSWER,
            f"a {wanted} block appears only inside the reasoning, none after it",
            f"{family}_only_in_reasoning",
        )
    tail = region[-HINT_CHARS:]
    loose = _VERDICT.search(tail) if family == "answer" else _LOOSE_SCORE.search(tail)
    if loose is not None:
        found = quote(tail[max(0, loose.start() - 24) : loose.end() + 12])
        what = "a verdict" if family == "answer" else "a score"
        return ParseFailure(
            ParseStatus.NO_ANSWER,
            f"{what} is written outside {wanted}: {found}",
            "verdict_outside_answer" if family == "answer" else "score_outside_tag",
        )
    after = "nothing follows the reasoning" if reasoning and not region.strip() else f"found {quote(region)}"
    return ParseFailure(ParseStatus.NO_ANSWER, f"no {wanted} block after the reasoning; {after}", f"no_{family}_block")


def bounded_reason(reason: str) -> str:
    """``reason`` cut to :data:`REASON_CHARS` characters, so no failure carries a copy of a huge output."""
    return reason if len(reason) <= REASON_CHARS else reason[: REASON_CHARS - 3] + "..."


def format_score(value: float) -> str:
    """Write a score the way a judge would: ``7`` or ``7.5``."""
    return f"{value:g}"
