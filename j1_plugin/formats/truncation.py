"""Fitting a judgment prompt into a token budget without touching its instructions.

The rule, shared by evaluation and training data building:

1. The template (instructions, response framing, output format) is never cut.
2. If the filled prompt is over budget, the question and the responses share what is left. Each
   keeps its beginning and loses its end; the longest texts are cut first, down to a common
   length, so short texts survive whole (water-filling).
3. A cut text ends with :data:`TRUNCATION_MARKER`, so the judge can tell.
4. Both orders of a pair are cut identically, because a pair's texts are cut once, before
   rendering (pointwise: each side with the question, separately).

Tokens are counted with the judge's tokenizer when one is known, else estimated as
:data:`CHARS_PER_TOKEN` characters per token.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from j1_plugin.formats.base import JudgmentFormat
from j1_plugin.records import PreferencePair

TRUNCATION_MARKER = " [... truncated]"
CHARS_PER_TOKEN = 4
CHAT_OVERHEAD_TOKENS = 32  # role markers and generation prompt added by a chat template


class TokenCounter(Protocol):
    def count(self, text: str) -> int: ...

    def head(self, text: str, tokens: int) -> str: ...


class CharEstimate:
    """Token counting without a tokenizer: ``CHARS_PER_TOKEN`` characters per token."""

    def count(self, text: str) -> int:
        return math.ceil(len(text) / CHARS_PER_TOKEN)

    def head(self, text: str, tokens: int) -> str:
        return text[: tokens * CHARS_PER_TOKEN]


@dataclass
class TokenizerCounter:
    """Token counting with a Hugging Face tokenizer."""

    tokenizer: Any

    def count(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def head(self, text: str, tokens: int) -> str:
        ids = self.tokenizer(text, add_special_tokens=False)["input_ids"][:tokens]
        return self.tokenizer.decode(ids, skip_special_tokens=False)


def water_level(lengths: Sequence[int], available: int) -> int:
    """The largest cap with ``sum(min(length, cap)) <= available``."""
    low, high = 0, max(lengths, default=0)
    while low < high:
        middle = (low + high + 1) // 2
        if sum(min(length, middle) for length in lengths) <= available:
            low = middle
        else:
            high = middle - 1
    return low


def fit_texts(fmt: JudgmentFormat, texts: Sequence[str], budget: int, counter: TokenCounter) -> tuple[list[str], bool]:
    """Cut ``texts`` (question first, then the responses of one request) to fit ``budget`` tokens.

    Returns the texts and whether anything was cut. Raises ``ValueError`` when the template alone
    does not fit.
    """

    def prompt_tokens(pieces: Sequence[str]) -> int:
        return counter.count(fmt.render(pieces[0], pieces[1:])[0]["content"]) + CHAT_OVERHEAD_TOKENS

    if prompt_tokens(texts) <= budget:
        return list(texts), False
    empty = [""] * len(texts)
    marker = counter.count(TRUNCATION_MARKER)
    room = budget - prompt_tokens(empty) - marker * len(texts)
    if room <= 0:
        raise ValueError(
            f"format {fmt.name!r}: the prompt template alone needs {prompt_tokens(empty)} tokens, "
            f"over the budget of {budget}"
        )
    lengths = [counter.count(text) for text in texts]
    for _ in range(8):  # tokenization is not exactly additive; shrink until it fits
        cap = water_level(lengths, room)
        cut = [text if length <= cap else counter.head(text, cap) + TRUNCATION_MARKER
               for text, length in zip(texts, lengths, strict=True)]  # fmt: skip
        overflow = prompt_tokens(cut) - budget
        if overflow <= 0:
            return cut, True
        room -= max(overflow, 1)
        if room <= 0:
            break
    raise ValueError(f"format {fmt.name!r}: could not fit the prompt into {budget} tokens")


def fit_pair(
    fmt: JudgmentFormat, pair: PreferencePair, budget: int | None, counter: TokenCounter | None = None
) -> tuple[PreferencePair, bool]:
    """The pair with its texts cut so every request of ``fmt`` fits ``budget`` tokens.

    ``budget`` ``None`` means no limit. Returns the (possibly new) pair and whether it was cut.
    """
    if budget is None:
        return pair, False
    counter = counter or CharEstimate()
    if fmt.kind == "pointwise":
        (question, chosen), cut_chosen = fit_texts(fmt, [pair.prompt, pair.chosen], budget, counter)
        (question_r, rejected), cut_rejected = fit_texts(fmt, [pair.prompt, pair.rejected], budget, counter)
        if not (cut_chosen or cut_rejected):
            return pair, False
        # The shorter cut of the question serves both sides, so both see the same question.
        question = min(question, question_r, key=len)
        return replace(pair, prompt=question, chosen=chosen, rejected=rejected), True
    (question, chosen, rejected), cut = fit_texts(fmt, [pair.prompt, pair.chosen, pair.rejected], budget, counter)
    if not cut:
        return pair, False
    return replace(pair, prompt=question, chosen=chosen, rejected=rejected), True
