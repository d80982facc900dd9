"""The pointwise format (``pos``): the judge scores one response on its own.

Output contract: ``<think> … </think>`` then ``<score> s </score>`` with s in 0..10. A pair is
judged by scoring each response separately; :func:`pointwise_verdict` compares the two scores
(higher wins, equal is a tie).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from j1_plugin.formats.base import JudgmentFormat, verdict_from_scores
from j1_plugin.formats.parsing import (
    GENERAL_CODES,
    SCORE_CODES,
    answer_region,
    format_score,
    read_score,
    required_block,
)
from j1_plugin.records import SIDES, Judgment, JudgmentRequest, ParseStatus, PreferencePair, Verdict


@dataclass(frozen=True)
class PointwiseFormat(JudgmentFormat):
    """Score a single response; pairs become two requests, one per ``side``."""

    reasoning_tags: tuple[str, ...] = ("think",)

    kind = "pointwise"
    placeholders = ("question", "response")

    def requests(self, pair: PreferencePair, orders: Sequence[str] | None = None) -> list[JudgmentRequest]:
        """One request per side of the pair; ``orders`` does not apply and must be ``None``."""
        if orders is not None:
            raise ValueError(f"format {self.name!r} is pointwise: it judges each side, not orders")
        return [
            JudgmentRequest(
                pair_id=pair.id,
                format=self.name,
                messages=self.render(pair.prompt, (getattr(pair, side),)),
                side=side,
            )
            for side in SIDES
        ]

    @property
    def reason_codes(self) -> tuple[str, ...]:
        return GENERAL_CODES + SCORE_CODES

    def read(self, text: str) -> Judgment:
        region = answer_region(text, self.reasoning_tags)
        score = read_score(required_block(region, "score", text[: len(text) - len(region)]), "score")
        return Judgment(raw=text, status=ParseStatus.OK, scores={"score": score})

    def write_output(
        self,
        reasoning: str = "",
        *,
        verdict: str | None = None,
        scores: Mapping[str, float] | None = None,
    ) -> str:
        if verdict is not None:
            raise ValueError(f"format {self.name!r} is pointwise and writes no verdict")
        if scores is None or "score" not in scores:
            raise ValueError(f"format {self.name!r} writes one score; pass scores={{'score': s}}")
        reasoning_blocks = "\n".join(f"<{tag}>{reasoning}</{tag}>" for tag in self.reasoning_tags)
        return f"{reasoning_blocks}\n<score> {format_score(scores['score'])} </score>"


def pointwise_verdict(first: Judgment, second: Judgment) -> Verdict | None:
    """Pairwise outcome of two pointwise judgments (first shown as A): higher score wins.

    Equal scores are a ``"tie"``; a failed parse on either side gives ``None``.
    """
    return verdict_from_scores(first.score, second.score)
