"""What can the embedded judge do before any training, and what can it learn from labels at all?

Three measurements on the demo's held-out pairs (:func:`j1_plugin.demo.pairs.judgment_pairs`),
per family, for the embedded SmolLM2-135M-Instruct:

1. **own answer**: the base model answers each question itself (greedy, the question alone); the
   answer is right when it agrees with the better response by the words that tell the two apart
   (:func:`j1_plugin.demo.reference.agreement`). Undecided answers count as not right.
2. **log-prob probe**: for each response, log p("Yes") - log p("No") as the next token after "is
   this answer correct?"; a pair counts when the better response ranks above the worse one. This
   asks the model to *verify* an answer by looking at it.
3. **supervised bound at convergence**: every parameter trainable, SFT on the reference procedure
   with the *right* references and verdicts (the better response as the reference), epoch after
   epoch until an epoch lowers the mean training loss by less than ``--flat`` (relative) or
   ``--max-epochs`` pass; the held-out pairs are judged greedily in both orders after each epoch.
   This is the ceiling the reinforcement-learning recipe is read against.

The loss curve and each epoch's held-out numbers are printed; the last line is a JSON object.

    .venv/bin/python benchmarks/judge_diagnosis.py [--max-epochs N] [--flat F] [--skip-bound] [--threads T]
"""

# ruff: noqa: E402

from __future__ import annotations

import os

for _name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ.setdefault(_name, "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse
import dataclasses
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from j1_plugin.demo.heldout import by_family
from j1_plugin.demo.learning import LONG, _brief, _Judging, set_threads, train_top_layers
from j1_plugin.demo.pairs import FAMILIES, judgment_pairs
from j1_plugin.demo.reference import agreement, own_answers
from j1_plugin.judges import HFJudge
from j1_plugin.models import model_path
from j1_plugin.statistics import wilson_interval

PROBE = "Question: {question}\nAnswer: {response}\n\nIs this answer correct? Reply Yes or No."


def _per_family(pairs: list, hits: list[bool]) -> dict[str, list[int]]:
    counts = {family: [0, 0] for family in FAMILIES}
    for pair, hit in zip(pairs, hits, strict=True):
        counts[pair.metadata["family"]][0] += hit
        counts[pair.metadata["family"]][1] += 1
    counts["all"] = [sum(hits), len(hits)]
    return counts


def own_answer_accuracy(judge: HFJudge, pairs: list) -> tuple[dict[str, list[int]], list[str]]:
    answers = own_answers(judge, [pair.prompt for pair in pairs])
    hits = [agreement(answer, pair.chosen, pair.rejected) == "A" for pair, answer in zip(pairs, answers, strict=True)]
    return _per_family(pairs, hits), answers


def yes_no_probe(model: Any, tokenizer: Any, pairs: list) -> dict[str, list[int]]:
    import torch

    yes, no = (tokenizer.encode(word, add_special_tokens=False)[0] for word in ("Yes", "No"))
    tokenizer.padding_side = "left"

    def margins(responses: list[str]) -> list[float]:
        texts = [
            tokenizer.apply_chat_template(
                [{"role": "user", "content": PROBE.format(question=p.prompt, response=r)}],
                tokenize=False,
                add_generation_prompt=True,
            )
            for p, r in zip(pairs, responses, strict=True)
        ]
        encoded = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)
        with torch.no_grad():
            logits = model(**encoded).logits[:, -1, :].log_softmax(-1)
        return (logits[:, yes] - logits[:, no]).tolist()

    model.eval()
    chosen, rejected = margins([p.chosen for p in pairs]), margins([p.rejected for p in pairs])
    return _per_family(pairs, [c > r for c, r in zip(chosen, rejected, strict=True)])


def supervised_bound(setup: _Judging, out: Path, max_epochs: int, flat: float) -> dict[str, Any]:
    trainable = train_top_layers(setup.model, None)
    print(f"supervised bound: every parameter ({trainable / 1e6:.1f}M), the right references and verdicts")
    epochs: list[dict[str, Any]] = []
    for epoch in range(1, max_epochs + 1):
        started = time.perf_counter()
        before = len(setup.history)
        setup.fine_tune(out / f"epoch-{epoch}", truthful=True)  # one epoch: the recipe's warmup_epochs is 1 here
        losses = [entry["loss"] for entry in setup.history[before:] if "loss" in entry]
        result = setup.evaluate(f"supervised epoch {epoch}")
        interval = result.interval("consistent_accuracy")
        point = {
            "epoch": epoch,
            "loss_curve": [round(loss, 4) for loss in losses],
            "mean_loss": round(sum(losses) / len(losses), 4),
            "heldout": result.summary(),
            "consistent_interval": [round(interval.low, 1), round(interval.high, 1)] if interval else None,
            "by_family": by_family(result),
            "minutes": round((time.perf_counter() - started) / 60, 1),
        }
        epochs.append(point)
        print(f"  epoch {epoch}: mean loss {point['mean_loss']}, {_brief(result)}, {point['by_family']}")
        if len(epochs) > 1 and epochs[-2]["mean_loss"] - point["mean_loss"] < flat * epochs[-2]["mean_loss"]:
            print(f"  the loss has flattened (less than {flat:.0%} lower than the epoch before): stopping")
            break
        setup.model.train()
    return {"epochs": epochs, "final": epochs[-1]["heldout"], "final_by_family": epochs[-1]["by_family"]}


def _shown(counts: dict[str, list[int]]) -> str:
    parts = []
    for name, (hits, total) in counts.items():
        interval = wilson_interval(hits, total)
        parts.append(f"{name} {hits}/{total} [{interval.low:.0f}-{interval.high:.0f}%]")
    return ", ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-epochs", type=int, default=6, help="at most this many SFT epochs for the bound")
    parser.add_argument("--flat", type=float, default=0.1, help="stop when an epoch lowers the loss by less")
    parser.add_argument("--skip-bound", action="store_true", help="only the two probes of the base model")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: every core)")
    parser.add_argument("--out", default=None, help="folder for the bound's checkpoints (default: temporary)")
    args = parser.parse_args()
    threads = set_threads(args.threads)
    started = time.perf_counter()
    recipe = dataclasses.replace(LONG, warmup_epochs=1.0, trainable_layers=None)
    setup = _Judging.load(model_path(), recipe)
    pairs = judgment_pairs("heldout")
    judge = HFJudge(setup.model, setup.tokenizer, device="cpu", batch_size=64)
    own, _answers = own_answer_accuracy(judge, pairs)
    print("base model's own answer is right:", _shown(own))
    probe = yes_no_probe(setup.model, setup.tokenizer, pairs)
    print("log p(Yes) - log p(No) ranks the better response first:", _shown(probe))
    bound = None
    if not args.skip_bound:
        out = Path(args.out or tempfile.mkdtemp(prefix="j1-diagnosis-"))
        bound = supervised_bound(setup, out, args.max_epochs, args.flat)
    print(json.dumps({"benchmark": "judge_diagnosis", "threads": threads, "heldout_pairs": len(pairs),
                      "own_answer_right": own, "yes_no_probe": probe, "supervised_bound": bound,
                      "minutes": round((time.perf_counter() - started) / 60, 1)}))  # fmt: skip


if __name__ == "__main__":
    main()
