"""``j1 synth``: J1's preference pairs made by a generator, checked by math-verify, resumable and sharded.

The generator is a real local OpenAI-compatible server (:mod:`openai_server`) answering by a rule,
or the real embedded model through the ``hf`` backend.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from openai_server import serve

from j1_plugin.cli import main
from j1_plugin.synth import (
    LEDGER_SUFFIX,
    SynthError,
    parse_columns,
    parse_shard,
    read_source,
    shard_rows,
)
from j1_plugin.training_data import load_preference_pairs

J1 = str(Path(sys.executable).with_name("j1"))
ONE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
              "TOKENIZERS_PARALLELISM": "false"}  # fmt: skip


def write_rows(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def lines_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def run(capsys, *argv):
    code = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return code, captured.err


SUM = re.compile(r"What is (\d+) \+ (\d+)\?")


def solver(messages, choice):
    """Even choices solve the sum, odd ones are off by one; a question marked (easy) is always solved."""
    a, b = map(int, SUM.search(messages[-1]["content"]).groups())
    right = choice % 2 == 0 or "(easy)" in messages[-1]["content"]
    return f"Adding the two numbers: {a} + {b}. So the answer is \\boxed{{{a + b if right else a + b + 1}}}."


MATH_ROWS = [
    {"id": "m0", "problem": "What is 2 + 3?", "solution": "Add them: $2 + 3 = \\boxed{5}$."},
    {"id": "m1", "problem": "What is 4 + 4? (easy)", "solution": "$\\boxed{8}$"},
    {"id": "m2", "problem": "What is 10 + 5?", "solution": "The sum is many."},
    {"id": "m3", "problem": "What is 2 + 3?", "solution": "$\\boxed{5}$"},
    {"id": "m4", "problem": "What is 7 + 6?", "solution": "7 + 6 = 13\n#### 13"},
]


@pytest.fixture
def math_file(tmp_path):
    return write_rows(tmp_path / "math.jsonl", MATH_ROWS)


def synth_args(server, source, out, kind="verifiable", *extra):
    url = f"http://127.0.0.1:{server.port}/v1"
    return ["synth", kind, "--source", source, "--generator", "openai:gen", "--base-url", url,
            "--cache", out.parent / "cache", "--out", out, "--quiet", *extra]  # fmt: skip


def test_verifiable_pairs_keep_a_right_and_a_wrong_solution_checked_by_math_verify(tmp_path, capsys, math_file):
    out = tmp_path / "pairs.jsonl"
    with serve(reply=solver) as server:
        code, err = run(capsys, *synth_args(server, math_file, out, "verifiable", "--samples", "4", "--seed", "3"))
    assert code == 0, err
    pairs = {pair["id"]: pair for pair in lines_of(out)}
    assert set(pairs) == {"m0", "m4"}
    first = pairs["m0"]
    assert first["prompt"] == "What is 2 + 3?" and first["kind"] == "verifiable"
    assert first["chosen"].endswith("\\boxed{5}.") and first["rejected"].endswith("\\boxed{6}.")
    assert (first["gold_answer"], first["chosen_answer"], first["rejected_answer"]) == ("5", "5", "6")
    assert first["samples"] == 4 and first["correct"] == 2 and first["generator"] == "openai:gen"
    assert first["seed"] == 3 and first["sampling"]["temperature"] == 0.8 and first["source_index"] == 0
    assert pairs["m4"]["gold_answer"] == "13"  # GSM8K's "#### 13"
    ledger = {line["id"]: line["reason"] for line in lines_of(Path(str(out) + LEDGER_SUFFIX))}
    assert ledger == {"m0": None, "m1": "no_incorrect", "m2": "no_gold_answer", "m3": "duplicate", "m4": None}
    assert "2 verifiable pairs written" in err and "dropped duplicate 1, no_gold_answer 1, no_incorrect 1" in err
    # The output is training data as it is.
    assert [pair.id for pair in load_preference_pairs(out)] == ["m0", "m4"]


def test_a_rerun_generates_nothing_and_a_partial_last_line_is_cut_and_redone(tmp_path, capsys, math_file):
    out = tmp_path / "pairs.jsonl"
    with serve(reply=solver) as server:
        assert run(capsys, *synth_args(server, math_file, out, "verifiable", "--no-cache"))[0] == 0
        sent = len(server.payloads)
        code, err = run(capsys, *synth_args(server, math_file, out, "verifiable", "--no-cache"))
        assert code == 0 and len(server.payloads) == sent and "5 done by an earlier run" in err
        # A killed run's unfinished line: cut, reported, and its prompt made again (its ledger line never came).
        whole = out.read_text()
        out.write_text(whole[: whole.rindex("{") + 20])
        ledger = Path(str(out) + LEDGER_SUFFIX)
        ledger.write_text("".join(line + "\n" for line in ledger.read_text().splitlines() if '"m4"' not in line))
        code, err = run(capsys, *synth_args(server, math_file, out, "verifiable", "--no-cache"))
    assert code == 0 and "removed 1 unfinished last line" in err and "1 verifiable pairs written" in err
    assert lines_of(out)[-1]["id"] == "m4" and out.read_text() == whole  # the same generator, the same pair


def opener(messages, choice):
    """A generator for open prompts whose answers trip each filter on purpose."""
    text = messages[-1]["content"]
    if "<original>" in text:
        original = text.split("<original>\n")[1].split("\n</original>")[0]
        if "keep" in original:
            return f"<instruction>{original}</instruction>"
        if "untagged" in original:
            return "Here is a new instruction: do something else."
        return f"<instruction>{original} Answer in French.</instruction>"
    if "refuse" in text and "French" in text:
        return "I'm sorry, but I can't help with that."
    if "same answer" in text:
        return "The same answer either way."
    if "long" in text and "French" in text:
        return "Oui. " * 200
    if "empty" in text and "French" in text:
        return "   "
    return f"A careful answer to: {text}"


OPEN_ROWS = [
    {"id": "o0", "prompt": "Describe a sunrise."},
    {"id": "o1", "prompt": "Please keep this instruction."},
    {"id": "o2", "prompt": "An untagged rewrite."},
    {"id": "o3", "prompt": "Ask me to refuse."},
    {"id": "o4", "prompt": "Give the same answer."},
    {"id": "o5", "prompt": "Say it long."},
    {"id": "o6", "prompt": "Reply empty."},
    {"id": "o7", "conversation": [{"role": "user", "content": "Name a river."}, {"role": "assistant", "content": "x"}]},
]


def test_open_pairs_answer_the_original_and_a_modified_prompt_and_count_every_drop(tmp_path, capsys):
    source = write_rows(tmp_path / "open.jsonl", OPEN_ROWS[:-1])
    out = tmp_path / "open_pairs.jsonl"
    with serve(reply=opener) as server:
        code, err = run(capsys, *synth_args(server, source, out, "open"))
    assert code == 0, err
    (pair,) = lines_of(out)
    assert pair["id"] == "o0" and pair["kind"] == "open"
    assert pair["modified_prompt"] == "Describe a sunrise. Answer in French."
    assert pair["chosen"] == "A careful answer to: Describe a sunrise."
    assert pair["rejected"] == "A careful answer to: Describe a sunrise. Answer in French."
    ledger = {line["id"]: line["reason"] for line in lines_of(Path(str(out) + LEDGER_SUFFIX))}
    assert ledger == {"o0": None, "o1": "same_instruction", "o2": "no_modified_instruction", "o3": "refusal",
                      "o4": "identical_responses", "o5": "length_ratio", "o6": "empty_response"}  # fmt: skip
    assert "dropped no_modified_instruction 1, same_instruction 1, empty_response 1" in err


def test_a_conversation_column_gives_its_first_user_turn():
    rows = read_source("open", [OPEN_ROWS[-1]], "wildchat", {"prompt": "conversation"})
    assert rows[0].prompt == "Name a river." and rows[0].id == "o7"


@pytest.mark.parametrize(
    ("kind", "rows", "columns", "message"),
    [
        ("verifiable", [{"question": "q"}], {}, r"src: row 0: no gold answer column \(looked for solution"),
        ("verifiable", [{"text": "q", "answer": "1"}], {}, r"no prompt column .* its columns are text, answer"),
        ("verifiable", [{"problem": "q", "sol": "1"}], {"answer": "gold"}, r"row 0: no column 'gold' \(gold answer\)"),
        ("open", [{"prompt": "  "}], {}, r"row 0: column 'prompt' must hold non-blank text"),
        (
            "open",
            [{"prompt": "a", "id": "x"}, {"prompt": "b", "id": "x"}],
            {},
            r"row 1: id 'x' was already used by row 0",
        ),
        ("open", [{"prompt": "a", "id": 1.5}], {}, r"column 'id' must be a non-blank string or an integer, got 1.5"),
        ("open", [{"prompt": "a"}], {"answer": "x"}, r"applies to verifiable prompts only"),
    ],
)
def test_bad_source_rows_name_the_row_and_column(kind, rows, columns, message):
    with pytest.raises(SynthError, match=message):
        read_source(kind, rows, "src", columns)


def test_options_are_checked():
    assert parse_columns("prompt=problem, answer=solution") == {"prompt": "problem", "answer": "solution"}
    for text, message in [("prompt", "is not NAME=COLUMN"), ("gold=x", "unknown name 'gold'"),
                          ("id=a,id=b", "'id' is given twice")]:  # fmt: skip
        with pytest.raises(SynthError, match=message):
            parse_columns(text)
    assert parse_shard("1/4") == (1, 4)
    for text in ("4/4", "1/0", "a/b", "-1/2"):
        with pytest.raises(SynthError, match="--shard must be I/N"):
            parse_shard(text)


def test_shards_split_the_source_without_overlap(tmp_path, capsys):
    rows = [{"id": f"s{k}", "question": f"What is {k} + 1?", "answer": f"#### {k + 1}"} for k in range(7)]
    source = write_rows(tmp_path / "sums.jsonl", rows)
    assert [r.id for r in shard_rows(read_source("verifiable", rows, "s"), (1, 3))] == ["s1", "s4"]
    made = []
    with serve(reply=solver) as server:
        for part in ("0/2", "1/2"):
            out = tmp_path / f"part{part[0]}.jsonl"
            assert run(capsys, *synth_args(server, source, out, "verifiable", "--shard", part))[0] == 0
            made.append({line["id"] for line in lines_of(Path(str(out) + LEDGER_SUFFIX))})
            assert all(line["shard"] == part for line in lines_of(out))
    assert made == [{"s0", "s2", "s4", "s6"}, {"s1", "s3", "s5"}]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--generator", "gen"], "--generator must be BACKEND:MODEL"),
        (["--samples", "1"], "at least 2 samples per prompt"),
        (["--limit", "0"], "--limit must be at least 1"),
        (["--temperature", "0"], "temperature must be above 0"),
    ],
)
def test_bad_options_are_one_clear_line(tmp_path, capsys, math_file, extra, message):
    code, err = run(capsys, "synth", "verifiable", "--source", math_file, "--generator", "openai:gen", "--base-url",
                    "http://127.0.0.1:9/v1", "--out", tmp_path / "x.jsonl", *extra)  # fmt: skip
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_a_killed_run_resumes_without_generating_a_prompt_twice(tmp_path):
    rows = [{"id": f"k{k}", "question": f"What is {k} + 2?", "answer": f"#### {k + 2}"} for k in range(12)]
    source, out = write_rows(tmp_path / "sums.jsonl", rows), tmp_path / "pairs.jsonl"

    calls = iter(range(10**6))

    def slow(messages, choice):  # the server ignores n here, so right and wrong alternate by call
        time.sleep(0.05)
        return solver(messages, next(calls))

    with serve(reply=slow, honour_n=False) as server:  # one request per sample: many requests to kill among
        command = [J1, *map(str, synth_args(server, source, out, "verifiable", "--chunk", "2", "--concurrency", "1"))]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while len(server.payloads) < 14 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        time.sleep(0.3)  # a request in flight at the kill is still answered, into a closed socket
        killed_after = len(server.payloads)
        assert 14 <= killed_after < 48, "the kill landed mid-run"
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        resent = len(server.payloads) - killed_after
    # 12 prompts x 4 samples; every answer that reached the killed run was cached (one in flight may be redone).
    assert 48 - killed_after <= resent <= 48 - killed_after + 1
    ids = [line["id"] for line in lines_of(out)]
    ledger = lines_of(Path(str(out) + LEDGER_SUFFIX))
    assert sorted(line["id"] for line in ledger) == sorted(row["id"] for row in rows)  # each prompt once
    assert len(ids) == len(set(ids)) and set(ids) == {line["id"] for line in ledger if line["kept"]}


@pytest.mark.slow
def test_the_real_model_makes_pairs_that_train_a_judge(tmp_path):
    rows = [{"id": f"r{k}", "question": f"What is {a} + {b}?", "answer": f"{a} + {b} = {a + b}\n#### {a + b}"}
            for k, (a, b) in enumerate([(8, 8), (3, 5), (9, 8), (6, 7)])]  # fmt: skip
    source, out = write_rows(tmp_path / "sums.jsonl", rows), tmp_path / "pairs.jsonl"
    env = {**os.environ, **ONE_THREAD}
    command = [J1, "synth", "verifiable", "--source", str(source), "--generator", "hf:smollm2-135m-instruct",
               "--samples", "4", "--max-new-tokens", "48", "--out", str(out), "--quiet"]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    from math_verify import parse, verify

    pairs = lines_of(out)
    ledger = lines_of(Path(str(out) + LEDGER_SUFFIX))
    assert len(ledger) == 4 and sum(line["kept"] for line in ledger) == len(pairs) >= 2
    for pair in pairs:  # the real model's own solutions, re-checked here by math-verify
        gold = parse(pair["gold"].split("####")[1])
        assert verify(gold, parse(pair["chosen"])) and not verify(gold, parse(pair["rejected"]))
    assert re.search(r"generated tokens [1-9]\d*", done.stderr)
    # Open prompts: the small model rarely writes the tagged rewrite; every prompt is still accounted for.
    prompts = write_rows(tmp_path / "open.jsonl", [{"prompt": "Write a haiku about rain."},
                                                   {"prompt": "Give two tips for sleeping well."}])  # fmt: skip
    open_out = tmp_path / "open_pairs.jsonl"
    done = subprocess.run([J1, "synth", "open", "--source", str(prompts), "--generator", "hf:smollm2-135m-instruct",
                           "--max-new-tokens", "32", "--out", str(open_out), "--quiet"], env=env,
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(lines_of(Path(str(open_out) + LEDGER_SUFFIX))) == 2
    # The verifiable pairs train the tiny judge with j1 train as they are.
    train = subprocess.run([J1, "train", "--config", "tiny_cpu.yaml", "--dataset", str(out), "--max_steps", "1",
                            "--eval_strategy", "no", "--eval_fraction", "0", "--output_dir", str(tmp_path / "run")],
                           env=env, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert train.returncode == 0, train.stderr[-3000:]


def test_max_pairs_stops_the_run_and_leaves_the_rest_for_later(tmp_path, capsys):
    rows = [{"id": f"p{k}", "question": f"What is {k} + 3?", "answer": f"#### {k + 3}"} for k in range(6)]
    source, out = write_rows(tmp_path / "sums.jsonl", rows), tmp_path / "pairs.jsonl"
    with serve(reply=solver) as server:
        code, err = run(capsys, *synth_args(server, source, out, "verifiable", "--max-pairs", "2", "--chunk", "4"))
        assert code == 0 and "stopped at max_pairs with 4 prompts left" in err
        assert [line["id"] for line in lines_of(out)] == ["p0", "p1"]
        code, err = run(capsys, *synth_args(server, source, out, "verifiable", "--max-pairs", "5"))
    assert code == 0 and [line["id"] for line in lines_of(out)] == [f"p{k}" for k in range(5)]


def write_recipe(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_a_recipe_makes_each_part_then_the_mix(tmp_path, capsys, math_file):
    prompts = write_rows(tmp_path / "open.jsonl", OPEN_ROWS[:1])
    with serve(reply=lambda messages, choice: (solver if "What is" in messages[-1]["content"] else opener)(
            messages, choice)) as server:  # fmt: skip
        recipe = write_recipe(
            tmp_path / "mix.yaml",
            f"""
generator: openai:gen
base_url: http://127.0.0.1:{server.port}/v1
samples: 2
out: {tmp_path}/mix.jsonl
parts:
  - {{kind: verifiable, source: {math_file}, out: {tmp_path}/math_pairs.jsonl, samples: 6}}
  - {{kind: open, source: {prompts}, out: {tmp_path}/open_pairs.jsonl}}
""",
        )
        code, err = run(capsys, "synth", "--config", recipe, "--seed", "9", "--quiet", "--no-cache")
    assert code == 0, err
    mix = lines_of(tmp_path / "mix.jsonl")
    assert [(line["id"], line["kind"]) for line in mix] == [("m0", "verifiable"), ("m4", "verifiable"), ("o0", "open")]
    assert mix[0]["samples"] == 6 and all(line["seed"] == 9 for line in mix)  # part, then flag, over the top level
    assert "the mix: 3 pairs" in err
    assert [pair.id for pair in load_preference_pairs(tmp_path / "mix.jsonl")] == ["m0", "m4", "o0"]


@pytest.mark.parametrize(
    ("text", "flags", "message"),
    [
        ("generator: openai:g\nsampels: 3\n", [], r"mix.yaml: unknown option 'sampels'"),
        ("samples: '3'\n", [], r"mix.yaml: 'samples' must be a whole number, got '3'"),
        ("parts:\n  - {kind: closed}\n", [], r"mix.yaml parts\[0\]: 'kind' must be one of verifiable, open"),
        ("parts:\n  - {kind: open, out: a.jsonl}\n", ["--out", "b.jsonl"], r"--out: set per part in"),
        ("parts: []\n", [], r"'parts' must be a non-empty list"),
        ("out: m.jsonl\nparts:\n  - {out: m.jsonl}\n", [], r"every part needs its own 'out'"),
        ("out: m.jsonl\nparts:\n  - {kind: open, out: a.jsonl}\n", [], r"part 0 of .*: set source, generator"),
        ("kind: open\n", [], r"j1 synth: set source, generator, out"),
    ],
)
def test_recipe_mistakes_are_one_clear_line(tmp_path, capsys, text, flags, message):
    recipe = write_recipe(tmp_path / "mix.yaml", text)
    code, err = run(capsys, "synth", "--config", recipe, *flags)
    assert code == 2 and re.search(message, err) and len(err.strip().splitlines()) == 1, err


def test_the_bundled_mix_recipe_is_j1s_17k_open_plus_5k_verifiable():
    from j1_plugin.cli import _synth_jobs, build_parser

    argv = ["synth", "--config", "j1_mix.yaml", "--generator", "openai:m"]
    args = build_parser().parse_args(argv)
    args.argv = argv
    jobs, mix, from_parts = _synth_jobs(args)
    assert mix == "data/j1_mix.jsonl" and from_parts
    assert [(job["kind"], job["source"], job["max_pairs"]) for job in jobs] == [
        ("open", "allenai/WildChat-1M", 17000),
        ("verifiable", "DigitalLearningGmbH/MATH-lighteval", 5000),
    ]
    assert all(job["generator"] == "openai:m" for job in jobs) and jobs[1]["samples"] == 8


@pytest.mark.slow
def test_a_killed_run_on_the_real_model_resumes_where_it_stopped(tmp_path):
    source = Path(__file__).resolve().parents[1] / "examples" / "synth" / "sums.jsonl"
    out = tmp_path / "pairs.jsonl"
    ledger = Path(str(out) + LEDGER_SUFFIX)
    command = [J1, "synth", "verifiable", "--source", str(source), "--generator", "hf:smollm2-135m-instruct",
               "--samples", "2", "--max-new-tokens", "24", "--limit", "8", "--chunk", "1", "--out", str(out),
               "--quiet"]  # fmt: skip
    env = {**os.environ, **ONE_THREAD}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        if ledger.exists() and len(ledger.read_text().splitlines()) >= 4:  # the duplicate, then 3 prompts
            break
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    done_before = {line["id"] for line in lines_of(ledger)} | {line["id"] for line in lines_of(out)}
    assert 4 <= len(done_before) < 8, "the kill landed mid-run"
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-2000:]
    assert f"({len(done_before)} done by an earlier run, {8 - len(done_before)} handled now)" in again.stderr
    ids = [line["id"] for line in lines_of(ledger)]
    assert sorted(ids) == sorted(f"sum-{k:02d}" for k in range(8))  # every prompt once: none done twice
    pairs = [line["id"] for line in lines_of(out)]
    assert len(pairs) == len(set(pairs)) and set(pairs) == {line["id"] for line in lines_of(ledger) if line["kept"]}


def test_a_pair_written_just_before_a_kill_is_kept_and_its_ledger_line_restored(tmp_path, capsys, math_file):
    out = tmp_path / "pairs.jsonl"
    ledger = Path(str(out) + LEDGER_SUFFIX)
    with serve(reply=solver) as server:
        assert run(capsys, *synth_args(server, math_file, out, "verifiable", "--no-cache"))[0] == 0
        pairs, sent = out.read_text(), len(server.payloads)
        ledger.write_text("".join(line + "\n" for line in ledger.read_text().splitlines() if '"m4"' not in line))
        code, err = run(capsys, *synth_args(server, math_file, out, "verifiable", "--no-cache"))
        assert code == 0 and len(server.payloads) == sent and "5 done by an earlier run" in err
    assert out.read_text() == pairs and lines_of(ledger)[-1] == {"id": "m4", "kept": True, "reason": None}
