"""Judge benchmarks: data loading, pair construction and official scoring."""

from j1_plugin.benchmarks.base import TASKS_DIR, Benchmark, BenchmarkDataError, read_table
from j1_plugin.benchmarks.followbench import FollowBenchEval
from j1_plugin.benchmarks.judgebench import JudgeBench
from j1_plugin.benchmarks.ppe import PPECorrectness, PPEPreference
from j1_plugin.benchmarks.rewardbench import RewardBench
from j1_plugin.benchmarks.rewardbench2 import RewardBench2
from j1_plugin.benchmarks.rmbench import RMBench


def builtin_benchmarks() -> tuple[Benchmark, ...]:
    """The judge benchmarks of the J1 paper, then RewardBench 2."""
    return (RewardBench(), PPEPreference(), PPECorrectness(), JudgeBench(), RMBench(), FollowBenchEval(),
            RewardBench2())  # fmt: skip


__all__ = [
    "TASKS_DIR",
    "Benchmark",
    "BenchmarkDataError",
    "FollowBenchEval",
    "JudgeBench",
    "PPECorrectness",
    "PPEPreference",
    "RMBench",
    "RewardBench",
    "RewardBench2",
    "builtin_benchmarks",
    "read_table",
]
