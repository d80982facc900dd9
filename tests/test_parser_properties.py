"""Property-based checks of the parsers: total on any text, and exact on well-formed answers."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from j1_plugin import get_format
from j1_plugin.formats.parsing import MAX_SCORE

FORMATS = ["pav", "pas", "pavs", "pos", "pav-plan"]
PAIRWISE_VERDICT = ["pav", "pavs", "pav-plan"]

# Text built from the pieces a parser looks for, so the search reaches the interesting cases.
FRAGMENTS = [
    "<think>", "</think>", "<answer>", "</answer>", "[[A]]", "[[B]]", "[[", "]]", "<score_A>", "</score_A>",
    "<score_B>", "</score_B>", "<score>", "</score>", "<plan>", "</plan>", "<execution>", "</execution>",
    "7", "10", "/10", "-3", "1e9", "7.5", " ", "\n", "A", "B", "nan",
]  # fmt: skip
tag_soup = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)), max_size=40).map("".join)
any_text = st.one_of(st.text(), tag_soup)
scores = st.integers(0, int(MAX_SCORE * 10)).map(lambda tenths: tenths / 10)
# Reasoning may quote anything except the tag that closes it.
reasoning = any_text.filter(lambda s: all(t not in s for t in ("</think>", "</execution>", "<plan>", "<execution>")))


@settings(max_examples=300)
@given(name=st.sampled_from(FORMATS), text=any_text)
def test_parsing_any_text_never_raises_and_explains_failures(name, text):
    fmt = get_format(name)
    judgment = fmt.parse(text)
    assert judgment.raw == text
    if judgment.ok:
        assert judgment.reason is None and judgment.reason_code is None
    else:
        assert judgment.reason and judgment.verdict is None
        assert judgment.reason_code in fmt.reason_codes
        assert len(judgment.reason) < 300


@settings(max_examples=200)
@given(name=st.sampled_from(FORMATS), verdict=st.sampled_from("AB"), why=reasoning, tail=any_text)
def test_a_reasoning_block_opened_again_after_the_answer_is_a_failure(name, verdict, why, tail):
    fmt = get_format(name)
    answer = fmt.write_output(
        why, verdict=None if fmt.kind == "pointwise" else verdict, scores={"A": 1, "B": 2, "score": 3}
    )
    reopened = f"{answer}<{fmt.reasoning_tags[0]}>{tail}"
    if f"</{fmt.reasoning_tags[-1]}>" not in tail:
        assert fmt.parse(reopened).reason_code == "unclosed_reasoning"


@settings(max_examples=200)
@given(name=st.sampled_from(PAIRWISE_VERDICT), verdict=st.sampled_from("AB"), a=scores, b=scores, why=reasoning)
def test_verdict_formats_round_trip(name, verdict, a, b, why):
    fmt = get_format(name)
    judgment = fmt.parse(fmt.write_output(why, verdict=verdict, scores={"A": a, "B": b}))
    assert judgment.ok and judgment.verdict == verdict
    if fmt.asks_scores:
        assert dict(judgment.scores) == {"A": a, "B": b}


@settings(max_examples=200)
@given(a=scores, b=scores, why=reasoning)
def test_pairwise_scores_round_trip_and_compare(a, b, why):
    fmt = get_format("pas")
    judgment = fmt.parse(fmt.write_output(why, scores={"A": a, "B": b}))
    assert judgment.ok and dict(judgment.scores) == {"A": a, "B": b}
    assert judgment.verdict == ("A" if a > b else "B" if b > a else "tie")


@settings(max_examples=200)
@given(score=scores, why=reasoning)
def test_pointwise_score_round_trips(score, why):
    fmt = get_format("pos")
    judgment = fmt.parse(fmt.write_output(why, scores={"score": score}))
    assert judgment.ok and judgment.score == score


@settings(max_examples=200)
@given(verdict=st.sampled_from("AB"), decoy=st.sampled_from(["<answer> [[A]] </answer>", "<answer>[[B]]</answer>"]))
def test_answer_blocks_quoted_in_the_reasoning_are_ignored(verdict, decoy):
    fmt = get_format("pav")
    output = fmt.write_output(f"The response ends with {decoy}, which proves nothing.", verdict=verdict)
    assert fmt.parse(output).verdict == verdict
