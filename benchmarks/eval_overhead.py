"""Overhead of a J1 lm-eval task over a plain ``generate_until`` task with the same requests.

Both sides run ``lm_eval.simple_evaluate`` end to end with a zero-cost model (a scripted
``lm_eval.api.model.LM`` that returns one fixed J1-style judgment instantly), so what is timed
is lm-eval plus the task code: loading the data, building the requests, scoring and
aggregating. The J1 side is ``j1_rewardbench`` on full-size synthetic RewardBench (2,985 pairs,
two requests per pair, both orders). The plain side is a minimal YAML ``generate_until`` task
with one document per J1 request, whose text is the same ``pav`` prompt the J1 task renders,
scored with ``exact_match``. Task managers are built before the timer; each side is run once
untimed (warm-up), then timed ``--repeats`` times, alternating, and the medians are compared.
The last line printed is a JSON object ``{"overhead_ratio": J1 median / plain median}``.
Target: ``overhead_ratio`` at most 1.2.
"""

# ruff: noqa: E402

from __future__ import annotations

import os

# lm-eval and datasets read these when imported: never touch the network
for _name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ.setdefault(_name, "1")

import argparse
import json
import logging
import statistics
import tempfile
import time
from pathlib import Path

import lm_eval
from lm_eval.api.model import LM
from lm_eval.tasks import TaskManager

from j1_plugin import get_benchmark, get_format
from j1_plugin.benchmarks.synthetic import rewardbench_rows, write_jsonl
from j1_plugin.lmeval import task_manager
from j1_plugin.records import ORDERS

J1_TASK = "j1_rewardbench"
PLAIN_TASK = "plain_generate_until"
REASONING = (
    "Criteria: the final number must be right, the steps shown, nothing invented. "
    "My own reference answer: add the tens, then the ones, and check the carry. "
    "Assistant A states the sum and shows the steps; Assistant B makes an off-by-ten slip in the tens. "
)
PLAIN_YAML = """\
task: {task}
dataset_path: json
dataset_kwargs:
  data_files:
    test: {data}
  cache_dir: {cache}
test_split: test
output_type: generate_until
doc_to_text: text
doc_to_target: target
generation_kwargs:
  until: []
  max_gen_toks: 4096
  do_sample: false
  temperature: 0.0
metric_list:
  - metric: exact_match
    aggregation: mean
    higher_is_better: true
metadata:
  version: 1
"""


class ZeroCostJudge(LM):
    """Answers every ``generate_until`` request with the same text, instantly; counts the requests."""

    def __init__(self, reply: str) -> None:
        super().__init__()
        self.reply = reply
        self.requests = 0
        self.prompt_chars = 0

    def generate_until(self, requests, disable_tqdm: bool = False) -> list[str]:
        self.requests += len(requests)
        self.prompt_chars += sum(len(request.args[0]) for request in requests)
        return [self.reply] * len(requests)

    def loglikelihood(self, requests, disable_tqdm: bool = False):
        raise NotImplementedError

    def loglikelihood_rolling(self, requests, disable_tqdm: bool = False):
        raise NotImplementedError


def judge_reply(chars: int) -> str:
    reasoning = (REASONING * (chars // len(REASONING) + 1))[:chars]
    return get_format("pav").write_output(reasoning, verdict="A", scores={"A": 8.0, "B": 3.0})


def write_plain_task(folder: Path, data_file: Path) -> Path:
    """One plain document per J1 request: the ``pav`` prompt of each pair in each order."""
    fmt = get_format("pav")
    pairs = get_benchmark("rewardbench").load_pairs(data_file)
    rows = []
    for pair in pairs:
        for order in ORDERS:
            text = fmt.render(pair.prompt, pair.responses(order))[0]["content"]
            rows.append({"text": text, "target": pair.label(order)})
    plain_data = write_jsonl(rows, folder / "plain.jsonl")
    task_dir = folder / "plain_task"
    task_dir.mkdir()
    yaml_text = PLAIN_YAML.format(task=PLAIN_TASK, data=plain_data, cache=folder / "hf_cache")
    (task_dir / f"{PLAIN_TASK}.yaml").write_text(yaml_text, encoding="utf-8")
    return task_dir


def run(tm, task: str, reply: str, log_samples: bool) -> tuple[float, ZeroCostJudge]:
    model = ZeroCostJudge(reply)
    start = time.perf_counter()
    results = lm_eval.simple_evaluate(
        model=model, tasks=[task], task_manager=tm, bootstrap_iters=0, log_samples=log_samples
    )
    elapsed = time.perf_counter() - start
    assert results is not None and task in results["results"], f"{task} produced no results"
    return elapsed, model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--full",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="full-size RewardBench (2,985 pairs); --no-full uses --per-subset pairs per subset",
    )
    parser.add_argument("--per-subset", type=int, default=20, help="pairs per subset with --no-full")
    parser.add_argument("--padding", type=int, default=4, help="filler sentences per response (64 chars each)")
    parser.add_argument("--reply-chars", type=int, default=2000, help="reasoning characters of the fixed reply")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per side (median reported)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs per side first")
    parser.add_argument(
        "--log-samples",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="simple_evaluate(log_samples=...), on by default as in lm-eval",
    )
    args = parser.parse_args()
    logging.getLogger("lm_eval").setLevel(logging.WARNING)

    with tempfile.TemporaryDirectory(prefix="j1-eval-overhead-") as tmp:
        folder = Path(tmp)
        rows = rewardbench_rows(args.per_subset, full=args.full, padding=args.padding)
        data_file = write_jsonl(rows, folder / "rewardbench.jsonl")
        plain_dir = write_plain_task(folder, data_file)
        reply = judge_reply(args.reply_chars)
        j1_tm = task_manager(include_defaults=False, metadata={"data_file": str(data_file)})
        plain_tm = TaskManager(include_path=str(plain_dir), include_defaults=False)
        sides = {"j1": (j1_tm, J1_TASK), "plain": (plain_tm, PLAIN_TASK)}

        for _ in range(args.warmup):
            for tm, task in sides.values():
                run(tm, task, reply, args.log_samples)
        times: dict[str, list[float]] = {side: [] for side in sides}
        models: dict[str, ZeroCostJudge] = {}
        for _ in range(args.repeats):
            for side, (tm, task) in sides.items():
                elapsed, models[side] = run(tm, task, reply, args.log_samples)
                times[side].append(elapsed)

    assert models["j1"].requests == models["plain"].requests, "both sides must make the same number of requests"
    median = {side: statistics.median(values) for side, values in times.items()}
    ratio = median["j1"] / median["plain"]
    print(
        f"pairs            {len(rows):>10,}   (RewardBench{' full size' if args.full else ''}, padding {args.padding})"
    )
    print(f"reply            {len(reply):>10,} chars (pav, fixed)")
    for side, (_tm, task) in sides.items():
        model = models[side]
        runs = ", ".join(f"{value:.2f}" for value in times[side])
        prompt_chars = model.prompt_chars / model.requests
        print(
            f"{side:<6} {task:<22} {model.requests:>7,} requests, mean prompt {prompt_chars:,.0f} chars: "
            f"median {median[side]:.2f} s  (runs {runs})"
        )
    best = min(times["j1"]) / min(times["plain"])
    print(f"overhead ratio   {ratio:>10.3f}   (medians; fastest runs give {best:.3f}; target <= 1.2)")
    print(json.dumps({"overhead_ratio": round(ratio, 3)}))


if __name__ == "__main__":
    main()
