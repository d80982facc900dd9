"""``j1 report``: results of several judges and kinds of input on one page, checked in a real browser."""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from openai_server import serve

from j1_plugin.benchmarks.synthetic import write_suite
from j1_plugin.cli import main
from j1_plugin.report import FIGURES, PAPER_ROWS, ReportError, load_input, thought_words

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars"]  # fmt: skip


def run(capsys, *argv):
    code = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def judged(tmp_path_factory):
    """Two judges' j1 judge files on two benchmarks of the synthetic suite (one with 4 samples), and an lm-eval run."""
    folder = tmp_path_factory.mktemp("judged")
    suite = folder / "suite"
    write_suite(suite)
    with serve() as server:
        url = f"http://127.0.0.1:{server.port}/v1"
        for bench in ("judgebench", "rewardbench"):
            for name, extra in (("alpha", []), ("beta", ["--samples", "4"])):
                code = main(["judge", "--benchmark", bench, "--data", str(suite / f"{bench}.jsonl"), "--model", name,
                             "--base-url", url, "--no-cache", "--out", str(folder / f"{name}-{bench}.jsonl"),
                             "--quiet", *extra])  # fmt: skip
                assert code == 0
    return folder


def lmeval_run(folder: Path, suite: Path) -> Path:
    """A J1 task run through lm-eval and saved as --output_path/--log_samples save it."""
    import lm_eval
    from lm_eval.api.model import LM
    from lm_eval.loggers import EvaluationTracker

    from j1_plugin.lmeval import task_manager

    class Cycling(LM):
        def __init__(self):
            super().__init__()
            self.replies = itertools.cycle(["<think>first</think><answer>[[A]]</answer>", "no verdict here"])

        def generate_until(self, requests, disable_tqdm=False):
            return [next(self.replies) for _ in requests]

        def loglikelihood(self, requests, disable_tqdm=False):
            raise NotImplementedError

        def loglikelihood_rolling(self, requests, disable_tqdm=False):
            raise NotImplementedError

    out = folder / "lmeval"
    tracker = EvaluationTracker(output_path=str(out))
    res = lm_eval.simple_evaluate(model=Cycling(), tasks=["j1_judgebench"], bootstrap_iters=0, log_samples=True,
                                  task_manager=task_manager(include_defaults=False, metadata={"data_dir": str(suite)}),
                                  evaluation_tracker=tracker)  # fmt: skip
    samples = res.pop("samples")
    tracker.save_results_aggregated(results=res, samples=samples)
    tracker.save_results_samples(task_name="j1_judgebench", samples=samples["j1_judgebench"])
    return out


def test_a_report_shows_every_judge_beside_the_paper_with_every_figure(judged, tmp_path, capsys):
    lmeval = lmeval_run(tmp_path, judged / "suite")
    suite = judged / "suite"
    code, scored, _ = run(capsys, "score", "--benchmark", "rewardbench", "--data", suite / "rewardbench.jsonl",
                          "--judgments", judged / "alpha-rewardbench.jsonl", "--json")  # fmt: skip
    assert code == 0
    (tmp_path / "alpha-score.json").write_text(scored)
    inputs = [*(f"{name}@{bench}:{judged / f'{name}-{bench}.jsonl'}"
                for name, bench in (("alpha", "judgebench"), ("beta", "judgebench"), ("beta", "rewardbench"))),
              f"alpha@{tmp_path / 'alpha-score.json'}", f"cycling@{lmeval}"]  # fmt: skip
    out = tmp_path / "report"
    code, printed, err = run(capsys, "report", *inputs, "--data-dir", judged / "suite", "--out", out, "--json")
    assert code == 0, err
    numbers = {(row["judge"], row["benchmark"]): row for row in json.loads(printed)}
    assert set(numbers) == {("alpha", "judgebench"), ("beta", "judgebench"), ("beta", "rewardbench"),
                            ("alpha", "rewardbench"), ("cycling", "judgebench")}  # fmt: skip
    # The numbers are j1 score's, whichever input they came from.
    assert numbers[("alpha", "rewardbench")]["official"] == json.loads(scored)["official"]
    code, beta_score, _ = run(capsys, "score", "--benchmark", "judgebench", "--data", suite / "judgebench.jsonl",
                              "--judgments", judged / "beta-judgebench.jsonl", "--json")  # fmt: skip
    assert numbers[("beta", "judgebench")]["official"] == json.loads(beta_score)["official"]
    # SC@N: samples 1, 2, 4 for the judge that sampled 4; the last point is the full run's score.
    curve = numbers[("beta", "judgebench")]["sc_curve"]
    assert [n for n, _ in curve] == [1, 2, 4] and curve[-1][1] == json.loads(beta_score)["official"]["overall"]
    assert numbers[("alpha", "judgebench")]["sc_curve"] == []
    # The lm-eval run: half its outputs carry no verdict, which the report counts by reason.
    assert numbers[("cycling", "judgebench")]["j1"]["parse_failure_rate"] == 50.0
    assert sum(numbers[("cycling", "judgebench")]["failures"].values()) == 8
    assert {path.name for path in out.iterdir()} == {"report.html", "report.md", *(f"{f}.png" for f in FIGURES)}
    markdown = (out / "report.md").read_text()
    for name in PAPER_ROWS:
        assert name in markdown
    # J1's protocol beside the paper: consistent accuracy on JudgeBench.
    consistent = numbers[("beta", "judgebench")]["j1"]["consistent_accuracy"]
    assert re.search(rf"\| beta \| – \| – \| {numbers[('beta', 'rewardbench')]['headline']:.1f} \| – \| "
                     rf"{consistent:.1f} \| – \|", markdown)  # fmt: skip
    page = (out / "report.html").read_text()
    assert page.count("data:image/png;base64,") == len(FIGURES) and "<script src" not in page  # self-contained
    import matplotlib.image

    for figure in FIGURES:
        pixels = matplotlib.image.imread(out / f"{figure}.png")
        assert pixels.shape[0] > 200 and pixels.shape[1] > 400


def test_thoughts_are_measured_inside_the_think_block():
    assert thought_words("<think>one two three</think><answer>[[A]]</answer>") == 3
    assert thought_words("<think>cut off mid thought") == 4 and thought_words("just an answer") == 3


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nowhere.jsonl", r"nowhere.jsonl: no such file or folder"),
        ("judgebench:missing.jsonl", r"no judgments file missing.jsonl"),
        ("{plain}", r"a judgments file needs its benchmark: write BENCHMARK:"),
        ("{json}", r"not a `j1 score --json` report"),
        ("{folder}", r"no samples_<task>_\*.jsonl file of a J1 task"),
    ],
)
def test_inputs_that_cannot_be_read_name_themselves(tmp_path, spec, message, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plain.jsonl").write_text('{"pair_id": "x", "order": "AB", "verdict": "A"}\n')
    (tmp_path / "other.json").write_text('{"results": {}}')
    (tmp_path / "empty").mkdir()
    spec = spec.format(plain=tmp_path / "plain.jsonl", json=tmp_path / "other.json", folder=tmp_path / "empty")
    with pytest.raises(ReportError, match=message):
        load_input(spec)


@pytest.mark.slow
def test_the_report_of_a_demo_run_renders_in_a_real_browser(tiny_judge_dir, tmp_path, capsys):
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (make test installs Debian's chromium where it can)")
    from j1_plugin.demo.learning import Recipe, run_learning

    demo = tmp_path / "demo"
    recipe = Recipe("tiny", warmup="random", trainable_layers=1, warmup_steps=1, grpo_steps=1, max_completion_length=8,
                    heldout_limit=4)  # fmt: skip
    run_learning(tiny_judge_dir, demo, recipe, echo=lambda _line: None)
    results = json.loads((demo / "results.json").read_text())
    out = tmp_path / "report"
    code, printed, err = run(capsys, "report", demo, "--out", out, "--json")
    assert code == 0, err
    rows = json.loads(printed)
    assert [row["judge"] for row in rows] == ["demo base", "demo warm-up", "demo trained"]
    assert rows[2]["j1"]["consistent_accuracy"] == results["after"]["consistent_accuracy"]
    assert all(row["outputs"] == 2 * results["before"]["pairs"] for row in rows)  # every held-out judgment's text
    env = {**os.environ, "HOME": str(tmp_path)}
    page = (out / "report.html").as_uri()
    shot = tmp_path / "shot.png"
    common = [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,2600"]
    subprocess.run([*common, f"--screenshot={shot}", page], env=env, capture_output=True, timeout=120, check=True)
    dom = subprocess.run([*common, "--dump-dom", page], env=env, capture_output=True, text=True, timeout=120,
                         check=True).stdout  # fmt: skip
    assert f'data-figures-loaded="{len(FIGURES)}"' in dom  # every figure decoded in the browser
    import matplotlib.image

    pixels = matplotlib.image.imread(shot)[..., :3]
    assert pixels.shape[:2] == (2600, 1280)
    drawn = (pixels.min(axis=2) < 0.9).mean()  # share of pixels that are not near-white
    assert drawn > 0.03 and pixels.std() > 0.05, "the screenshot is blank"
