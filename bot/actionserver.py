"""rasa-sdk's action server with one more route, ``POST /rephrase``.

``python -m bot.actionserver --actions actions --port 5055`` serves everything
``python -m rasa_sdk`` serves (``/webhook``, ``/actions``, ``/health``), plus
``GET /metrics`` for Prometheus (:mod:`bot.metrics`; each action run through
:class:`bot.sdk.analytics.RecordingExecutor`, which times it and puts its
analytics records on its messages), built
with rasa-sdk's own ``create_app`` and started the same way (Sanic's worker
manager and ``AppLoader``), plus the route the engine's
:class:`bot.engine.rephrase.RephrasingNLG` calls for responses marked
``metadata: {rephrase: true}``::

    POST /rephrase
    {"text": "<filled-in template>", "turns": [{"role": "user"|"bot", "text": ...}],
     "response": "utter_greet", "keep": ["<slot value>"], "deadline_s": 1.5}
    → {"text": "<rephrased or the template>", "rephrased": true|false, "reason": ...}

The rephrasing lives here because the text generator does: the engine venv
has no model stack, and one process per venv is the architecture. The
rephraser comes from the process's runtime (:mod:`bot.sdk.runtime`), which
shares one text model with the actions and builds it on first use in a worker
thread, so actions keep being served meanwhile. A malformed request gets a 400 that
says what to send; every other failure is a 200 with the template and the
reason, because the customer must get an answer either way.

Unlike ``python -m rasa_sdk`` it binds to 127.0.0.1 unless ``--host`` (or
``SANIC_HOST``) says otherwise: the action protocol has no authentication.
Settings are checked at start-up (:meth:`Runtime.from_env`); a bad one stops
the server with its :class:`~bot.errors.ConfigError`, which names the fix.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import time
from collections.abc import Sequence
from functools import partial
from typing import cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from rasa_sdk import utils
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
from rasa_sdk.endpoint import create_app_for_serve as create_rasa_sdk_app
from rasa_sdk.endpoint import create_argument_parser, create_ssl_config
from rasa_sdk.executor import ActionExecutor
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.worker.loader import AppLoader

from bot import metrics
from bot.contract import rephrase as contract
from bot.contract.errors import ContractError
from bot.contract.paths import REPHRASE_PATH
from bot.errors import ConfigError
from bot.sdk.analytics import RecordingExecutor
from bot.sdk.runtime import Runtime, get_runtime
from bot.settings import read_environment
from generators.errors import GeneratorError
from generators.rephrase import Rephraser, Rephrasing, Turn

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = contract.MAX_BODY_BYTES
MAX_TEXT_CHARS = contract.MAX_TEXT_CHARS
MAX_DEADLINE_S = contract.MAX_DEADLINE_S
_EXAMPLE = contract.EXAMPLE


class RephraseRequest(BaseModel):
    """The body of ``POST /rephrase`` (:class:`bot.contract.rephrase.RephraseRequest`)."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    turns: list[Turn] = Field(default_factory=list, max_length=contract.MAX_TURNS)
    response: str = Field(default="", max_length=contract.MAX_RESPONSE_CHARS)
    keep: list[str] = Field(default_factory=list, max_length=contract.MAX_KEEP)
    deadline_s: float | None = Field(default=None, gt=0, le=MAX_DEADLINE_S)


class BadRephraseRequest(ContractError):
    """A body the route cannot accept; ``status`` is the HTTP answer."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message, code="bad_rephrase_request")
        self.status = status


def parse_rephrase_request(raw: bytes) -> RephraseRequest:
    """Validate a ``/rephrase`` body; pure, so every rule is testable without a server."""
    if len(raw) > MAX_BODY_BYTES:
        raise BadRephraseRequest(
            f"The body has {len(raw)} bytes; the limit is {MAX_BODY_BYTES}. Send only the "
            "template and the last few turns.",
            status=413,
        )
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise BadRephraseRequest(f"The body is not JSON in UTF-8; send {_EXAMPLE}.") from e
    if not isinstance(body, dict):
        raise BadRephraseRequest(f"The body must be a JSON object: {_EXAMPLE}.")
    try:
        return RephraseRequest.model_validate(body)
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}" for err in e.errors()
        )
        raise BadRephraseRequest(f"Invalid rephrase request ({problems}); send {_EXAMPLE}.") from e


class RephraseService:
    """The route's side of rephrasing: the runtime's one :class:`Rephraser`."""

    def __init__(self, *, runtime: Runtime | None = None) -> None:
        self._runtime = runtime

    def rephraser(self) -> Rephraser:
        """Blocking on the first call (the model loads): call it from a worker thread."""
        runtime = self._runtime or get_runtime()
        return cast(Rephraser, runtime.get_sync("rephraser"))

    def rephrase(self, request: RephraseRequest) -> Rephrasing:
        """Blocking: call it from a worker thread."""
        try:
            rephraser = self.rephraser()
        except GeneratorError as e:
            logger.warning("rephrasing unavailable, templates are used as written: %s", e)
            return Rephrasing(text=request.text, rephrased=False, reason=f"No text generator: {e}")
        return rephraser.rephrase_or_keep(
            request.text,
            request.turns,
            keep=request.keep,
            deadline_s=request.deadline_s,
            response=request.response,
        )


def add_rephrase_route(app: Sanic, service: RephraseService) -> None:
    @app.post(REPHRASE_PATH)
    async def rephrase(request: Request) -> HTTPResponse:
        try:
            parsed = parse_rephrase_request(request.body)
        except BadRephraseRequest as e:
            return response.json({"error": str(e)}, status=e.status)
        started = time.monotonic()
        result = await asyncio.to_thread(service.rephrase, parsed)
        logger.info(
            "rephrase %s: %s in %.0f ms%s",
            parsed.response or "(unnamed)",
            "rephrased" if result.rephrased else "template kept",
            (time.monotonic() - started) * 1000,
            f" ({result.reason})" if result.reason else "",
        )
        reply = contract.RephraseReply(result.text, result.rephrased, result.reason)
        return response.json(reply.to_dict())


def create_app_for_serve(
    action_executor: ActionExecutor,
    *,
    cors_origins: str | list[str] | None,
    auto_reload: bool,
    endpoints: str,
    loglevel: int | str | None,
) -> Sanic:
    """rasa-sdk's app plus ``/rephrase``; module level so Sanic's workers can rebuild it."""
    if not logging.getLogger().handlers:  # a freshly spawned worker: log like the parent
        utils.configure_colored_logging(loglevel)
    app = create_rasa_sdk_app(
        action_executor, cors_origins=cors_origins, auto_reload=auto_reload, endpoints=endpoints
    )
    metrics.instrument_sanic(app, "actions", metrics.MetricsAccess.from_env(read_environment()))
    add_rephrase_route(app, RephraseService())
    return app


def argument_parser() -> argparse.ArgumentParser:
    parser = create_argument_parser()
    parser.description = "Tandem's action server: rasa-sdk's, plus POST /rephrase."
    parser.add_argument(
        "--host",
        default=None,
        help="interface to bind (default 127.0.0.1, or SANIC_HOST)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    parser = argument_parser()
    args = parser.parse_args(argv)
    if args.grpc:
        parser.error("--grpc is not supported here; Tandem's engine calls actions over HTTP.")

    logging.getLogger("matplotlib").setLevel(logging.WARN)
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(
        logging.getLogger(APPLICATION_ROOT_LOGGER_NAME),
        args.log_file,
        args.loglevel,
        args.logging_config_file,
    )
    utils.update_sanic_log_level()
    runtime = get_runtime()  # reads and checks the settings and assistant.yml, loads no model
    host = args.host or runtime.settings.host

    executor = RecordingExecutor()  # times each action, puts its analytics records on
    executor.register_package(args.actions_module or args.actions)
    loader = AppLoader(
        factory=partial(
            create_app_for_serve,
            executor,
            cors_origins=args.cors,
            auto_reload=args.auto_reload,
            endpoints=args.endpoints,
            loglevel=args.loglevel,
        )
    )
    app = loader.load()
    ssl = create_ssl_config(args.ssl_certificate, args.ssl_keyfile, args.ssl_password)
    if host not in ("127.0.0.1", "localhost", "::1"):
        logger.warning(
            "binding to %s: the action protocol has no authentication, so put the action "
            "server behind a firewall or keep it on 127.0.0.1",
            host,
        )
    logger.info(
        "action server with /rephrase on %s://%s:%s",
        "https" if ssl else "http",
        host,
        args.port,
    )
    app.prepare(host=host, port=args.port, ssl=ssl, workers=utils.number_of_sanic_workers())
    Sanic.serve(primary=app, app_loader=loader)


if __name__ == "__main__":
    # Run as bot.actionserver, not __main__, so Sanic's workers can unpickle the factory.
    from bot import actionserver

    try:
        actionserver.main()
    except ConfigError as e:  # a setting to fix: say which, without a traceback
        logger.error("%s", e)
        raise SystemExit(2) from e
