"""A short supervised format warm-up for judges that cannot yet write parseable verdicts.

A random or very small model never emits ``<think>…</think><answer> [[A]] </answer>`` on its own,
so GRPO would see zero reward everywhere and learn nothing. The warm-up teaches only the output
contract: targets are well-formed judge answers with neutral reasoning and a *random* verdict, so
any gain in correctness afterwards comes from reinforcement learning, not from the warm-up.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from j1_plugin.formats import JudgmentFormat
from j1_plugin.plugins import get_format
from j1_plugin.records import PreferencePair
from j1_plugin.trainers import small_run_settings
from j1_plugin.training_data import judgment_rows

NEUTRAL_REASONING = "I state what a good answer needs, check each response against it, then decide."


# A fixed reasoning text, or a function of the drawn decision (a verdict letter, or a pointwise score).
Reasoning = str | Callable[[str | int], str]


def format_warmup_dataset(
    pairs: Sequence[PreferencePair],
    formats: Sequence[str | JudgmentFormat] = ("pav",),
    seed: int = 0,
    reasoning: Reasoning = NEUTRAL_REASONING,
    truthful: bool = False,
) -> Any:
    """Prompt-completion rows: each judgment prompt with a well-formed answer and a random decision.

    ``formats`` are names or format objects (e.g. with a custom template). ``reasoning`` is the
    text inside the reasoning block, or a function of the drawn decision (the verdict letter, or
    the score of a pointwise format) that writes it, for scaffolds whose wording must agree with it.

    ``truthful=True`` makes the decision the right one instead (the better response's letter; score
    8 for the better response and 2 for the worse): a supervised baseline that shows what the model
    can learn from the labels themselves, not a warm-up.
    """
    import datasets

    rng = random.Random(seed)
    rows = []
    for named in formats:
        fmt = get_format(named) if isinstance(named, str) else named
        for row in judgment_rows(pairs, fmt):
            scores = {"A": rng.randint(0, 10), "B": rng.randint(0, 10), "score": rng.randint(0, 10)}
            verdict = None if fmt.kind == "pointwise" else rng.choice("AB")
            if truthful:  # pairwise: the label's letter; pointwise: "A" stands for the chosen side
                better = row["label"] or ("A" if row["side"] == "chosen" else "B")
                verdict = None if verdict is None else better
                high, low = (8, 2) if better == "A" else (2, 8)
                scores = {"A": high, "B": low, "score": high}
            decision = scores["score"] if verdict is None else verdict
            thought = reasoning(decision) if callable(reasoning) else reasoning
            answer = fmt.write_output(thought, verdict=verdict, scores=scores)
            rows.append({"prompt": row["prompt"], "completion": [{"role": "assistant", "content": answer}]})
    return datasets.Dataset.from_list(rows)


def format_warmup(
    model: str | os.PathLike[str] | Any,
    out_dir: str | os.PathLike[str],
    pairs: Sequence[PreferencePair],
    *,
    formats: Sequence[str | JudgmentFormat] = ("pav",),
    reasoning: Reasoning = NEUTRAL_REASONING,
    tokenizer: Any = None,
    steps: int = 60,
    learning_rate: float = 3e-3,
    batch_size: int = 8,
    seed: int = 0,
    progress: bool = False,
    truthful: bool = False,
    rows: Sequence[dict[str, Any]] | None = None,
    epochs: float | None = None,
    history: list[dict[str, Any]] | None = None,
    callbacks: Sequence[Any] = (),
    device: str = "cpu",
) -> Path:
    """Fine-tune ``model`` on :func:`format_warmup_dataset` with TRL's SFTTrainer; save to ``out_dir``.

    ``model`` is a path or hub id, or a loaded model (pass its ``tokenizer``; it is trained in
    place, e.g. with only some layers trainable). ``progress`` shows the trainer's progress bar;
    ``truthful`` trains on the right decisions (see :func:`format_warmup_dataset`).

    ``rows`` replaces the built dataset with prompt-completion rows of the caller's (for example
    :func:`j1_plugin.demo.reference.own_answer_targets`); ``epochs`` then sets the step count
    (``steps`` is ignored): that many passes over the rows, rounded up to whole batches. ``history``,
    when given, receives the trainer's log entries (the loss curve); ``callbacks`` are transformers
    ``TrainerCallback`` objects added to the trainer; ``device`` is ``"cpu"`` or ``"cuda"`` (bf16).
    """
    import datasets
    from transformers import PrinterCallback
    from trl import SFTConfig, SFTTrainer

    from j1_plugin.trainers.callbacks import show_bar_only

    if rows is not None:
        dataset = datasets.Dataset.from_list(list(rows))
        if epochs is not None:
            steps = max(1, -(-round(epochs * len(dataset)) // batch_size))
    else:
        dataset = format_warmup_dataset(pairs, formats, seed, reasoning, truthful)
    out = Path(out_dir)
    args = SFTConfig(
        output_dir=str(out),
        max_steps=steps,
        per_device_train_batch_size=batch_size,
        learning_rate=learning_rate,
        lr_scheduler_type="constant",
        max_length=2048,
        logging_steps=max(1, steps // 20),
        seed=seed,
        **{**small_run_settings(device), "disable_tqdm": not progress},
    )
    loaded = not isinstance(model, (str, os.PathLike))
    trainer = SFTTrainer(
        model=model if loaded else str(model),
        args=args,
        train_dataset=dataset,
        processing_class=tokenizer,
        callbacks=list(callbacks) or None,
    )
    trainer.remove_callback(PrinterCallback)
    show_bar_only(trainer)
    trainer.train()
    if history is not None:
        history.extend(trainer.state.log_history)
    trainer.save_model(str(out))
    trainer.processing_class.save_pretrained(str(out))
    return out
