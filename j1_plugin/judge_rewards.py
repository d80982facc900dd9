"""A J1 judge as the reward of a *policy* being trained with GRPO (TRL reward-function signature).

:class:`JudgeReward` scores each completion of the policy with a judge (any registered backend,
usually ``openai`` pointing at a served judge), in one of three modes:

* ``pointwise``: the judge scores each completion alone with a pointwise format (``pos``); the
  reward is score / 10, ``None`` when the judge's output does not parse (TRL then ignores it);
* ``reference``: each completion is compared with the row's ``reference`` column (another
  answer to the same prompt) with a pairwise format, in **both orders**;
* ``siblings``: the rollouts of one prompt (TRL passes ``num_generations`` consecutive rows with
  the same prompt) are compared with each other, ``round_robin`` (each with the next, in a ring) or
  ``all`` pairs, each pair in **both orders**.

A comparison is a win only when the judge prefers the completion in both orders; the opposite is
a loss, and anything else (a tie, an order flip, an output that does not parse) counts a half to
each side. A completion's reward is its mean over its comparisons (1 win, 0.5 tie, 0 loss).
Every call logs ``j1_judge/parse_failure_rate`` and, for pairwise modes, ``j1_judge/flip_rate``
(the share of compared pairs whose verdict followed the position, not the content).

For ``trl grpo --reward_funcs j1_plugin.judge_rewards.judge_reward``, :func:`judge_reward` reads its
settings from the ``J1_JUDGE_REWARD`` environment variable (a JSON object of
:class:`JudgeReward`'s arguments, e.g. ``{"model": "j1", "base_url": "http://127.0.0.1:8000/v1"}``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from j1_plugin.files import json_object
from j1_plugin.formats import JudgmentFormat
from j1_plugin.judges.base import Judge, Sampling
from j1_plugin.plugins import get_format, get_judge
from j1_plugin.records import Judgment, PreferencePair
from j1_plugin.rewards import LogMetric, _log_rate, completion_text

MODES = ("pointwise", "reference", "siblings")
PAIRINGS = ("round_robin", "all")
CONFIG_ENV = "J1_JUDGE_REWARD"


def _prompt_text(prompt: Any) -> str:
    """The user's question of a plain or conversational prompt (the last user turn)."""
    if isinstance(prompt, str):
        return prompt
    if isinstance(prompt, list) and prompt and isinstance(prompt[-1], dict):
        users = [m for m in prompt if isinstance(m, dict) and m.get("role") == "user"]
        content = (users[-1] if users else prompt[-1]).get("content")
        if isinstance(content, str):
            return content
    raise ValueError(f"a prompt must be text or a chat conversation, got {type(prompt).__name__}")


class JudgeReward:
    """A TRL reward function backed by a J1 judge (see the module docstring)."""

    def __init__(
        self,
        judge: Judge | None = None,
        *,
        backend: str = "openai",
        model: str | None = None,
        mode: str = "siblings",
        pairing: str = "round_robin",
        format: str | None = None,
        reference_column: str = "reference",
        max_new_tokens: int = 1024,
        judge_options: dict[str, Any] | None = None,
        **backend_options: Any,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        if pairing not in PAIRINGS:
            raise ValueError(f"pairing must be one of {', '.join(PAIRINGS)}, got {pairing!r}")
        self.fmt = get_format(format or ("pos" if mode == "pointwise" else "pav"))
        wanted = "pointwise" if mode == "pointwise" else "pairwise"
        if self.fmt.kind != wanted:
            raise ValueError(f"mode {mode!r} needs a {wanted} format; {self.fmt.name!r} is {self.fmt.kind}")
        if judge is None:
            if model is None:
                raise ValueError("JudgeReward needs a judge, or a model (with backend options) to build one")
            judge = get_judge(backend)(model, **{**backend_options, **(judge_options or {})})
        self.judge, self.mode, self.pairing = judge, mode, pairing
        self.reference_column = reference_column
        self.sampling = Sampling(max_new_tokens=max_new_tokens)
        self.__name__ = f"j1_judge_{mode}"

    def __call__(
        self,
        prompts: Sequence[Any],
        completions: Sequence[Any],
        log_metric: LogMetric | None = None,
        **columns: Any,
    ) -> list[float | None]:
        texts = [completion_text(c, k) for k, c in enumerate(completions)]
        questions = [_prompt_text(p) for p in prompts]
        if self.mode == "pointwise":
            return self._pointwise(questions, texts, log_metric)
        if self.mode == "reference":
            references = columns.get(self.reference_column)
            if references is None:
                raise ValueError(f"mode 'reference' needs a {self.reference_column!r} column in the dataset")
            pairs = [(k, None, str(references[k])) for k in range(len(texts))]
        else:
            pairs = [(a, b, None) for group in _groups(questions) for a, b in _pairings(group, self.pairing)]
        return self._pairwise(questions, texts, pairs, log_metric)

    def _pointwise(self, questions: list[str], texts: list[str], log_metric: LogMetric | None) -> list[float | None]:
        judgments = score_alone(self.judge, self.fmt, self.sampling, list(zip(questions, texts, strict=True)))
        failed = sum(not j.ok for j in judgments)
        _log_rate(log_metric, "j1_judge/parse_failure_rate", failed, len(judgments), len(judgments))
        return [j.score / 10 if j.ok else None for j in judgments]

    def _pairwise(
        self,
        questions: list[str],
        texts: list[str],
        pairs: list[tuple[int, int | None, str | None]],
        log_metric: LogMetric | None,
    ) -> list[float | None]:
        """Judge each (completion a, completion b or reference text) pair in both orders."""
        comparisons = [
            (questions[a], texts[a], texts[b] if b is not None else reference or "") for a, b, reference in pairs
        ]
        outcomes = compare_both_orders(self.judge, self.fmt, self.sampling, comparisons)
        points: list[list[float]] = [[] for _ in texts]
        for (a, b, _reference), outcome in zip(pairs, outcomes, strict=True):
            points[a].append(outcome.share)
            if b is not None:
                points[b].append(1.0 - outcome.share)
        failed = sum(outcome.failures for outcome in outcomes)
        _log_rate(log_metric, "j1_judge/parse_failure_rate", failed, 2 * len(outcomes), 2 * len(outcomes))
        parsed_both = [outcome.flipped for outcome in outcomes if outcome.flipped is not None]
        if parsed_both:
            _log_rate(log_metric, "j1_judge/flip_rate", sum(parsed_both), len(parsed_both), len(parsed_both))
        return [sum(p) / len(p) if p else None for p in points]


@dataclass(frozen=True)
class Comparison:
    """Two responses to one question, judged in both orders, seen from the first response.

    ``share`` is 1.0 when the judge prefers the first response in both orders, 0.0 when it prefers
    the second in both, and 0.5 otherwise (a tie, an order flip or an output that does not parse).
    ``flipped`` says whether the verdict followed the position instead of the content (the same
    letter in both orders); it is ``None`` unless both outputs parsed. ``outputs`` are the judge's
    raw texts, first shown first, then swapped.
    """

    share: float
    flipped: bool | None
    failures: int
    outputs: tuple[str, str]


def compare_both_orders(
    judge: Judge, fmt: JudgmentFormat, sampling: Sampling, comparisons: Sequence[tuple[str, str, str]]
) -> list[Comparison]:
    """Judge each (question, first response, second response) in both orders, in one batch.

    The rule is J1's consistency rule, shared by the policy reward and the lm-eval judge metric.
    """
    requests = []
    for index, (question, first, second) in enumerate(comparisons):
        requests += fmt.requests(PreferencePair(f"comparison-{index}", question, first, second))
    answers = judge.generate([r.messages for r in requests], sampling)
    outcomes = []
    for index in range(len(comparisons)):
        ab, ba = fmt.parse(answers[2 * index][0]), fmt.parse(answers[2 * index + 1][0])
        # The first response is the pair's "chosen" side: labelled A in order AB and B in order BA.
        first_wins = ab.ok and ab.verdict == "A" and ba.ok and ba.verdict == "B"
        second_wins = ab.ok and ab.verdict == "B" and ba.ok and ba.verdict == "A"
        flipped = None
        if ab.ok and ba.ok:
            flipped = ab.verdict == ba.verdict and ab.verdict in ("A", "B")
        share = 1.0 if first_wins else 0.0 if second_wins else 0.5
        outcomes.append(Comparison(share, flipped, (not ab.ok) + (not ba.ok), (ab.raw, ba.raw)))
    return outcomes


def score_alone(
    judge: Judge, fmt: JudgmentFormat, sampling: Sampling, items: Sequence[tuple[str, str]]
) -> list[Judgment]:
    """A pointwise judgment of each (question, response), in one batch."""
    requests = [fmt.requests(PreferencePair(f"response-{k}", question, text, ""))[0]  # the "chosen" side
                for k, (question, text) in enumerate(items)]  # fmt: skip
    answers = judge.generate([r.messages for r in requests], sampling)
    return [fmt.parse(samples[0]) for samples in answers]


def _groups(questions: Sequence[str]) -> list[list[int]]:
    """Runs of consecutive rows with the same prompt (TRL's rollouts of one prompt)."""
    groups: list[list[int]] = []
    for index, question in enumerate(questions):
        if groups and questions[groups[-1][0]] == question:
            groups[-1].append(index)
        else:
            groups.append([index])
    return groups


def _pairings(group: Sequence[int], pairing: str) -> list[tuple[int, int]]:
    """The sibling pairs of one prompt's rollouts: a ring (each with the next) or all pairs."""
    if len(group) < 2:
        return []
    if pairing == "all":
        return [(a, b) for i, a in enumerate(group) for b in group[i + 1 :]]
    if len(group) == 2:
        return [(group[0], group[1])]
    return [(group[i], group[(i + 1) % len(group)]) for i in range(len(group))]


_configured: JudgeReward | None = None


def judge_reward(prompts: Sequence[Any], completions: Sequence[Any], **kwargs: Any) -> list[float | None]:
    """:class:`JudgeReward` configured by ``$J1_JUDGE_REWARD`` (JSON), for use by dotted path."""
    global _configured
    if _configured is None:
        text = os.environ.get(CONFIG_ENV)
        if not text:
            raise ValueError(f"judge_reward reads its settings from ${CONFIG_ENV}, a JSON object; it is unset")
        _configured = JudgeReward(**json_object(text, f"${CONFIG_ENV}", ValueError))
    return _configured(prompts, completions, **kwargs)
