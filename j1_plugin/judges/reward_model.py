"""The ``reward-model`` backend: a scalar reward model (a transformers sequence classifier) as a judge.

Bradley-Terry reward models (Skywork-Reward, ArmoRM's scalar head, ...) give each (prompt,
response) one number and write no text. Here such a model judges a pair by scoring both
responses: the higher wins, equal scores tie. ``j1 judge --backend reward-model --model PATH``
writes the usual judgments file (each order's ``verdict`` with both ``reward_a`` and ``reward_b``),
so ``j1 score`` and ``j1 report`` put the model beside generative judges on every benchmark. It is
order-blind by construction: both orders always agree.

``RewardModelJudge(model).score(conversations)`` returns one float per conversation (a user turn
and the assistant's response), rendered with the tokenizer's chat template when it has one.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from j1_plugin.judges.base import Sampling
from j1_plugin.records import Message


class RewardModelJudge:
    """Scores responses with a sequence-classification reward model: ``RewardModelJudge("path/or/hub-id")``."""

    name = "reward-model"
    kind = "scalar"

    def __init__(
        self,
        model: str | os.PathLike[str] | Any,
        tokenizer: Any = None,
        *,
        device: str | None = None,
        dtype: str = "auto",
        batch_size: int = 8,
        max_length: int | None = None,
    ) -> None:
        import torch
        from transformers import AutoModelForSequenceClassification

        from j1_plugin.judges.hf import load_model

        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        model, tokenizer = load_model(model, tokenizer, AutoModelForSequenceClassification, dtype, "RewardModelJudge")
        labels = getattr(model.config, "num_labels", 1)
        if labels != 1:
            raise ValueError(f"a scalar reward model has one output; this model has {labels} labels")
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        if getattr(model.config, "pad_token_id", None) is None:
            model.config.pad_token_id = tokenizer.pad_token_id
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.model = model.to(self.device).eval()
        self.tokenizer = tokenizer
        self.batch_size = batch_size
        self.max_length = max_length

    def text(self, conversation: Sequence[Message]) -> str:
        """The exact text the model scores for one conversation."""
        if getattr(self.tokenizer, "chat_template", None):
            return self.tokenizer.apply_chat_template(list(conversation), tokenize=False)
        return "\n\n".join(str(message["content"]) for message in conversation)

    def score(self, conversations: Sequence[Sequence[Message]]) -> list[float]:
        """One reward per conversation, in input order."""
        import torch

        texts = [self.text(conversation) for conversation in conversations]
        rewards: list[float] = []
        for start in range(0, len(texts), self.batch_size):
            batch = texts[start : start + self.batch_size]
            encoded = self.tokenizer(batch, return_tensors="pt", padding=True, truncation=self.max_length is not None,
                                     max_length=self.max_length, add_special_tokens=False).to(self.device)  # fmt: skip
            with torch.no_grad():
                logits = self.model(**encoded).logits
            rewards += [float(value) for value in logits[:, 0].float().cpu()]
        return rewards

    def generate(self, conversations: Sequence[Sequence[Message]], sampling: Sampling) -> list[list[str]]:
        raise TypeError(
            "the reward-model backend scores responses and writes no text; judge pairs with it through "
            "`j1 judge --backend reward-model` (or call .score), not where a judge must write a verdict"
        )
