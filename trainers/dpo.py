"""The offline J1 baseline (EvalPlanner-style): DPO on (correct judgment, wrong judgment) pairs.

:func:`build_dpo_dataset` turns preference data into DPO data with a seed judge:

1. Every preference pair is rendered in both orders by :func:`~j1_plugin.training_data.judgment_rows`,
   the same prompts (and truncation rule) as GRPO training and evaluation.
2. The seed judge samples ``samples`` judgments per prompt (default: temperature 1.0, top-p 0.95).
3. Each judgment is graded with the format's parser against the prompt's label: *correct* when it
   parses and names the better response; *wrong* otherwise. An unparseable judgment is wrong, and
   so is a tie of the ``pas`` scores (as in the rewards).
4. Within one prompt, correct and wrong judgments are shuffled (seeded) and zipped into disjoint
   candidates ``(correct, wrong)``: ``min(#correct, #wrong)`` of them, capped by
   ``pairs_per_prompt``. A prompt whose samples are all correct or all wrong gives none.
5. Balancing over the two orders (``balance``), so the DPO data teaches no position preference:

   * ``"pair"`` (default): per source pair, keep ``m = min(#AB candidates, #BA candidates)``
     candidates from *each* order (the first ``m`` of each shuffled list). A pair that is usable
     in one order only contributes nothing.
   * ``"global"``: keep ``m = min(total AB, total BA)`` candidates from each order, drawn
     uniformly (seeded) from all candidates of that order.

Everything is deterministic given ``seed`` (which also seeds the judge's sampling). Pointwise
formats are refused: one pointwise judgment has no verdict to grade.

:func:`train_dpo` then runs TRL's ``DPOTrainer`` on the rows.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from j1_plugin.formats import JudgmentFormat
from j1_plugin.judges.base import Judge, Sampling
from j1_plugin.plugins import get_format
from j1_plugin.records import ORDERS
from j1_plugin.training_data import BuildReport, judgment_rows, load_preference_pairs

if TYPE_CHECKING:
    import datasets
    import trl

Balance = Literal["pair", "global"]
Candidate = tuple[str, str]  # (correct judgment, wrong judgment)

DEFAULT_TEMPERATURE = 1.0
DEFAULT_TOP_P = 0.95


@dataclass
class DPOReport:
    """What a DPO dataset build did, from prompts judged to DPO pairs kept per order."""

    prompts: int = 0
    samples: int = 0
    correct_samples: int = 0
    unparseable_samples: int = 0
    usable_prompts: int = 0
    dropped_all_correct: int = 0
    dropped_all_wrong: int = 0
    candidates: int = 0
    dropped_for_balance: int = 0
    truncated_pairs: int = 0
    pairs_per_order: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ORDERS, 0))

    @property
    def dropped_prompts(self) -> int:
        """Prompts that gave no candidate: all samples correct, or all wrong."""
        return self.dropped_all_correct + self.dropped_all_wrong

    @property
    def dpo_pairs(self) -> int:
        return sum(self.pairs_per_order.values())

    def __str__(self) -> str:
        kept = ", ".join(f"{order} {count}" for order, count in self.pairs_per_order.items())
        return (
            f"{self.dpo_pairs} DPO pairs ({kept}) from {self.prompts} prompts x {self.samples // max(self.prompts, 1)} "
            f"samples; {self.correct_samples}/{self.samples} samples correct, {self.unparseable_samples} unparseable; "
            f"{self.usable_prompts} usable prompts, {self.dropped_all_correct} all correct, "
            f"{self.dropped_all_wrong} all wrong; {self.dropped_for_balance} candidates dropped to balance orders"
        )


def pairwise_format(fmt: str | JudgmentFormat) -> JudgmentFormat:
    """The format ``fmt`` if it is pairwise (DPO grades verdicts); else a ``ValueError`` saying why."""
    resolved = get_format(fmt) if isinstance(fmt, str) else fmt
    if resolved.kind != "pairwise":
        raise ValueError(
            f"format {resolved.name!r} is {resolved.kind}: a single pointwise judgment has no verdict to grade, "
            "so it cannot be a DPO chosen/rejected judgment; use a pairwise format (pav, pavs, pav-plan, pas)"
        )
    return resolved


def _sampling(samples: int, sampling: Sampling | None, max_new_tokens: int, seed: int) -> Sampling:
    if samples < 2:
        raise ValueError(f"samples must be at least 2 to find a correct and a wrong judgment, got {samples}")
    if sampling is None:
        return Sampling(max_new_tokens, temperature=DEFAULT_TEMPERATURE, top_p=DEFAULT_TOP_P, n=samples, seed=seed)
    if sampling.n != samples:
        raise ValueError(f"sampling.n ({sampling.n}) differs from samples ({samples}); set them equal")
    return sampling


def _generate(judge: Judge, rows: Sequence[dict[str, Any]], sampling: Sampling) -> list[list[str]]:
    texts = judge.generate([row["prompt"] for row in rows], sampling)
    if len(texts) != len(rows) or any(len(samples) != sampling.n for samples in texts):
        shape = [len(samples) for samples in texts]
        raise ValueError(
            f"judge {type(judge).__name__} returned {len(texts)} sample lists of sizes {shape[:8]} "
            f"for {len(rows)} prompts; expected {sampling.n} samples per prompt"
        )
    return texts


def grade(fmt: JudgmentFormat, text: str, label: str) -> bool | None:
    """True for a correct judgment, False for a wrong verdict (or a tie), None when unparseable.

    >>> fmt = get_format("pav")
    >>> grade(fmt, fmt.write_output("x", verdict="A"), "A"), grade(fmt, "<think>cut sho", "A")
    (True, None)
    """
    judgment = fmt.parse(text)
    return judgment.verdict == label if judgment.ok else None


def prompt_candidates(
    texts: Sequence[str], grades: Sequence[bool | None], rng: random.Random, limit: int | None
) -> list[Candidate]:
    """Disjoint (correct, wrong) judgment candidates of one prompt; unparseable counts as wrong."""
    correct = [text for text, ok in zip(texts, grades, strict=True) if ok]
    wrong = [text for text, ok in zip(texts, grades, strict=True) if not ok]
    rng.shuffle(correct)
    rng.shuffle(wrong)
    count = min(len(correct), len(wrong), len(texts) if limit is None else limit)
    return list(zip(correct[:count], wrong[:count], strict=True))


def _balance_per_pair(candidates: list[list[Candidate]], rows: Sequence[dict[str, Any]]) -> list[list[Candidate]]:
    per_pair: dict[str, dict[str, int]] = {}
    for row, found in zip(rows, candidates, strict=True):
        per_pair.setdefault(row["pair_id"], dict.fromkeys(ORDERS, 0))[row["order"]] += len(found)
    keep = {pair_id: min(counts.values()) for pair_id, counts in per_pair.items()}
    return [found[: keep[row["pair_id"]]] for row, found in zip(rows, candidates, strict=True)]


def _balance_globally(
    candidates: list[list[Candidate]], rows: Sequence[dict[str, Any]], rng: random.Random
) -> list[list[Candidate]]:
    slots = {order: [] for order in ORDERS}  # (row index, candidate index) per order
    for index, (row, found) in enumerate(zip(rows, candidates, strict=True)):
        slots[row["order"]] += [(index, k) for k in range(len(found))]
    size = min(len(found) for found in slots.values())
    chosen = {slot for order in ORDERS for slot in rng.sample(slots[order], size)}
    return [[c for k, c in enumerate(found) if (i, k) in chosen] for i, found in enumerate(candidates)]


def balance_orders(
    candidates: list[list[Candidate]], rows: Sequence[dict[str, Any]], balance: Balance, rng: random.Random
) -> list[list[Candidate]]:
    """Keep as many candidates from AB prompts as from BA prompts (the rule is in the module docstring)."""
    if balance == "pair":
        return _balance_per_pair(candidates, rows)
    if balance == "global":
        return _balance_globally(candidates, rows, rng)
    raise ValueError(f"balance must be 'pair' or 'global', got {balance!r}")


def _record_prompt(report: DPOReport, grades: Sequence[bool | None]) -> None:
    report.samples += len(grades)
    report.correct_samples += sum(ok is True for ok in grades)
    report.unparseable_samples += sum(ok is None for ok in grades)
    if all(grades):
        report.dropped_all_correct += 1
    elif not any(grades):
        report.dropped_all_wrong += 1
    else:
        report.usable_prompts += 1


def dpo_row(row: dict[str, Any], candidate: Candidate, fmt: JudgmentFormat) -> dict[str, Any]:
    """One row in TRL's conversational preference format, keeping the judgment task's ids."""
    chosen, rejected = candidate
    return {
        "prompt": row["prompt"],
        "chosen": [{"role": "assistant", "content": chosen}],
        "rejected": [{"role": "assistant", "content": rejected}],
        "pair_id": row["pair_id"],
        "order": row["order"],
        "label": row["label"],
        "format": fmt.name,
    }


def build_dpo_dataset(
    judge: Judge,
    pairs: Any,
    fmt: str | JudgmentFormat = "pav",
    *,
    samples: int = 4,
    sampling: Sampling | None = None,
    max_new_tokens: int = 4096,
    max_prompt_tokens: int | None = None,
    tokenizer: Any = None,
    pairs_per_prompt: int | None = None,
    balance: Balance = "pair",
    seed: int = 0,
) -> tuple[datasets.Dataset, DPOReport]:
    """DPO rows of (correct, wrong) judgments sampled from the seed ``judge``, and a :class:`DPOReport`.

    ``pairs`` is anything :func:`~j1_plugin.training_data.load_preference_pairs` accepts (pairs,
    rows, a file, a ``Dataset``). Each of the two prompts per pair gets ``samples`` judgments drawn
    with ``sampling`` (default: temperature 1.0, top-p 0.95, ``max_new_tokens``, seeded by ``seed``;
    a given ``sampling`` must have ``n == samples``). Prompts are cut to ``max_prompt_tokens``
    counted with ``tokenizer``, else with the judge's own tokenizer if it has one. Selection and
    order balancing follow the module docstring. Columns: ``prompt``, ``chosen``, ``rejected``
    (conversational), ``pair_id``, ``order``, ``label``, ``format``. The dataset may be empty;
    the report says why. Raises ``ValueError`` for a pointwise format.
    """
    import datasets

    if pairs_per_prompt is not None and pairs_per_prompt < 1:
        raise ValueError(f"pairs_per_prompt must be at least 1 (or None for no cap), got {pairs_per_prompt}")
    judgment_format = pairwise_format(fmt)
    plan = _sampling(samples, sampling, max_new_tokens, seed)
    build = BuildReport()
    tokenizer = tokenizer if tokenizer is not None else getattr(judge, "tokenizer", None)
    rows = judgment_rows(load_preference_pairs(pairs), judgment_format, max_prompt_tokens=max_prompt_tokens,
                         tokenizer=tokenizer, report=build)  # fmt: skip
    report = DPOReport(prompts=len(rows), truncated_pairs=build.truncated)
    rng = random.Random(seed)
    candidates = []
    for row, texts in zip(rows, _generate(judge, rows, plan) if rows else [], strict=True):
        grades = [grade(judgment_format, text, row["label"]) for text in texts]
        _record_prompt(report, grades)
        candidates.append(prompt_candidates(texts, grades, rng, pairs_per_prompt))
    kept = balance_orders(candidates, rows, balance, rng)
    report.candidates = sum(map(len, candidates))
    report.dropped_for_balance = report.candidates - sum(map(len, kept))
    out = []
    for row, found in zip(rows, kept, strict=True):
        report.pairs_per_order[row["order"]] += len(found)
        out += [dpo_row(row, candidate, judgment_format) for candidate in found]
    features = _features()
    return datasets.Dataset.from_dict({name: [row[name] for row in out] for name in features}, features), report


def _features() -> datasets.Features:
    """Column types of a DPO dataset, fixed so that an empty dataset still has its columns."""
    import datasets

    message = {"role": datasets.Value("string"), "content": datasets.Value("string")}
    text = datasets.Value("string")
    return datasets.Features(
        {
            "prompt": datasets.List(message),
            "chosen": datasets.List(message),
            "rejected": datasets.List(message),
            "pair_id": text,
            "order": text,
            "label": text,
            "format": text,
        }
    )


def dpo_trainer(
    model: Any, train_dataset: datasets.Dataset, args: trl.DPOConfig, **trainer_kwargs: Any
) -> trl.DPOTrainer:
    """Build (not train) a ``trl.DPOTrainer`` on ``train_dataset``.

    ``model`` is a path or hub id (TRL loads the tokenizer from it) or a loaded model (then pass
    ``processing_class=`` the tokenizer). ``trainer_kwargs`` go to ``DPOTrainer`` (``ref_model``,
    ``eval_dataset``, ``peft_config``, ``callbacks``...). Raises ``ValueError`` for an empty
    dataset or one without ``prompt``/``chosen``/``rejected`` columns.
    """
    missing = {"prompt", "chosen", "rejected"} - set(train_dataset.column_names)
    if missing:
        raise ValueError(f"the DPO dataset lacks column(s) {sorted(missing)}; build it with build_dpo_dataset")
    if len(train_dataset) == 0:
        raise ValueError(
            "the DPO dataset is empty: the seed judge's samples were all correct or all wrong on every prompt; "
            "draw more samples, use more pairs, or start from a stronger seed judge"
        )
    from trl import DPOTrainer

    return DPOTrainer(model=model, args=args, train_dataset=train_dataset, **trainer_kwargs)


def train_dpo(
    model: Any,
    train_dataset: datasets.Dataset,
    args: trl.DPOConfig,
    *,
    resume_from_checkpoint: str | bool | None = None,
    **trainer_kwargs: Any,
) -> trl.DPOTrainer:
    """Build a ``trl.DPOTrainer`` with :func:`dpo_trainer`, train it (or resume), and return it."""
    trainer = dpo_trainer(model, train_dataset, args, **trainer_kwargs)
    trainer.train(resume_from_checkpoint=resume_from_checkpoint)
    return trainer
