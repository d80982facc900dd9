"""J1 judgment formats: prompt templates plus the parsers that read the judge's verdict."""

from j1_plugin.formats.base import JudgmentFormat, TemplateError, builtin_template, verdict_from_scores
from j1_plugin.formats.pairwise import PairwiseFormat
from j1_plugin.formats.parsing import MAX_SCORE, MIN_SCORE, REASON_CODES
from j1_plugin.formats.pointwise import PointwiseFormat, pointwise_verdict


def builtin_formats() -> tuple[JudgmentFormat, ...]:
    """The five formats of the J1 paper, with the package's own prompt wording."""
    return (
        PairwiseFormat(
            name="pav",
            description="pairwise verdict: <think> then <answer> [[A]]/[[B]] </answer> (main J1 recipe)",
            template=builtin_template("pav"),
        ),
        PairwiseFormat(
            name="pas",
            description="pairwise scores: <think> then <score_A>/<score_B> in 0..10; equal scores tie",
            template=builtin_template("pas"),
            asks_verdict=False,
            asks_scores=True,
        ),
        PairwiseFormat(
            name="pavs",
            description="pairwise scores and verdict: both scores, then the <answer> verdict that decides",
            template=builtin_template("pavs"),
            asks_scores=True,
        ),
        PointwiseFormat(
            name="pos",
            description="pointwise score: <think> then <score> in 0..10 for one response",
            template=builtin_template("pos"),
        ),
        PairwiseFormat(
            name="pav-plan",
            description="EvalPlanner-style: <plan>, <execution>, then the <answer> verdict",
            template=builtin_template("pav-plan"),
            reasoning_tags=("plan", "execution"),
        ),
    )


__all__ = [
    "MAX_SCORE",
    "MIN_SCORE",
    "REASON_CODES",
    "JudgmentFormat",
    "PairwiseFormat",
    "PointwiseFormat",
    "TemplateError",
    "builtin_formats",
    "pointwise_verdict",
    "verdict_from_scores",
]
