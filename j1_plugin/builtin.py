"""The built-in plugin: j1-plugin's own formats, benchmarks, rewards, judges and models, through the public hooks."""

from __future__ import annotations

from j1_plugin.hookspecs import Register, hookimpl


@hookimpl
def register_formats(register: Register) -> None:
    from j1_plugin.formats import builtin_formats

    for fmt in builtin_formats():
        register(fmt)


@hookimpl
def register_benchmarks(register: Register) -> None:
    from j1_plugin.benchmarks import builtin_benchmarks

    for benchmark in builtin_benchmarks():
        register(benchmark)


@hookimpl
def register_rewards(register: Register) -> None:
    from j1_plugin.rewards import ALL_REWARDS

    for reward in ALL_REWARDS:
        register(reward)


@hookimpl
def register_judges(register: Register) -> None:
    from j1_plugin.judges import HFJudge, OpenAIJudge, RewardModelJudge, VLLMJudge

    register(HFJudge)
    register(VLLMJudge)
    register(OpenAIJudge)
    register(RewardModelJudge)


@hookimpl
def register_models(register: Register) -> None:
    from j1_plugin.models import builtin_models

    for source in builtin_models():
        register(source)
