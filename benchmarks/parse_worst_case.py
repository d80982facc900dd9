"""Parse time of adversarial judge outputs: floods of every tag and marker the parsers look for.

Each shape is one token repeated to ``--megabytes`` of text (default 10), after one of a few
prefixes (nothing, a closed reasoning block, a closed reasoning block plus an opened answer or
score tag), parsed by every built-in format. One core, one thread. A linear parser reads all of
them at about the same speed as plain text; a quadratic one takes minutes on the worst.

Printed: the ten slowest (format, shape) cases, then a JSON line with the slowest case's seconds,
the worst-case throughput in MB/s, its ratio to plain prose of the same size, and the longest
failure reason seen (it must stay within ``REASON_CHARS``). Target: the slowest 10 MB case parses
in under 0.5 s.
"""

from __future__ import annotations

import argparse
import json
import time

from j1_plugin import get_format, list_formats
from j1_plugin.formats.parsing import REASON_CHARS

TOKENS = (
    "<think>", "</think>", "<plan>", "</plan>", "<execution>", "</execution>",
    "<answer>", "</answer>", "<score>", "</score>", "<score_A>", "</score_A>", "<score_B>", "</score_B>",
    "[[A]]", "[[B]]", "[[A]] [[B]]", "[[", "]]", "[[ A", "<", ">", "</",
    "score ", "Score: 7 ", "score_A = ", "score from 0 to 10 ", "score 7 to ", "score 1.1.1.1 ",
    "9", "1.", "/10", " ", "\n", "a",
)  # fmt: skip
PREFIXES = ("", "<think>r</think>", "<think>r</think><answer>", "<think>r</think><score>", "<think>r</think><score_A>")
SUFFIXES = ("", "</answer>", "</score>", "</score_B>")


def shapes(size: int) -> list[tuple[str, str]]:
    """(label, text) for every prefix + flood + suffix combination, each about ``size`` characters."""
    found = []
    for token in TOKENS:
        flood = token * (size // len(token))
        for prefix in PREFIXES:
            for suffix in SUFFIXES:
                found.append((f"{prefix!r} + {token!r}*N + {suffix!r}", prefix + flood + suffix))
    return found


def seconds(parse, text: str) -> tuple[float, int]:
    start = time.perf_counter()
    judgment = parse(text)
    return time.perf_counter() - start, len(judgment.reason or "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=10.0, help="size of each adversarial output")
    args = parser.parse_args()
    size = int(args.megabytes * 1_000_000)
    cases = shapes(size)
    prose = ("The first response explains each step and the second skips one. " * (size // 65))[:size]
    timings, longest_reason, prose_seconds = [], 0, 0.0
    for name in list_formats():
        parse = get_format(name).parse
        prose_seconds = max(prose_seconds, seconds(parse, prose)[0])
        for label, text in cases:
            took, reason_chars = seconds(parse, text)
            longest_reason = max(longest_reason, reason_chars)
            timings.append((took, name, label, len(text)))
    timings.sort(reverse=True)
    for took, name, label, chars in timings[:10]:
        print(f"{took:7.3f} s  {name:<9} {label}  ({chars / 1e6:.1f} MB)")
    worst, _, _, chars = timings[0]
    print(
        f"{len(timings)} adversarial outputs of {args.megabytes:g} MB; slowest {worst:.3f} s, "
        f"plain prose {prose_seconds:.3f} s; longest failure reason {longest_reason} chars (limit {REASON_CHARS})"
    )
    print(
        json.dumps(
            {
                "cases": len(timings),
                "slowest_seconds": round(worst, 4),
                "worst_mb_per_s": round(chars / 1e6 / worst, 1),
                "worst_over_prose": round(worst / prose_seconds, 2),
                "longest_reason_chars": longest_reason,
            }
        )
    )


if __name__ == "__main__":
    main()
