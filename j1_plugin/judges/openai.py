"""The ``openai`` judge backend: any OpenAI-compatible chat-completions endpoint.

Works with ``vllm serve``, ``transformers serve``, llama.cpp's server and hosted APIs:
``OpenAIJudge("my-judge", base_url="http://127.0.0.1:8000/v1")``.

* **Concurrency**: up to ``concurrency`` requests in flight (asyncio and aiohttp).
* **Retries**: 429, 5xx, timeouts and dropped connections are retried up to ``max_retries`` times,
  waiting what the server's ``Retry-After`` says, else an exponential backoff with jitter
  (``backoff`` × 2^attempt × a random factor in 0.5..1.5, at most ``max_backoff`` seconds). Other
  errors (400, 401, 404…) stop at once with the server's message.
* **Rate limits**: ``requests_per_minute`` spaces request starts evenly; ``tokens_per_minute``
  holds requests back while the last minute's tokens (the usage the server reported, or prompt
  characters / 4 plus ``max_tokens`` before it answers) would exceed the limit.
* **Cache**: with ``cache_dir``, every answer is stored in SQLite as soon as it arrives, keyed by
  the endpoint's model name, the messages, the sampling settings and the sample index, so a
  killed run resumes without re-sending what was answered. The API key is never part of a key,
  a log line or an error.
* **SC@N**: ``Sampling(n=N)`` asks for ``n`` choices in one request (the server shares the prompt's
  prefill). A server that answers with fewer choices (``transformers serve`` ignores ``n``) is
  noted once and asked for the missing samples one request each, with distinct seeds; one answer
  is never counted as N.
* **API key**: read only from the environment variable named by ``api_key_env`` (default
  ``OPENAI_API_KEY``); none is sent when it is unset.

``stats`` counts requests sent, answers served from the cache, retries, ``n`` fallbacks and the
completion tokens the server reported.
"""

from __future__ import annotations

import asyncio
import collections
import email.utils
import hashlib
import json
import os
import random
import sqlite3
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from j1_plugin.judges.base import Sampling
from j1_plugin.records import Message

DEFAULT_BASE_URL = "http://127.0.0.1:8000/v1"
RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
CACHE_FILE = "openai-requests.sqlite"


class JudgeRequestError(RuntimeError):
    """A request the endpoint refused, or one that still failed after every retry."""


class RequestCache:
    """Answers by request key, in one SQLite file; each answer is committed when stored."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.path = Path(folder) / CACHE_FILE
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, text TEXT NOT NULL)")
        self._db.commit()

    def get(self, key: str) -> str | None:
        row = self._db.execute("SELECT text FROM answers WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def put(self, key: str, text: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO answers (key, text) VALUES (?, ?)", (key, text))
        self._db.commit()

    def __len__(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]

    def close(self) -> None:
        self._db.close()


def default_request_cache(base_url: str, model: str) -> Path:
    """The cache folder of one endpoint and model: ``<cache>/judge-requests/<hash of both>``."""
    from j1_plugin.tiny_models import default_cache_dir

    identity = hashlib.sha256(f"{base_url}\n{model}".encode()).hexdigest()[:16]
    return default_cache_dir() / "judge-requests" / identity


def request_key(model: str, messages: Sequence[Message], sampling: Sampling, sample: int) -> str:
    """The cache key of one sample: endpoint model, messages, sampling settings and sample index."""
    settings = {
        "max_tokens": sampling.max_new_tokens,
        "temperature": sampling.temperature,
        "top_p": sampling.top_p,
        "seed": sampling.seed,
    }
    identity = [model, [dict(m) for m in messages], settings, sample]
    return hashlib.sha256(json.dumps(identity, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait (a number or an HTTP date), ``None`` if absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0.0, moment - (time.time() if now is None else now))


class _RateLimiter:
    """Spaces request starts (requests per minute) and keeps a minute's tokens under a limit."""

    def __init__(self, requests_per_minute: float | None, tokens_per_minute: float | None) -> None:
        self.interval = 60.0 / requests_per_minute if requests_per_minute else 0.0
        self.tokens_per_minute = tokens_per_minute
        self._next_start = 0.0
        self._spent: collections.deque[tuple[float, float]] = collections.deque()
        self._lock = asyncio.Lock()

    async def wait(self, tokens: float) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                while self._spent and now - self._spent[0][0] >= 60.0:
                    self._spent.popleft()
                delay = max(0.0, self._next_start - now)
                if self.tokens_per_minute and self._spent:
                    used = sum(spent for _, spent in self._spent)
                    if used + tokens > self.tokens_per_minute:
                        delay = max(delay, 60.0 - (now - self._spent[0][0]))
                if delay <= 0:
                    break
                await asyncio.sleep(delay)
            self._next_start = time.monotonic() + self.interval
            self._spent.append((time.monotonic(), tokens))

    def settle(self, estimated: float, actual: float | None) -> None:
        """Replace a request's token estimate by what the server reported."""
        if actual is None:
            return
        for index, (moment, spent) in enumerate(self._spent):
            if spent == estimated:
                self._spent[index] = (moment, actual)
                return


class OpenAIJudge:
    """A judge behind an OpenAI-compatible chat-completions endpoint (see the module docstring)."""

    name = "openai"

    def __init__(
        self,
        model: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        api_key_env: str = "OPENAI_API_KEY",
        concurrency: int = 8,
        timeout: float = 600.0,
        max_retries: int = 8,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        requests_per_minute: float | None = None,
        tokens_per_minute: float | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
        use_n: bool = True,
        progress: bool = False,
        extra_body: dict[str, Any] | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {concurrency}")
        if max_retries < 0:
            raise ValueError(f"max_retries must be 0 or more, got {max_retries}")
        url = base_url.rstrip("/")
        self.url = url if url.endswith("/chat/completions") else f"{url}/chat/completions"
        self.model = model
        self.api_key_env = api_key_env
        self.concurrency, self.timeout, self.max_retries = concurrency, timeout, max_retries
        self.backoff, self.max_backoff = backoff, max_backoff
        self.requests_per_minute, self.tokens_per_minute = requests_per_minute, tokens_per_minute
        self.cache = RequestCache(cache_dir) if cache_dir is not None else None
        self.n_supported: bool | None = None if use_n else False
        self.progress = progress
        self.extra_body = dict(extra_body or {})
        self.stats = collections.Counter(sent=0, cached=0, retries=0, n_fallbacks=0)
        self._rng = random.Random()

    # -- the Judge protocol

    def generate(self, conversations: Sequence[Sequence[Message]], sampling: Sampling) -> list[list[str]]:
        """``sampling.n`` texts per conversation, in input order; cached answers are not re-sent."""
        return asyncio.run(self._generate(conversations, sampling))

    async def _generate(self, conversations: Sequence[Sequence[Message]], sampling: Sampling) -> list[list[str]]:
        import aiohttp

        self._n_probe, self._n_probe_started = asyncio.Event(), False
        results: list[list[str | None]] = [[None] * sampling.n for _ in conversations]
        keys = [[request_key(self.model, c, sampling, k) for k in range(sampling.n)] for c in conversations]
        todo = []
        for index, conversation in enumerate(conversations):
            for sample, key in enumerate(keys[index]):
                cached = self.cache.get(key) if self.cache is not None else None
                if cached is not None:
                    results[index][sample] = cached
                    self.stats["cached"] += 1
            missing = [k for k in range(sampling.n) if results[index][k] is None]
            if missing:
                todo.append((index, conversation, missing))
        bar = self._bar(sum(len(missing) for _, _, missing in todo))
        limiter = _RateLimiter(self.requests_per_minute, self.tokens_per_minute)
        slots = asyncio.Semaphore(self.concurrency)
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        connector = aiohttp.TCPConnector(limit=self.concurrency)
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:

            async def one(index: int, conversation: Sequence[Message], missing: list[int]) -> None:
                def arrived(sample: int, text: str) -> None:  # cached at once: a kill loses no answer
                    results[index][sample] = text
                    if self.cache is not None:
                        self.cache.put(keys[index][sample], text)

                await self._samples(session, slots, limiter, conversation, sampling, missing, arrived)
                if bar is not None:
                    bar.update(len(missing))

            outcomes = await asyncio.gather(*(one(*job) for job in todo), return_exceptions=True)
        if bar is not None:
            bar.close()
        failures = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
        if failures:
            kept = " (the answers that arrived are cached; a rerun sends only the rest)" if self.cache else ""
            raise JudgeRequestError(f"{len(failures)} of {len(todo)} requests failed{kept}; first: {failures[0]}")
        return [[text for text in samples if text is not None] for samples in results]

    def _bar(self, total: int) -> Any:
        if not self.progress or not total:
            return None
        from tqdm.auto import tqdm

        return tqdm(total=total, desc="judging", unit="answer")

    async def _samples(
        self, session: Any, slots: asyncio.Semaphore, limiter: _RateLimiter, conversation: Sequence[Message],
        sampling: Sampling, missing: list[int], arrived: Callable[[int, str], None],
    ) -> None:  # fmt: skip
        """Texts for the ``missing`` sample indices, each given to ``arrived`` as it comes: one ``n`` request
        when the server honours ``n``, else one request each."""
        texts: dict[int, str] = {}
        if len(missing) > 1 and self.n_supported is None:
            if self._n_probe.is_set() or self._n_probe_started:
                await self._n_probe.wait()  # the first n request tells whether the server honours n
            else:
                self._n_probe_started = True
                try:
                    texts = await self._n_request(session, slots, limiter, conversation, sampling, missing)
                finally:
                    self._n_probe.set()
        if len(missing) > 1 and self.n_supported and not texts:
            texts = await self._n_request(session, slots, limiter, conversation, sampling, missing)
        for sample, text in texts.items():
            arrived(sample, text)
        for sample in missing:
            if sample not in texts:  # one request per sample, each with its own seed so they differ
                seed = sampling.seed if sampling.greedy else sampling.seed * 1_000_003 + sample
                choices = await self._request(session, slots, limiter, conversation, sampling, 1, seed)
                arrived(sample, choices[0])

    async def _n_request(
        self, session: Any, slots: asyncio.Semaphore, limiter: _RateLimiter, conversation: Sequence[Message],
        sampling: Sampling, missing: list[int],
    ) -> dict[int, str]:  # fmt: skip
        """One request with ``n``; the choices it brought, by sample index (fewer than asked: ``n`` unsupported)."""
        choices = await self._request(session, slots, limiter, conversation, sampling, len(missing), sampling.seed)
        if len(choices) < len(missing) and self.n_supported is not False:
            self.stats["n_fallbacks"] += 1
        self.n_supported = len(choices) >= len(missing)
        return dict(zip(missing, choices, strict=False))

    async def _request(
        self, session: Any, slots: asyncio.Semaphore, limiter: _RateLimiter, conversation: Sequence[Message],
        sampling: Sampling, n: int, seed: int,
    ) -> list[str]:  # fmt: skip
        """The choices' texts of one chat-completions request, retried as the module docstring says."""
        import aiohttp

        from j1_plugin.rewards import completion_text

        payload = {
            **self.extra_body,
            "model": self.model,
            "messages": [dict(message) for message in conversation],
            "max_tokens": sampling.max_new_tokens,
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
            "seed": seed,
        }
        if n > 1:
            payload["n"] = n
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(self.api_key_env)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        estimate = sum(len(m.get("content", "")) for m in conversation) / 4 + n * sampling.max_new_tokens
        last_problem = ""
        for attempt in range(self.max_retries + 1):
            wait = None
            async with slots:
                await limiter.wait(estimate)
                self.stats["sent"] += 1
                try:
                    async with session.post(self.url, json=payload, headers=headers) as response:
                        body = await response.text()
                        if response.status == 200:
                            data = json.loads(body)
                            usage = data.get("usage") or {}
                            total = usage.get("total_tokens")
                            limiter.settle(estimate, float(total) if isinstance(total, (int, float)) else None)
                            if isinstance(usage.get("completion_tokens"), int):
                                self.stats["completion_tokens"] += usage["completion_tokens"]
                            choices = sorted(data.get("choices") or [], key=lambda c: c.get("index", 0))
                            if not choices:
                                raise JudgeRequestError(f"{self.url} answered with no choices")
                            return [completion_text(choice.get("message") or {}, k) for k, choice in enumerate(choices)]
                        last_problem = f"HTTP {response.status}: {_server_message(body)}"
                        if response.status not in RETRY_STATUSES:
                            hint = f" (is ${self.api_key_env} set?)" if response.status in (401, 403) else ""
                            raise JudgeRequestError(f"{self.url} refused the request: {last_problem}{hint}")
                        wait = retry_after_seconds(response.headers.get("Retry-After"))
                except (aiohttp.ClientError, asyncio.TimeoutError, ConnectionError) as exc:
                    last_problem = f"{type(exc).__name__}: {exc}".rstrip(": ")
                except json.JSONDecodeError:
                    last_problem = "the answer was not JSON"
            if attempt == self.max_retries:
                break
            self.stats["retries"] += 1
            if wait is None:
                wait = min(self.max_backoff, self.backoff * 2**attempt) * self._rng.uniform(0.5, 1.5)
            await asyncio.sleep(min(wait, self.max_backoff))
        raise JudgeRequestError(f"{self.url}: still failing after {self.max_retries} retries ({last_problem})")

    def close(self) -> None:
        if self.cache is not None:
            self.cache.close()


def _server_message(body: str) -> str:
    """The error message of a server's answer body, shortened."""
    try:
        data = json.loads(body)
        message = data.get("error", data) if isinstance(data, dict) else data
        if isinstance(message, dict):
            message = message.get("message", message)
        text = str(message)
    except (ValueError, AttributeError):
        text = body
    text = " ".join(text.split())
    return text if len(text) <= 200 else text[:197] + "..."
