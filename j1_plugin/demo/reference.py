"""The reference-first judging procedure: answer the question yourself, then compare each response with it.

A small model can often *produce* the right answer to a question but cannot tell a right answer
from a wrong one by looking at it. J1's judges learn to write a reference answer of their own and
check each response against it; this module gives the demo's judge that procedure's shape:

* :func:`own_answers` asks the model itself for a short answer to each question (the question
  alone, no responses shown), greedy;
* :func:`agreement` decides which response agrees with a reference by the words that set the two
  responses apart, or ``None`` when the reference settles nothing;
* :func:`reference_thought` writes the reasoning block: the reference, each response, the one
  that agrees.

The warm-up built from them (:func:`own_answer_targets`) uses the model's *own* answers as
references, never the data's labels: it teaches the procedure and that the verdict follows from
the comparison, and its decisions are only as right as the model's own answers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from j1_plugin.formats import JudgmentFormat
from j1_plugin.records import PreferencePair

OWN_ANSWER_SUFFIX = " Answer in a few words."
REFERENCE_WORDS = 12  # a reference longer than this is cut (the reasoning must fit the completion budget)
QUOTE_WORDS = 8  # at most this many words of a response are quoted in the reasoning
_WORD = re.compile(r"[a-z0-9]+")


def _stems(text: str) -> set[str]:
    """Lower-case words and numbers, a plural ``s`` dropped ("Volcanoes" and "volcanoe" meet)."""
    return {word.removesuffix("s") if len(word) > 3 else word for word in _WORD.findall(text.lower())}


def short_reference(text: str, words: int = REFERENCE_WORDS) -> str:
    """The first line and sentence of ``text``, at most ``words`` words, ending in a full stop.

    >>> short_reference("The capital of France is Paris. It is large.")
    'The capital of France is Paris.'
    >>> short_reference("  ")
    '(no answer).'
    """
    first = text.strip().split("\n", 1)[0]
    match = re.search(r"[.!?](?=\s|$)", first)
    sentence = first[: match.start()] if match else first
    kept = " ".join(sentence.split()[:words]).rstrip(" ,;:")
    return (kept or "(no answer)") + "."


def agreement(reference: str, response_a: str, response_b: str) -> str | None:
    """``"A"`` or ``"B"``: the response sharing more of its distinguishing words with ``reference``.

    Only the words one response has and the other lacks count ("7 + 2 = 9" vs "7 + 2 = 6" differ in
    "9" and "6"), so a reference that echoes the question decides nothing. A tie is ``None``.

    >>> agreement("7 + 2 = 9.", "7 + 2 = 6", "7 + 2 = 9")
    'B'
    >>> agreement("Apple.", "Mango.", "Carrot.") is None
    True
    """
    own, a, b = _stems(reference), _stems(response_a), _stems(response_b)
    score_a, score_b = len((a - b) & own), len((b - a) & own)
    if score_a == score_b:
        return None
    return "A" if score_a > score_b else "B"


def distinguishing(response: str, other: str, words: int = QUOTE_WORDS) -> str:
    """The words of ``response`` that ``other`` lacks, in order (at most ``words``); all of it when none differ.

    >>> distinguishing("The capital is Nairobi.", "The capital is Helsinki.")
    'Nairobi'
    >>> distinguishing("7 + 2 = 9", "7 + 2 = 6")
    '9'
    """
    others = _stems(other)
    kept = [word for word in response.split() if not _stems(word) <= others]
    shown = " ".join((kept or response.split())[:words])
    return shown.rstrip(".,;:!?") or response.strip()


def reference_thought(reference: str, response_a: str, response_b: str, verdict: str) -> str:
    """The reasoning block of the procedure: the reference, then each response's distinguishing words
    marked against it.

    Each response is quoted by the words that set it apart from the other one and compared with the
    reference right there ("Match: yes" or "no"), so the check is a short look-up in the reference
    and the verdict only has to name the response marked "yes".

    >>> reference_thought("7 + 2 = 9.", "7 + 2 = 6", "7 + 2 = 9", "B")
    'My answer: 7 + 2 = 9. A says: 6. Match: no. B says: 9. Match: yes.'
    """
    marks = {side: "yes" if side == verdict else "no" for side in "AB"}
    return (
        f"My answer: {reference} A says: {distinguishing(response_a, response_b)}. Match: {marks['A']}. "
        f"B says: {distinguishing(response_b, response_a)}. Match: {marks['B']}."
    )


def reference_score_thought(reference: str, response: str, agrees: bool) -> str:
    """The pointwise form: the reference, the response, and whether they agree."""
    shown = " ".join(response.split()[:QUOTE_WORDS]).rstrip(".,;:!?")
    return f"My answer: {reference} The assistant says: {shown}. Match: {'yes' if agrees else 'no'}."


def own_answers(judge: Any, questions: Sequence[str], *, max_new_tokens: int = 24, batch: int = 64) -> list[str]:
    """The model's own short answers to ``questions`` (greedy; the question alone, no responses)."""
    from j1_plugin.judges import Sampling

    conversations = [[{"role": "user", "content": question + OWN_ANSWER_SUFFIX}] for question in questions]
    answers: list[str] = []
    for start in range(0, len(conversations), batch):
        samples = judge.generate(conversations[start : start + batch], Sampling(max_new_tokens=max_new_tokens))
        answers += [short_reference(texts[0]) for texts in samples]
    return answers


@dataclass(frozen=True)
class OwnAnswerTargets:
    """Warm-up rows built from the model's own answers, and what was left out."""

    rows: list[dict[str, Any]]
    undecided: int  # judgment prompts whose reference agreed with neither response more (left out)
    agreeing_with_label: int  # kept rows whose decision names the better response (reported, never used)


def own_answer_targets(
    pairs: Sequence[PreferencePair], fmt: JudgmentFormat, references: dict[str, str]
) -> OwnAnswerTargets:
    """Prompt-completion rows: each judgment prompt answered by the procedure with the model's own reference.

    ``references`` maps a pair id to the model's own answer to its question. A prompt whose
    reference decides nothing (:func:`agreement` gives ``None``) is left out and counted.
    """
    from j1_plugin.training_data import judgment_rows

    by_id = {pair.id: pair for pair in pairs}
    rows, undecided, agreeing = [], 0, 0
    for row in judgment_rows(pairs, fmt):
        pair = by_id[row["pair_id"]]
        reference = references[pair.id]
        if fmt.kind == "pointwise":
            response = pair.chosen if row["side"] == "chosen" else pair.rejected
            other = pair.rejected if row["side"] == "chosen" else pair.chosen
            decided = agreement(reference, response, other)
            if decided is None:
                undecided += 1
                continue
            agrees = decided == "A"
            thought = reference_score_thought(reference, response, agrees)
            answer = fmt.write_output(thought, scores={"score": 8 if agrees else 2})
            agreeing += agrees == (row["side"] == "chosen")
        else:
            shown_a, shown_b = pair.responses(row["order"])
            verdict = agreement(reference, shown_a, shown_b)
            if verdict is None:
                undecided += 1
                continue
            answer = fmt.write_output(reference_thought(reference, shown_a, shown_b, verdict), verdict=verdict)
            agreeing += verdict == row["label"]
        rows.append({"prompt": row["prompt"], "completion": [{"role": "assistant", "content": answer}]})
    return OwnAnswerTargets(rows, undecided, agreeing)
