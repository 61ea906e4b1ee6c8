"""A loopback OpenAI-compatible chat server for benchmarks, standing for a hosted model.

``POST /v1/chat/completions`` is answered after a fixed latency with the fake provider's reply to
the same prompt (a valid decision when a schema is asked for, a sentence for free text), so a run
on it behaves as on a real server whose speed is known. The server is a process of its own: in the
process that asks it, its threads would share that process's GIL, and every answer would wait for
(and slow) the asking code, a cost no real model server adds.

It keeps the ``seed`` of each request it answered (``GET /served``): a decision's seed is derived
from its agent and step (``simnet.llm.seeds``), so a benchmark that knows the seeds of a step's
requests can count that step's model calls exactly.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self

REPO = Path(__file__).resolve().parents[1]


class FixedLatencyServer:
    """The server in its own process while the ``with`` block runs; ``url`` is its ``base_url``."""

    def __init__(self, latency_s: float) -> None:
        self.latency_s = latency_s
        self.url = ""
        self._process: subprocess.Popen | None = None

    def __enter__(self) -> Self:
        command = [sys.executable, "-m", "bench.writer_server", f"--latency={self.latency_s}"]
        self._process = subprocess.Popen(
            command, cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self._process.stdout is not None
        self.url = self._process.stdout.readline().strip()  # printed once it listens
        if not self.url:
            self.__exit__()
            raise RuntimeError(f"the writer server did not start (exit {self._process.returncode})")
        return self

    def __exit__(self, *_exc) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=30)
            for pipe in (self._process.stdin, self._process.stdout):
                if pipe is not None:
                    pipe.close()

    @property
    def served(self) -> int:
        """Requests answered so far."""
        return len(self.seeds())

    def seeds(self, start: int = 0) -> list[int]:
        """The seeds of the requests answered, in order, from the ``start``-th on."""
        with urllib.request.urlopen(self.url.removesuffix("/v1") + "/served", timeout=30) as answer:
            return json.loads(answer.read())[start:]


def serve(latency_s: float) -> ThreadingHTTPServer:
    """The HTTP server (not yet serving): chat completions after ``latency_s``, ``GET /served``."""
    from simnet.llm.testing import FakeProvider

    fake, lock = FakeProvider(), threading.Lock()
    served: list[int] = []  # the seed of each request answered, in order

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            time.sleep(latency_s)
            with lock:
                content = _answer(fake, body)
            self._send(
                {
                    "choices": [
                        {"message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
                    ],
                    "usage": {"prompt_tokens": 400, "completion_tokens": 40},
                }
            )
            with lock:
                served.append(body.get("seed", 0))

        def do_GET(self) -> None:
            if self.path != "/served":
                self.send_error(404)
                return
            with lock:
                seeds = list(served)
            self._send(seeds)

        def _send(self, data: object) -> None:
            payload = json.dumps(data).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *_args) -> None:
            pass

    httpd = _Server(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    return httpd


class _Server(ThreadingHTTPServer):
    # socketserver's default backlog of 5 drops connections when more arrive at once (a provider
    # sends up to its max_concurrency together), and a dropped SYN is retried only after 1 s
    request_queue_size = 128


def _answer(fake, body: dict) -> str:
    from simnet.llm.base import LLMRequest

    messages = body["messages"]
    system = next((m["content"] for m in messages if m["role"] == "system"), "")
    format_ = body.get("response_format") or {}
    schema = (format_.get("json_schema") or {}).get("schema") or ({} if format_ else None)
    request = LLMRequest(
        key="agent", system=system, user=messages[-1]["content"], schema=schema, seed=body.get("seed", 0)
    )
    return fake.generate([request])[0].text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    httpd = serve(parser.parse_args().latency)
    host, port = httpd.server_address[:2]
    print(f"http://{host}:{port}/v1", flush=True)
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    sys.stdin.read()  # until the process that started us closes its end, or dies


if __name__ == "__main__":
    main()
