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
from typing import Any

from j1_plugin.files import json_object
from j1_plugin.judges.base import Judge, Sampling
from j1_plugin.plugins import get_format, get_judge
from j1_plugin.records import PreferencePair
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
        requests = []
        for k, (question, text) in enumerate(zip(questions, texts, strict=True)):
            pair = PreferencePair(f"rollout-{k}", question, text, "")
            requests.append(self.fmt.requests(pair)[0])  # the "chosen" side is the completion
        answers = self.judge.generate([r.messages for r in requests], self.sampling)
        judgments = [self.fmt.parse(samples[0]) for samples in answers]
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
        requests = []
        for a, b, reference in pairs:
            other = texts[b] if b is not None else reference
            pair = PreferencePair(f"{a}-{b}", questions[a], texts[a], other or "")
            requests += self.fmt.requests(pair)  # AB shows completion a first, BA swaps
        answers = self.judge.generate([r.messages for r in requests], self.sampling)
        judgments = [self.fmt.parse(samples[0]) for samples in answers]
        points: list[list[float]] = [[] for _ in texts]
        flips = parsed_both = 0
        for index, (a, b, _reference) in enumerate(pairs):
            first, second = judgments[2 * index], judgments[2 * index + 1]
            # "a" is the chosen side: labelled A in order AB and B in order BA.
            a_first, a_second = first.ok and first.verdict == "A", second.ok and second.verdict == "B"
            b_first, b_second = first.ok and first.verdict == "B", second.ok and second.verdict == "A"
            if first.ok and second.ok:
                parsed_both += 1
                flips += first.verdict == second.verdict and first.verdict in ("A", "B")
            share = 1.0 if a_first and a_second else 0.0 if b_first and b_second else 0.5
            points[a].append(share)
            if b is not None:
                points[b].append(1.0 - share)
        failed = sum(not j.ok for j in judgments)
        _log_rate(log_metric, "j1_judge/parse_failure_rate", failed, len(judgments), len(judgments))
        if parsed_both:
            _log_rate(log_metric, "j1_judge/flip_rate", flips, parsed_both, parsed_both)
        return [sum(p) / len(p) if p else None for p in points]


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
