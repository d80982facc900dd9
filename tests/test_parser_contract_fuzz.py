"""Fuzzing the parsers against the output contract: outputs are generated with their decision known.

The strategies below build judge outputs the way real judges vary them (decoy answer blocks quoted
in the reasoning, earlier blocks the judge corrected, spacing and ``/10`` inside tags, prose before
and after), so each comes with the decision the contract gives it: a verdict, a pair of scores, a
score, or a failure code. The parser must reach exactly that decision. Floods of the tags, the
adversarial shapes ``benchmarks/parse_worst_case.py`` times, must still be decided correctly.
"""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from j1_plugin import get_format
from j1_plugin.formats.pairwise import PairwiseFormat
from j1_plugin.formats.parsing import REASON_CHARS, ParseFailure
from j1_plugin.records import ParseStatus

# Prose never holds a tag, a verdict marker or the word "score", so it cannot change a decision.
prose = st.text(alphabet=st.sampled_from("abcdefghij xyz.,:;!?()-\n\t0123456789ABé中"), max_size=30).filter(
    lambda s: "score" not in s.lower()
)
space = st.text(alphabet=" \n\t", max_size=3)
verdicts = st.sampled_from("AB")
tenths = st.integers(0, 100)
DECOYS = ("<answer> [[A]] </answer>", "<answer>[[B]]</answer>", "<score> 3 </score>", "<score_A>9</score_A>", "[[B]]")


@st.composite
def reasoning(draw) -> str:
    """Reasoning that may quote answer and score blocks, never the tag that closes it."""
    parts = draw(st.lists(st.one_of(prose, st.sampled_from(DECOYS)), max_size=5))
    return "".join(parts)


@st.composite
def score_text(draw) -> tuple[str, float]:
    """A score as a judge writes it inside its tag: "7", " 7.5 ", "7/10", "7 / 10.0"."""
    value = draw(tenths) / 10
    written = f"{value:g}" if draw(st.booleans()) else f"{value:.1f}"
    out_of = draw(st.sampled_from(["", "/10", " / 10", "/10.0"]))
    return f"{draw(space)}{written}{draw(space)}{out_of}{draw(space)}", value


def answer_block(verdict: str, spacing: str, note: str) -> str:
    return f"<answer>{spacing}[[{spacing}{verdict}{spacing}]]{spacing}{note}</answer>"


@st.composite
def verdict_output(draw, reasoning_tags: tuple[str, ...]) -> tuple[str, str]:
    """An output whose last answer block after the reasoning holds ``verdict``."""
    verdict = draw(verdicts)
    blocks = "".join(f"<{tag}>{draw(reasoning())}</{tag}>{draw(space)}" for tag in reasoning_tags)
    corrected = [
        answer_block(draw(verdicts), draw(space), draw(prose)) + draw(prose) for _ in range(draw(st.integers(0, 2)))
    ]
    final = answer_block(verdict, draw(space), draw(prose))
    return blocks + draw(prose) + "".join(corrected) + final + draw(prose), verdict


@settings(max_examples=300)
@given(data=st.data(), name=st.sampled_from(["pav", "pav-plan"]))
def test_the_last_answer_block_after_the_reasoning_decides(data, name):
    fmt = get_format(name)
    output, verdict = data.draw(verdict_output(fmt.reasoning_tags))
    judgment = fmt.parse(output)
    assert judgment.ok, judgment.reason
    assert judgment.verdict == verdict


@settings(max_examples=300)
@given(why=reasoning(), a=score_text(), b=score_text(), lead=prose, mid=prose, tail=prose, a_first=st.booleans())
def test_pairwise_scores_decide_by_comparison_with_ties(why, a, b, lead, mid, tail, a_first):
    (a_text, a_value), (b_text, b_value) = a, b
    blocks = [f"<score_A>{a_text}</score_A>", f"<score_B>{b_text}</score_B>"]
    first, second = blocks if a_first else blocks[::-1]
    judgment = get_format("pas").parse(f"<think>{why}</think>{lead}{first}{mid}{second}{tail}")
    assert judgment.ok, judgment.reason
    assert dict(judgment.scores) == {"A": a_value, "B": b_value}
    assert judgment.verdict == ("A" if a_value > b_value else "B" if b_value > a_value else "tie")


@settings(max_examples=300)
@given(why=reasoning(), a=score_text(), b=score_text(), data=st.data())
def test_pavs_takes_its_verdict_from_the_answer_not_the_scores(why, a, b, data):
    output, verdict = data.draw(verdict_output(("think",)))
    reasoning_end = output.index("</think>") + len("</think>")
    scored = f"{output[:reasoning_end]}<score_A>{a[0]}</score_A><score_B>{b[0]}</score_B>{output[reasoning_end:]}"
    judgment = get_format("pavs").parse(scored)
    assert judgment.ok, judgment.reason
    assert judgment.verdict == verdict and dict(judgment.scores) == {"A": a[1], "B": b[1]}


@settings(max_examples=300)
@given(why=reasoning(), earlier=score_text(), score=score_text(), lead=prose, tail=prose)
def test_the_last_pointwise_score_block_decides(why, earlier, score, lead, tail):
    output = f"<think>{why}</think>{lead}<score>{earlier[0]}</score>{lead}<score>{score[0]}</score>{tail}"
    judgment = get_format("pos").parse(output)
    assert judgment.ok, judgment.reason
    assert judgment.score == score[1]


# Outputs that break the contract in one known way, with the reason code the contract gives them.
@st.composite
def broken_verdict_output(draw) -> tuple[str, str]:
    # Reasoning without quoted blocks: one there would make the failure "answer_only_in_reasoning".
    why, lead, note = draw(prose), draw(prose), draw(prose)
    verdict = draw(verdicts)
    cases = {
        "no_answer_block": f"<think>{why}</think>{lead}",
        "answer_unclosed": f"<think>{why}</think>{lead}<answer> [[{verdict}]] {note}",
        "verdict_outside_answer": f"<think>{why}</think>{lead} [[{verdict}]] {note}",
        "both_verdicts": f"<think>{why}</think>{lead}<answer>[[A]] {note} [[B]]</answer>",
        "no_verdict_in_answer": f"<think>{why}</think><answer>{note}</answer>",
        "unclosed_reasoning": f"<think>{why}</think><answer>[[{verdict}]]</answer><think>{lead}",
        "answer_only_in_reasoning": f"<think>{lead}<answer>[[{verdict}]]</answer>{note}</think>{lead}",
    }
    code = draw(st.sampled_from(sorted(cases)))
    return cases[code], code


@settings(max_examples=300)
@given(case=broken_verdict_output())
def test_outputs_that_break_the_verdict_contract_fail_with_their_reason(case):
    output, code = case
    judgment = get_format("pav").parse(output)
    assert not judgment.ok and judgment.verdict is None
    assert judgment.reason_code == code, judgment.reason


@settings(max_examples=200)
@given(why=reasoning(), value=st.one_of(st.integers(11, 10**60), st.integers(-(10**60), -1)), pad=space)
def test_an_out_of_range_score_fails_with_a_short_reason(why, value, pad):
    judgment = get_format("pos").parse(f"<think>{why}</think><score>{pad}{value}{pad}</score>")
    assert judgment.reason_code == "score_out_of_range"
    assert len(judgment.reason) <= REASON_CHARS


FLOOD = 1_000_000  # characters; a parser that rescans the answer region per tag takes minutes here


def test_floods_of_closing_tags_are_decided_by_the_contract():
    pav, pas = get_format("pav"), get_format("pas")
    assert pav.parse("<think>r</think><answer>[[A]]" + "</answer>" * (FLOOD // 9)).verdict == "A"
    assert pav.parse("<think>r</think>" + "<answer>" * (FLOOD // 8) + "[[B]]</answer>").verdict == "B"
    scores = pas.parse("<think>r</think><score_A>7" + "</score_A>" * (FLOOD // 10) + "<score_B>3</score_B>")
    assert scores.verdict == "A" and dict(scores.scores) == {"A": 7, "B": 3}
    assert pav.parse("</think>" * (FLOOD // 8) + "<answer>[[B]]</answer>").verdict == "B"


def test_floods_that_break_the_contract_fail_with_bounded_reasons():
    cases = {
        "pos": ("<think>r</think><score>" + "9" * FLOOD + "</score>", "score_out_of_range"),
        "pav": ("<think>r</think><answer>" + "[[ " * (FLOOD // 3) + "</answer>", "no_verdict_in_answer"),
        "pas": ("<think>r</think>" + "score_A = " * (FLOOD // 10), "no_score_block"),
        "pav-plan": ("<plan>" * (FLOOD // 6), "unclosed_reasoning"),
    }
    for name, (output, code) in cases.items():
        judgment = get_format(name).parse(output)
        assert judgment.reason_code == code, (name, judgment.reason)
        assert len(judgment.reason) <= REASON_CHARS
    flood = get_format("pav").parse("<think>r</think><answer>" + "[[A]] " * (FLOOD // 6) + "[[B]]</answer>")
    assert flood.reason_code == "both_verdicts"


@dataclasses.dataclass(frozen=True)
class QuotingFormat(PairwiseFormat):
    """A plugin-style format whose parser quotes the whole output in its failure reason."""

    def read(self, text):
        raise ParseFailure(ParseStatus.MALFORMED, f"cannot read {text}", "no_verdict_in_answer")


def test_a_plugin_parser_s_long_reason_is_cut_to_the_limit():
    pav = get_format("pav")
    fmt = QuotingFormat(name="quoting", description="quotes everything", template=pav.template)
    judgment = fmt.parse("x" * FLOOD)
    assert len(judgment.reason) == REASON_CHARS and judgment.reason.startswith("cannot read xxx")
    assert judgment.reason.endswith("...") and judgment.raw == "x" * FLOOD
