"""The prompt is never its own answer: a judge that copies its instructions earns nothing.

Small instruct models often echo the prompt. Every built-in template is written so that neither
the rendered prompt nor any line, sentence or run of lines of it parses as a verdict or a score,
and every J1 reward gives such an echo its lowest value.
"""

from __future__ import annotations

import re

import pytest

from j1_plugin import PreferencePair, get_format
from j1_plugin.rewards import format_reward, pointwise_reward, score_reward, signed_verdict_reward, verdict_reward

FORMATS = ["pav", "pas", "pavs", "pos", "pav-plan"]
NEUTRAL = PreferencePair(id="n", prompt="Name a colour.", chosen="Blue.", rejected="Green.")
SENTENCE_END = re.compile(r"(?<=[.:;!?])\s+")


def rendered_prompts(name: str) -> list[str]:
    return [request.messages[0]["content"] for request in get_format(name).requests(NEUTRAL)]


def runs_of_lines(text: str) -> list[str]:
    """Every contiguous run of lines of ``text`` (single lines included)."""
    lines = text.splitlines()
    return ["\n".join(lines[start:end]) for start in range(len(lines)) for end in range(start + 1, len(lines) + 1)]


def sentences(text: str) -> list[str]:
    return [piece for line in text.splitlines() for piece in SENTENCE_END.split(line) if piece.strip()]


def echoes(name: str) -> list[str]:
    """The rendered prompts, and every line, sentence and run of lines of the template and the prompts."""
    template = get_format(name).template
    found = [template, *rendered_prompts(name), *runs_of_lines(template), *sentences(template)]
    for prompt in rendered_prompts(name):
        found += runs_of_lines(prompt)
    return list(dict.fromkeys(found))


@pytest.mark.parametrize("name", FORMATS)
def test_no_echo_of_a_prompt_parses_as_a_decision(name):
    fmt = get_format(name)
    for echo in echoes(name):
        judgment = fmt.parse(echo)
        assert not judgment.ok, echo
        assert judgment.verdict is None and judgment.scores is None, echo


@pytest.mark.parametrize("name", FORMATS)
def test_the_whole_rendered_prompt_is_reported_as_a_prompt_echo(name):
    fmt = get_format(name)
    for prompt in rendered_prompts(name):
        assert fmt.parse(prompt).reason_code == "prompt_echo"


@pytest.mark.parametrize("name", ["pav", "pavs", "pav-plan"])
def test_verdict_rewards_give_an_echo_their_lowest_value(name):
    completions = echoes(name)
    formats = [name] * len(completions)
    for label in "AB":
        labels = [label] * len(completions)
        assert set(verdict_reward(completions, label=labels, format=formats)) == {0.0}
        assert set(signed_verdict_reward(completions, label=labels, format=formats)) == {-1.0}


def test_the_score_reward_gives_an_echo_nothing():
    completions = echoes("pas")
    formats = ["pas"] * len(completions)
    for label in "AB":
        assert set(score_reward(completions, label=[label] * len(completions), format=formats)) == {0.0}


def test_the_pointwise_reward_gives_an_echo_of_both_halves_nothing():
    completions = echoes("pos")
    # Each echo is both the chosen and the rejected half of its own pair.
    doubled = [echo for echo in completions for _ in range(2)]
    pair_ids = [str(index) for index in range(len(completions)) for _ in range(2)]
    sides = ["chosen", "rejected"] * len(completions)
    assert set(pointwise_reward(doubled, pair_id=pair_ids, side=sides, format=["pos"] * len(doubled))) == {0.0}


@pytest.mark.parametrize("name", FORMATS)
def test_the_format_reward_gives_an_echo_nothing(name):
    completions = echoes(name)
    assert set(format_reward(completions, format=[name] * len(completions))) == {0.0}
