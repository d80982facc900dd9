"""The records every part of j1-plugin passes around.

A :class:`PreferencePair` is the unit of data (question, better answer, worse answer). A
judgment format turns it into one or more :class:`JudgmentRequest` objects (chat messages in a
known order) and turns the judge's text back into a :class:`Judgment`.

Order convention: ``"AB"`` shows the two responses as the dataset itself presents them and
``"BA"`` swaps them. ``PreferencePair.chosen_position`` says where the dataset shows the chosen
response (``"A"`` unless the source data says otherwise, e.g. a JudgeBench row labelled
``B>A``), so ``pair.label(order)`` is the letter of the better response as the judge sees it.
Pointwise requests carry a ``side`` instead of an order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal

Order = Literal["AB", "BA"]
Side = Literal["chosen", "rejected"]
Verdict = Literal["A", "B", "tie"]
Message = dict[str, str]

ORDERS: tuple[Order, Order] = ("AB", "BA")
SIDES: tuple[Side, Side] = ("chosen", "rejected")


@dataclass(frozen=True)
class PreferencePair:
    """One question with a better (``chosen``) and a worse (``rejected``) response."""

    id: str
    prompt: str
    chosen: str
    rejected: str
    metadata: Mapping[str, Any] = field(default_factory=dict)
    chosen_position: Literal["A", "B"] = "A"

    def __post_init__(self) -> None:
        for name in ("id", "prompt", "chosen", "rejected"):
            value = getattr(self, name)
            if not isinstance(value, str):
                raise TypeError(
                    f"PreferencePair {self.id!r}: field {name!r} must be a string, got {type(value).__name__}"
                )
        if self.chosen_position not in ("A", "B"):
            raise ValueError(f"PreferencePair {self.id!r}: chosen_position must be 'A' or 'B'")

    def label(self, order: Order) -> Literal["A", "B"]:
        """The letter under which the chosen response is shown in ``order``."""
        if order == "AB":
            return self.chosen_position
        if order == "BA":
            return "B" if self.chosen_position == "A" else "A"
        raise ValueError(f"order must be 'AB' or 'BA', got {order!r}")

    def responses(self, order: Order) -> tuple[str, str]:
        """The two responses shown as Assistant A and Assistant B in ``order``."""
        chosen_first = self.label(order) == "A"
        return (self.chosen, self.rejected) if chosen_first else (self.rejected, self.chosen)


def first_duplicate_id(pairs: Iterable[PreferencePair]) -> str | None:
    """The first pair id that occurs twice, or ``None`` when every id is unique."""
    seen: set[str] = set()
    for pair in pairs:
        if pair.id in seen:
            return pair.id
        seen.add(pair.id)
    return None


def to_dataset_frame(verdict: Verdict | None, order: Order) -> Verdict | None:
    """Map a verdict given in ``order`` back to the dataset's own ``"AB"`` presentation."""
    if order == "AB" or verdict in (None, "tie"):
        return verdict
    return "B" if verdict == "A" else "A"


@dataclass(frozen=True)
class JudgmentRequest:
    """A rendered prompt for the judge: chat messages plus where it came from.

    Pairwise requests have an ``order`` and a ``label`` (the letter of the better response as
    the judge sees it); pointwise requests have a ``side`` and no label.
    """

    pair_id: str
    format: str
    messages: tuple[Message, ...]
    order: Order | None = None
    side: Side | None = None
    label: Literal["A", "B"] | None = None


class ParseStatus(str, Enum):
    """Why a judge's output did or did not yield a decision."""

    OK = "ok"
    NO_ANSWER = "no_answer"
    AMBIGUOUS = "ambiguous"
    MALFORMED = "malformed"
    OUT_OF_RANGE = "out_of_range"
    UNCLOSED_REASONING = "unclosed_reasoning"


@dataclass(frozen=True)
class Judgment:
    """A judge's output after parsing.

    ``verdict`` is ``"A"``, ``"B"``, ``"tie"`` (score formats only) or ``None`` when parsing
    failed or the format is pointwise. ``scores`` maps ``"A"``/``"B"`` (pairwise scores) or
    ``"score"`` (pointwise) to a number in 0..10. A failed parse has a human ``reason`` that says
    what was found instead and a stable ``reason_code`` for counting failures by cause (the codes
    are listed in :mod:`j1_plugin.formats.parsing`); both are ``None`` when parsing succeeded.
    """

    raw: str
    status: ParseStatus
    verdict: Verdict | None = None
    scores: Mapping[str, float] | None = None
    reason: str | None = None
    reason_code: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is ParseStatus.OK

    @property
    def score(self) -> float | None:
        """The pointwise score, if this is a parsed pointwise judgment."""
        return None if self.scores is None else self.scores.get("score")
