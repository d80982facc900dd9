"""``j1 train``: recipes, their tiny CPU variants, resuming, held-out J1 metrics, and ``trl grpo`` with J1 rewards."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from j1_plugin.benchmarks.synthetic import arithmetic_pairs
from j1_plugin.plugins import get_format
from j1_plugin.scoring import JudgedItem, j1_metrics, score_pair
from j1_plugin.trainers.callbacks import held_out_rows, score_held_out
from j1_plugin.trainers.grpo import check_pair_geometry
from j1_plugin.trainers.train import ACCELERATE_DIR, RECIPES_DIR, main, parse_arguments
from j1_plugin.training_data import build_judgment_dataset

BIN = Path(sys.executable).parent
PAPER_RECIPES = [
    "j1_llama8b_pairwise.yaml",
    "j1_llama70b_pairwise.yaml",
    "j1_pointwise.yaml",
    "j1_multitask.yaml",
    "j1_dpo_offline.yaml",
]
ALL_RECIPES = [*PAPER_RECIPES, "tiny_cpu.yaml"]
OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}


def recipe(name: str) -> dict:
    return yaml.safe_load((RECIPES_DIR / name).read_text("utf-8"))


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run a console script of this virtualenv offline; one torch thread (2 shared cores oversubscribe badly)."""
    env = {**os.environ, **OFFLINE, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    done = subprocess.run(
        [str(BIN / args[0]), *args[1:]], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    return done


def log_history(output_dir: Path) -> list[dict]:
    return json.loads((output_dir / "trainer_state.json").read_text("utf-8"))["log_history"]


@pytest.fixture(scope="module")
def warm_judge(tiny_judge_dir, tmp_path_factory):
    """The tiny judge after a short format warm-up: it writes parseable pav verdicts about half the time.

    A random model never does, so its GRPO rewards are all 0 and a DPO seed judge finds no pairs.
    """
    import torch

    from j1_plugin.trainers.warmup import format_warmup

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return format_warmup(tiny_judge_dir, tmp_path_factory.mktemp("warm-judge"), arithmetic_pairs(8),
                             steps=60, batch_size=4, learning_rate=3e-3)  # fmt: skip
    finally:
        torch.set_num_threads(threads)


# ------------------------------------------------------------------ recipes (fast)


def test_train_help_fits_a_screen_and_leads_to_recipes_and_every_option(capsys):
    assert main(["--help"]) == 0
    short = capsys.readouterr().out
    assert len(short.splitlines()) < 100
    assert "--config RECIPE" in short and "--help-all" in short and "--eval_fraction" in short
    for name in ALL_RECIPES:
        assert f"{name} (variants: tiny)" in short
    with pytest.raises(SystemExit) as stop:
        main(["--help-all"])
    assert stop.value.code == 0
    full = capsys.readouterr().out
    assert len(full.splitlines()) > 500 and "--num_generations" in full and "--eval_max_pairs" in full


def test_a_held_out_set_without_evaluation_says_both_ways_out(tmp_path, capsys):
    status = main(["--config", "tiny_cpu.yaml", "--eval_fraction", "0.25", "--eval_strategy", "no",
                   "--output_dir", str(tmp_path)])  # fmt: skip
    assert status == 2
    error = capsys.readouterr().err
    assert "eval_strategy: steps" in error and "--eval_fraction 0" in error


@pytest.mark.parametrize("name", ALL_RECIPES)
def test_every_recipe_has_a_tiny_cpu_variant(name):
    j1, training_args, model_args = parse_arguments(["--config", name, "--variant", "tiny"])
    assert j1.variant == "tiny" and model_args.model_name_or_path == "j1:tiny-judge"
    assert training_args.use_cpu and not training_args.bf16 and training_args.max_steps == 2
    assert not getattr(training_args, "use_vllm", False)
    options = recipe(name)  # the variant scales the run down but trains the same task the same way
    assert (j1.trainer, j1.formats, j1.reward_funcs) == (options["trainer"], options["formats"],
                                                         options.get("reward_funcs"))  # fmt: skip
    assert training_args.beta == options["beta"] and training_args.learning_rate == options["learning_rate"]
    if options["trainer"] == "grpo":
        assert (training_args.num_generations, training_args.temperature) == (5, 1.0)


@pytest.mark.parametrize("name", [n for n in PAPER_RECIPES if n != "j1_dpo_offline.yaml"])
def test_grpo_recipes_keep_j1_settings_and_a_paired_batch_of_512_prompts(name):
    options = recipe(name)
    processes = 32 if "70b" in name else 8
    assert (options["num_generations"], options["temperature"], options["learning_rate"]) == (5, 1.0, 1e-6)
    assert options["beta"] == (0.0 if "70b" in name else 0.01) and options["max_steps"] == 300
    assert options["max_prompt_tokens"] + options["max_completion_length"] <= 4096
    completions = options["per_device_train_batch_size"] * processes * options["gradient_accumulation_steps"]
    assert completions == 512 * options["num_generations"]
    pairs = check_pair_geometry(options["per_device_train_batch_size"], options["gradient_accumulation_steps"],
                                options["num_generations"], num_processes=processes)  # fmt: skip
    assert pairs == 256  # 512 prompts = 256 pairs x 2 orders (or sides)
    assert options["bf16"] and options["use_vllm"]


def test_recipes_name_their_formats_rewards_and_vllm_mode():
    assert recipe("j1_llama8b_pairwise.yaml")["vllm_mode"] == "colocate"
    assert recipe("j1_llama70b_pairwise.yaml")["vllm_mode"] == "server"
    assert (recipe("j1_pointwise.yaml")["formats"], recipe("j1_pointwise.yaml")["reward_funcs"]) == (
        ["pos"], ["pointwise_reward"])  # fmt: skip
    multitask = recipe("j1_multitask.yaml")
    assert (multitask["formats"], multitask["reward_funcs"]) == (["pav", "pos"], ["verdict_reward", "pointwise_reward"])
    assert recipe("j1_dpo_offline.yaml")["trainer"] == "dpo"


@pytest.mark.parametrize(("name", "kind"), [("multi_gpu.yaml", "MULTI_GPU"), ("deepspeed_zero3.yaml", "DEEPSPEED"),
                                            ("fsdp.yaml", "FSDP")])  # fmt: skip
def test_accelerate_configs_load_with_accelerate(name, kind):
    from accelerate.commands.config.config_args import load_config_from_file

    config = load_config_from_file(str(ACCELERATE_DIR / name))
    assert str(config.distributed_type).endswith(kind)
    if kind == "DEEPSPEED":
        assert config.deepspeed_config["zero_stage"] == 3


# ------------------------------------------------------------------ bad configurations (fast, in-process)


def _fails(capsys, *args: str) -> str:
    assert main(list(args)) == 2
    return capsys.readouterr().err


def test_unknown_reward_name_fails_naming_the_registered_rewards(capsys, tmp_path):
    err = _fails(capsys, "--config", "tiny_cpu.yaml", "--output_dir", str(tmp_path), "--reward_funcs", "no_such")
    assert "unknown reward 'no_such'" in err and "verdict_reward" in err


def test_unimportable_reward_path_fails_with_the_import_error(capsys, tmp_path):
    err = _fails(capsys, "--config", "tiny_cpu.yaml", "--output_dir", str(tmp_path), "--reward_funcs", "nope.reward")
    assert "cannot import module 'nope'" in err


def test_unknown_format_fails_naming_the_registered_formats(capsys, tmp_path):
    err = _fails(capsys, "--config", "tiny_cpu.yaml", "--output_dir", str(tmp_path), "--formats", "pav", "pavx")
    assert "no format named 'pavx'" in err and "pos" in err


def test_unknown_recipe_key_and_unknown_variant_fail(capsys, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({**recipe("tiny_cpu.yaml"), "num_rollouts": 5}), "utf-8")
    assert "num_rollouts" in _fails(capsys, "--config", str(bad))
    err = _fails(capsys, "--config", "tiny_cpu.yaml", "--variant", "huge")
    assert "no variant 'huge'" in err and "tiny" in err


def test_batch_that_splits_pairs_fails_before_training(capsys, tmp_path):
    err = _fails(capsys, "--config", "tiny_cpu.yaml", "--output_dir", str(tmp_path), "--model_name_or_path",
                 str(tmp_path / "never-loaded"), "--per_device_train_batch_size", "15")  # fmt: skip
    assert "multiple of 2 x num_generations" in err


def test_held_out_set_without_evaluation_is_refused(capsys, tmp_path):
    err = _fails(capsys, "--config", "tiny_cpu.yaml", "--output_dir", str(tmp_path), "--eval_strategy", "no")
    assert "eval_strategy" in err


@pytest.mark.slow
def test_dpo_seed_judge_without_a_single_usable_prompt_fails_with_the_reason(capsys, tiny_judge_dir, tmp_path):
    err = _fails(capsys, "--config", "j1_dpo_offline", "--variant", "tiny", "--model_name_or_path", str(tiny_judge_dir),
                 "--output_dir", str(tmp_path), "--dpo_samples", "2", "--dpo_max_new_tokens", "4")  # fmt: skip
    assert "the DPO train data is empty" in err  # a random judge never writes a parseable verdict
    assert not (tmp_path / "dpo_data").exists()  # nothing cached: the next run samples again


# ------------------------------------------------------------------ held-out scoring (fast)


def test_held_out_metrics_are_the_evaluation_metrics_of_each_pair():
    pairs = arithmetic_pairs(2, seed=3)
    rows = held_out_rows(pairs, ["pav"])
    verdicts = {"AB": "[[A]]", "BA": "[[A]]"}  # right in AB (label A), wrong in BA (label B): a flip
    texts = [f"<think>sum</think><answer>{verdicts[row['order']]}</answer>" for row in rows]
    metrics = score_held_out(rows, texts, pairs)
    assert metrics["eval_j1/pav/ab_accuracy"] == 100.0 and metrics["eval_j1/pav/ba_accuracy"] == 0.0
    assert metrics["eval_j1/pav/flip_rate"] == 100.0 and metrics["eval_j1/pav/parse_failure_rate"] == 0.0
    fmt, outcomes = get_format("pav"), []
    for pair in pairs:
        judged = [(row, text) for row, text in zip(rows, texts, strict=True) if row["pair_id"] == pair.id]
        items = [JudgedItem(fmt.parse(text), order=row["order"]) for row, text in judged]
        outcomes.append(score_pair(pair, items, kind="pairwise"))
    expected = j1_metrics(outcomes)
    assert metrics == {f"eval_j1/pav/{k}": v for k, v in expected.items() if v is not None}


# ------------------------------------------------------------------ CLI runs (slow)


@pytest.mark.slow
@pytest.mark.parametrize("name", PAPER_RECIPES)
def test_j1_train_runs_the_tiny_variant_of_each_recipe(name, warm_judge, tmp_path):
    out = tmp_path / "out"
    done = run_cli("j1", "train", "--config", name, "--variant", "tiny", "--model_name_or_path", str(warm_judge),
                   "--output_dir", str(out), cwd=tmp_path)  # fmt: skip
    options = {**recipe(name), **recipe(name)["variants"]["tiny"]}
    history = log_history(out)
    assert max(entry["step"] for entry in history) == 2
    trained = [entry for entry in history if "loss" in entry]
    if options["trainer"] == "dpo":
        assert "DPO train data" in done.stdout and all("rewards/accuracies" in entry for entry in trained)
    else:
        assert "judgment rows from 9 pairs" in done.stdout  # the build report: 12 pairs, 3 held out
        for reward in options["reward_funcs"]:
            assert any(isinstance(entry.get(f"rewards/{reward}/mean"), float) for entry in trained), reward
    for fmt in options["formats"]:
        assert any(f"eval_j1/{fmt}/random_order_accuracy" in entry for entry in history), fmt
    assert (out / "model.safetensors").exists()


@pytest.mark.slow
def test_j1_metrics_are_logged_every_eval_steps(warm_judge, tmp_path):
    out = tmp_path / "out"
    run_cli("j1", "train", "--config", "tiny_cpu.yaml", "--model_name_or_path", str(warm_judge),
            "--output_dir", str(out), "--max_steps", "4", "--eval_steps", "2", cwd=tmp_path)  # fmt: skip
    history = log_history(out)
    evaluated = [entry for entry in history if "eval_j1/pav/parse_failure_rate" in entry]
    assert [entry["step"] for entry in evaluated] == [2, 4]
    for entry in evaluated:
        assert {"eval_j1/pav/ab_accuracy", "eval_j1/pav/consistent_accuracy", "eval_j1/pav/flip_rate"} <= set(entry)
        assert 0.0 <= entry["eval_j1/pav/random_order_accuracy"] <= 100.0


@pytest.mark.slow
def test_resume_from_checkpoint_continues_the_global_step(warm_judge, tmp_path):
    out = tmp_path / "out"
    common = ["j1", "train", "--config", "tiny_cpu.yaml", "--variant", "tiny", "--model_name_or_path", str(warm_judge),
              "--output_dir", str(out), "--eval_strategy", "no", "--eval_fraction", "0", "--save_strategy", "steps",
              "--save_steps", "1", "--log_completions", "true", "--num_completions_to_print", "0"]  # fmt: skip
    run_cli(*common, "--max_steps", "2", cwd=tmp_path)
    assert sorted(path.name for path in out.glob("checkpoint-*")) == ["checkpoint-1", "checkpoint-2"]
    first_run = log_history(out / "checkpoint-2")
    for table in (out / "completions").iterdir():  # one parquet file per trained step
        table.unlink()
    # What a kill while saving step 3 leaves: the weights written, trainer_state.json (written last) not yet.
    shutil.copytree(out / "checkpoint-2", out / "checkpoint-3")
    (out / "checkpoint-3" / "trainer_state.json").unlink()
    done = run_cli(*common, "--max_steps", "3", "--resume_from_checkpoint", "true", cwd=tmp_path)
    assert f"skipping {out / 'checkpoint-3'}: no trainer_state.json (interrupted while saving?)" in done.stdout
    assert "done at global step 3" in done.stdout
    assert [path.name for path in (out / "completions").iterdir()] == ["completions_00003.parquet"]  # only step 3 ran
    resumed = log_history(out / "checkpoint-3")
    assert resumed[: len(first_run)] == first_run and [e["step"] for e in resumed if "loss" in e] == [1, 2, 3]


def test_resuming_without_a_complete_checkpoint_is_one_clear_line(tmp_path):
    out = tmp_path / "out"
    (out / "checkpoint-5").mkdir(parents=True)  # interrupted before anything was saved
    args = ["train", "--config", "tiny_cpu.yaml", "--output_dir", str(out), "--resume_from_checkpoint", "true"]
    env = {**os.environ, **OFFLINE, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([str(BIN / "j1"), *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        f"j1 train: error: --resume_from_checkpoint true: no complete checkpoint in {out} (1 incomplete); "
        "start without it, or pass a checkpoint folder"
    )
    assert "Traceback" not in done.stderr
    named = subprocess.run([str(BIN / "j1"), *args[:-1], str(out / "checkpoint-5")], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=300)  # fmt: skip
    assert named.returncode == 2 and "Traceback" not in named.stderr
    assert f"cannot resume from {out / 'checkpoint-5'}: no trainer_state.json" in named.stderr


@pytest.mark.slow
def test_trl_grpo_cli_trains_with_a_j1_reward_by_dotted_path(warm_judge, tmp_path):
    dataset, _ = build_judgment_dataset(arithmetic_pairs(4), ["pav"])
    (tmp_path / "data").mkdir()
    dataset.to_json(tmp_path / "data" / "train.jsonl")
    done = run_cli("trl", "grpo", "--model_name_or_path", str(warm_judge), "--dataset_name", str(tmp_path / "data"),
                   "--reward_funcs", "j1_plugin.rewards.verdict_reward", "j1_plugin.rewards.format_reward",
                   "--reward_weights", "1.0", "0.2", "--output_dir", str(tmp_path / "out"), "--max_steps", "2",
                   "--per_device_train_batch_size", "4", "--num_generations", "4", "--max_completion_length", "48",
                   "--bf16", "false", "--use_cpu", "true", "--gradient_checkpointing", "false", "--logging_steps", "1",
                   "--report_to", "none", "--save_strategy", "no", "--disable_tqdm", "true", cwd=tmp_path)  # fmt: skip
    logs = [line for line in done.stdout.splitlines() if "'rewards/verdict_reward/mean'" in line]
    assert len(logs) == 2 and all("'rewards/format_reward/mean'" in line for line in logs)
    assert (tmp_path / "out" / "model.safetensors").exists()
