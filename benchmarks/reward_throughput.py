"""Completions scored per second by each J1 reward function, on realistic judge outputs.

Each completion has about 2,000 characters of reasoning and then its format's answer; batches
look like TRL's (``--generations`` rollouts per prompt in a row, both orders or both sides of
every pair present, half plain strings and half conversational messages). One core, one thread.
The last line printed is a JSON object mapping each reward to completions per second.
Target: at least 50,000 completions/s for every reward.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable
from typing import Any

from parse_throughput import realistic_reasoning

from j1_plugin import get_format
from j1_plugin.rewards import ALL_REWARDS

FORMAT_OF = {
    "verdict_reward": "pav",
    "signed_verdict_reward": "pav",
    "consistency_reward": "pav",
    "format_reward": "pav",
    "score_reward": "pas",
    "pointwise_reward": "pos",
}


def batch(format_name: str, pairs: int, generations: int, seed: int = 0) -> dict[str, Any]:
    """A TRL-shaped batch: completions and the dataset columns the rewards read."""
    fmt = get_format(format_name)
    rng = random.Random(seed)
    halves = ("chosen", "rejected") if fmt.kind == "pointwise" else ("AB", "BA")
    columns: dict[str, list[Any]] = {"completions": [], "label": [], "pair_id": [], "order": [], "side": [],
                                     "format": []}  # fmt: skip
    for pair in range(pairs):
        for half in halves:
            for rollout in range(generations):
                scores = {"A": rng.randint(0, 100) / 10, "B": rng.randint(0, 100) / 10, "score": rng.randint(0, 10)}
                verdict = None if fmt.kind == "pointwise" else rng.choice("AB")
                text = fmt.write_output(realistic_reasoning(rng), verdict=verdict, scores=scores)
                conversational = rollout % 2 == 1
                columns["completions"].append([{"role": "assistant", "content": text}] if conversational else text)
                columns["label"].append(None if fmt.kind == "pointwise" else ("A" if half == "AB" else "B"))
                columns["pair_id"].append(f"p{pair}")
                columns["order"].append(None if fmt.kind == "pointwise" else half)
                columns["side"].append(half if fmt.kind == "pointwise" else None)
                columns["format"].append(format_name)
    return columns


def measure(reward: Callable[..., list], columns: dict[str, Any], min_seconds: float) -> float:
    logged: dict[str, float] = {}
    scored, start = 0, time.perf_counter()
    while True:
        values = reward(**columns, log_metric=logged.__setitem__)
        scored += len(values)
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return scored / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=64, help="pairs per batch")
    parser.add_argument("--generations", type=int, default=5, help="rollouts per prompt (J1 uses 5)")
    parser.add_argument("--seconds", type=float, default=1.0, help="minimum timing per reward")
    args = parser.parse_args()
    results = {}
    for reward in ALL_REWARDS:
        columns = batch(FORMAT_OF[reward.__name__], args.pairs, args.generations)
        results[reward.__name__] = round(measure(reward, columns, args.seconds))
        print(f"{reward.__name__:<24} {results[reward.__name__]:>10,} completions/s  "
              f"(batch of {len(columns['completions'])})")  # fmt: skip
    print(json.dumps(results))


if __name__ == "__main__":
    main()
