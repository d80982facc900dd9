"""A real judge, end to end: the embedded SmolLM2-135M-Instruct through ``j1 eval`` on two backends.

Nothing is mocked: ``--model hf`` loads the real checkpoint in lm-eval's own process, and
``--model local-chat-completions`` talks to a real ``transformers serve`` process on 127.0.0.1.
The model is far too small to judge well, so the tests assert what a user relies on whatever it
writes: the results carry every official and J1 metric (a number, or NaN when nothing parsed), the
sample log holds the judge's own text, and every logged decision is what the format's parser reads
from that text (one parser for evaluation and everything else).

The machine may be shared: every model process runs with one thread and generations stay short.
"""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from j1_plugin import get_benchmark, get_format
from j1_plugin.benchmarks.synthetic import write_suite
from j1_plugin.scoring import J1_KEYS

BIN = Path(sys.executable).parent
ONE_THREAD = {
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}
BENCHMARKS = {"j1_judgebench": "judgebench", "j1_rewardbench": "rewardbench"}
EOS = "<|im_end|>"  # SmolLM2's end of turn
SERVER_START_TIMEOUT = 120.0


@pytest.fixture(scope="module")
def suite(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("suite")
    write_suite(folder)
    return folder


def run_j1(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **ONE_THREAD}
    return subprocess.run([str(BIN / "j1"), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def read_run(out: Path, tasks: list[str]) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """The results JSON and each task's logged samples of one ``--output_path`` folder."""
    (results_file,) = out.rglob("results_*.json")
    samples = {}
    for task in tasks:
        (samples_file,) = out.rglob(f"samples_{task}_*.jsonl")
        samples[task] = [json.loads(line) for line in samples_file.read_text("utf-8").splitlines()]
    return json.loads(results_file.read_text("utf-8")), samples


def logged_messages(prompt: Any) -> list[dict[str, str]] | None:
    """The chat messages of a logged API request (lm-eval logs its ``JsonChatStr`` as ``[json]``), else None."""
    if isinstance(prompt, list):
        (text,) = prompt
        return json.loads(text)
    return None


def user_turn(prompt: Any) -> str:
    """The judgment prompt inside a logged request: chat-templated text (hf) or the user message (API)."""
    messages = logged_messages(prompt)
    if messages is None:
        return prompt
    return next(m["content"] for m in messages if m["role"] == "user")


def assert_logged_judgments_are_the_parsers_reading_of_real_text(
    task: str, rows: list[dict[str, Any]], fmt_name: str, max_gen_toks: int
) -> None:
    fmt = get_format(fmt_name)
    for row in rows:
        detail = row["pairs"]
        assert detail["format"] == fmt_name, task
        assert [j["order"] for j in detail["judgments"]] == ["AB", "BA"], task
        assert len(row["resps"]) == len(detail["judgments"]), task
        for index, (resp, judgment) in enumerate(zip(row["resps"], detail["judgments"], strict=True)):
            (text,) = resp
            arguments = row["arguments"][f"gen_args_{index}"]
            prompt = user_turn(arguments["arg_0"])
            assert arguments["arg_1"]["max_gen_toks"] == max_gen_toks, "generations were not kept short"
            assert text.strip(), f"{task}: the judge's text is empty"
            assert prompt not in text and text.strip() != prompt.strip(), f"{task}: the logged text is the prompt"
            assert "<|im_start|>" not in text, f"{task}: the logged text holds chat markup, not the reply"
            parsed = fmt.parse(text)
            assert judgment["status"] == parsed.status.value, (task, text)
            assert judgment["reason_code"] == parsed.reason_code, (task, text)
            assert judgment["reason"] == parsed.reason, (task, text)
            assert judgment["verdict"] == parsed.verdict, (task, text)
            assert judgment["scores"] == (dict(parsed.scores) if parsed.scores else None), (task, text)


def assert_results_follow_the_na_rule(task: str, result: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    """Every official and J1 metric is reported; with nothing parsed they are NaN, never a made-up number."""
    judgments = [j for row in rows for j in row["pairs"]["judgments"]]
    failed = [j for j in judgments if j["status"] != "ok"]
    assert result["pairs,none"] == len(rows), task
    assert result["j1_parse_failure_rate,none"] == pytest.approx(100 * len(failed) / len(judgments)), task
    official = [f"official_{key}" for key in get_benchmark(BENCHMARKS[task]).official_key_names()]
    measured = official + [f"j1_{key}" for key in J1_KEYS if key != "parse_failure_rate"]
    for key in measured:
        value = result[f"{key},none"]
        assert isinstance(value, float), (task, key, value)
        if len(failed) == len(judgments):
            assert math.isnan(value), (task, key, value)
    if len(failed) < len(judgments):
        assert not math.isnan(result["official_overall,none"]), task
    by_code = Counter(j["reason_code"] for j in failed)
    for code, count in by_code.items():
        assert result[f"j1_failures/{code},none"] == count, (task, code)
    assert sum(v for k, v in result.items() if k.startswith("j1_failures/") and "_stderr" not in k) == len(failed)


@pytest.mark.slow
def test_the_real_judge_runs_through_j1_eval_on_the_hf_backend(suite, real_judge_dir, tmp_path):
    tasks = ["j1_judgebench", "j1_rewardbench"]
    out = tmp_path / "out"
    result = run_j1(
        ["eval", "--model", "hf", "--model_args", f"pretrained={real_judge_dir},dtype=float32", "--device", "cpu",
         "--batch_size", "6", "--tasks", ",".join(tasks), "--limit", "3", "--gen_kwargs", "max_gen_toks=48",
         "--metadata", json.dumps({"data_dir": str(suite)}), "--output_path", str(out), "--log_samples"],
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    results, samples = read_run(out, tasks)
    for task in tasks:
        assert len(samples[task]) == 3, task
        assert_logged_judgments_are_the_parsers_reading_of_real_text(task, samples[task], "pav", max_gen_toks=48)
        assert_results_follow_the_na_rule(task, results["results"][task], samples[task])
        assert_j1_score_of_the_samples_file_equals_the_run(out, task, results["results"][task], tmp_path)


def assert_j1_score_of_the_samples_file_equals_the_run(out: Path, task: str, result: dict, cwd: Path) -> None:
    """``j1 score`` reads lm-eval's own samples file (no data file) and gives the run's numbers."""
    (samples_file,) = out.rglob(f"samples_{task}_*.jsonl")
    benchmark = task.removeprefix("j1_")
    scored = run_j1(["score", "--benchmark", benchmark, "--judgments", str(samples_file), "--json"], cwd=cwd)
    assert scored.returncode == 0, scored.stderr
    report = json.loads(scored.stdout)
    assert report["pairs"] == result["pairs,none"] and report["unjudged_pairs"] == 0
    numbers = {f"official_{k}": v for k, v in report["official"].items() if not isinstance(v, dict)}
    numbers |= {f"j1_{k}": v for k, v in report["j1"].items()}
    for key, value in numbers.items():
        logged = result[f"{key},none"]
        assert (value is None and math.isnan(logged)) or value == pytest.approx(logged), (task, key)
    for code, count in report["failures"].items():
        assert result[f"j1_failures/{code},none"] == count, (task, code)


def cached_answers(folder: Path) -> int:
    """How many answers lm-eval's request cache under ``folder`` holds (0 before the first is written)."""
    import contextlib
    import sqlite3

    total = 0
    for db in folder.rglob("requests_rank*.db"):
        connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        with connection, contextlib.suppress(sqlite3.OperationalError):  # the table may not exist yet
            total += connection.execute("SELECT COUNT(*) FROM unnamed").fetchone()[0]
        connection.close()
    return total


@pytest.mark.slow
def test_a_killed_j1_eval_resumes_from_its_cache_without_generating_answered_requests(suite, real_judge_dir, tmp_path):
    cache = tmp_path / "cache"
    env = {**os.environ, **ONE_THREAD, "J1_EVAL_CACHE": str(cache)}
    run = ["eval", "--model", "hf", "--model_args", f"pretrained={real_judge_dir},dtype=float32", "--device", "cpu",
           "--batch_size", "1", "--tasks", "j1_judgebench", "--limit", "4", "--gen_kwargs", "max_gen_toks=40",
           "--metadata", json.dumps({"data_dir": str(suite)}), "--log_samples"]  # fmt: skip
    killed = subprocess.Popen([str(BIN / "j1"), *run, "--output_path", str(tmp_path / "killed")], cwd=tmp_path,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
    deadline = time.monotonic() + 300
    while cached_answers(cache) < 3 and killed.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    killed.kill()
    _, stderr = killed.communicate()
    answered = cached_answers(cache)
    assert 3 <= answered < 8, f"the run was not caught mid-way ({answered} of 8 answers):\n{stderr[-2000:]}"
    assert f"answers are cached under {cache}" in stderr

    resumed = subprocess.run([str(BIN / "j1"), *run, "--output_path", str(tmp_path / "resumed")], cwd=tmp_path,
                             env=env, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert f"Cached requests: {answered}, Requests remaining: {8 - answered}" in resumed.stderr
    fresh = subprocess.run([str(BIN / "j1"), *run, "--no_cache", "--output_path", str(tmp_path / "fresh")],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert fresh.returncode == 0, fresh.stderr[-3000:]
    assert "Cached requests" not in fresh.stderr and cached_answers(cache) == 8
    (resumed_results, resumed_samples), (fresh_results, fresh_samples) = (
        read_run(tmp_path / name, ["j1_judgebench"]) for name in ("resumed", "fresh")
    )
    assert [s["resps"] for s in resumed_samples["j1_judgebench"]] == [
        s["resps"] for s in fresh_samples["j1_judgebench"]
    ]
    for key, value in fresh_results["results"]["j1_judgebench"].items():
        other = resumed_results["results"]["j1_judgebench"][key]
        assert other == value or (isinstance(value, float) and math.isnan(value) and math.isnan(other)), key


# ----------------------------------------------------------------------------- a real OpenAI-compatible server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def post_json(url: str, body: dict[str, Any], timeout: float = 120.0) -> dict[str, Any]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def wait_until_ready(process: subprocess.Popen, health_url: str, log: Path, timeout: float) -> None:
    """Poll ``health_url`` until it answers 200; fail with the server's log if it exits or times out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"transformers serve exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(health_url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    pytest.fail(f"transformers serve was not ready after {timeout:.0f} s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def judge_server(real_judge_dir, tmp_path) -> Iterator[str]:
    """A real ``transformers serve`` process pinned to the real judge (CPU, float32, one thread).

    Yields the chat-completions URL; the process is terminated (then killed) at teardown.
    """
    port = free_port()
    log = tmp_path / "serve.log"
    command = [str(BIN / "transformers"), "serve", str(real_judge_dir), "--host", "127.0.0.1", "--port", str(port),
               "--device", "cpu", "--dtype", "float32", "--log-level", "warning"]  # fmt: skip
    with log.open("w") as sink:
        process = subprocess.Popen(command, env={**os.environ, **ONE_THREAD}, stdout=sink, stderr=subprocess.STDOUT)
    try:
        wait_until_ready(process, f"http://127.0.0.1:{port}/health", log, SERVER_START_TIMEOUT)
        yield f"http://127.0.0.1:{port}/v1/chat/completions"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@pytest.mark.slow
def test_the_real_judge_runs_through_j1_eval_against_a_real_transformers_serve(
    suite, real_judge_dir, judge_server, tmp_path
):
    # The server is pinned to the checkpoint folder, so requests must name it. The task's own
    # max_gen_toks wins over the model_args default, hence --gen_kwargs too. ``transformers serve``
    # answers 500 to an empty ``stop`` list (the J1 tasks stop on EOS only): eos_string fills it.
    task, out = "j1_judgebench", tmp_path / "out"
    model_args = (
        f"model={real_judge_dir},base_url={judge_server},num_concurrent=1,max_retries=1,timeout=120,"
        f"max_gen_toks=32,tokenized_requests=False,eos_string={EOS}"
    )
    result = run_j1(
        ["eval", "--model", "local-chat-completions", "--model_args", model_args, "--tasks", task, "--limit", "2",
         "--gen_kwargs", "max_gen_toks=32", "--metadata", json.dumps({"data_dir": str(suite), "format": "pas"}),
         "--output_path", str(out), "--log_samples"],
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    results, samples = read_run(out, [task])
    rows = samples[task]
    assert len(rows) == 2
    assert_logged_judgments_are_the_parsers_reading_of_real_text(task, rows, "pas", max_gen_toks=32)
    assert_results_follow_the_na_rule(task, results["results"][task], rows)
    # The logged text is what the server's model says: asked again, greedily, it says the same.
    first = rows[0]
    messages = logged_messages(first["arguments"]["gen_args_0"]["arg_0"])
    reply = post_json(
        judge_server,
        {"model": str(real_judge_dir), "messages": messages, "max_tokens": 32, "temperature": 0, "stop": [EOS],
         "seed": 1234},
    )  # fmt: skip
    assert reply["choices"][0]["message"]["content"] == first["resps"][0][0]


@pytest.mark.slow
def test_j1_judge_against_a_real_transformers_serve_gives_a_file_j1_score_scores(
    suite, real_judge_dir, judge_server, tmp_path
):
    out, cache = tmp_path / "judgments.jsonl", tmp_path / "cache"
    data = tmp_path / "judgebench.jsonl"
    data.write_text("".join((suite / "judgebench.jsonl").read_text().splitlines(keepends=True)[:2]))
    command = ["judge", "--benchmark", "judgebench", "--data", str(data), "--model", str(real_judge_dir),
               "--base-url", judge_server, "--max-new-tokens", "32", "--concurrency", "1", "--cache", str(cache),
               "--out", str(out), "--quiet"]  # fmt: skip
    first = run_j1(command, cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    assert "requests sent 4, answers from the cache 0" in first.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 4 and all(line["output"] for line in lines)  # the real model's own text
    fmt = get_format("pav")
    assert all(line["verdict"] == fmt.parse(line["output"]).verdict for line in lines)
    out.unlink()  # as if the output were lost: the cache alone answers the rerun
    again = run_j1(command, cwd=tmp_path)
    assert again.returncode == 0 and "requests sent 0, answers from the cache 4" in again.stderr
    assert [json.loads(line) for line in out.read_text().splitlines()] == lines
    scored = run_j1(["score", "--benchmark", "judgebench", "--data", str(data), "--judgments", str(out), "--json"],
                    cwd=tmp_path)  # fmt: skip
    assert scored.returncode == 0, scored.stderr
    assert json.loads(scored.stdout)["judgments"] == 4


@pytest.mark.slow
def test_a_stock_style_task_is_graded_by_the_real_judge_through_the_stock_lm_eval_cli(
    real_judge_dir, tiny_judge_dir, judge_server, tmp_path
):
    # The policy is the tiny model (its answers are noise); the judge is the real model, served.
    repo, out = Path(__file__).resolve().parents[1], tmp_path / "out"
    settings = {"model": str(real_judge_dir), "base_url": judge_server.rsplit("/chat/", 1)[0],
                "max_new_tokens": 32, "concurrency": 1, "cache_dir": str(tmp_path / "cache")}  # fmt: skip
    env = {**os.environ, **ONE_THREAD, "J1_JUDGE_METRIC": json.dumps(settings)}
    command = [str(BIN / "lm_eval"), "--model", "hf", "--model_args", f"pretrained={tiny_judge_dir}",
               "--include_path", "examples/lm_eval_judge_metric", "--tasks", "j1_judged_qa", "--limit", "2",
               "--gen_kwargs", "max_gen_toks=16", "--output_path", str(out), "--log_samples"]  # fmt: skip
    result = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    results, samples = read_run(out, ["j1_judged_qa"])
    scores, rows = results["results"]["j1_judged_qa"], samples["j1_judged_qa"]
    assert len(rows) == 2
    fmt = get_format("pav")
    wins = []
    for row in rows:
        (logged,) = row["filtered_resps"][0]
        record = json.loads(logged)  # the sample log keeps each grading record as JSON text
        assert len(record["outputs"]) == 2 and all(record["outputs"])  # the real judge's own text, both orders
        ab, ba = (fmt.parse(text) for text in record["outputs"])
        verdicts = (ab.verdict, ba.verdict)
        share = 1.0 if verdicts == ("A", "B") else 0.0 if verdicts == ("B", "A") else 0.5
        assert record["win"] == share and record["failures"] == (not ab.ok) + (not ba.ok)
        wins.append(share)
    assert scores["j1_judge_win_rate,j1_judge"] == pytest.approx(sum(wins) / 2)
    assert 0 <= scores["j1_judge_parse_fail,j1_judge"] <= 1
