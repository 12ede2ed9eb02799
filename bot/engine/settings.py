"""Settings of the engine venv's code, read here only (a test holds every other
engine-side module to it): the server (``python -m bot.engine``), the channels and
the NLU components.

====================================  ==============================================
``TANDEM_RASA_TOKEN``                 the bearer token of Rasa's HTTP API; the
                                      supervisor sets a random one per run; unset,
                                      the API refuses every call
``TANDEM_API_JWT_SECRET``             optional key of JWTs for the API (Rasa's
                                      ``--jwt-secret``); never the web-chat key
``TANDEM_API_JWT_METHOD``             their algorithm (HS256)
``TANDEM_HOST``                       the bind address, also an allowed ``Host``
``TANDEM_ALLOWED_HOSTS``              more ``Host`` names for the API, comma-separated
``TANDEM_ALLOWED_ORIGINS``            browser origins allowed to call the API
                                      (``https://ops.example.com``), comma-separated
``TANDEM_ENABLE_MODEL_API``           ``true`` opens ``PUT``/``DELETE /model``,
                                      ``/model/train`` and ``/model/test/*`` (false)
``TANDEM_MAX_BODY_BYTES``             largest request body, any route (1 MiB)
``TANDEM_REQUEST_TIMEOUT_S``          seconds to receive a request's head, and
                                      again its body (15)
``TANDEM_STATE_DIR``                  where channels keep state, e.g. Teams'
                                      conversation references (``.tandem``)
``TANDEM_METRICS_TOKEN``              the bearer token of ``GET /metrics``; unset,
                                      only this machine may scrape (bot.metrics)
``TANDEM_ACTIONS_PYTHON``             the actions venv's python, which runs the
                                      encoder fine-tune during ``rasa train``
``TANDEM_VENV_DIR``                   the folder of both venvs; the fine-tune looks
                                      for ``actions/bin/python`` there (``.venv``)
``TANDEM_INFERENCE_THREADS``          threads of each sentence encoder (ONNX Runtime);
                                      0: the model config's ``num_threads`` (0)
====================================  ==============================================

Secrets come through the environment, never the command line, where ``ps`` shows them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.env import env_bool, env_int

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
DEFAULT_REQUEST_TIMEOUT_S = 15


def _csv(raw: str | None) -> tuple[str, ...]:
    return tuple(item.strip() for item in (raw or "").split(",") if item.strip())


@dataclass(frozen=True)
class EngineSettings:
    """What the engine's HTTP server enforces; defaults are the loopback run."""

    rasa_token: str = field(default="", repr=False)
    api_jwt_secret: str = field(default="", repr=False)
    api_jwt_method: str = "HS256"
    host: str = "127.0.0.1"
    allowed_hosts: tuple[str, ...] = ()
    allowed_origins: tuple[str, ...] = ()
    enable_model_api: bool = False
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    request_timeout_s: int = DEFAULT_REQUEST_TIMEOUT_S
    state_dir: Path = Path(".tandem")
    actions_python: str = ""
    venv_dir: str = ""
    metrics_token: str = field(default="", repr=False)
    socketio_redis_url: str = field(default="", repr=False)
    """``TANDEM_SOCKETIO_REDIS_URL``: the web chat's socket.io manager across replicas
    when ``credentials.yml`` has no ``client_manager_url``; empty: one process."""
    channels_redis_url: str = field(default="", repr=False)
    """``TANDEM_CHANNELS_REDIS_URL``: where the Slack and Teams channels keep what every
    replica must know (:mod:`bot.channels.shared_state`) when ``credentials.yml`` has no
    ``state_url``; empty: in this process (Slack) or a local SQLite file (Teams)."""
    redis_key_prefix: str = "tandem"
    """``TANDEM_REDIS_KEY_PREFIX``: the first part of every key Tandem's channels write."""
    inference_threads: int = 0
    """``TANDEM_INFERENCE_THREADS``: threads of each sentence encoder; 0 leaves it to the
    model's config. Several replicas on one machine each get their share of the cores
    (``python -m bot run --replicas N`` sets it), instead of each taking them all."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> EngineSettings:
        env = os.environ if env is None else env
        return cls(
            rasa_token=env.get("TANDEM_RASA_TOKEN", ""),
            api_jwt_secret=env.get("TANDEM_API_JWT_SECRET", ""),
            api_jwt_method=env.get("TANDEM_API_JWT_METHOD") or "HS256",
            host=env.get("TANDEM_HOST") or "127.0.0.1",
            allowed_hosts=_csv(env.get("TANDEM_ALLOWED_HOSTS")),
            allowed_origins=_csv(env.get("TANDEM_ALLOWED_ORIGINS")),
            enable_model_api=env_bool(env, "TANDEM_ENABLE_MODEL_API", False),
            max_body_bytes=env_int(
                env, "TANDEM_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES, high=1024**3
            ),
            request_timeout_s=env_int(
                env, "TANDEM_REQUEST_TIMEOUT_S", DEFAULT_REQUEST_TIMEOUT_S, high=3600
            ),
            state_dir=Path(env.get("TANDEM_STATE_DIR") or ".tandem"),
            actions_python=env.get("TANDEM_ACTIONS_PYTHON", ""),
            venv_dir=env.get("TANDEM_VENV_DIR", ""),
            metrics_token=env.get("TANDEM_METRICS_TOKEN", ""),
            socketio_redis_url=env.get("TANDEM_SOCKETIO_REDIS_URL", ""),
            channels_redis_url=env.get("TANDEM_CHANNELS_REDIS_URL", ""),
            redis_key_prefix=env.get("TANDEM_REDIS_KEY_PREFIX") or "tandem",
            inference_threads=env_int(env, "TANDEM_INFERENCE_THREADS", 0, low=0, high=1024),
        )


def child_env(
    overrides: Mapping[str, str],
    *,
    pythonpath: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment of a child process: this one's, ``pythonpath`` first on
    ``PYTHONPATH``, then ``overrides``. The child inherits the secrets too, as any
    subprocess would; pass only to Tandem's own programs."""
    env = os.environ if env is None else env
    path = os.pathsep.join(p for p in [*pythonpath, env.get("PYTHONPATH")] if p)
    return {**env, "PYTHONPATH": path, **overrides}
