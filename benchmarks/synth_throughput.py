"""``j1 synth`` generation throughput against the backend's own, and a rerun that must generate nothing.

The generator is the embedded judge on the ``hf`` backend (CPU, one thread). The same verifiable
arithmetic prompts are generated two ways with the same sampling and seed:

* raw: ``HFJudge.generate`` on the prompts, nothing else;
* j1: :func:`j1_plugin.synth.synthesize` (math-verify checks, pair choice, the pairs file and its
  ledger, synced after each chunk).

Raw runs before and after j1 (their mean is the reference). Then j1 reruns over its finished
output, which must call the generator for no prompt. The last line printed is JSON: prompts per
second each way, their ratio (target >= 0.9), and the rerun's generator calls (target 0).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from pathlib import Path

from j1_plugin.judges.base import Sampling
from j1_plugin.judges.hf import HFJudge
from j1_plugin.models import model_path
from j1_plugin.synth import SOLVE_INSTRUCTION, SourceRow, synthesize


class Counting:
    """The generator, counting the conversations it was asked for."""

    def __init__(self, inner: HFJudge) -> None:
        self.inner, self.asked = inner, 0
        self.tokenizer = inner.tokenizer

    def generate(self, conversations, sampling):
        self.asked += len(conversations)
        return self.inner.generate(conversations, sampling)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prompts", type=int, default=8)
    parser.add_argument("--samples", type=int, default=4)
    parser.add_argument("--max-new-tokens", type=int, default=48)
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch

    torch.set_num_threads(1)
    rng = random.Random(0)
    rows = []
    for k in range(args.prompts):
        a, b = rng.randint(2, 40), rng.randint(2, 40)
        rows.append(SourceRow(f"b{k}", f"What is {a} + {b}?", f"#### {a + b}", k))
    generator = Counting(HFJudge(str(model_path()), device="cpu", batch_size=args.prompts))
    sampling = Sampling(max_new_tokens=args.max_new_tokens, temperature=0.8, top_p=0.95, n=args.samples, seed=0)
    conversations = [[{"role": "user", "content": row.prompt + SOLVE_INSTRUCTION}] for row in rows]
    generator.inner.generate(conversations[:1], Sampling(max_new_tokens=4))  # warm up

    def raw() -> float:
        start = time.perf_counter()
        generator.inner.generate(conversations, sampling)
        return time.perf_counter() - start

    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "pairs.jsonl"
        first = raw()
        start = time.perf_counter()
        options = {"generator_name": "hf:smollm2", "samples": args.samples, "max_new_tokens": args.max_new_tokens,
                   "seed": 0, "chunk": args.prompts, "progress": False}  # fmt: skip
        summary = synthesize("verifiable", rows, generator, out, **options)
        seconds_j1 = time.perf_counter() - start
        second = raw()
        asked_before = generator.asked
        again = synthesize("verifiable", rows, generator, out, **options)
        rerun_calls = generator.asked - asked_before
    seconds_raw = (first + second) / 2
    assert summary["handled"] == args.prompts and again["handled"] == 0
    print(f"{args.prompts} prompts x {args.samples} samples, {args.max_new_tokens} new tokens at most:")
    print(f"  raw generate: {seconds_raw:.1f} s ({first:.1f}, {second:.1f}); j1 synth: {seconds_j1:.1f} s")
    print(f"  {summary['pairs_written']} pairs, drops {summary['drops']}; rerun generator calls: {rerun_calls}")
    print(json.dumps({
        "benchmark": "synth_throughput", "prompts": args.prompts, "samples": args.samples,
        "raw_prompts_per_s": round(args.prompts / seconds_raw, 3),
        "j1_prompts_per_s": round(args.prompts / seconds_j1, 3),
        "j1_over_raw": round(seconds_raw / seconds_j1, 3), "target": ">= 0.9", "rerun_generator_calls": rerun_calls,
        "pairs": summary["pairs_written"],
    }))  # fmt: skip


if __name__ == "__main__":
    main()
