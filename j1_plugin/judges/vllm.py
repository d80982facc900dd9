"""The ``vllm`` judge backend (optional extra: ``pip install 'j1-plugin[vllm]'``, CUDA GPU).

vLLM is imported only when this backend is built, so the rest of j1-plugin runs without it.
All conversations go to ``LLM.chat`` in one call and vLLM schedules them itself; ``n`` samples
per conversation come from one request, which vLLM samples independently, so SC@N votes differ
even with a fixed seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from j1_plugin.judges.base import Sampling
from j1_plugin.records import Message

INSTALL_HINT = "pip install 'j1-plugin[vllm]' on a machine with a CUDA GPU"


class VLLMJudge:
    """Generate judgments with an in-process ``vllm.LLM``: ``VLLMJudge("path", tensor_parallel_size=2)``.

    Extra keyword arguments go to ``vllm.LLM`` (``max_model_len``, ``gpu_memory_utilization``…).
    """

    name = "vllm"

    def __init__(self, model: str, **engine_options: Any) -> None:
        try:
            import vllm
        except ImportError as exc:
            raise ImportError(f"the 'vllm' judge backend needs vLLM, which is not installed: {INSTALL_HINT}") from exc
        self.llm = vllm.LLM(model=model, **engine_options)
        self._sampling_params = vllm.SamplingParams

    def generate(self, conversations: Sequence[Sequence[Message]], sampling: Sampling) -> list[list[str]]:
        params = self._sampling_params(
            n=sampling.n,
            temperature=sampling.temperature,
            top_p=sampling.top_p,
            max_tokens=sampling.max_new_tokens,
            seed=None if sampling.greedy else sampling.seed,
        )
        outputs = self.llm.chat([list(conversation) for conversation in conversations], params, use_tqdm=True)
        return [[sample.text for sample in output.outputs] for output in outputs]
