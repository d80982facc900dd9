"""The SC@N benchmark's server decodes like transformers' own generate, and its n samples share one prefill."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SERVER = Path(__file__).resolve().parents[1] / "benchmarks" / "support" / "prefill_server.py"


@pytest.fixture(scope="module")
def shared(real_judge_dir):
    spec = importlib.util.spec_from_file_location("prefill_server", SERVER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.PrefillSharingModel(str(real_judge_dir))


MESSAGES = [{"role": "user", "content": "What is 12 + 30? Answer with the number."}]


def test_greedy_decoding_from_the_shared_prefill_matches_generate(shared):
    import torch

    ids = shared.tokenizer.apply_chat_template(MESSAGES, add_generation_prompt=True, return_tensors="pt",
                                               return_dict=True)["input_ids"]  # fmt: skip
    with torch.no_grad():
        expected = shared.model.generate(ids, max_new_tokens=12, do_sample=False)[0, ids.shape[1] :]
    wanted = shared.tokenizer.decode([t for t in expected.tolist() if t not in shared.eos], skip_special_tokens=True)
    texts, prompt_tokens, _ = shared.complete(MESSAGES, 3, 12, 0.0, 1.0, None)
    assert prompt_tokens == ids.shape[1]
    assert texts == [wanted] * 3  # every row of the copied cache continues the same prompt


def test_sampled_rows_differ_and_a_seed_repeats_them(shared):
    first, _, generated = shared.complete(MESSAGES, 4, 12, 1.0, 1.0, 7)
    again, _, _ = shared.complete(MESSAGES, 4, 12, 1.0, 1.0, 7)
    assert first == again and len(set(first)) > 1 and generated > 0
