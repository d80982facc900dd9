"""End to end: lm-eval's own ``local-chat-completions`` backend against a local OpenAI-compatible server.

The server (``tests/openai_server.py``) behaves like vLLM where it matters: it honours an integer
``seed`` (identical payloads, identical answers) and samples afresh only when ``seed`` is null.
Every request goes to 127.0.0.1; JudgeBench synthetic rows keep each run to a few seconds.
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from typing import Any

import pytest
from openai_server import OpenAIServer

from j1_plugin.benchmarks.judgebench import CATEGORIES
from j1_plugin.benchmarks.synthetic import judgebench_rows, write_jsonl
from j1_plugin.scoring import DEFAULT_SEED, J1_KEYS, seeded_order

lm_eval = pytest.importorskip("lm_eval")

TASK = "j1_judgebench"
MODEL_SEED = 77  # lm-eval's per-request seed for this backend (its default is 1234)
ROWS = judgebench_rows(4)
ROW_BY_ID = {row["pair_id"]: row for row in ROWS}
VERDICT = re.compile(r"<answer> \[\[([AB])\]\] </answer>")


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def server():
    """One chat-completions server for the module; its threads are all joined at teardown."""
    before = set(threading.enumerate())
    srv = OpenAIServer(model="j1").start()
    yield srv
    srv.stop()
    assert not srv.running
    leftover = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not [t for t in leftover if t.name.startswith("openai-test-server") or "process_request" in t.name]


@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    return write_jsonl(ROWS, tmp_path_factory.mktemp("judgebench") / "judgebench.jsonl")


@pytest.fixture(scope="module")
def task_managers(data_file):
    """``task_managers(**options)``: a TaskManager with those J1 run options, built once per option set."""
    from j1_plugin.lmeval import task_manager

    cache: dict[tuple, Any] = {}

    def get(**options: Any):
        key = tuple(sorted(options.items()))
        if key not in cache:
            cache[key] = task_manager(include_defaults=False, metadata={"data_file": str(data_file), **options})
        return cache[key]

    return get


@pytest.fixture(scope="module")
def evaluate(server, task_managers):
    """Run ``j1_judgebench`` through ``local-chat-completions``; returns (results, [(payload, reply), ...])."""

    def run(limit: int | None = None, **options: Any) -> tuple[dict[str, Any], list[tuple[dict, str]]]:
        server.reset()
        model_args = (
            f"model=j1,base_url={server.base_url},num_concurrent=1,max_retries=1,timeout=30,"
            f"max_gen_toks=64,seed={MODEL_SEED}"
        )
        res = lm_eval.simple_evaluate(
            model="local-chat-completions",
            model_args=model_args,
            tasks=[TASK],
            task_manager=task_managers(**options),
            apply_chat_template=True,
            bootstrap_iters=0,
            log_samples=True,
            limit=limit,
        )
        return res, server.take()

    return run


@pytest.fixture(scope="module")
def greedy_run(evaluate):
    return evaluate()


@pytest.fixture(scope="module")
def sampled_run(evaluate):
    return evaluate(samples=4)


# ----------------------------------------------------------------------------- helpers


def user_text(payload: dict[str, Any]) -> str:
    return "\n".join(m["content"] for m in payload["messages"] if m.get("role") == "user")


def pair_and_order(payload: dict[str, Any]) -> tuple[str, str]:
    """Which synthetic pair a request judges, and the order it shows (AB: ``response_A`` first)."""
    text = user_text(payload)
    found = [row for row in ROWS if row["response_A"] in text and row["response_B"] in text]
    assert len(found) == 1, f"the request shows the responses of {len(found)} pairs"
    row = found[0]
    return row["pair_id"], "AB" if text.index(row["response_A"]) < text.index(row["response_B"]) else "BA"


def by_pair_and_order(exchanges: list[tuple[dict, str]]) -> dict[tuple[str, str], list[tuple[dict, str]]]:
    groups: dict[tuple[str, str], list[tuple[dict, str]]] = defaultdict(list)
    for payload, reply in exchanges:
        groups[pair_and_order(payload)].append((payload, reply))
    return dict(groups)


def logged(res: dict[str, Any]) -> list[dict[str, Any]]:
    return res["samples"][TASK]


# ----------------------------------------------------------------------------- tests


def test_sc4_sends_four_unseeded_sampled_requests_per_pair_and_order_and_gets_different_answers(sampled_run):
    res, exchanges = sampled_run
    groups = by_pair_and_order(exchanges)
    assert len(exchanges) == len(ROWS) * 2 * 4
    assert set(groups) == {(row["pair_id"], order) for row in ROWS for order in ("AB", "BA")}
    for key, group in groups.items():
        payloads = [payload for payload, _ in group]
        assert len(payloads) == 4, key
        for payload in payloads:
            assert "seed" in payload and payload["seed"] is None, (key, payload.get("seed"))
            assert payload["temperature"] == 1.0, key
            assert payload["top_p"] == 0.95, key
        assert all(p["messages"] == payloads[0]["messages"] for p in payloads), "the 4 samples are one request repeated"
        # a seed-honouring server answers identical seeded payloads identically; unseeded ones differ
        assert len({reply for _, reply in group}) > 1, f"{key}: all 4 samples are identical"
    # the verdicts really vary for some (pair, order), so the vote sees different samples
    verdicts: dict[tuple[str, str], set[str]] = defaultdict(set)
    for sample in logged(res):
        detail = sample["pairs"]
        assert sorted((j["order"], j["sample"]) for j in detail["judgments"]) == [
            (order, k) for order in ("AB", "BA") for k in range(4)
        ]
        for judgment in detail["judgments"]:
            verdicts[detail["pair_id"], judgment["order"]].add(judgment["verdict"])
    assert any(len(found) > 1 for found in verdicts.values()), verdicts


def test_greedy_default_sends_one_seeded_temperature_zero_request_per_order_with_swapped_responses(greedy_run):
    res, exchanges = greedy_run
    assert len(exchanges) == len(ROWS) * 2
    for payload, _ in exchanges:
        assert payload["temperature"] == 0
        assert payload["seed"] == MODEL_SEED
        assert isinstance(payload["seed"], int)
    groups = by_pair_and_order(exchanges)
    assert set(groups) == {(row["pair_id"], order) for row in ROWS for order in ("AB", "BA")}
    assert all(len(group) == 1 for group in groups.values())
    for row in ROWS:
        ab = user_text(groups[row["pair_id"], "AB"][0][0])
        ba = user_text(groups[row["pair_id"], "BA"][0][0])
        assert row["question"] in ab and row["question"] in ba
        assert ab.index(row["response_A"]) < ab.index(row["response_B"])
        assert ba.index(row["response_A"]) > ba.index(row["response_B"])
    for sample in logged(res):
        assert [(j["order"], j["sample"]) for j in sample["pairs"]["judgments"]] == [("AB", 0), ("BA", 0)]


def test_limit_counts_whole_pairs(evaluate):
    res, exchanges = evaluate(limit=3)
    assert len(exchanges) == 6
    groups = by_pair_and_order(exchanges)
    pairs = {pair for pair, _ in groups}
    assert len(pairs) == 3
    assert set(groups) == {(pair, order) for pair in pairs for order in ("AB", "BA")}, "a half-judged pair"
    assert res["n-samples"][TASK]["effective"] == 3
    assert res["results"][TASK]["pairs,none"] == 3
    assert {sample["pairs"]["pair_id"] for sample in logged(res)} == pairs


def test_single_order_sends_one_request_per_pair_in_the_logged_seeded_order(evaluate):
    res, exchanges = evaluate(single_order=True)
    assert len(exchanges) == len(ROWS)
    sent = {}
    for payload, _ in exchanges:
        pair, order = pair_and_order(payload)
        assert pair not in sent, f"{pair} was judged twice"
        sent[pair] = order
        assert payload["temperature"] == 0 and payload["seed"] == MODEL_SEED
    assert set(sent) == set(ROW_BY_ID)
    samples = logged(res)
    assert len(samples) == len(ROWS)
    for i in range(len(samples)):
        detail = samples[i]["pairs"]
        pair = detail["pair_id"]
        assert detail["random_order"] == sent[pair]
        assert detail["random_order"] == seeded_order(pair, DEFAULT_SEED)
        assert detail["seed"] == DEFAULT_SEED
        assert [j["order"] for j in detail["judgments"]] == [sent[pair]]
    assert len(set(sent.values())) == 2, "the synthetic pairs were expected to get both orders"


def test_results_carry_official_and_j1_keys_and_samples_log_pairs_and_raw_judge_text(greedy_run):
    res, exchanges = greedy_run
    results = res["results"][TASK]
    for key in ["overall", *CATEGORIES]:
        assert isinstance(results[f"official_{key},none"], float), key
    for key in J1_KEYS:
        assert isinstance(results[f"j1_{key},none"], float), key
    assert 0.0 <= results["official_overall,none"] <= 100.0
    assert results["pairs,none"] == len(ROWS)
    assert results["j1_parse_failure_rate,none"] == 0.0

    reply_order = {reply: pair_and_order(payload) for payload, reply in exchanges}
    assert len(reply_order) == len(exchanges), "replies were expected to be distinct"
    samples = logged(res)
    assert sorted(sample["pairs"]["pair_id"] for sample in samples) == sorted(ROW_BY_ID)
    for sample in samples:
        detail = sample["pairs"]
        assert detail["pair_id"] == sample["doc"]["pair_id"]
        assert detail["format"] == "pav"
        texts = sample["filtered_resps"]
        assert [resp[0] for resp in sample["resps"]] == texts
        assert len(texts) == len(detail["judgments"]) == 2
        for text, judgment in zip(texts, detail["judgments"], strict=True):
            assert text in reply_order, "the logged response is not what the server sent"
            assert text.startswith("<think>") and "</think>" in text, "the thinking was stripped"
            assert reply_order[text] == (detail["pair_id"], judgment["order"])
            assert judgment["status"] == "ok"
            assert judgment["verdict"] == VERDICT.search(text).group(1)
        assert set(detail["outcomes"]) == {"AB", "BA"}
