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
from j1_plugin.trainers import CPU_SMOKE_SETTINGS
from j1_plugin.training_data import judgment_rows

NEUTRAL_REASONING = "I state what a good answer needs, check each response against it, then decide."


Reasoning = str | Callable[[str | None], str]


def format_warmup_dataset(
    pairs: Sequence[PreferencePair],
    formats: Sequence[str | JudgmentFormat] = ("pav",),
    seed: int = 0,
    reasoning: Reasoning = NEUTRAL_REASONING,
) -> Any:
    """Prompt-completion rows: each judgment prompt with a well-formed answer and a random decision.

    ``formats`` are names or format objects (e.g. with a custom template). ``reasoning`` is the
    text inside the reasoning block, or a function of the drawn verdict (``None`` for pointwise)
    that writes it, for reasoning scaffolds whose wording must agree with the verdict.
    """
    import datasets

    rng = random.Random(seed)
    rows = []
    for named in formats:
        fmt = get_format(named) if isinstance(named, str) else named
        for row in judgment_rows(pairs, fmt):
            scores = {"A": rng.randint(0, 10), "B": rng.randint(0, 10), "score": rng.randint(0, 10)}
            verdict = None if fmt.kind == "pointwise" else rng.choice("AB")
            thought = reasoning(verdict) if callable(reasoning) else reasoning
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
) -> Path:
    """Fine-tune ``model`` on :func:`format_warmup_dataset` with TRL's SFTTrainer; save to ``out_dir``.

    ``model`` is a path or hub id, or a loaded model (pass its ``tokenizer``; it is trained in
    place, e.g. with only some layers trainable).
    """
    from transformers import PrinterCallback
    from trl import SFTConfig, SFTTrainer

    out = Path(out_dir)
    args = SFTConfig(
        output_dir=str(out),
        max_steps=steps,
        per_device_train_batch_size=batch_size,
        learning_rate=learning_rate,
        lr_scheduler_type="constant",
        max_length=2048,
        logging_steps=max(1, steps // 5),
        seed=seed,
        **CPU_SMOKE_SETTINGS,
    )
    dataset = format_warmup_dataset(pairs, formats, seed, reasoning)
    loaded = not isinstance(model, (str, os.PathLike))
    trainer = SFTTrainer(
        model=model if loaded else str(model), args=args, train_dataset=dataset, processing_class=tokenizer
    )
    trainer.remove_callback(PrinterCallback)
    trainer.train()
    trainer.save_model(str(out))
    trainer.processing_class.save_pretrained(str(out))
    return out
