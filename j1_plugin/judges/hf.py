"""The ``hf`` judge backend: any causal LM loadable by transformers, generating in-process."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from j1_plugin.judges.base import Sampling
from j1_plugin.records import Message


def load_model(model: Any, tokenizer: Any, auto_class: Any, dtype: str, owner: str) -> tuple[Any, Any]:
    """``(model, tokenizer)`` loaded with ``auto_class`` from a hub id or folder, or as given (with its tokenizer)."""
    if isinstance(model, (str, os.PathLike)):
        from transformers import AutoTokenizer

        source = os.fspath(model)
        return auto_class.from_pretrained(source, dtype=dtype), tokenizer or AutoTokenizer.from_pretrained(source)
    if tokenizer is None:
        raise ValueError(f"{owner} needs a tokenizer when given a loaded model")
    return model, tokenizer


class HFJudge:
    """Generate judgments with ``transformers``: ``HFJudge("path/or/hub-id", device="cpu")``.

    ``model`` is a hub id, a local directory, or an already loaded model (then pass
    ``tokenizer``). Prompts are built with the tokenizer's chat template, padded on the left and
    generated in batches of ``batch_size``; sampling is seeded by ``Sampling.seed``.
    """

    name = "hf"

    def __init__(
        self,
        model: str | os.PathLike[str] | Any,
        tokenizer: Any = None,
        *,
        device: str | None = None,
        dtype: str = "auto",
        batch_size: int = 8,
        chat_template_kwargs: dict[str, Any] | None = None,
    ) -> None:
        import torch
        from transformers import AutoModelForCausalLM

        model, tokenizer = load_model(model, tokenizer, AutoModelForCausalLM, dtype, "HFJudge")
        if getattr(tokenizer, "chat_template", None) is None:
            raise ValueError("the judge's tokenizer has no chat template; J1 prompts are chat turns")
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        tokenizer.padding_side = "left"
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.model = model.to(self.device).eval()
        self.tokenizer = tokenizer
        self.batch_size = batch_size
        self.chat_template_kwargs = chat_template_kwargs or {}

    def prompt_text(self, conversation: Sequence[Message]) -> str:
        """The exact text the model is conditioned on for one conversation."""
        return self.tokenizer.apply_chat_template(
            list(conversation), tokenize=False, add_generation_prompt=True, **self.chat_template_kwargs
        )

    def generate(self, conversations: Sequence[Sequence[Message]], sampling: Sampling) -> list[list[str]]:
        import torch

        prompts = [self.prompt_text(conversation) for conversation in conversations]
        options: dict[str, Any] = {
            "max_new_tokens": sampling.max_new_tokens,
            "num_return_sequences": sampling.n,
            "pad_token_id": self.tokenizer.pad_token_id,
        }
        if sampling.greedy:
            options["do_sample"] = False
        else:
            options.update(do_sample=True, temperature=sampling.temperature, top_p=sampling.top_p)
        results: list[list[str]] = []
        # Sampling is seeded inside a forked RNG, so callers' generators (CPU and CUDA, e.g. a
        # training loop evaluating with this judge) continue exactly where they were.
        devices = [torch.device(self.device).index or 0] if torch.device(self.device).type == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            if not sampling.greedy:
                torch.manual_seed(sampling.seed)
            for start in range(0, len(prompts), self.batch_size):
                batch = prompts[start : start + self.batch_size]
                encoded = self.tokenizer(batch, return_tensors="pt", padding=True, add_special_tokens=False)
                encoded = encoded.to(self.device)
                with torch.no_grad():
                    generated = self.model.generate(**encoded, **options)
                new_tokens = generated[:, encoded["input_ids"].shape[1] :]
                texts = self.tokenizer.batch_decode(new_tokens, skip_special_tokens=True)
                results += [texts[i : i + sampling.n] for i in range(0, len(texts), sampling.n)]
        return results
