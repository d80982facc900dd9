"""Held-out J1 evaluation during training, scored by the same code as ``j1 eval``.

Whenever the trainer evaluates (``eval_strategy: steps`` and ``eval_steps``),
:class:`J1EvalCallback` lets the current policy judge a small held-out set of preference pairs
greedily (the J1 evaluation protocol), parses each output with its row's format, reduces each
pair with :func:`j1_plugin.scoring.score_pair` and logs :func:`j1_plugin.scoring.j1_metrics`
(accuracy per order and over the seeded random order, position-consistent accuracy, flip rate,
tie rate, parse-failure rate, all in percent) as ``eval_j1/<format>/<metric>`` (e.g.
``eval_j1/pav/random_order_accuracy``) in the trainer's log history, so they reach every reporter
(TensorBoard, W&B…). The format is always part of the key: GRPO's own evaluation logs the
rewards' metrics (``j1/parse_failure_rate``, fractions of sampled rollouts) as
``eval_j1/parse_failure_rate``, which must not be confused with these greedy, per-pair numbers.

Generation uses the evaluation's ``hf`` judge backend (:class:`j1_plugin.judges.HFJudge`) on the
unwrapped training model. Rows are split over the processes (padded so that every process makes
the same number of ``generate`` calls, which DeepSpeed ZeRO-3 and FSDP need) and gathered
before scoring. Keep the set small and ``max_new_tokens`` short: this runs inside training.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from transformers import ProgressCallback, Trainer, TrainerCallback

from j1_plugin.judges import HFJudge, Sampling
from j1_plugin.plugins import get_format
from j1_plugin.records import PreferencePair
from j1_plugin.scoring import JudgedItem, PairOutcome, j1_metrics, score_pair
from j1_plugin.training_data import judgment_rows

METRIC_PREFIX = "eval_j1"


def held_out_rows(
    pairs: Sequence[PreferencePair],
    formats: Sequence[str],
    *,
    max_prompt_tokens: int | None = None,
    tokenizer: Any = None,
    template: str | None = None,
) -> list[dict[str, Any]]:
    """Judgment rows (both orders, or both sides) of ``pairs`` in every format, built like the training data.

    Each format is built on its own, so ``pair_id`` is the pair's own id (no multitask prefix).
    """
    rows: list[dict[str, Any]] = []
    for name in formats:
        fmt = get_format(name, template=template)
        rows += judgment_rows(pairs, fmt, max_prompt_tokens=max_prompt_tokens, tokenizer=tokenizer)
    return rows


def score_held_out(
    rows: Sequence[Mapping[str, Any]], texts: Sequence[str], pairs: Sequence[PreferencePair]
) -> dict[str, float]:
    """``eval_j1/…`` metrics of one greedy judgment per row (``texts[i]`` answers ``rows[i]``).

    >>> from j1_plugin.records import PreferencePair
    >>> pair = PreferencePair(id="p", prompt="1+1?", chosen="2", rejected="3")
    >>> rows = held_out_rows([pair], ["pav"])
    >>> metrics = score_held_out(rows, ["<think>x</think><answer>[[A]]</answer>", "no verdict"], [pair])
    >>> metrics["eval_j1/pav/ab_accuracy"], metrics["eval_j1/pav/parse_failure_rate"]
    (100.0, 50.0)
    """
    if len(rows) != len(texts):
        raise ValueError(f"{len(texts)} judgments for {len(rows)} held-out rows")
    by_id = {pair.id: pair for pair in pairs}
    items: dict[str, dict[str, list[JudgedItem]]] = defaultdict(lambda: defaultdict(list))
    for row, text in zip(rows, texts, strict=True):
        judgment = get_format(row["format"]).parse(text)
        items[row["format"]][row["pair_id"]].append(JudgedItem(judgment, order=row["order"], side=row["side"]))
    metrics: dict[str, float] = {}
    for name, per_pair in items.items():
        kind = get_format(name).kind
        outcomes: list[PairOutcome] = [score_pair(by_id[pid], judged, kind=kind) for pid, judged in per_pair.items()]
        prefix = f"{METRIC_PREFIX}/{name}/"
        # Not available (nothing parsed) is logged as NaN, never as a made-up 0.0 and never left out.
        metrics.update(
            {prefix + key: float("nan") if value is None else value for key, value in j1_metrics(outcomes).items()}
        )
    return metrics


class J1EvalCallback(TrainerCallback):
    """On every evaluation, judge the held-out pairs greedily with the current policy and log J1 metrics.

    ``trainer`` is the (GRPO or DPO) trainer the callback is added to; ``pairs`` the held-out
    preference pairs, ``formats`` the judgment formats to ask in (rows are built with
    :func:`held_out_rows`; pass the training data's ``max_prompt_tokens``, tokenizer and template).
    """

    def __init__(
        self,
        trainer: Trainer,
        pairs: Sequence[PreferencePair],
        formats: Sequence[str],
        *,
        max_new_tokens: int = 1024,
        max_prompt_tokens: int | None = None,
        tokenizer: Any = None,
        template: str | None = None,
    ) -> None:
        if not pairs:
            raise ValueError("J1EvalCallback needs at least one held-out pair")
        self.trainer = trainer
        self.pairs = list(pairs)
        self.rows = held_out_rows(
            self.pairs, formats, max_prompt_tokens=max_prompt_tokens, tokenizer=tokenizer, template=template
        )
        self.sampling = Sampling(max_new_tokens=max_new_tokens)  # temperature 0: greedy

    def on_evaluate(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        metrics = self.evaluate()
        # The base Trainer.log appends to the log history and calls every reporter; the GRPO and
        # DPO overrides of log() would also flush (and so steal) their pending training metrics.
        Trainer.log(self.trainer, dict(metrics))

    def evaluate(self) -> dict[str, float]:
        """Generate for every held-out row on all processes, then score; returns the metrics."""
        from accelerate.utils import gather_object
        from trl.models.utils import unwrap_model_for_generation

        trainer = self.trainer
        accelerator = trainer.accelerator
        indices = list(range(len(self.rows)))
        with accelerator.split_between_processes(indices, apply_padding=True) as mine:
            mine = list(mine)
        with unwrap_model_for_generation(
            trainer.model_wrapped,
            accelerator,
            gather_deepspeed3_params=getattr(trainer.args, "ds3_gather_for_generation", True),
        ) as model:
            texts = self._generate(model, [self.rows[i]["prompt"] for i in mine])
        answers = dict(gather_object(list(zip(mine, texts, strict=True))))
        return score_held_out(self.rows, [answers[i] for i in indices], self.pairs)

    def _generate(self, model: Any, conversations: list[Any]) -> list[str]:
        tokenizer = self.trainer.processing_class
        tokenizer = getattr(tokenizer, "tokenizer", tokenizer)  # a multimodal processor wraps its tokenizer
        was_training, padding_side = model.training, tokenizer.padding_side
        template_kwargs = getattr(self.trainer.args, "chat_template_kwargs", None)
        try:
            judge = HFJudge(
                model,
                tokenizer,
                device=str(self.trainer.accelerator.device),
                batch_size=self.trainer.args.per_device_eval_batch_size,
                chat_template_kwargs=template_kwargs if isinstance(template_kwargs, dict) else None,
            )
            return [samples[0] for samples in judge.generate(conversations, self.sampling)]
        finally:
            tokenizer.padding_side = padding_side
            model.train(was_training)


__all__ = ["J1EvalCallback", "held_out_rows", "score_held_out"]


class BarOnlyProgress(ProgressCallback):
    """transformers' progress bar without its copy of every log dict (the logs still reach the log history)."""

    def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kwargs: Any) -> None:
        return None


def show_bar_only(trainer: Trainer) -> None:
    """Swap ``trainer``'s progress callback (when its bar is on) for :class:`BarOnlyProgress`."""
    if trainer.args.disable_tqdm:
        return
    trainer.remove_callback(ProgressCallback)
    trainer.add_callback(BarOnlyProgress())
