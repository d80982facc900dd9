"""Tiny random judge models built locally in seconds, for tests, demos and smoke runs.

:func:`build_tiny_judge` trains a small byte-level BPE tokenizer on J1 prompt and answer text,
gives it a ChatML-style chat template, and saves it next to a randomly initialised Qwen2-style
causal LM (about 0.2M parameters). Nothing is downloaded. The J1 output tags (``<think>``,
``[[A]]``, ``<score_A>``…) are single ordinary tokens, so they survive
``skip_special_tokens=True`` decoding and a short warm-up can teach the format quickly.

:func:`tiny_judge_path` returns a cached copy, building it once per cache directory.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

TINY_JUDGE_VERSION = 1
CACHE_ENV_VAR = "J1_CACHE_DIR"

OUTPUT_TAG_TOKENS = (
    "<think>", "</think>", "<answer>", "</answer>", "[[A]]", "[[B]]",
    "<score_A>", "</score_A>", "<score_B>", "</score_B>", "<score>", "</score>",
    "<plan>", "</plan>", "<execution>", "</execution>",
)  # fmt: skip
SPECIAL_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")
CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def _tokenizer_corpus() -> list[str]:
    from j1_plugin.formats import builtin_formats

    corpus = []
    for fmt in builtin_formats():
        corpus.append(fmt.template)
        for value in range(11):
            scores = {"A": value, "B": 10 - value, "score": value}
            verdict = None if fmt.kind == "pointwise" else "AB"[value % 2]
            corpus.append(
                fmt.write_output(f"Check the sum: {value} + {value} = {2 * value}.", verdict=verdict, scores=scores)
            )
    corpus += [f"What is {a} + {b}? The answer is {a + b}." for a in range(12) for b in range(12)]
    return corpus * 4


def build_tiny_judge(
    out_dir: str | os.PathLike[str],
    *,
    seed: int = 0,
    vocab_size: int = 1024,
    hidden_size: int = 64,
    num_layers: int = 2,
    max_length: int = 4096,
) -> Path:
    """Build and save a tiny random judge (model + tokenizer with chat template) in ``out_dir``."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import AutoModelForCausalLM, PreTrainedTokenizerFast, Qwen2Config

    out = Path(out_dir)
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(_tokenizer_corpus(), trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        bos_token=None,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        padding_side="left",
        model_max_length=max_length,
    )
    tokenizer.add_tokens(list(OUTPUT_TAG_TOKENS))
    tokenizer.chat_template = CHAT_TEMPLATE

    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=2 * hidden_size,
        num_hidden_layers=num_layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=max_length,
        tie_word_embeddings=True,
        bos_token_id=None,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    _make_tokenizer_config_portable(out)
    return out


def _make_tokenizer_config_portable(out: Path) -> None:
    """Name a tokenizer class that transformers 4.x (as in many vLLM images) can also load."""
    import json

    config_path = out / "tokenizer_config.json"
    config = json.loads(config_path.read_text("utf-8"))
    config["tokenizer_class"] = "PreTrainedTokenizerFast"
    config.setdefault("chat_template", CHAT_TEMPLATE)
    config_path.write_text(json.dumps(config, indent=2), "utf-8")


def default_cache_dir() -> Path:
    """``$J1_CACHE_DIR``, else ``$XDG_CACHE_HOME/j1-plugin``, else ``~/.cache/j1-plugin``."""
    if os.environ.get(CACHE_ENV_VAR):
        return Path(os.environ[CACHE_ENV_VAR])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "j1-plugin"


def tiny_judge_path(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Path of a cached tiny judge, built on first use (safe against concurrent builders)."""
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    target = root / f"tiny-judge-v{TINY_JUDGE_VERSION}"
    if (target / "config.json").exists():
        return target
    return build_checkpoint_once(target, build_tiny_judge)


def build_checkpoint_once(target: Path, build: Callable[[Path], object]) -> Path:
    """Run ``build`` into a staging folder beside ``target``, then rename it into place.

    A crash leaves no half-written ``target``; when several processes build at once, the first
    rename wins and the others keep its result.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        build(staging)
        try:
            staging.rename(target)
        except OSError:  # another process finished first
            if not (target / "config.json").is_file():
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return target
