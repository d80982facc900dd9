"""The two example plugins under examples/plugins, built and installed as real distributions.

Each enters through j1-plugin's hooks alone; here they are seen by ``j1 plugins``, the Python API,
``j1 eval`` and ``j1 train``.
"""

from __future__ import annotations

import ast
import json
import os
import sys
from pathlib import Path

import pytest
from test_distributions import pip_install_target, run_in_child

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
J1 = Path(sys.executable).with_name("j1")
OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "OMP_NUM_THREADS": "1"}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    target = tmp_path_factory.mktemp("example-plugins")
    pip_install_target(target, REPO / "examples" / "plugins" / "j1-rmr1", REPO / "examples" / "plugins" / "j1-thinkj")
    return target


def test_both_plugins_are_listed_with_what_they_register(site):
    result = run_in_child([str(J1), "plugins", "--json"], pythonpath=[site])
    assert result.returncode == 0, result.stderr
    plugins = {p["name"]: p for p in json.loads(result.stdout)["plugins"]}
    assert (plugins["rmr1"]["distribution"], plugins["rmr1"]["formats"], plugins["rmr1"]["rewards"]) == (
        "j1-rmr1", ["rmr1"], ["rmr1_reward"])  # fmt: skip
    assert (plugins["thinkj"]["distribution"], plugins["thinkj"]["rewards"]) == ("j1-thinkj", ["thinkj_reward"])


def test_the_format_and_rewards_follow_their_contracts(site):
    code = (
        "import j1_plugin\n"
        "fmt = j1_plugin.get_format('rmr1')\n"
        "pair = j1_plugin.PreferencePair('1', 'What is 2 + 2?', '4', '5')\n"
        "print('rubric' in fmt.requests(pair)[0].messages[0]['content'])\n"
        "good = '<rubric>1. the sum</rubric> <eval>A says 4, right; B says 5</eval> <answer> [[A]] </answer>'\n"
        "print(fmt.parse(good).verdict, fmt.parse('<rubric>r</rubric><eval>e</eval> A is better').ok)\n"
        "print(j1_plugin.get_reward('rmr1_reward')([good, good, 'no idea'], label=['A', 'B', 'A']))\n"
        "right = '<think>t</think><score_A> 8 </score_A><score_B> 3 </score_B>'\n"
        "tie = '<think>t</think><score_A> 5 </score_A><score_B> 5 </score_B>'\n"
        "print(j1_plugin.get_reward('thinkj_reward')([right, tie, right, 'junk'], label=['A', 'A', 'B', 'A']))\n"
    )
    result = run_in_child([sys.executable, "-W", "ignore", "-c", code], pythonpath=[site])
    assert result.returncode == 0, result.stderr
    asks, parsed, rmr1, thinkj = result.stdout.splitlines()
    assert asks == "True" and parsed == "A False"  # no <answer> block, no verdict
    assert ast.literal_eval(rmr1) == [1.0, -1.0, -1.0]
    assert ast.literal_eval(thinkj) == [1.0, 0.5, 0.0, 0.0]


def test_j1_eval_judges_with_the_plugin_format(site, tiny_judge_dir, tmp_path):
    from j1_plugin.benchmarks.synthetic import write_suite

    write_suite(tmp_path / "suite")
    result = run_in_child([str(J1), "eval", "--model", "hf", "--model_args", f"pretrained={tiny_judge_dir}",
                           "--device", "cpu", "--tasks", "j1_judgebench", "--limit", "2", "--gen_kwargs",
                           "max_gen_toks=8", "--metadata", json.dumps({"format": "rmr1", "data_dir": "suite"}),
                           "--output_path", "out", "--log_samples"],
                          pythonpath=[site], env_extra=OFFLINE, cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    (samples,) = (tmp_path / "out").rglob("samples_j1_judgebench_*.jsonl")
    rows = [json.loads(line) for line in samples.read_text().splitlines()]
    assert len(rows) == 2 and all("=== Answer A begins ===" in json.dumps(row["arguments"]) for row in rows)


@pytest.mark.parametrize(("fmt", "reward", "low", "high"), [("rmr1", "rmr1_reward", -1, 1),
                                                             ("pas", "thinkj_reward", 0, 1)])  # fmt: skip
def test_j1_train_uses_the_plugin_reward(site, tmp_path, fmt, reward, low, high):
    result = run_in_child([str(J1), "train", "--config", "tiny_cpu.yaml", "--formats", fmt, "--reward_funcs", reward,
                           "--max_steps", "1", "--eval_strategy", "no", "--eval_fraction", "0", "--output_dir",
                           str(tmp_path / "run")],
                          pythonpath=[site], env_extra={**OFFLINE, "HOME": os.environ.get("HOME", "")})  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    logged = [ast.literal_eval(line) for line in result.stdout.splitlines() if line.startswith("{'loss'")]
    assert len(logged) == 1
    assert low <= float(logged[0][f"rewards/{reward}/mean"]) <= high
