"""The engine's HTTP server: Rasa's Sanic app with Tandem's limits and API guard.

:func:`install` wraps ``rasa.core.run.configure_app``, which ``rasa run`` uses to
build its app, so that every app it builds goes through :func:`harden`:

* a body cap (``TANDEM_MAX_BODY_BYTES``, Sanic answers 413 past it) and a
  deadline for a request's head and, separately, for its body (a half-sent body
  would otherwise hold the connection for Rasa's hour-long response timeout,
  which Rasa needs for slow turns and training and so is left as it is);
* a request middleware that applies :class:`~bot.engine.api_guard.ApiGuard` to
  Rasa's API routes and percent-decodes their ``conversation_id``. Sanic 21 runs
  request middleware after routing and after reading the body, then calls the
  handler with ``request.match_info``, so the handler sees the decoded id;
* ``GET /metrics`` for Prometheus (:mod:`bot.metrics`): request latency and
  status classes per route template. It is not one of Rasa's API routes, so the
  guard leaves it to its own rule: ``TANDEM_METRICS_TOKEN``, or this machine only.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

import rasa.core.run as rasa_run
from sanic import Sanic
from sanic.exceptions import RequestTimeout
from sanic.request import Request
from sanic.response import HTTPResponse, json

from bot import metrics
from bot.engine.api_guard import ApiGuard, ApiRequest, Refusal, decode_conversation_id
from bot.engine.settings import EngineSettings

logger = logging.getLogger(__name__)

_RASA_API_MODULE = "rasa.server"
_CONVERSATION_ID = "conversation_id"


def install(settings: EngineSettings | None = None) -> None:
    """Harden every app ``rasa run`` builds from now on (idempotent)."""
    original = rasa_run.configure_app
    if getattr(original, "tandem_hardened", False):
        return

    @functools.wraps(original)
    def configure_app(*args: Any, **kwargs: Any) -> Sanic:
        app = original(*args, **kwargs)
        harden(app, settings or EngineSettings.from_env())
        return app

    configure_app.tandem_hardened = True  # type: ignore[attr-defined]
    rasa_run.configure_app = configure_app


def harden(app: Sanic, settings: EngineSettings) -> None:
    """Apply the size and time limits and guard Rasa's API routes of ``app``."""
    app.config.REQUEST_MAX_SIZE = settings.max_body_bytes
    app.config.REQUEST_TIMEOUT = settings.request_timeout_s
    app.request_class = body_deadline_request(settings.request_timeout_s)
    guard = ApiGuard(settings)
    # before the guard's middleware, so that the requests it refuses are timed too
    metrics.instrument_sanic(app, "engine", metrics.MetricsAccess(settings.metrics_token))

    async def guard_api(request: Request) -> HTTPResponse | None:
        route = request.route
        if route is None or not is_api_handler(route.handler):
            return None
        raw_id = request.match_info.get(_CONVERSATION_ID)
        refusal = guard.check(
            ApiRequest(
                method=request.method,
                route="/" + str(route.path).strip("/"),
                host=request.headers.get("host"),
                origin=request.headers.get("origin"),
                authorization=request.headers.get("authorization"),
                content_type=request.headers.get("content-type"),
                has_body=bool(request.body),
                token_in_query="token" in request.get_args(keep_blank_values=True),
                conversation_id=raw_id,
            )
        )
        if refusal is not None:
            return refusal_response(refusal)
        if raw_id is not None:
            request.match_info[_CONVERSATION_ID] = decode_conversation_id(raw_id)
        return None

    app.register_middleware(guard_api, "request")


def is_api_handler(handler: Any) -> bool:
    """Rasa's API routes are the ones ``rasa.server`` defines, but for its hello at ``/``."""
    return (
        getattr(handler, "__module__", None) == _RASA_API_MODULE
        and getattr(handler, "__name__", None) != "hello"
    )


def refusal_response(refusal: Refusal) -> HTTPResponse:
    headers = {"WWW-Authenticate": 'Bearer realm="rasa"'} if refusal.status == 401 else None
    return json(
        {
            "status": "failure",
            "reason": refusal.reason,
            "message": refusal.message,
            "code": refusal.status,
        },
        status=refusal.status,
        headers=headers,
    )


def body_deadline_request(timeout_s: float) -> type[Request]:
    """A request class whose body must arrive within ``timeout_s``.

    Sanic reads a body while the connection is in its handler stage, which only
    the response timeout bounds; ``receive_body`` is its documented hook.
    """

    class BodyDeadlineRequest(Request):
        async def receive_body(self) -> None:
            try:
                await asyncio.wait_for(super().receive_body(), timeout_s)
            except asyncio.TimeoutError as e:
                stream: Any = self.stream
                if stream is not None:
                    stream.keep_alive = False  # close after the 408 ...
                    stream.request_body = None  # ... without waiting for the rest
                raise RequestTimeout(
                    f"The request body did not arrive within {timeout_s:g} s."
                ) from e

    return BodyDeadlineRequest
