"""Grade the outputs of any lm-eval ``generate_until`` task with a J1 judge: a filter and its metrics.

The ``j1_judge`` filter sends every model output (each repeat) to a judge, in one batch, and
replaces it by a grading record; the ``j1_judge_*`` metrics read those records. Two modes:

* ``reference``: the output is compared with a baseline answer from the document, in **both
  orders** (a pairwise format, ``pav`` by default). It wins (1) only when the judge prefers it in
  both orders, loses (0) when the judge prefers the baseline in both, and gets 0.5 otherwise: the
  same rule as the policy reward of :mod:`j1_plugin.judge_rewards`.
* ``pointwise``: the output is scored alone (a pointwise format, ``pos`` by default, 0..10).

In a task's YAML (``!function`` imports this module, which registers the metric names)::

    filter_list:
      - name: j1_judge
        filter:
          - function: !function j1_plugin.lmeval.judge_metric.J1JudgeFilter
            mode: reference
            question: "{{question}}"       # a document field, or Jinja over the document
            reference: baseline            # reference mode: the baseline answer (field or Jinja)
            model: my-judge                # judge settings: backend (default openai), model,
            base_url: http://127.0.0.1:8000/v1   # format, max_new_tokens and backend options
    metric_list:
      - {metric: j1_judge_win_rate, aggregation: mean, higher_is_better: true}
      - {metric: j1_judge_flip_rate, aggregation: nanmean, higher_is_better: false}
      - {metric: j1_judge_parse_fail, aggregation: mean, higher_is_better: false}

``$J1_JUDGE_METRIC``, a JSON object of the same settings, overrides the YAML's (point a task at
another judge without editing it). With the ``openai`` backend the judge's answers are cached
(``cache_dir``, by default under ``<cache>/judge-requests``), so a rerun after a failure re-sends
nothing already answered; lm-eval's ``--use_cache`` does the same for the model's outputs.
Each output's grading record (the judge's raw texts included) is logged by ``--log_samples`` as
JSON text in ``filtered_resps``.

Metrics (means over documents; a document's value is its mean over repeats):
``j1_judge_win_rate`` (reference mode), ``j1_judge_score`` (pointwise, over parsed judgments;
NaN when none parsed, so aggregate it with ``nanmean``), ``j1_judge_flip_rate`` (reference mode:
the share of comparisons parsed in both orders whose verdict followed the position; NaN when none
parsed) and ``j1_judge_parse_fail`` (the share of judge outputs that did not parse).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

import lm_eval.api.metrics  # lm-eval's own metrics and filters are registered first
import lm_eval.filters  # noqa: F401
from lm_eval.api.filter import Filter
from lm_eval.api.registry import register_filter, register_metric

from j1_plugin.errors import shown
from j1_plugin.files import json_object
from j1_plugin.judge_rewards import compare_both_orders, score_alone
from j1_plugin.judges.base import Sampling
from j1_plugin.plugins import get_format, get_judge

CONFIG_ENV = "J1_JUDGE_METRIC"
MODES = ("reference", "pointwise")
RECORD_KEY = "j1_judge"


class JudgeMetricError(ValueError):
    """A j1_judge filter or metric is set up wrongly, or a document lacks what it needs."""


class GradingRecord(dict):
    """One output's grading (a dict); as text it is JSON, which is how lm-eval's sample log keeps it."""

    def __str__(self) -> str:
        return json.dumps(self, ensure_ascii=False)


class J1JudgeFilter(Filter):
    """lm-eval filter: each output becomes a grading record from a J1 judge (see the module docstring)."""

    def __init__(
        self,
        mode: str = "reference",
        question: str | None = None,
        reference: str | None = None,
        backend: str = "openai",
        model: str | None = None,
        format: str | None = None,
        max_new_tokens: int = 1024,
        **backend_options: Any,
    ) -> None:
        super().__init__()
        settings = {
            "mode": mode, "question": question, "reference": reference, "backend": backend, "model": model,
            "format": format, "max_new_tokens": max_new_tokens, **backend_options,
        }  # fmt: skip
        override = os.environ.get(CONFIG_ENV)
        if override:
            settings.update(json_object(override, f"${CONFIG_ENV}", JudgeMetricError))
        mode, question, reference = settings.pop("mode"), settings.pop("question"), settings.pop("reference")
        if mode not in MODES:
            raise JudgeMetricError(f"j1_judge filter: mode must be one of {', '.join(MODES)}, got {shown(mode)}")
        if not isinstance(question, str) or not question:
            raise JudgeMetricError("j1_judge filter: 'question' is required: a document field or a Jinja template")
        if mode == "reference" and (not isinstance(reference, str) or not reference):
            raise JudgeMetricError("j1_judge filter: mode 'reference' needs 'reference': the baseline answer's "
                                   "document field or a Jinja template")  # fmt: skip
        if mode == "pointwise" and reference is not None:
            raise JudgeMetricError("j1_judge filter: 'reference' applies to mode 'reference' only")
        self.mode, self.question, self.reference = mode, question, reference
        self.fmt = get_format(settings.pop("format") or ("pav" if mode == "reference" else "pos"))
        wanted = "pairwise" if mode == "reference" else "pointwise"
        if self.fmt.kind != wanted:
            raise JudgeMetricError(f"j1_judge filter: mode {mode!r} needs a {wanted} format; "
                                   f"{self.fmt.name!r} is {self.fmt.kind}")  # fmt: skip
        tokens = settings.pop("max_new_tokens")
        if isinstance(tokens, bool) or not isinstance(tokens, int) or tokens < 1:
            raise JudgeMetricError(f"j1_judge filter: max_new_tokens must be a whole number from 1, "
                                   f"got {shown(tokens)}")  # fmt: skip
        self.sampling = Sampling(max_new_tokens=tokens)
        self.backend, self.model = settings.pop("backend"), settings.pop("model")
        if not self.model:
            raise JudgeMetricError(f"j1_judge filter: 'model' is required (the judge's model name), in the YAML "
                                   f"or in ${CONFIG_ENV}")  # fmt: skip
        self.backend_options = settings

    def _judge(self) -> Any:
        options = dict(self.backend_options)
        if self.backend == "openai" and "cache_dir" not in options:
            from j1_plugin.judges.openai import DEFAULT_BASE_URL, default_request_cache

            options["cache_dir"] = default_request_cache(options.get("base_url", DEFAULT_BASE_URL), self.model)
        try:
            return get_judge(self.backend)(self.model, **options)
        except TypeError as exc:
            raise JudgeMetricError(f"j1_judge filter: backend {self.backend!r} does not take these options "
                                   f"({', '.join(sorted(options))}): {exc}") from None  # fmt: skip

    def apply(self, resps: Sequence[Any], docs: Sequence[Mapping[str, Any]]) -> list[list[dict[str, Any]]]:
        outputs = [[per_doc] if isinstance(per_doc, str) else list(per_doc) for per_doc in resps]
        items = [(d, text) for d, texts in enumerate(outputs) for text in texts]
        for d, text in items:
            if not isinstance(text, str):
                raise JudgeMetricError(f"j1_judge filter: document {d}: an output is {type(text).__name__}, "
                                       "not text; put the j1_judge filter on generated text")  # fmt: skip
        # Every document is read before the first request, so a missing field costs no judge call.
        questions = [_doc_text(doc, self.question, "question", d) for d, doc in enumerate(docs)]
        references = [_doc_text(doc, self.reference, "reference", d) if self.reference else ""
                      for d, doc in enumerate(docs)]  # fmt: skip
        judge = self._judge()
        try:
            if self.mode == "pointwise":
                judgments = score_alone(judge, self.fmt, self.sampling, [(questions[d], text) for d, text in items])
                records = [
                    GradingRecord({RECORD_KEY: "pointwise", "score": j.score if j.ok else None,
                                   "failures": int(not j.ok), "outputs": [j.raw]})
                    for j in judgments
                ]  # fmt: skip
            else:
                comparisons = [(questions[d], text, references[d]) for d, text in items]
                records = [
                    GradingRecord({RECORD_KEY: "reference", "win": c.share, "flipped": c.flipped,
                                   "failures": c.failures, "outputs": list(c.outputs)})
                    for c in compare_both_orders(judge, self.fmt, self.sampling, comparisons)
                ]  # fmt: skip
        finally:
            close = getattr(judge, "close", None)
            if callable(close):
                close()
        graded: list[list[dict[str, Any]]] = [[] for _ in outputs]
        for (d, _text), record in zip(items, records, strict=True):
            graded[d].append(record)
        return graded


def _doc_text(doc: Mapping[str, Any], source: str, setting: str, index: int) -> str:
    """The text a ``question``/``reference`` setting names in one document: a field, or a Jinja template."""
    if "{{" in source or "{%" in source:
        from lm_eval.utils import apply_template

        return apply_template(source, dict(doc))
    if source not in doc:
        raise JudgeMetricError(f"j1_judge filter: document {index} has no field {source!r} (the {setting!r} "
                               f"setting); its fields are {', '.join(sorted(map(str, doc)))}")  # fmt: skip
    value = doc[source]
    if not isinstance(value, str):
        raise JudgeMetricError(f"j1_judge filter: document {index}: field {source!r} is "
                               f"{type(value).__name__}, expected text")  # fmt: skip
    return value


def _records(predictions: Sequence[Any], metric: str, mode: str | None = None) -> list[dict[str, Any]]:
    """The grading records of one document's outputs, checked to come from the j1_judge filter."""
    records = predictions[0] if len(predictions) == 1 else None
    if not (isinstance(records, list) and records and all(isinstance(r, dict) and RECORD_KEY in r for r in records)):
        raise JudgeMetricError(f"metric {metric} reads what the j1_judge filter writes; make that filter the last "
                               f"step of this filter pipeline (got {shown(predictions)})")  # fmt: skip
    if mode is not None and records[0][RECORD_KEY] != mode:
        raise JudgeMetricError(f"metric {metric} needs the j1_judge filter in mode {mode!r}, "
                               f"not {records[0][RECORD_KEY]!r}")  # fmt: skip
    return records


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else math.nan


def win_rate(references: Sequence[Any], predictions: Sequence[Any], **_: Any) -> float:
    return _mean([r["win"] for r in _records(predictions, "j1_judge_win_rate", "reference")])


def flip_rate(references: Sequence[Any], predictions: Sequence[Any], **_: Any) -> float:
    records = _records(predictions, "j1_judge_flip_rate", "reference")
    return _mean([float(r["flipped"]) for r in records if r["flipped"] is not None])


def score(references: Sequence[Any], predictions: Sequence[Any], **_: Any) -> float:
    records = _records(predictions, "j1_judge_score", "pointwise")
    return _mean([r["score"] for r in records if r["score"] is not None])


def parse_fail(references: Sequence[Any], predictions: Sequence[Any], **_: Any) -> float:
    records = _records(predictions, "j1_judge_parse_fail")
    return sum(r["failures"] for r in records) / sum(len(r["outputs"]) for r in records)


METRICS = (
    ("j1_judge_win_rate", win_rate, True, "mean"),
    ("j1_judge_flip_rate", flip_rate, False, "nanmean"),
    ("j1_judge_score", score, True, "nanmean"),
    ("j1_judge_parse_fail", parse_fail, False, "mean"),
)

for _name, _function, _higher, _aggregation in METRICS:
    with contextlib.suppress(ValueError):  # already registered in this process
        register_metric(metric=_name, higher_is_better=_higher, aggregation=_aggregation)(_function)

with contextlib.suppress(ValueError):
    register_filter("j1_judge")(J1JudgeFilter)
