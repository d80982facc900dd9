"""A J1 judge as the reward of a policy: the comparison rules, and GRPO training against a served judge."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from j1_plugin import get_format
from j1_plugin.judge_rewards import JudgeReward, judge_reward

TESTS = Path(__file__).parent


class RuleJudge:
    """A judge of our own protocol that decides by a rule: a stand-in for a model, not for a server."""

    def __init__(self, rule):
        self.rule, self.asked = rule, []

    def generate(self, conversations, sampling):
        self.asked += conversations
        return [[self.rule(conversation[0]["content"])] for conversation in conversations]


def shown(prompt: str) -> tuple[str, str]:
    """The two responses of a rendered pav prompt, as shown (A, B)."""
    a = prompt.split("=== Assistant A: response begins ===\n")[1].split("\n=== Assistant A: response ends")[0]
    b = prompt.split("=== Assistant B: response begins ===\n")[1].split("\n=== Assistant B: response ends")[0]
    return a, b


def prefers_longer(prompt: str) -> str:
    a, b = shown(prompt)
    return f"<think>longer is better</think><answer>[[{'A' if len(a) > len(b) else 'B'}]]</answer>"


def always_a(prompt: str) -> str:
    return "<think>first one</think><answer>[[A]]</answer>"


PROMPTS = ["What is 2 + 2?"] * 3 + ["Name a colour."] * 3
COMPLETIONS = ["4", "four, because 2 + 2 = 4", "it is 4", "red", "a deep blue", "green, like grass"]


def test_siblings_win_only_when_preferred_in_both_orders():
    reward = JudgeReward(RuleJudge(prefers_longer), mode="siblings")
    logged = {}
    values = reward(PROMPTS, COMPLETIONS, log_metric=logged.__setitem__)
    # Each rollout meets its two ring neighbours of the same prompt; the longest wins both, the shortest none.
    assert values == [0.0, 1.0, 0.5, 0.0, 0.5, 1.0]
    assert logged == {"j1_judge/parse_failure_rate": 0.0, "j1_judge/flip_rate": 0.0}
    assert len(reward.judge.asked) == 2 * 6  # 3 ring pairs per prompt, both orders


def test_a_position_biased_judge_gives_every_sibling_a_half_and_a_full_flip_rate():
    logged = {}
    values = JudgeReward(RuleJudge(always_a), mode="siblings", pairing="all")(
        PROMPTS, COMPLETIONS, log_metric=logged.__setitem__
    )
    assert values == [0.5] * 6 and logged["j1_judge/flip_rate"] == 1.0


def test_reference_mode_compares_with_the_reference_column_in_both_orders():
    judge = RuleJudge(prefers_longer)
    values = JudgeReward(judge, mode="reference")(PROMPTS[:3], COMPLETIONS[:3], reference=["4 (two plus two)"] * 3)
    assert values == [0.0, 1.0, 0.0]
    firsts = [shown(c[0]["content"])[0] for c in judge.asked]
    assert firsts[0] == "4" and firsts[1] == "4 (two plus two)"  # order AB, then BA


def test_pointwise_mode_scores_each_completion_alone():
    def score_by_length(prompt):
        answer = prompt.split("=== Assistant: response begins ===\n")[1].split("\n=== Assistant: response ends")[0]
        return f"<think>x</think><score> {min(10, len(answer))} </score>" if answer != "red" else "no idea"

    assert "{response}" in get_format("pos").template
    logged = {}
    values = JudgeReward(RuleJudge(score_by_length), mode="pointwise")(PROMPTS[3:], COMPLETIONS[3:],
                                                                         log_metric=logged.__setitem__)  # fmt: skip
    assert values[0] is None and values[1] == 1.0 and logged["j1_judge/parse_failure_rate"] == pytest.approx(1 / 3)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"mode": "duel"}, "mode must be one of pointwise, reference, siblings"),
        ({"mode": "pointwise", "format": "pav"}, "mode 'pointwise' needs a pointwise format"),
        ({}, "JudgeReward needs a judge, or a model"),
    ],
)
def test_bad_settings_are_clear_errors(options, message):
    with pytest.raises(ValueError, match=message):
        JudgeReward(**options)


@pytest.fixture
def judge_server_process():
    """The test OpenAI-compatible server as a separate process; yields its base URL."""
    process = subprocess.Popen([sys.executable, str(TESTS / "openai_server.py"), "j1"], stdout=subprocess.PIPE,
                               text=True)  # fmt: skip
    try:
        port = int(process.stdout.readline())
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        process.kill()
        process.wait(timeout=10)


def test_the_dotted_path_reward_reads_its_settings_from_the_environment(judge_server_process, monkeypatch):
    import j1_plugin.judge_rewards as module

    monkeypatch.setattr(module, "_configured", None)
    monkeypatch.setenv("J1_JUDGE_REWARD", json.dumps({"model": "j1", "base_url": judge_server_process}))
    values = judge_reward(PROMPTS, COMPLETIONS)
    # Every comparison hands out one point in all: 6 ring pairs over 6 rollouts of 2 comparisons each.
    assert len(values) == 6 and all(0 <= v <= 1 for v in values) and sum(values) == pytest.approx(3.0)
    monkeypatch.setattr(module, "_configured", None)
    monkeypatch.setenv("J1_JUDGE_REWARD", "{oops")
    with pytest.raises(ValueError, match=r"\$J1_JUDGE_REWARD must be one JSON object: Expecting"):
        judge_reward(PROMPTS, COMPLETIONS)


@pytest.mark.slow
def test_grpo_trains_a_policy_against_a_judge_served_by_another_process(judge_server_process, tiny_judge_dir, tmp_path):
    import datasets
    from trl import GRPOConfig, GRPOTrainer

    reward = JudgeReward(model="j1", base_url=judge_server_process, mode="siblings", max_new_tokens=64)
    prompts = [[{"role": "user", "content": f"What is {k} + {k}?"}] for k in range(4)]
    config = GRPOConfig(output_dir=str(tmp_path / "policy"), max_steps=2, per_device_train_batch_size=4,
                        num_generations=4, max_completion_length=8, learning_rate=1e-5, logging_steps=1,
                        bf16=False, use_cpu=True, report_to="none", save_strategy="no", seed=0)  # fmt: skip
    trainer = GRPOTrainer(model=str(tiny_judge_dir), reward_funcs=[reward], args=config,
                          train_dataset=datasets.Dataset.from_list([{"prompt": p} for p in prompts]))  # fmt: skip
    trainer.train()
    history = [entry for entry in trainer.state.log_history if "loss" in entry]
    assert len(history) == 2
    assert all(isinstance(entry.get("rewards/j1_judge_siblings/mean"), float) for entry in history)
    assert any("j1_judge/parse_failure_rate" in entry for entry in trainer.state.log_history)
    assert reward.judge.stats["sent"] >= 2 * 2 * 4  # 4 ring pairs x 2 orders per step, two steps


@pytest.mark.slow
def test_the_policy_recipe_trains_with_the_trl_cli_against_a_served_judge(judge_server_process, tiny_judge_dir,
                                                                           tmp_path):  # fmt: skip
    data = tmp_path / "prompts"
    data.mkdir()
    rows = [{"prompt": [{"role": "user", "content": f"Name {k} colours."}]} for k in range(4)]
    (data / "train.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    settings = {"model": "j1", "base_url": judge_server_process, "max_new_tokens": 64}
    env = {**os.environ, "J1_JUDGE_REWARD": json.dumps(settings), "OMP_NUM_THREADS": "1",
           "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}  # fmt: skip
    out = tmp_path / "policy"
    command = [str(Path(sys.executable).parent / "trl"), "grpo", "--config",
               str(TESTS.parent / "trainers" / "policy" / "judge_reward.yaml"),
               "--model_name_or_path", str(tiny_judge_dir), "--dataset_name", str(data), "--output_dir", str(out),
               "--max_steps", "2", "--per_device_train_batch_size", "4", "--max_completion_length", "8",
               "--use_cpu", "true", "--bf16", "false", "--save_strategy", "no"]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    logged = [ast.literal_eval(line) for line in done.stdout.splitlines() if line.startswith("{'loss'")]
    assert len(logged) == 2, done.stdout[-2000:]
    assert all("rewards/judge_reward/mean" in entry and "j1_judge/flip_rate" in entry for entry in logged)
