"""``j1 judge`` throughput against the same server's raw throughput, and a rerun over a full cache.

Starts a real ``transformers serve`` process with the embedded judge (CPU, float32, one thread)
and sends the same judgment requests two ways at the same concurrency:

* raw: a bare aiohttp client posting the payloads and reading the texts, nothing else;
* j1: :func:`j1_plugin.judging.judge_benchmark` with the ``openai`` backend (retries, cache,
  parsing, the judgments file).

Then it reruns j1 over the complete cache (the output file removed), which must send no request.
The last line printed is JSON: answers per second each way, their ratio (target >= 0.9), the
rerun's requests (target 0) and its speed-up over the first run (target >= 50).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from j1_plugin import get_format
from j1_plugin.benchmarks.synthetic import arithmetic_pairs
from j1_plugin.judges import OpenAIJudge
from j1_plugin.judging import judge_benchmark
from j1_plugin.models import model_path

ONE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false",
              "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(model: Path, port: int, log: Path) -> subprocess.Popen:
    command = [str(Path(sys.executable).with_name("transformers")), "serve", str(model), "--host", "127.0.0.1",
               "--port", str(port), "--device", "cpu", "--dtype", "float32", "--log-level", "warning"]  # fmt: skip
    with log.open("w") as sink:
        process = subprocess.Popen(command, env={**os.environ, **ONE_THREAD}, stdout=sink, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"transformers serve exited:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                return process
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise SystemExit("transformers serve did not start in 180 s")


async def raw_run(url: str, payloads: list[dict], concurrency: int) -> float:
    """Seconds for a bare client to get every payload's answer at ``concurrency``."""
    import aiohttp

    slots = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=600)) as session:

        async def one(payload: dict) -> str:
            async with slots, session.post(url, json=payload) as response:
                data = await response.json()
                return data["choices"][0]["message"]["content"]

        started = time.perf_counter()
        await asyncio.gather(*(one(payload) for payload in payloads))
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=8, help="pairs judged (two requests each)")
    parser.add_argument("--concurrency", type=int, default=2, help="requests in flight, both ways")
    parser.add_argument("--max-new-tokens", type=int, default=24, help="tokens per judgment")
    args = parser.parse_args()
    fmt, model = get_format("pav"), model_path()
    pairs = arithmetic_pairs(args.pairs, seed=5)
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        port = free_port()
        server = start_server(model, port, scratch / "serve.log")
        url = f"http://127.0.0.1:{port}/v1/chat/completions"
        try:
            settings = {"max_tokens": args.max_new_tokens, "temperature": 0.0, "top_p": 1.0, "seed": 0}
            payloads = [
                {"model": str(model), "messages": [dict(m) for m in request.messages], **settings}
                for pair in pairs
                for request in fmt.requests(pair)
            ]
            asyncio.run(raw_run(url, payloads[:2], args.concurrency))  # warm the server up
            raw_first = asyncio.run(raw_run(url, payloads, args.concurrency))
            judge = OpenAIJudge(str(model), base_url=url, concurrency=args.concurrency, cache_dir=scratch / "cache")
            out = scratch / "judgments.jsonl"
            started = time.perf_counter()
            judge_benchmark(pairs, fmt, judge, out, max_new_tokens=args.max_new_tokens, progress=False)
            j1_seconds = time.perf_counter() - started
            raw_second = asyncio.run(raw_run(url, payloads, args.concurrency))
            out.unlink()
            again = OpenAIJudge(str(model), base_url=url, concurrency=args.concurrency, cache_dir=scratch / "cache")
            started = time.perf_counter()
            judge_benchmark(pairs, fmt, again, out, max_new_tokens=args.max_new_tokens, progress=False)
            rerun_seconds = time.perf_counter() - started
        finally:
            server.terminate()
            server.wait(timeout=30)
    answers = len(payloads)
    raw_seconds = (raw_first + raw_second) / 2
    print(f"{answers} judgments at concurrency {args.concurrency}: raw client {raw_seconds:.1f} s "
          f"({raw_first:.1f}, {raw_second:.1f}), j1 judge {j1_seconds:.1f} s; "
          f"rerun over the cache {rerun_seconds:.3f} s with {again.stats['sent']} requests")  # fmt: skip
    print(
        json.dumps(
            {
                "judgments": answers,
                "raw_answers_per_s": round(answers / raw_seconds, 3),
                "j1_answers_per_s": round(answers / j1_seconds, 3),
                "j1_over_raw": round(raw_seconds / j1_seconds, 3),
                "rerun_requests": again.stats["sent"],
                "rerun_speedup": round(j1_seconds / rerun_seconds, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
