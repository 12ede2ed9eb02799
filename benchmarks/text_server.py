"""A minimal OpenAI-compatible server around any local TextGenerator, for the benchmark.

It lets the benchmark measure the ``openai`` backend (client, HTTP, server-sent
events) against a real model on this machine when no vLLM or llama.cpp server
is installed: the difference to calling the backend directly is the cost of
the protocol. It serves one request at a time and is not meant for production.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from generators.text import GenerationOptions, Message, TextGenerator


def serve(
    generator: TextGenerator, *, host: str = "127.0.0.1", port: int = 0
) -> ThreadingHTTPServer:
    """Start serving in a daemon thread; ``server.server_address`` says where."""
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body: dict[str, Any] = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            messages = [Message(m["role"], m["content"]) for m in body["messages"]]
            options = GenerationOptions(
                max_new_tokens=int(body.get("max_tokens") or 128),
                temperature=float(body.get("temperature") or 0.0),
                repetition_penalty=float(body.get("repetition_penalty") or 1.0),
            )
            with lock:
                if body.get("stream"):
                    self._stream(generator, messages, options, body["model"])
                else:
                    self._json(generator.generate(messages, options), body["model"])

        def _chunk(self, model: str, delta: dict[str, str]) -> bytes:
            event = {
                "id": "bench",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": model,
                "choices": [{"index": 0, "delta": delta}],
            }
            return f"data: {json.dumps(event)}\n\n".encode()

        def _stream(
            self,
            gen: TextGenerator,
            messages: list[Message],
            options: GenerationOptions,
            model: str,
        ) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for piece in gen.stream(messages, options):
                self.wfile.write(self._chunk(model, {"content": piece}))
                self.wfile.flush()
            self.wfile.write(b"data: [DONE]\n\n")

        def _json(self, text: str, model: str) -> None:
            data = json.dumps(
                {
                    "id": "bench",
                    "object": "chat.completion",
                    "created": 0,
                    "model": model,
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "stop",
                            "message": {"role": "assistant", "content": text},
                        }
                    ],
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="bench-openai-server", daemon=True).start()
    return server
