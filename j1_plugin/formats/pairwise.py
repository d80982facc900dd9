"""Pairwise judgment formats: the judge sees the question and two responses, A and B.

One class covers the four J1 pairwise formats; they differ only in which blocks the judge
writes after its reasoning:

========== ====================== ===================================== ======================
format     reasoning              after the reasoning                   verdict
========== ====================== ===================================== ======================
pav        ``<think>``            ``<answer> [[A]] </answer>``          the answer
pas        ``<think>``            ``<score_A> s </score_A>``,           higher score; equal
                                  ``<score_B> s </score_B>``            scores are a tie
pavs       ``<think>``            both scores, then the answer block    the answer
pav-plan   ``<plan>``,            ``<answer> [[A]] </answer>``          the answer
           ``<execution>``
========== ====================== ===================================== ======================

For ``pavs`` the scores are side information: they are kept when well-formed, a missing score
block is tolerated, but a present score that is not a number in 0..10 fails the parse.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from j1_plugin.formats.base import JudgmentFormat, verdict_from_scores
from j1_plugin.formats.parsing import (
    GENERAL_CODES,
    SCORE_CODES,
    VERDICT_CODES,
    answer_region,
    format_score,
    last_block,
    read_score,
    read_verdict,
    required_block,
)
from j1_plugin.records import ORDERS, Judgment, JudgmentRequest, ParseStatus, PreferencePair

SCORE_TAGS = {"A": "score_A", "B": "score_B"}


@dataclass(frozen=True)
class PairwiseFormat(JudgmentFormat):
    """A pairwise format; see the module docstring for the four built-in variants."""

    reasoning_tags: tuple[str, ...] = ("think",)
    asks_verdict: bool = True
    asks_scores: bool = False

    kind = "pairwise"
    placeholders = ("question", "response_a", "response_b")

    def requests(self, pair: PreferencePair, orders: Sequence[str] | None = None) -> list[JudgmentRequest]:
        return [
            JudgmentRequest(
                pair_id=pair.id,
                format=self.name,
                messages=self.render(pair.prompt, pair.responses(order)),
                order=order,
                label=pair.label(order),
            )
            for order in (ORDERS if orders is None else orders)
        ]

    @property
    def reason_codes(self) -> tuple[str, ...]:
        return GENERAL_CODES + (VERDICT_CODES if self.asks_verdict else ()) + (SCORE_CODES if self.asks_scores else ())

    def read(self, text: str) -> Judgment:
        region = answer_region(text, self.reasoning_tags)
        reasoning = text[: len(text) - len(region)]
        scores = self._read_scores(region, reasoning) if self.asks_scores else None
        if self.asks_verdict:
            verdict = read_verdict(required_block(region, "answer", reasoning))
        else:
            verdict = verdict_from_scores(scores["A"], scores["B"])
        return Judgment(raw=text, status=ParseStatus.OK, verdict=verdict, scores=scores)

    def _read_scores(self, region: str, reasoning: str) -> dict[str, float] | None:
        blocks = {side: last_block(region, tag) for side, tag in SCORE_TAGS.items()}
        if self.asks_verdict and all(content is None for content in blocks.values()):
            return None
        scores = {}
        for side, tag in SCORE_TAGS.items():
            content = blocks[side]
            if content is None:
                content = required_block(region, tag, reasoning)
            scores[side] = read_score(content, tag)
        return scores

    def write_output(
        self,
        reasoning: str = "",
        *,
        verdict: str | None = None,
        scores: Mapping[str, float] | None = None,
    ) -> str:
        parts = [f"<{tag}>{reasoning}</{tag}>" for tag in self.reasoning_tags]
        if self.asks_scores:
            if scores is None:
                raise ValueError(f"format {self.name!r} writes scores for A and B; pass scores=")
            parts += [f"<{tag}> {format_score(scores[side])} </{tag}>" for side, tag in SCORE_TAGS.items()]
        if self.asks_verdict:
            if verdict not in ("A", "B"):
                raise ValueError(f"format {self.name!r} writes a verdict 'A' or 'B', got {verdict!r}")
            parts.append(f"<answer> [[{verdict}]] </answer>")
        return "\n".join(parts)
