"""95% confidence intervals for judge accuracies measured on a finite set of pairs.

* :func:`wilson_interval`: one rate (``hits`` of ``n`` pairs), the Wilson score interval, which
  stays inside 0..100 and behaves at 0% and 100%, unlike the normal approximation.
* :func:`paired_difference`: the difference between two judges (or one judge before and after
  training) on the *same* pairs, from the per-pair differences (``+1``, ``0``, ``-1``), with a
  normal-approximation interval on their mean. Pairing removes the pair-to-pair variance that
  two independent intervals would double count.

All values are percentages.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

Z_95 = 1.959963984540054


@dataclass(frozen=True)
class Interval:
    """An estimate in percent with its 95% interval."""

    estimate: float
    low: float
    high: float

    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0

    def __str__(self) -> str:
        return f"{self.estimate:.1f} [{self.low:.1f}, {self.high:.1f}]"


def wilson_interval(hits: int, n: int, z: float = Z_95) -> Interval:
    """Wilson score interval of ``hits / n`` in percent.

    >>> str(wilson_interval(30, 60))
    '50.0 [37.7, 62.3]'
    """
    if n <= 0:
        raise ValueError(f"an interval needs at least one pair, got n={n}")
    if not 0 <= hits <= n:
        raise ValueError(f"hits must lie in 0..{n}, got {hits}")
    rate = hits / n
    denominator = 1 + z * z / n
    centre = (rate + z * z / (2 * n)) / denominator
    spread = z * math.sqrt(rate * (1 - rate) / n + z * z / (4 * n * n)) / denominator
    # Clamped to the rate itself as well: rounding must never leave 0% or 100% outside its own interval.
    low, high = max(0.0, min(rate, centre - spread)), min(1.0, max(rate, centre + spread))
    return Interval(100 * rate, 100 * low, 100 * high)


def paired_difference(after: Sequence[bool], before: Sequence[bool], z: float = Z_95) -> Interval:
    """Mean of ``after[i] - before[i]`` in percent points, with a 95% interval.

    >>> str(paired_difference([True, True, False, True], [False, True, False, False]))
    '50.0 [-6.6, 106.6]'
    """
    if len(after) != len(before):
        raise ValueError(f"paired results must cover the same pairs: {len(after)} vs {len(before)}")
    n = len(after)
    if n < 2:
        raise ValueError(f"a paired interval needs at least two pairs, got {n}")
    differences = [int(a) - int(b) for a, b in zip(after, before, strict=True)]
    mean = sum(differences) / n
    variance = sum((d - mean) ** 2 for d in differences) / (n - 1)
    spread = z * math.sqrt(variance / n)
    return Interval(100 * mean, 100 * (mean - spread), 100 * (mean + spread))
