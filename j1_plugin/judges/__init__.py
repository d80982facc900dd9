"""Judge backends: run a judge model on rendered judgment requests."""

from j1_plugin.judges.base import Judge, Sampling, judge_requests
from j1_plugin.judges.hf import HFJudge
from j1_plugin.judges.openai import JudgeRequestError, OpenAIJudge
from j1_plugin.judges.reward_model import RewardModelJudge
from j1_plugin.judges.vllm import VLLMJudge

__all__ = [
    "HFJudge",
    "Judge",
    "JudgeRequestError",
    "OpenAIJudge",
    "RewardModelJudge",
    "Sampling",
    "VLLMJudge",
    "judge_requests",
]
