"""llama.cpp's server (from ``llama-cpp-python[server]``) as a child process, for the benchmark.

The ``openai`` backend is how a business serves a bigger model; measuring it
against a real third-party server shows what the protocol and that server
cost, not just our own stand-in (:mod:`benchmarks.text_server`). The server
runs in its own interpreter, given by ``--llama-server-python``, because its
build (C++ from source, ~10 minutes on 2 cores) has no place in the project's
venvs or in CI::

    python3.11 -m venv /work/llama-venv
    CMAKE_ARGS="-DGGML_NATIVE=ON" /work/llama-venv/bin/pip install "llama-cpp-python[server]"

It serves the same SmolLM2-135M GGUF file the local model is converted from,
so every column of the benchmark runs the same weights.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from bot.supervisor import ServerProcess, free_port, http_ok

MODEL_ALIAS = "smollm2-135m"


class LlamaServer:
    """``python -m llama_cpp.server`` on loopback; a context manager that stops it on exit.

    ``ready_s`` is the time from process start to the first ``200`` from
    ``/v1/models`` (interpreter start, imports and model load), polled every
    20 ms so the figure is not rounded up to a sleep.
    """

    def __init__(
        self,
        python: Path | str,
        gguf: Path,
        *,
        threads: int = 2,
        n_ctx: int = 2048,
        ready_timeout_s: float = 120.0,
        log_dir: Path | None = None,
    ) -> None:
        self.python = Path(python)
        if not self.python.exists():
            raise FileNotFoundError(
                f"No interpreter at {self.python}; build llama.cpp's server in its own venv "
                '(`pip install "llama-cpp-python[server]"`, see benchmarks/llama_server.py) '
                "and pass its python to --llama-server-python."
            )
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.ready_timeout_s = ready_timeout_s
        self.ready_s = 0.0
        log_dir = log_dir or Path(tempfile.mkdtemp(prefix="llama-server-"))
        command = [str(self.python), "-m", "llama_cpp.server", "--model", str(gguf)]
        command += ["--model_alias", MODEL_ALIAS, "--host", "127.0.0.1", "--port", str(self.port)]
        command += ["--n_threads", str(threads), "--n_threads_batch", str(threads)]
        command += ["--n_ctx", str(n_ctx)]
        self.process = ServerProcess(
            "llama.cpp",
            command,
            health=lambda: http_ok(f"{self.base_url}/models", timeout=1.0, expect=_lists_model),
            log_file=log_dir / "llama-server.log",
            cwd=Path(tempfile.gettempdir()),
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )

    def version(self) -> str:
        """The llama-cpp-python version of the server's interpreter, for the results."""
        out = subprocess.run(
            [str(self.python), "-c", "import llama_cpp; print(llama_cpp.__version__)"],
            capture_output=True,
            text=True,
            check=False,
        )
        return out.stdout.strip() or "unknown"

    def __enter__(self) -> LlamaServer:
        started = time.perf_counter()
        self.process.start()
        try:
            self.process.wait_ready(time.monotonic() + self.ready_timeout_s, poll_s=0.02)
        except BaseException:
            self.process.stop(grace_s=5)
            raise
        self.ready_s = time.perf_counter() - started
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.process.stop(grace_s=10)


def _lists_model(body: bytes) -> bool:
    try:
        return any(m.get("id") == MODEL_ALIAS for m in json.loads(body).get("data", []))
    except (ValueError, AttributeError):
        return False
