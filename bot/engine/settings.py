"""Settings of the engine process (``python -m bot.engine``), read here only.

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
====================================  ==============================================

Secrets come through the environment, never the command line, where ``ps`` shows them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.settings import env_bool, env_int

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
        )
