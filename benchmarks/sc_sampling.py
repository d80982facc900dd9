"""SC@8 through the ``openai`` backend: one request with ``n=8`` against eight separate requests.

Starts ``benchmarks/support/prefill_server.py`` (the embedded judge behind an OpenAI-compatible
server that, like vLLM, runs a prompt's prefill once and decodes the ``n`` samples as one batch;
one thread) and judges the same pairs with :func:`j1_plugin.judging.judge_benchmark`, 8 samples
per judgment at temperature 1, two ways:

* ``n``: the backend's default, one request per judgment asking for ``n=8``;
* separate: ``use_n=False``, eight requests per judgment, each with its own seed.

Both runs use the same concurrency, no cache, and write the judgments file ``j1 score`` reads.
The last line printed is JSON: seconds each way, requests sent, and the cost ratio n / separate
(target <= 0.5).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from j1_plugin import get_format
from j1_plugin.benchmarks.synthetic import arithmetic_pairs
from j1_plugin.judges import OpenAIJudge
from j1_plugin.judging import judge_benchmark
from j1_plugin.models import model_path

SERVER = Path(__file__).parent / "support" / "prefill_server.py"
ONE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false",
              "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}  # fmt: skip


def run(judge: OpenAIJudge, pairs, out: Path, samples: int, tokens: int) -> float:
    start = time.perf_counter()
    judge_benchmark(pairs, get_format("pav"), judge, out, samples=samples, max_new_tokens=tokens, seed=0,
                    progress=False)  # fmt: skip
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--samples", type=int, default=8)
    parser.add_argument("--max-new-tokens", type=int, default=48)
    args = parser.parse_args()

    model = model_path()
    server = subprocess.Popen([sys.executable, str(SERVER), str(model)], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, **ONE_THREAD})  # fmt: skip
    try:
        base_url = f"http://127.0.0.1:{int(server.stdout.readline())}/v1"
        pairs = arithmetic_pairs(args.pairs, seed=0)
        with tempfile.TemporaryDirectory() as scratch:
            folder = Path(scratch)
            warm = OpenAIJudge(str(model), base_url, concurrency=1)
            run(warm, pairs[:1], folder / "warm.jsonl", 2, 4)  # load and warm the model once
            shared = OpenAIJudge(str(model), base_url, concurrency=1)
            separate = OpenAIJudge(str(model), base_url, concurrency=1, use_n=False)
            seconds_n = run(shared, pairs, folder / "n.jsonl", args.samples, args.max_new_tokens)
            seconds_separate = run(separate, pairs, folder / "separate.jsonl", args.samples, args.max_new_tokens)
            lines = [json.loads(line) for line in (folder / "n.jsonl").read_text().splitlines()]
    finally:
        server.kill()
        server.wait(timeout=30)
    judgments = 2 * len(pairs)
    assert len(lines) == judgments * args.samples, "every sample of every judgment is written"
    assert shared.stats["sent"] == judgments and shared.n_supported, "the server honoured n"
    assert separate.stats["sent"] == judgments * args.samples
    print(f"{judgments} judgments x {args.samples} samples, {args.max_new_tokens} new tokens at most:")
    print(f"  n={args.samples} in one request: {seconds_n:.1f} s, {shared.stats['sent']} requests")
    print(f"  separate requests:   {seconds_separate:.1f} s, {separate.stats['sent']} requests")
    print(json.dumps({
        "benchmark": "sc_sampling", "judgments": judgments, "samples": args.samples,
        "seconds_n": round(seconds_n, 2), "seconds_separate": round(seconds_separate, 2),
        "requests_n": shared.stats["sent"], "requests_separate": separate.stats["sent"],
        "cost_ratio_n_over_separate": round(seconds_n / seconds_separate, 3), "target": "<= 0.5",
    }))  # fmt: skip


if __name__ == "__main__":
    main()
