"""The handoff service as one ASGI app: engine API, agent console, background sync.

:func:`create_app` wires the pieces from a :class:`HandoffSettings`; tests
pass a :class:`~bot.handoff.gateway.FakeRasaGateway` and their own text
generator factory. Start-up migrates the database, then (in the background)
catches up with every active handoff and sweeps them every ``sweep_s``.
``GET /metrics`` serves Prometheus' format (:mod:`bot.metrics`): request latency
and status classes per route template, and the number of waiting conversations.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot import metrics
from bot.analytics.db import make_engine as make_analytics_engine
from bot.console import analytics
from bot.console import routes as console
from bot.console.assist import Assistant, GeneratorFactory, generator_from_env
from bot.handoff import api
from bot.handoff.accounts import Accounts
from bot.handoff.db import make_engine, migrate
from bot.handoff.errors import HandoffError, NotAuthenticated, http_status
from bot.handoff.gateway import HttpxRasaGateway, RasaGateway
from bot.handoff.live import Hub
from bot.handoff.locks import SharedLocks
from bot.handoff.relay import PostgresRelay, connector
from bot.handoff.service import Clock, HandoffService
from bot.handoff.settings import HandoffSettings
from bot.handoff.store import Store
from bot.handoff.throttle import LoginThrottle

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}


@dataclass
class Runtime:
    """Everything a request handler may need, in ``app.state.runtime``."""

    settings: HandoffSettings
    engine: Engine
    store: Store
    accounts: Accounts
    throttle: LoginThrottle
    hub: Hub
    gateway: RasaGateway
    service: HandoffService
    assistant: Assistant
    analytics: sessionmaker[Session]  # the analytics store, read by the dashboard


Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class BodyLimit:
    """Refuse bodies over ``limit`` bytes with a 413 before anything parses them."""

    def __init__(self, app: Any, *, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                response = JSONResponse(
                    {"error": f"The request body is over {self.limit // 1024} KiB; send less."},
                    status_code=413,
                )
                await response(scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        delivered = False

        async def replay() -> MutableMapping[str, Any]:
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


class SecurityHeaders:
    """CSP, no framing, no sniffing, same-origin referrers on every console response."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/console"):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [
                    (k.encode(), v.encode())
                    for k, v in SECURITY_HEADERS.items()
                    if k.encode() not in present
                ]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, with_headers)


def _validation_message(error: RequestValidationError) -> tuple[int, dict[str, Any]]:
    errors = error.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return 400, {"error": "The request body is not valid JSON; send a JSON object."}
    if any(tuple(e.get("loc", ())) == ("body",) for e in errors):
        return 400, {
            "error": "Send a JSON object as the body, with Content-Type: application/json."
        }
    parts = []
    for e in errors:
        where = ".".join(str(p) for p in e.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {e.get('msg', 'invalid')}")
    details = [
        {"field": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg")}
        for e in errors
    ]
    return 422, {"error": "; ".join(parts), "details": details}


def create_app(
    settings: HandoffSettings,
    *,
    gateway: RasaGateway | None = None,
    text_generator: GeneratorFactory | None = generator_from_env,
    run_migrations: bool = True,
    clock: Clock | None = None,
) -> FastAPI:
    settings.check()
    engine = make_engine(settings.db_url)
    sessions = sessionmaker(engine, expire_on_commit=False)
    analytics_engine = make_analytics_engine(settings.analytics_db_url)
    hub = Hub(
        relay=PostgresRelay.for_engine(engine) if settings.live_backend == "postgres" else None
    )
    # Replicas share the database: on PostgreSQL a conversation's lock holds across them.
    shared_locks = SharedLocks(connector(engine)) if engine.dialect.name == "postgresql" else None
    store = Store(sessions)
    gateway = gateway or HttpxRasaGateway(
        settings.rasa_url, token=settings.rasa_token, timeout_s=settings.rasa_timeout_s
    )
    runtime = Runtime(
        settings=settings,
        engine=engine,
        store=store,
        accounts=Accounts(sessions),
        throttle=LoginThrottle(sessions),
        hub=hub,
        gateway=gateway,
        service=HandoffService(
            store=store,
            gateway=gateway,
            hub=hub,
            settings=settings,
            clock=clock,
            shared_locks=shared_locks,
        ),
        assistant=Assistant(
            hub=hub,
            factory=text_generator,
            deadline_s=settings.assist_deadline_s,
            assistant_name=settings.assistant_name,
        ),
        analytics=sessionmaker(analytics_engine),
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if run_migrations:
            await asyncio.to_thread(migrate, engine)
        await hub.start()
        sweeper = asyncio.create_task(runtime.service.run_forever(settings.sweep_s))
        try:
            yield
        finally:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
            await runtime.service.syncer.cancel()
            await runtime.assistant.cancel()
            await hub.aclose()
            if shared_locks is not None:
                await shared_locks.aclose()
            await gateway.aclose()
            engine.dispose()
            analytics_engine.dispose()

    app = FastAPI(
        title="Tandem handoff service",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.runtime = runtime
    app.include_router(api.router)
    app.include_router(console.router)
    app.include_router(analytics.router)
    app.mount("/console/static", StaticFiles(directory=console.STATIC), name="console-static")

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    access = metrics.MetricsAccess(settings.metrics_token)

    @app.get(metrics.METRICS_PATH, include_in_schema=False)
    async def prometheus(request: Request) -> Response:
        refusal = access.check(
            peer=request.client.host if request.client else None,
            host=request.headers.get("host"),
            authorization=request.headers.get("authorization"),
            token_in_query="token" in request.query_params,
        )
        if refusal is not None:
            return JSONResponse({"error": refusal.message}, status_code=refusal.status)
        metrics.HANDOFF_QUEUE.set(await asyncio.to_thread(runtime.store.waiting_count))
        body, content_type = metrics.render()
        return Response(body, media_type=content_type)

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/console/", status_code=307)

    @app.exception_handler(HandoffError)
    async def handoff_error(request: Request, error: HandoffError) -> Any:
        status = http_status(error)
        if status >= 500:
            logger.warning("%s %s failed: %s", request.method, request.url.path, error)
        headers = {"www-authenticate": "Bearer"} if isinstance(error, NotAuthenticated) else None
        return JSONResponse({"error": str(error)}, status_code=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        status, body = _validation_message(error)
        return JSONResponse(body, status_code=status)

    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodyLimit)
    app.add_middleware(metrics.AsgiMetrics, service="handoff")  # outermost: times everything
    metrics.observe_generator_calls()  # the console's summaries and suggested replies
    return app
