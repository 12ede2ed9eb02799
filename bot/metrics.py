"""Prometheus metrics of Tandem's three servers, with ``prometheus_client``.

Importable in both venvs (it needs only ``prometheus_client``): the engine
(Rasa's Sanic app, :mod:`bot.engine.server`), the action server (rasa-sdk's
Sanic app, :mod:`bot.actionserver`) and the handoff service (FastAPI,
:mod:`bot.handoff.app`) each serve ``GET /metrics`` in Prometheus' text format.

Series (``service`` is ``engine``, ``actions`` or ``handoff``):

==============================================  =======================================
``tandem_http_request_duration_seconds``        histogram per ``service``, ``method``,
                                                ``route`` (the route *template*, e.g.
                                                ``/conversations/<conversation_id:path>/tracker``;
                                                ``<unmatched>`` for 404s: no ids in labels)
``tandem_http_responses_total``                 counter per ``service``, ``method``,
                                                ``route``, ``status_class`` (``2xx`` ..
                                                ``5xx``): errors are the 4xx/5xx ones
``tandem_action_duration_seconds``              histogram per custom ``action`` (action server)
``tandem_generator_duration_seconds``           histogram per text ``backend`` and ``task``
``tandem_generator_deadline_hits_total``        counter per ``backend`` and ``task``
``tandem_generator_failures_total``             counter per ``backend`` and ``task``
``tandem_handoff_queue_waiting``                gauge: conversations waiting for a person
==============================================  =======================================

Who may scrape (:class:`MetricsAccess`): with ``TANDEM_METRICS_TOKEN`` set,
whoever sends ``Authorization: Bearer <it>`` (Prometheus' ``authorization``
setting), from anywhere; without it, only clients on this machine (loopback
peer and a loopback ``Host``, so a web page cannot read it through DNS
rebinding). The token is a separate one on purpose: Rasa's API token would let
the scraper drive conversations. A token in the URL is refused, as on the API.

Several Sanic workers: set ``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's
multiprocess mode) and every worker's series are summed in one answer.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    values,
)

METRICS_PATH = "/metrics"
TOKEN_ENV = "TANDEM_METRICS_TOKEN"  # noqa: S105 (a variable name, not a secret)
UNMATCHED = "<unmatched>"
LOOPBACK = ("127.0.0.1", "::1", "localhost")
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
GENERATOR_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 8, 13, 20, 30, 60)

HTTP_SECONDS = Histogram(
    "tandem_http_request_duration_seconds",
    "Time from a request's arrival to its response, per route template.",
    ["service", "method", "route"],
    buckets=LATENCY_BUCKETS,
)
HTTP_RESPONSES = Counter(
    "tandem_http_responses",
    "Responses per route template and status class (4xx and 5xx are the errors).",
    ["service", "method", "route", "status_class"],
)
ACTION_SECONDS = Histogram(
    "tandem_action_duration_seconds",
    "Time a custom action took to run, per action name (action server).",
    ["action"],
    buckets=LATENCY_BUCKETS,
)
GENERATOR_SECONDS = Histogram(
    "tandem_generator_duration_seconds",
    "Time of one text-generator call, per backend and task (answer, rephrase, ...).",
    ["backend", "task"],
    buckets=GENERATOR_BUCKETS,
)
GENERATOR_DEADLINE_HITS = Counter(
    "tandem_generator_deadline_hits",
    "Text-generator calls stopped at their deadline, per backend and task.",
    ["backend", "task"],
)
GENERATOR_FAILURES = Counter(
    "tandem_generator_failures",
    "Text-generator calls that failed (deadline hits included), per backend and task.",
    ["backend", "task"],
)
HANDOFF_QUEUE = Gauge(
    "tandem_handoff_queue_waiting",
    "Conversations waiting for a person (handoff service; read at scrape time).",
    multiprocess_mode="livemax",
)


@dataclass(frozen=True)
class Refusal:
    status: int
    message: str


@dataclass(frozen=True)
class MetricsAccess:
    """Who may read ``/metrics``: see the module. ``token`` empty: this machine only."""

    token: str = field(default="", repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> MetricsAccess:
        """From a settings module's copy of the environment (``bot.settings.read_environment``)."""
        return cls(token=env.get(TOKEN_ENV, ""))

    def check(
        self,
        *,
        peer: str | None,
        host: str | None,
        authorization: str | None,
        token_in_query: bool,
    ) -> Refusal | None:
        if token_in_query:
            return Refusal(
                401,
                "Send the metrics token as `Authorization: Bearer <TANDEM_METRICS_TOKEN>`, "
                "never in the URL, where logs and proxies keep it.",
            )
        if self.token:
            scheme, _, given = (authorization or "").strip().partition(" ")
            if scheme.lower() == "bearer" and hmac.compare_digest(
                given.strip().encode(), self.token.encode()
            ):
                return None
            return Refusal(401, "Metrics need `Authorization: Bearer <TANDEM_METRICS_TOKEN>`.")
        if _is_loopback(peer) and _is_loopback_host(host):
            return None
        return Refusal(
            403,
            "Metrics are served to this machine only; set TANDEM_METRICS_TOKEN and send it as "
            "`Authorization: Bearer <token>` to scrape from elsewhere.",
        )


def _is_loopback(address: str | None) -> bool:
    if not address:
        return False
    address = address.strip("[]")
    return address in LOOPBACK or address.startswith("127.") or address == "::ffff:127.0.0.1"


def _is_loopback_host(host: str | None) -> bool:
    if not host:
        return True  # HTTP/1.0 without Host: not a browser
    host = host.strip().lower()
    if host.startswith("["):
        name = host[1 : host.find("]")] if "]" in host else host
    else:
        name, colon, port = host.rpartition(":")
        name = name if colon and port.isdigit() else host
    return _is_loopback(name)


def status_class(status: int) -> str:
    return f"{status // 100}xx" if 100 <= status < 600 else "other"


def method_label(method: str) -> str:
    method = method.upper()
    return method if method in METHODS else "OTHER"


def observe_request(
    service: str, method: str, route: str | None, status: int, seconds: float
) -> None:
    """One finished request; ``route`` is its template (``None``: no route matched)."""
    labels = (service, method_label(method), route or UNMATCHED)
    HTTP_SECONDS.labels(*labels).observe(seconds)
    HTTP_RESPONSES.labels(*labels, status_class(status)).inc()


def observe_action(action: str, seconds: float) -> None:
    ACTION_SECONDS.labels(action).observe(seconds)


def observe_generation(
    backend: str, task: str, seconds: float, *, deadline_hit: bool, failed: bool
) -> None:
    GENERATOR_SECONDS.labels(backend, task).observe(seconds)
    if deadline_hit:
        GENERATOR_DEADLINE_HITS.labels(backend, task).inc()
    if failed:
        GENERATOR_FAILURES.labels(backend, task).inc()


def render() -> tuple[bytes, str]:
    """This process's series (every worker's in multiprocess mode) and the content type."""
    # prometheus_client picks its value class from PROMETHEUS_MULTIPROC_DIR when it
    # is imported; follow its decision rather than read the variable again.
    if values.ValueClass is not values.MutexValue:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def observe_generator_calls() -> None:
    """Count every text-generator call of this process (idempotent)."""
    from generators.text import GenerationCall, add_call_observer

    def on_call(call: GenerationCall) -> None:
        observe_generation(
            call.backend,
            call.task,
            call.latency_s,
            deadline_hit=call.deadline_hit,
            failed=call.failed,
        )

    add_call_observer(on_call, key="bot.metrics")


# --- Sanic (the engine's Rasa app and the action server's rasa-sdk app) ---------------


def instrument_sanic(app: Any, service: str, access: MetricsAccess) -> None:
    """Time every request of a Sanic app and serve ``/metrics`` on it (Sanic 21 to 25)."""
    from sanic import response as sanic_response

    async def started(request: Any) -> None:
        request.ctx.tandem_started = time.perf_counter()

    async def finished(request: Any, response: Any) -> None:
        began = getattr(request.ctx, "tandem_started", None)
        route = getattr(request, "route", None)
        template = "/" + str(route.path).strip("/") if route is not None else None
        if template == METRICS_PATH:
            return
        seconds = time.perf_counter() - began if began is not None else 0.0
        observe_request(service, request.method, template, int(response.status), seconds)

    async def metrics(request: Any) -> Any:
        refusal = access.check(
            peer=request.ip,
            host=request.headers.get("host"),
            authorization=request.headers.get("authorization"),
            token_in_query="token" in request.args,
        )
        if refusal is not None:
            return sanic_response.json({"error": refusal.message}, status=refusal.status)
        body, content_type = render()
        return sanic_response.raw(body, content_type=content_type)

    # Call this before adding other request middleware, so that a request another
    # one refuses (the engine's API guard) is timed too.
    app.register_middleware(started, "request")
    app.register_middleware(finished, "response")
    app.add_route(metrics, METRICS_PATH, methods=["GET"], name="tandem_metrics")


# --- ASGI (the handoff service) --------------------------------------------------------


class AsgiMetrics:
    """ASGI middleware: times each HTTP request under its route template."""

    def __init__(self, app: Any, *, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] == METRICS_PATH:
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        status = 500

        async def sending(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            observe_request(
                self.service,
                scope["method"],
                asgi_route(scope),
                status,
                time.perf_counter() - began,
            )


def asgi_route(scope: Mapping[str, Any]) -> str | None:
    """The matched route's template (``/api/handoffs/{handoff_id}``), a mount's prefix."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    if scope.get("endpoint") is not None and scope.get("root_path"):
        return str(scope["root_path"]).rstrip("/") + "/{path}"  # a mounted app (static files)
    return None
