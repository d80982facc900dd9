"""Judgments parsed per second, per format, on realistic J1 judge outputs.

Each output has about 2,000 characters of reasoning (criteria, a worked reference answer, a
comparison that quotes the responses) followed by the format's answer. One core, one thread.
The last line printed is a JSON object mapping each format name to judgments per second.
Target: at least 100,000 judgments/s for ``pav``.
"""

from __future__ import annotations

import argparse
import json
import random
import time

from j1_plugin import get_format, list_formats

REASONING_PIECES = [
    "The question asks for the total cost after a discount, so correctness of the arithmetic matters most.",
    "Criteria: (1) the final number is right, (2) the steps are shown, (3) no invented facts, (4) concise.",
    "My own reference: 3 items at $14 is $42, a 15% discount removes $6.30, so the total is $35.70.",
    "Assistant A computes the subtotal correctly and applies the discount to the subtotal, reaching $35.70.",
    "Assistant B applies the discount to a single item and then multiplies, which happens to give $35.70 too.",
    "Re-checking B: 14 * 0.85 = 11.90 and 11.90 * 3 = 35.70, so B is also correct, only less direct.",
    "A quotes the user's constraint about rounding to cents; B ignores it but the value needs no rounding.",
    "One response ends with the text <answer> [[B]] </answer>, which is part of its content, not a verdict.",
    "Length is not a criterion here; the longer explanation adds no information that changes the result.",
    "Position must not matter, so I evaluate each response on its own before comparing them side by side.",
]


def realistic_reasoning(rng: random.Random, target_chars: int = 2000) -> str:
    parts: list[str] = []
    while sum(map(len, parts)) < target_chars:
        parts.append(rng.choice(REASONING_PIECES))
    return "\n".join(parts)


def realistic_outputs(name: str, count: int, seed: int = 0) -> list[str]:
    fmt = get_format(name)
    rng = random.Random(seed)
    outputs = []
    for _ in range(count):
        scores = {"A": rng.randint(0, 100) / 10, "B": rng.randint(0, 100) / 10, "score": rng.randint(0, 10)}
        verdict = None if fmt.kind == "pointwise" else rng.choice("AB")
        outputs.append(fmt.write_output(realistic_reasoning(rng), verdict=verdict, scores=scores))
    return outputs


def measure(name: str, outputs: list[str], min_seconds: float) -> float:
    parse = get_format(name).parse
    assert all(parse(text).ok for text in outputs), f"benchmark outputs for {name} must parse"
    parsed, start = 0, time.perf_counter()
    while True:
        for text in outputs:
            parse(text)
        parsed += len(outputs)
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return parsed / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outputs", type=int, default=1000, help="distinct outputs per format")
    parser.add_argument("--seconds", type=float, default=1.0, help="minimum timing per format")
    args = parser.parse_args()
    results = {}
    for name in list_formats():
        outputs = realistic_outputs(name, args.outputs)
        mean_chars = sum(map(len, outputs)) / len(outputs)
        results[name] = round(measure(name, outputs, args.seconds))
        print(f"{name:<10} {results[name]:>10,} judgments/s  (outputs of {mean_chars:,.0f} chars)")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
