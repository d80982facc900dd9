"""What a judge backend is: something that turns chat conversations into sampled texts.

A backend is registered through the ``register_judges`` hook as a callable with a ``name``
(usually a class); calling it with backend options builds a judge. A judge has one method,
``generate(conversations, sampling) -> list[list[str]]``, returning ``sampling.n`` texts per
conversation. :func:`judge_requests` runs a judge on rendered requests and parses the output
with the request's format.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from j1_plugin.formats import JudgmentFormat
from j1_plugin.records import Judgment, JudgmentRequest, Message


@dataclass(frozen=True)
class Sampling:
    """Decoding settings. ``temperature == 0`` means greedy (the J1 evaluation protocol)."""

    max_new_tokens: int = 4096
    temperature: float = 0.0
    top_p: float = 1.0
    n: int = 1
    seed: int = 0

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ValueError(f"Sampling.n must be at least 1, got {self.n}")
        if self.n > 1 and self.temperature == 0:
            raise ValueError("Sampling.n > 1 with temperature 0 would repeat one greedy answer; set temperature")
        if self.max_new_tokens < 1:
            raise ValueError(f"Sampling.max_new_tokens must be at least 1, got {self.max_new_tokens}")

    @property
    def greedy(self) -> bool:
        return self.temperature == 0


class Judge(Protocol):
    """A judge model behind some backend."""

    def generate(self, conversations: Sequence[Sequence[Message]], sampling: Sampling) -> list[list[str]]:
        """``sampling.n`` generated texts for each conversation, in input order."""
        ...


def judge_requests(
    judge: Judge, fmt: JudgmentFormat, requests: Sequence[JudgmentRequest], sampling: Sampling
) -> list[list[Judgment]]:
    """Generate with ``judge`` for every request and parse each sample with ``fmt``."""
    for request in requests:
        if request.format != fmt.name:
            raise ValueError(
                f"request for pair {request.pair_id!r} was rendered by format {request.format!r}, not {fmt.name!r}"
            )
    texts = judge.generate([request.messages for request in requests], sampling)
    return [[fmt.parse(text) for text in samples] for samples in texts]
