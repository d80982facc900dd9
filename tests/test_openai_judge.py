"""The ``openai`` judge backend against a real local HTTP server: retries, the cache, ``n``, the API key.

The server (:mod:`tests.openai_server`) is a real OpenAI-compatible process-local server on
127.0.0.1 with injectable faults: 429 with ``Retry-After``, 500s, slow answers and dropped
connections. Nothing in the client is mocked.
"""

from __future__ import annotations

import time

import pytest
from openai_server import serve

from j1_plugin import get_format, get_judge
from j1_plugin.judges import JudgeRequestError, OpenAIJudge, Sampling, judge_requests
from j1_plugin.judges.openai import RequestCache, retry_after_seconds
from j1_plugin.records import PreferencePair

GREEDY = Sampling(max_new_tokens=64)
PAIRS = [PreferencePair(f"p{k}", f"What is {k} + {k}?", str(2 * k), str(2 * k + 1)) for k in range(6)]


def conversations(count: int = 6) -> list:
    fmt = get_format("pav")
    return [request.messages for pair in PAIRS[:count] for request in fmt.requests(pair)][:count]


def fast_judge(server, **options) -> OpenAIJudge:
    settings = {"concurrency": 4, "backoff": 0.01, "max_backoff": 0.5, "timeout": 5.0, **options}
    return OpenAIJudge("j1", base_url=f"http://127.0.0.1:{server.port}/v1", **settings)


def test_the_backend_is_registered_and_judges_requests():
    assert get_judge("openai") is OpenAIJudge
    fmt = get_format("pav")
    with serve() as server:
        judgments = judge_requests(fast_judge(server), fmt, fmt.requests(PAIRS[0]), GREEDY)
    assert [len(samples) for samples in judgments] == [1, 1]
    assert all(samples[0].ok for samples in judgments)
    payload = server.payloads[0]
    assert payload["model"] == "j1" and payload["temperature"] == 0 and payload["max_tokens"] == 64
    assert "n" not in payload


def test_answers_come_back_in_input_order_under_concurrency():
    with serve() as server:
        texts = fast_judge(server, concurrency=8).generate(conversations(), GREEDY)
    by_prompt = {p["messages"][0]["content"]: r for p, r in zip(server.payloads, server.replies, strict=True)}
    assert [samples[0] for samples in texts] == [by_prompt[c[0]["content"]] for c in conversations()]


@pytest.mark.parametrize(
    "fault",
    [("status", 429, {"Retry-After": "0.3"}), ("status", 500), ("status", 503), ("drop",), ("delay", 3.0)],
    ids=["429-retry-after", "500", "503", "dropped-connection", "timeout"],
)
def test_transient_faults_are_retried_until_answered(fault):
    with serve() as server:
        server.faults = [fault, fault]
        judge = fast_judge(server, timeout=1.0, concurrency=1)
        started = time.monotonic()
        (samples,) = judge.generate(conversations(1), GREEDY)
        took = time.monotonic() - started
    assert samples[0].startswith("<think>") and server.faults_used == 2
    assert judge.stats["retries"] == 2 and judge.stats["sent"] == 3
    if fault[0] == "status" and fault[1] == 429:
        assert took >= 0.6  # Retry-After honoured twice, not the 10 ms backoff


def test_a_fault_that_never_clears_names_the_problem_after_the_retries():
    with serve() as server:
        server.faults = [("status", 502)] * 10
        with pytest.raises(JudgeRequestError, match=r"still failing after 3 retries \(HTTP 502: injected 502\)"):
            fast_judge(server, max_retries=3).generate(conversations(1), GREEDY)
        assert server.faults_used == 4


def test_a_refused_request_is_not_retried_and_the_key_is_never_shown(monkeypatch):
    monkeypatch.setenv("JUDGE_KEY", "sk-secret-123")
    with serve(api_key="right-key") as server:
        with pytest.raises(JudgeRequestError) as caught:
            fast_judge(server, api_key_env="JUDGE_KEY").generate(conversations(1), GREEDY)
        assert len(server.headers) == 1  # a 401 is not retried
    assert "HTTP 401: invalid API key (is $JUDGE_KEY set?)" in str(caught.value)
    assert "sk-secret-123" not in str(caught.value)
    assert server.headers[0]["Authorization"] == "Bearer sk-secret-123"


def test_the_cache_resumes_without_resending_and_never_stores_the_key(tmp_path, monkeypatch):
    monkeypatch.setenv("JUDGE_KEY", "sk-secret-456")
    with serve() as server:
        first = fast_judge(server, cache_dir=tmp_path, api_key_env="JUDGE_KEY")
        part = first.generate(conversations(3), GREEDY)  # as if the run had been killed after 3 answers
        assert len(server.payloads) == 3
        again = fast_judge(server, cache_dir=tmp_path)
        whole = again.generate(conversations(6), GREEDY)
    assert len(server.payloads) == 6  # only the 3 unanswered requests were sent
    assert whole[:3] == part and again.stats["cached"] == 3 and again.stats["sent"] == 3
    assert b"sk-secret-456" not in (tmp_path / "openai-requests.sqlite").read_bytes()
    assert len(RequestCache(tmp_path)) == 6


def test_a_failed_request_keeps_the_answers_that_arrived(tmp_path):
    with serve() as server:
        server.faults = [("status", 400)]
        with pytest.raises(JudgeRequestError, match=r"1 of 4 requests failed \(the answers that arrived are cached"):
            fast_judge(server, cache_dir=tmp_path, concurrency=1).generate(conversations(4), GREEDY)
        assert len(RequestCache(tmp_path)) == 3
        fast_judge(server, cache_dir=tmp_path).generate(conversations(4), GREEDY)
        assert len(server.payloads) == 4  # 3 answered before + the one that failed


def test_sc_at_n_uses_one_request_with_n_when_the_server_honours_it():
    sampling = Sampling(max_new_tokens=64, temperature=1.0, top_p=0.95, n=4, seed=7)
    with serve() as server:
        judge = fast_judge(server)
        (samples,) = judge.generate(conversations(1), sampling)
    assert len(samples) == 4 and len(set(samples)) > 1
    assert len(server.payloads) == 1 and server.payloads[0]["n"] == 4 and judge.n_supported is True


def test_a_server_that_ignores_n_is_asked_once_per_sample_never_counting_one_answer_as_n():
    sampling = Sampling(max_new_tokens=64, temperature=1.0, top_p=0.95, n=4, seed=7)
    with serve(honour_n=False) as server:
        judge = fast_judge(server, concurrency=1)
        first, second = judge.generate(conversations(2), sampling)
    assert len(first) == len(second) == 4 and len(set(first)) > 1
    # The first conversation's n request found it out; every later sample is one request, with its own seed.
    assert [p.get("n") for p in server.payloads] == [4, None, None, None, None, None, None, None]
    seeds = [p["seed"] for p in server.payloads[1:4]]
    assert len(set(seeds)) == 3 and judge.n_supported is False and judge.stats["n_fallbacks"] == 1


def test_requests_per_minute_spaces_the_requests():
    with serve() as server:
        started = time.monotonic()
        fast_judge(server, requests_per_minute=600).generate(conversations(4), GREEDY)  # one per 0.1 s
        assert time.monotonic() - started >= 0.3


def test_retry_after_reads_seconds_and_http_dates():
    assert retry_after_seconds("2.5") == 2.5
    assert retry_after_seconds("Wed, 02 Dec 2026 10:00:05 GMT", now=1796205600.0) == 5.0
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
