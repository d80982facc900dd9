"""The lm-eval task behind every J1 benchmark YAML: one document per preference pair.

Each document (a pair) becomes several generation requests: both orders (or one seeded order)
for pairwise formats, both sides for pointwise ones, times ``samples`` for SC@N. lm-eval's
``--limit`` therefore counts pairs. Sampled requests carry ``seed: None``, so API backends do
not send lm-eval's fixed per-request seed and every sample really differs; greedy requests are
left deterministic.

``process_results`` parses every response with the run's format and reduces the pair to a
:class:`~j1_plugin.scoring.PairOutcome`; the corpus-level metrics are computed by the
benchmark's official scorer and :func:`~j1_plugin.scoring.j1_metrics`, the same code as
``j1 score``. A number that could not be measured (e.g. every judgment failed to parse) is NaN,
which lm-eval prints as ``nan``. ``j1_failures/<code>`` counts the failed judgments by reason code
(every code the format's parser can give, see :mod:`j1_plugin.formats.parsing`; ``other`` for
any code outside that list), and the sample log names each judgment's ``reason_code``.
"""

from __future__ import annotations

import functools
import json
import logging
import math
from copy import deepcopy
from functools import cached_property
from typing import Any

from j1_plugin.benchmarks.base import Benchmark, BenchmarkDataError, skipped_counts
from j1_plugin.formats.truncation import CharEstimate, TokenizerCounter, fit_pair
from j1_plugin.lmeval.options import EvalOptions
from j1_plugin.plugins import get_benchmark, get_format
from j1_plugin.records import ORDERS, SIDES, PreferencePair
from j1_plugin.scoring import (
    J1_KEYS,
    JudgedItem,
    PairOutcome,
    failure_counts,
    j1_metrics,
    score_pair,
    seeded_order,
)

log = logging.getLogger("j1_plugin.lmeval")


class _MetadataHintFilter(logging.Filter):
    """Drop lm-eval's per-task "Custom kwargs can be passed to `--metadata`" hint: J1 tasks always read it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Custom kwargs can be passed to `--metadata`" not in record.getMessage()


logging.getLogger("lm_eval.api.task").addFilter(_MetadataHintFilter())

try:  # lm-eval is a dependency, but the scoring helpers below stay importable without it
    from lm_eval.api.instance import Instance
    from lm_eval.api.task import ConfigurableTask
except ImportError:  # pragma: no cover
    ConfigurableTask = object  # type: ignore[assignment,misc]

DETAIL_KEY = "pairs"
TRUNCATED_KEY = "truncated_pairs"
FAILURES_PREFIX = "j1_failures/"
OTHER_FAILURES = "other"
SKIPPED_INFO = "j1_skipped_rows"


# ----------------------------------------------------------------------------- documents


def pair_to_doc(pair: PreferencePair, truncated: bool) -> dict[str, Any]:
    cell = pair.metadata.get("cell")
    return {
        "pair_id": pair.id,
        "prompt": pair.prompt,
        "chosen": pair.chosen,
        "rejected": pair.rejected,
        "chosen_position": pair.chosen_position,
        "group": str(pair.metadata.get("group", "")),
        "cell": list(cell) if cell is not None else None,
        "truncated": truncated,
    }


def doc_to_pair(doc: dict[str, Any]) -> PreferencePair:
    cell = doc.get("cell")
    return PreferencePair(
        id=doc["pair_id"],
        prompt=doc["prompt"],
        chosen=doc["chosen"],
        rejected=doc["rejected"],
        chosen_position=doc["chosen_position"],
        metadata={"group": doc.get("group", ""), "cell": tuple(cell) if cell is not None else None},
    )


@functools.lru_cache(maxsize=64)
def _warn_once(message: str) -> None:
    """Log ``message`` once per process (every task of a group loads its data with the same options)."""
    log.warning(message)


@functools.lru_cache(maxsize=8)
def _load_tokenizer(name: str) -> Any:
    """The tokenizer ``name``, loaded once per process (every task of a group asks for it)."""
    try:
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(name)
    except Exception as exc:  # no tokenizer means estimated counts, not a failed run
        log.warning("j1: cannot load tokenizer %r (%s); estimating tokens from characters", name, exc)
        return None


def _token_counter(options: EvalOptions, max_gen_toks: int) -> tuple[int | None, Any]:
    """The prompt budget and a token counter for it; ``(None, None)`` when there is no budget."""
    budget = options.max_prompt_tokens
    if budget in (None, "none", "None"):
        return None, None
    tokenizer = _load_tokenizer(options.tokenizer) if options.tokenizer else None
    if budget == "auto":
        limit = getattr(tokenizer, "model_max_length", None)
        if not isinstance(limit, int) or limit > 10_000_000:
            return None, None
        budget = limit - max_gen_toks
        if budget <= 0:
            _warn_once(
                f"j1: {options.tokenizer} allows {limit} tokens and max_gen_toks in --metadata is {max_gen_toks} "
                "(4096 unless given there; --gen_kwargs does not reach data loading), so no prompt budget is left "
                "and prompts are not truncated; put max_gen_toks (or max_prompt_tokens) in --metadata to set one"
            )
            return None, None
    counter = TokenizerCounter(tokenizer) if tokenizer is not None else CharEstimate()
    return int(budget), counter


def load_docs(**metadata: Any) -> Any:
    """``custom_dataset`` of the J1 tasks: the benchmark's pairs as lm-eval documents."""
    import datasets

    options = EvalOptions.from_metadata(metadata)
    benchmark: Benchmark = get_benchmark(options.benchmark)
    local = options.local_data()
    if local is None and options.data_dir:
        raise BenchmarkDataError(
            f"{benchmark.name}: data_dir {options.data_dir} has no {benchmark.name}.jsonl, .json or .parquet"
        )
    pairs = benchmark.load_pairs(local, options.split, **options.pair_options(benchmark))
    fmt = get_format(options.format, template=options.template)
    max_gen_toks = int(metadata.get("max_gen_toks") or 4096)
    budget, counter = _token_counter(options, max_gen_toks)
    docs = [pair_to_doc(*fit_pair(fmt, pair, budget, counter)) for pair in pairs]
    truncated = sum(doc["truncated"] for doc in docs)
    if truncated:
        log.warning("j1: %s: %d of %d pairs were truncated to fit %s prompt tokens", benchmark.name, truncated,
                    len(docs), budget)  # fmt: skip
    skipped = skipped_counts(pairs)
    for reason, count in skipped.items():
        if count:
            log.warning("j1: %s: %d %s skipped by the benchmark's rules (reported as skipped_%s)", benchmark.name,
                        count, reason.replace("_", " "), reason)  # fmt: skip
    # The skip counts travel with the dataset, so the task reports them as metrics.
    info = datasets.DatasetInfo(description=json.dumps({SKIPPED_INFO: skipped}))
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(docs, info=info)})


# ----------------------------------------------------------------------------- requests


def _skipped_from_info(info: Any) -> dict[str, int]:
    """The skip counts :func:`load_docs` stored in the dataset's description (none for other datasets)."""
    try:
        return {str(k): int(v) for k, v in json.loads(info.description or "{}").get(SKIPPED_INFO, {}).items()}
    except (ValueError, AttributeError):
        return {}


def swap_prompt(ctx: Any, original: str, replacement: str) -> Any:
    """Put ``replacement`` where ``original`` (the rendered user turn) sits in lm-eval's context."""
    if original == replacement:
        return ctx
    prompt = getattr(ctx, "prompt", None)
    if isinstance(prompt, str):  # API chat backends: a JSON list of messages
        messages = json.loads(prompt)
        for message in messages:
            if message.get("content") == original:
                message["content"] = replacement
                return type(ctx)(json.dumps(messages, ensure_ascii=False))
        raise ValueError("j1: the judgment prompt was not found in the chat request")
    if not isinstance(ctx, str) or original not in ctx:
        raise ValueError("j1: the judgment prompt was not found in the context lm-eval built")
    head, _, tail = ctx.rpartition(original)
    return head + replacement + tail


class J1JudgeTask(ConfigurableTask):
    """lm-eval task: a J1 judge on one benchmark; configured by YAML ``metadata`` and run-time options."""

    def __init__(self, data_dir=None, cache_dir=None, download_mode=None, config: dict | None = None) -> None:
        config = dict(config or {})
        config.pop("class", None)
        # lm-eval renders a document while initialising, so the run options must exist first.
        self.options = EvalOptions.from_metadata(config.get("metadata"))
        self.benchmark: Benchmark = get_benchmark(self.options.benchmark)
        self.fmt = get_format(self.options.format, template=self.options.template)
        if self.options.samples > 1:  # so lm-eval's own logs and results show the sampling really used
            config["generation_kwargs"] = self._sampling_kwargs(config.get("generation_kwargs"))
        super().__init__(data_dir=data_dir, cache_dir=cache_dir, download_mode=download_mode, config=config)
        self._plain_docs = super().eval_docs.to_list()
        self.skipped = dict.fromkeys(self.benchmark.skip_reasons, 0) | _skipped_from_info(super().eval_docs.info)

    def fewshot_docs(self):
        """None: judge tasks are zero-shot (lm-eval would otherwise copy every document into a pool)."""
        return None

    @property
    def eval_docs(self):
        """The pair documents as plain dicts once initialised: lm-eval walks them several times, and
        decoding Arrow rows one by one each time costs more than all of the J1 logic."""
        plain = getattr(self, "_plain_docs", None)
        return plain if plain is not None else super().eval_docs

    # -- what each pair asks of the judge

    def plan(self, doc: dict[str, Any]) -> list[tuple[str, int]]:
        """(order or side, sample index) of every request of one pair, in request order."""
        if self.fmt.kind == "pointwise":
            keys: tuple[str, ...] = SIDES
        elif self.options.single_order:
            keys = (seeded_order(doc["pair_id"], self.options.seed),)
        else:
            keys = ORDERS
        return [(key, sample) for key in keys for sample in range(self.options.samples)]

    def prompt_for(self, doc: dict[str, Any], key: str) -> str:
        """The user turn for one order (pairwise) or side (pointwise) of a pair document."""
        pair = doc_to_pair(doc)
        shown = (getattr(pair, key),) if self.fmt.kind == "pointwise" else pair.responses(key)
        return self.fmt.render(pair.prompt, shown)[0]["content"]

    def doc_to_text(self, doc, doc_to_text=None):
        return self.prompt_for(doc, self.plan(doc)[0][0])

    def doc_to_target(self, doc, doc_to_target=None):
        return doc["chosen_position"]

    def _sampling_kwargs(self, base: dict[str, Any] | None) -> dict[str, Any]:
        kwargs = deepcopy(base or {})
        if self.options.samples > 1:
            kwargs.update(do_sample=True, temperature=self.options.temperature, top_p=self.options.top_p, seed=None)
        return kwargs

    def generation_kwargs(self) -> dict[str, Any]:
        """The task's generation settings; with ``samples`` > 1, J1's sampling (temperature, top_p, no seed)."""
        return self._sampling_kwargs(self.config.generation_kwargs)

    def construct_requests(self, doc, ctx, **kwargs):
        kwargs.pop("apply_chat_template", None)
        kwargs.pop("chat_template", None)
        plan = self.plan(doc)
        texts = {key: self.prompt_for(doc, key) for key in dict.fromkeys(key for key, _ in plan)}
        first = texts[plan[0][0]]
        contexts = {key: swap_prompt(ctx, first, text) for key, text in texts.items()}
        gen_kwargs = self.generation_kwargs()
        return [
            Instance("generate_until", doc, (contexts[key], dict(gen_kwargs)), idx=index, **kwargs)
            for index, (key, _sample) in enumerate(plan)
        ]

    # -- scoring

    def pair_outcome(self, doc: dict[str, Any], results: list[str]) -> tuple[PairOutcome, list[dict]]:
        plan = self.plan(doc)
        if len(results) != len(plan):
            raise ValueError(f"j1: pair {doc['pair_id']!r} expected {len(plan)} responses, got {len(results)}")
        items, details = [], []
        for (key, sample), text in zip(plan, results, strict=True):
            judgment = self.fmt.parse(text)
            pointwise = self.fmt.kind == "pointwise"
            items.append(JudgedItem.of(judgment, key, pointwise=pointwise, sample=sample))
            details.append(
                {
                    ("side" if pointwise else "order"): key,
                    "sample": sample,
                    "verdict": judgment.verdict,
                    "scores": dict(judgment.scores) if judgment.scores else None,
                    "status": judgment.status.value,
                    "reason": judgment.reason,
                    "reason_code": judgment.reason_code,
                }
            )
        outcome = score_pair(
            doc_to_pair(doc),
            items,
            kind=self.fmt.kind,
            aggregate=self.options.aggregation(self.fmt),
            seed=self.options.seed,
        )
        return outcome, details

    def process_results(self, doc, results):
        outcome, details = self.pair_outcome(doc, list(results))
        record = outcome.to_record()
        values: dict[str, Any] = dict.fromkeys(self.metric_names(), record)
        values[DETAIL_KEY] = {
            "pair_id": doc["pair_id"],
            "format": self.fmt.name,
            "seed": self.options.seed,
            "random_order": outcome.random_order,
            "outcomes": dict(outcome.outcomes),
            "judgments": details,
        }
        values[TRUNCATED_KEY] = int(bool(doc.get("truncated")))
        return values

    @cached_property
    def official_names(self) -> list[str]:
        keys = self.benchmark.official_key_names(**self.options.pair_options(self.benchmark))
        return [f"official_{key}" for key in keys]

    @cached_property
    def failure_names(self) -> list[str]:
        return [FAILURES_PREFIX + code for code in (*self.fmt.reason_codes, OTHER_FAILURES)]

    @cached_property
    def skipped_names(self) -> list[str]:
        return [f"skipped_{reason}" for reason in self.benchmark.skip_reasons]

    def metric_names(self) -> list[str]:
        return self.official_names + [f"j1_{key}" for key in J1_KEYS] + self.failure_names + self.skipped_names

    def corpus_scores(self, records: list[dict[str, Any]]) -> dict[str, float]:
        """Every metric of the corpus at once. lm-eval asks once per metric, each time with a list of
        the same record objects, so the last result is kept for the same records."""
        key = tuple(map(id, records))
        cached = getattr(self, "_corpus_cache", None)
        if cached is not None and cached[0] == key:
            return cached[1]
        scores = self._score_corpus(records)
        self._corpus_cache = (key, scores)
        return scores

    def _score_corpus(self, records: list[dict[str, Any]]) -> dict[str, float]:
        outcomes = [PairOutcome.from_record(record) for record in records]
        official = self.benchmark.measured_official(outcomes)
        flat: dict[str, Any] = {}
        for key, value in official.scores.items():
            if isinstance(value, dict):  # nested scores, e.g. RewardBench subsets
                flat.update({f"official_{key}/{name}": inner for name, inner in value.items()})
            else:
                flat[f"official_{key}"] = value
        flat.update({f"j1_{k}": v for k, v in j1_metrics(outcomes).items()})
        failures = dict.fromkeys(self.failure_names, 0.0)
        for code, count in failure_counts(outcomes).items():
            name = FAILURES_PREFIX + code
            name = name if name in failures else FAILURES_PREFIX + OTHER_FAILURES
            failures[name] += count
        flat.update(failures)
        flat.update({f"skipped_{reason}": float(count) for reason, count in self.skipped.items()})
        return {key: (math.nan if value is None else value) for key, value in flat.items()}

    def aggregation(self):
        def metric(name: str):
            def aggregate(records: list[dict[str, Any]]) -> float:
                return self.corpus_scores(records).get(name, math.nan)

            aggregate.__name__ = name.replace("/", "_")
            return aggregate

        functions = {name: metric(name) for name in self.metric_names()}
        functions[DETAIL_KEY] = len
        functions[TRUNCATED_KEY] = sum
        return functions

    def higher_is_better(self):
        better = dict.fromkeys(self.metric_names(), True)
        for key in ("j1_flip_rate", "j1_tie_rate", "j1_parse_failure_rate", TRUNCATED_KEY, *self.failure_names,
                    *self.skipped_names):  # fmt: skip
            better[key] = False
        better[DETAIL_KEY] = True
        return better
