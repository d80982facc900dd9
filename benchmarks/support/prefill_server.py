"""An OpenAI-compatible chat server that honours ``n`` by sharing the prompt's prefill, as vLLM does.

``transformers serve`` ignores ``n``, and vLLM has no CPU wheel on PyPI, so the SC@N benchmark needs a
server of its own that does what vLLM does with ``n``: the prompt is run through the model once,
its key/value cache is copied to ``n`` rows, and the ``n`` samples are decoded together as one
batch. Requests are served one at a time (one model, one thread).

    python benchmarks/support/prefill_server.py MODEL_DIR    # prints its port, serves until killed

It serves ``POST /v1/chat/completions`` (``messages``, ``max_tokens``, ``temperature``, ``top_p``,
``n``, ``seed``) and ``GET /health``; it is a benchmark fixture, not a product server.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class PrefillSharingModel:
    """A causal LM that samples ``n`` continuations of one prompt from a single prefill."""

    def __init__(self, folder: str) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        torch.set_num_threads(1)
        self.torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        self.model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
        configured = self.model.generation_config.eos_token_id
        configured = configured if isinstance(configured, list) else [configured]
        self.eos = {self.tokenizer.eos_token_id, *configured} - {None}
        self.lock = threading.Lock()

    def complete(self, messages: list[dict[str, str]], n: int, max_tokens: int, temperature: float, top_p: float,
                 seed: int | None) -> tuple[list[str], int, int]:  # fmt: skip
        """``n`` sampled texts, the prompt's token count and the tokens generated."""
        torch = self.torch
        ids = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt",
                                                 return_dict=True)["input_ids"]  # fmt: skip
        with self.lock, torch.no_grad():
            if seed is not None:
                torch.manual_seed(seed)
            out = self.model(ids, use_cache=True)  # the prefill, once for all n samples
            cache = out.cache
            cache.batch_repeat_interleave(n)
            logits = out.logits[:, -1, :].expand(n, -1)
            done = torch.zeros(n, dtype=torch.bool)
            tokens: list[list[int]] = [[] for _ in range(n)]
            length = ids.shape[1]
            for _step in range(max_tokens):
                chosen = self._pick(logits, temperature, top_p)
                for row in range(n):
                    if not done[row]:
                        if int(chosen[row]) in self.eos:
                            done[row] = True
                        else:
                            tokens[row].append(int(chosen[row]))
                if bool(done.all()):
                    break
                length += 1
                mask = torch.ones(n, length, dtype=torch.long)
                out = self.model(chosen.unsqueeze(1), cache=cache, attention_mask=mask, use_cache=True)
                cache, logits = out.cache, out.logits[:, -1, :]
        texts = [self.tokenizer.decode(row, skip_special_tokens=True) for row in tokens]
        return texts, int(ids.shape[1]), sum(map(len, tokens))

    def _pick(self, logits: Any, temperature: float, top_p: float) -> Any:
        torch = self.torch
        if temperature == 0:
            return logits.argmax(dim=-1)
        probs = torch.softmax(logits / temperature, dim=-1)
        if top_p < 1.0:
            ordered, order = probs.sort(dim=-1, descending=True)
            keep = ordered.cumsum(dim=-1) - ordered < top_p
            probs = torch.zeros_like(probs).scatter(-1, order, ordered * keep)
        return torch.multinomial(probs, 1).squeeze(1)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._send(200, {"status": "ok"}) if self.path == "/health" else self._send(404, {"error": "no route"})

    def do_POST(self) -> None:
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send(404, {"error": {"message": f"no route {self.path}"}})
            return
        payload = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        n = int(payload.get("n") or 1)
        texts, prompt_tokens, generated = self.server.model.complete(
            payload["messages"], n, int(payload.get("max_tokens") or 256), float(payload.get("temperature", 1.0)),
            float(payload.get("top_p", 1.0)), payload.get("seed"),
        )  # fmt: skip
        self.server.requests += 1
        self._send(200, {
            "id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion", "created": int(time.time()),
            "model": payload.get("model"),
            "choices": [{"index": k, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
                        for k, text in enumerate(texts)],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": generated,
                      "total_tokens": prompt_tokens + generated},
        })  # fmt: skip


class _Server(ThreadingHTTPServer):
    model: PrefillSharingModel
    requests: int = 0


def main() -> None:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.model = PrefillSharingModel(sys.argv[1])
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
