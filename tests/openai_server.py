"""A small, real OpenAI-compatible chat-completions server for tests, answering like a J1 judge.

It listens on 127.0.0.1 (an OS-chosen port) in a background thread and serves
``POST /v1/chat/completions`` (and ``GET /v1/models``) the way a vLLM server does for what the
J1 tests need:

* every JSON payload received is recorded (:attr:`OpenAIServer.payloads`), and the text sent back
  for it (:attr:`OpenAIServer.replies`, same index);
* the reply is a J1 ``pav`` answer, ``<think>...</think>\\n<answer> [[A]] </answer>`` (or ``[[B]]``);
* with an integer ``seed`` the text is a deterministic function of (messages, seed, temperature),
  so identical payloads get identical answers, as on a server honouring the seed;
* with ``seed`` null or absent and ``temperature`` > 0 the verdict and the text are drawn at random;
* with ``temperature`` 0 (greedy) the text depends on the messages only;
* ``stop`` strings cut the text and ``max_tokens`` (whitespace tokens here) limits it, as usual.

Faults, for testing clients: each entry of :attr:`OpenAIServer.faults` is used up by one request,
in order: ``("status", code, headers)`` answers with that HTTP error, ``("delay", seconds)`` waits
before answering (a client timeout), ``("drop",)`` closes the connection without a reply. With
``honour_n=False`` the server ignores ``n`` and returns one choice, as ``transformers serve`` does;
with ``api_key`` set, a request without ``Authorization: Bearer <key>`` gets 401. ``reply``, a
function of the request's messages and the choice's index, replaces the built-in answer (a judge
that decides by a rule, or a generator whose choices differ).

Use :func:`serve` (a context manager) or :meth:`OpenAIServer.start` / :meth:`OpenAIServer.stop`.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CHAT_PATH = "/v1/chat/completions"
MODELS_PATH = "/v1/models"


def _digest(*parts: Any) -> bytes:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, ensure_ascii=False).encode()).digest()


def judge_text(messages: Any, seed: Any, temperature: float, rng: random.Random) -> str:
    """The judge's reply to one request (see the module docstring for when it is deterministic)."""
    if isinstance(seed, (int, list)) and not isinstance(seed, bool):
        digest = _digest(messages, seed, temperature)
    elif temperature == 0:
        digest = _digest(messages)
    else:
        digest = rng.randbytes(32)
    verdict = "A" if digest[0] & 1 else "B"
    note = digest[1:5].hex()
    return (
        f"<think>Checking both sums step by step (trace {note}). "
        f"Assistant {verdict} adds the tens and the ones correctly.</think>\n"
        f"<answer> [[{verdict}]] </answer>"
    )


def _apply_limits(text: str, stop: Any, max_tokens: Any) -> tuple[str, str]:
    stops = [stop] if isinstance(stop, str) else [s for s in (stop or []) if isinstance(s, str) and s]
    cut = min((text.find(s) for s in stops if s in text), default=-1)
    if cut >= 0:
        return text[:cut], "stop"
    if isinstance(max_tokens, int) and max_tokens > 0:
        words = text.split(" ")
        if len(words) > max_tokens:
            return " ".join(words[:max_tokens]), "length"
    return text, "stop"


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"  # one request per connection: handler threads end with their reply
    timeout = 10  # a silent client cannot hold a handler thread for long

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def _send_json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str) -> None:
        self._send_json(status, {"object": "error", "message": message, "type": "BadRequestError", "code": status})

    def do_GET(self) -> None:
        if self.path.rstrip("/") == MODELS_PATH:
            model = {"id": self.server.owner.model, "object": "model", "owned_by": "tests"}
            self._send_json(200, {"object": "list", "data": [model]})
        else:
            self._error(404, f"no route {self.path}")

    def do_POST(self) -> None:
        if self.path.rstrip("/") != CHAT_PATH:
            self._error(404, f"no route {self.path}")
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
            payload = json.loads(self.rfile.read(length) or b"null")
        except (ValueError, OSError) as exc:
            self._error(400, f"invalid JSON body: {exc}")
            return
        if not isinstance(payload, dict) or not isinstance(payload.get("messages"), list):
            self._error(400, "the body must be a JSON object with a 'messages' list")
            return
        temperature = payload.get("temperature")
        if temperature is not None and (isinstance(temperature, bool) or not isinstance(temperature, (int, float))):
            self._error(400, f"'temperature' must be a number, got {temperature!r}")
            return
        owner = self.server.owner
        owner.headers.append(dict(self.headers))
        if owner.api_key is not None and self.headers.get("Authorization") != f"Bearer {owner.api_key}":
            self._error(401, "invalid API key")
            return
        fault = owner.next_fault()
        if fault is not None:
            owner.faults_used += 1
            kind = fault[0]
            if kind == "status":
                data = json.dumps({"error": {"message": f"injected {fault[1]}"}}).encode()
                self.send_response(fault[1])
                for name, value in (fault[2] if len(fault) > 2 else {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            if kind == "drop":
                self.close_connection = True
                self.connection.shutdown(2)
                return
            if kind == "delay":
                time.sleep(fault[1])
        self._send_json(200, owner.complete(payload))


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins every handler thread
    block_on_close = True
    owner: OpenAIServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that went away is not an error here
            super().handle_error(request, client_address)


class OpenAIServer:
    """The test server; ``payloads`` holds every chat request body received, in arrival order.

    ``replies[i]`` is the assistant text sent back for ``payloads[i]``.
    """

    def __init__(
        self,
        model: str = "j1",
        *,
        honour_n: bool = True,
        api_key: str | None = None,
        reply: Callable[[list[dict[str, Any]], int], str] | None = None,
    ) -> None:
        self.model = model
        self.reply = reply
        self.honour_n = honour_n
        self.api_key = api_key
        self.faults: list[tuple[Any, ...]] = []
        self.faults_used = 0
        self.headers: list[dict[str, str]] = []
        self.payloads: list[dict[str, Any]] = []
        self.replies: list[str] = []
        self._lock = threading.Lock()
        self._rng = random.Random()  # unseeded on purpose: unseeded sampled requests differ
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the server is not running")
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{CHAT_PATH}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> OpenAIServer:
        if self._httpd is not None:
            raise RuntimeError("the server is already running")
        httpd = _Server(("127.0.0.1", 0), _Handler)
        httpd.owner = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="openai-test-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving, close the socket and join the serving and handler threads."""
        httpd, thread = self._httpd, self._thread
        if httpd is None or thread is None:
            return
        httpd.shutdown()
        httpd.server_close()  # joins the handler threads (block_on_close)
        thread.join(timeout)
        if thread.is_alive():
            raise RuntimeError("the test server thread did not stop")
        self._httpd = self._thread = None

    # -- requests

    def reset(self) -> None:
        with self._lock:
            self.payloads.clear()
            self.replies.clear()

    def take(self) -> list[tuple[dict[str, Any], str]]:
        """The (payload, reply text) exchanges so far, which are then forgotten."""
        with self._lock:
            exchanges = list(zip(self.payloads, self.replies, strict=True))
            self.payloads.clear()
            self.replies.clear()
        return exchanges

    def next_fault(self) -> tuple[Any, ...] | None:
        with self._lock:
            return self.faults.pop(0) if self.faults else None

    def complete(self, payload: dict[str, Any]) -> dict[str, Any]:
        temperature = payload.get("temperature")
        temperature = 1.0 if temperature is None else float(temperature)  # OpenAI's default
        n = payload.get("n") if self.honour_n and isinstance(payload.get("n"), int) else 1
        seed = payload.get("seed")
        with self._lock:
            texts = []
            for index in range(max(1, n)):
                choice_seed = seed if index == 0 or not isinstance(seed, int) else [seed, index]
                if self.reply is not None:
                    text = self.reply(payload["messages"], index)
                else:
                    text = judge_text(payload["messages"], choice_seed, temperature, self._rng)
                texts.append(_apply_limits(text, payload.get("stop"), payload.get("max_tokens")))
            text = texts[0][0]
            self.payloads.append(payload)
            self.replies.append(text)
        prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in payload["messages"] if isinstance(m, dict))
        completion_tokens = sum(len(choice_text.split()) for choice_text, _ in texts)
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": payload.get("model") or self.model,
            "choices": [
                {
                    "index": index,
                    "message": {"role": "assistant", "content": choice_text},
                    "logprobs": None,
                    "finish_reason": choice_finish,
                }
                for index, (choice_text, choice_finish) in enumerate(texts)
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }


@contextmanager
def serve(model: str = "j1", **options: Any) -> Iterator[OpenAIServer]:
    server = OpenAIServer(model, **options).start()
    try:
        yield server
    finally:
        server.stop()


if __name__ == "__main__":  # a server process of its own: prints its port, serves until killed
    import sys

    running = OpenAIServer(sys.argv[1] if len(sys.argv) > 1 else "j1").start()
    print(running.port, flush=True)
    threading.Event().wait()
