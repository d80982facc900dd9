"""``j1 judge``: a benchmark judged through a real local OpenAI-compatible server, then ``j1 score``.

The server is :mod:`openai_server` (real HTTP on 127.0.0.1, J1-shaped answers, injectable faults).
"""

from __future__ import annotations

import json

import pytest
from openai_server import serve

from j1_plugin import get_benchmark, get_format
from j1_plugin.benchmarks.synthetic import judgebench_rows, write_jsonl
from j1_plugin.cli import main
from j1_plugin.judges import JudgeRequestError, OpenAIJudge
from j1_plugin.judging import judge_benchmark
from j1_plugin.scoring import seeded_order


def run(capsys, *argv):
    code = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def lines_of(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture
def judgebench(tmp_path):
    return write_jsonl(judgebench_rows(8), tmp_path / "judgebench.jsonl")


def test_j1_judge_writes_the_file_j1_score_scores(tmp_path, capsys, judgebench):
    out = tmp_path / "judgments.jsonl"
    with serve() as server:
        code, _, err = run(capsys, "judge", "--benchmark", "judgebench", "--data", judgebench, "--model", "j1",
                           "--base-url", f"http://127.0.0.1:{server.port}/v1", "--cache", tmp_path / "cache",
                           "--out", out, "--quiet")  # fmt: skip
        assert code == 0, err
        assert len(server.payloads) == 16
    lines = lines_of(out)
    assert len(lines) == 16 and {(line["order"], line["sample"]) for line in lines} == {("AB", 0), ("BA", 0)}
    fmt = get_format("pav")
    assert all(line["verdict"] == fmt.parse(line["output"]).verdict and line["format"] == "pav" for line in lines)
    assert "16 judgments written" in err and "parse failures 0" in err and "requests sent 16" in err
    code, report, err = run(capsys, "score", "--benchmark", "judgebench", "--data", judgebench, "--judgments", out,
                            "--json")  # fmt: skip
    assert code == 0, err
    report = json.loads(report)
    assert report["pairs"] == 8 and report["judgments"] == 16 and report["failures"] == {}
    assert report["official"]["overall"] is not None


def test_a_rerun_continues_the_file_and_sends_nothing_already_answered(tmp_path, capsys, judgebench):
    out, cache = tmp_path / "judgments.jsonl", tmp_path / "cache"
    pairs = get_benchmark("judgebench").load_pairs(judgebench)
    fmt = get_format("pav")
    with serve() as server:
        judge = OpenAIJudge("j1", base_url=f"http://127.0.0.1:{server.port}/v1", cache_dir=cache, concurrency=1,
                            max_retries=0)  # fmt: skip
        # A first run judges 3 pairs; a second, over all 8, fails for good on its first new request.
        first_chunk = judge_benchmark(pairs[:3], fmt, judge, out, chunk=3, progress=False)
        assert first_chunk["written"] == 6
        server.faults = [("status", 400)]
        with pytest.raises(JudgeRequestError):
            judge_benchmark(pairs, fmt, judge, out, chunk=3, progress=False)
        # The failed chunk of 3 requests: one refused, two answered, cached but not written.
        assert len(lines_of(out)) == 6 and len(server.payloads) == 6 + 2
        sent_before = len(server.payloads)
        summary = judge_benchmark(pairs, fmt, judge, out, chunk=3, progress=False)
    assert summary["already_there"] == 6 and summary["written"] == 10
    assert len(server.payloads) - sent_before == 16 - 6 - 2  # nothing written or cached is asked again
    lines = lines_of(out)
    assert len(lines) == 16 and len({(line["pair_id"], line["order"]) for line in lines}) == 16


def test_single_order_judges_the_seeded_order_and_records_the_seed(tmp_path, capsys, judgebench):
    out = tmp_path / "one.jsonl"
    with serve() as server:
        code, _, err = run(capsys, "judge", "--benchmark", "judgebench", "--data", judgebench, "--model", "j1",
                           "--base-url", f"http://127.0.0.1:{server.port}/v1", "--no-cache", "--single-order",
                           "--seed", "7", "--out", out, "--quiet")  # fmt: skip
    assert code == 0, err
    lines = lines_of(out)
    assert len(lines) == 8
    assert all(line["order"] == seeded_order(line["pair_id"], 7) and line["seed"] == 7 for line in lines)


def test_sc_at_n_writes_every_sample_and_scores_by_vote(tmp_path, capsys, judgebench):
    out = tmp_path / "sc.jsonl"
    with serve() as server:
        code, _, err = run(capsys, "judge", "--benchmark", "judgebench", "--data", judgebench, "--model", "j1",
                           "--base-url", f"http://127.0.0.1:{server.port}/v1", "--no-cache", "--samples", "4",
                           "--out", out, "--quiet")  # fmt: skip
        assert code == 0, err
        assert len(server.payloads) == 16 and all(p["n"] == 4 and p["temperature"] == 1.0 for p in server.payloads)
    assert sorted({line["sample"] for line in lines_of(out)}) == [0, 1, 2, 3] and len(lines_of(out)) == 64
    code, report, _ = run(capsys, "score", "--benchmark", "judgebench", "--data", judgebench, "--judgments", out,
                          "--json")  # fmt: skip
    assert code == 0 and json.loads(report)["judgments"] == 64


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--backend", "hf", "--concurrency", "4"], "j1: error: --concurrency only apply to the openai backend"),
        ([], "j1: error: the openai backend needs --base-url"),
    ],
)
def test_options_that_cannot_work_are_one_clear_line(tmp_path, capsys, judgebench, extra, message):
    code, _, err = run(capsys, "judge", "--benchmark", "judgebench", "--data", judgebench, "--model", "j1",
                       "--out", tmp_path / "x.jsonl", *extra)  # fmt: skip
    assert code == 2 and err.startswith(message)


def test_a_file_judged_with_another_format_is_not_continued(tmp_path, capsys, judgebench):
    out = tmp_path / "j.jsonl"
    out.write_text(json.dumps({"pair_id": "x", "order": "AB", "sample": 0, "format": "pas", "output": ""}) + "\n")
    with serve() as server:
        code, _, err = run(capsys, "judge", "--benchmark", "judgebench", "--data", judgebench, "--model", "j1",
                           "--base-url", f"http://127.0.0.1:{server.port}/v1", "--no-cache", "--out", out)  # fmt: skip
    assert code == 2 and "judged with format 'pas', not 'pav'" in err


def test_a_killed_j1_judge_resumes_without_resending_what_was_answered(tmp_path, judgebench):
    import os
    import signal
    import subprocess
    import sys
    import time

    def slow_judge(messages, choice=0):
        time.sleep(0.15)  # slow enough for the kill to land mid-run
        return "<think>Assistant A checks out.</think><answer>[[A]]</answer>"

    out, cache = tmp_path / "judgments.jsonl", tmp_path / "cache"
    j1 = os.path.join(os.path.dirname(sys.executable), "j1")
    with serve(reply=slow_judge) as server:
        command = [j1, "judge", "--benchmark", "judgebench", "--data", str(judgebench), "--model", "j1",
                   "--base-url", f"http://127.0.0.1:{server.port}/v1", "--concurrency", "1", "--cache", str(cache),
                   "--out", str(out), "--quiet"]  # fmt: skip
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while len(server.payloads) < 6 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.02)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        time.sleep(0.5)  # the request in flight at the kill is still answered (into a closed socket)
        killed_after = len(server.payloads)
        assert 6 <= killed_after < 16, "the kill landed mid-run"
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        resent = len(server.payloads) - killed_after
        # Every answer that reached the killed run was cached at once; only one still in flight may be asked again.
        assert 16 - killed_after <= resent <= 16 - killed_after + 1
        assert f"answers from the cache {16 - resent}" in done.stderr
    lines = lines_of(out)
    assert len(lines) == 16 and len({(line["pair_id"], line["order"]) for line in lines}) == 16
