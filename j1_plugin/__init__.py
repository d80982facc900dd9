"""j1-plugin: J1 thinking LLM judges for lm-evaluation-harness and TRL.

Formats, benchmarks, reward functions, judge backends and named judge models are registered by plugins through
pluggy hooks (:mod:`j1_plugin.hookspecs`); the built-ins use the same hooks. Look things up with
:func:`get_format` and friends, or list them with :func:`list_formats` and friends.
"""

from j1_plugin.hookspecs import hookimpl
from j1_plugin.plugins import (
    DuplicateRegistrationError,
    NotRegisteredError,
    PluginError,
    get_benchmark,
    get_format,
    get_judge,
    get_model,
    get_plugin_manager,
    get_reward,
    list_benchmarks,
    list_formats,
    list_judges,
    list_models,
    list_rewards,
    reset_plugin_manager,
    task_dirs,
)
from j1_plugin.records import Judgment, JudgmentRequest, ParseStatus, PreferencePair

__all__ = [
    "DuplicateRegistrationError",
    "Judgment",
    "JudgmentRequest",
    "NotRegisteredError",
    "ParseStatus",
    "PluginError",
    "PreferencePair",
    "get_benchmark",
    "get_format",
    "get_judge",
    "get_model",
    "get_plugin_manager",
    "get_reward",
    "hookimpl",
    "list_benchmarks",
    "list_formats",
    "list_judges",
    "list_models",
    "list_rewards",
    "reset_plugin_manager",
    "task_dirs",
]
