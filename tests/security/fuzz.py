"""Property-based fuzzing of the public HTTP surfaces of a running :class:`Target`.

The property, for every generated request: the answer is never a 5xx, and a 4xx
carries a JSON body (an error a client can read). Surfaces:

* ``rest``: ``POST /webhooks/rest/webhook`` bodies (valid-looking, arbitrary JSON, raw bytes);
* ``webchat``: ``GET /webhooks/webchat/history/<session>`` with odd ids and tokens;
* ``console``: the agent's JSON API (``/console/api/handoffs/<id>/...``) as a signed-in agent;
* ``handoff_api``: the engine-facing ``/api/handoffs`` and ``/api/tickets`` with the service token;
* ``handoff_schema``: every operation of the handoff service's OpenAPI schema, through
  schemathesis (skipped where schemathesis is not installed).

Findings are recorded, not raised, so hypothesis runs every case instead of
shrinking the first failure; the report keeps a few examples of each kind.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.security.target import Target, jwt_hs256

SURFACES = ("rest", "webchat", "console", "handoff_api", "handoff_schema")

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
odd_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=0, max_size=60)


@dataclass
class FuzzReport:
    cases: dict[str, int] = field(default_factory=dict)
    server_errors: list[str] = field(default_factory=list)
    non_json_errors: list[str] = field(default_factory=list)
    transport_errors: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.cases.values())

    def record(self, surface: str, label: str, response: httpx.Response) -> None:
        self.cases[surface] = self.cases.get(surface, 0) + 1
        status = response.status_code
        where = f"{label} -> {status} {response.text[:100]!r}"
        if status >= 500:
            self.server_errors.append(where)
        elif status >= 400 and not _is_json(response):
            self.non_json_errors.append(where)

    def failed(self, surface: str, label: str, error: Exception) -> None:
        """No answer at all (the connection dropped): as bad as a 5xx."""
        self.cases[surface] = self.cases.get(surface, 0) + 1
        self.transport_errors.append(f"{label} -> {type(error).__name__}: {error}")

    @property
    def problems(self) -> list[str]:
        return self.server_errors + self.non_json_errors + self.transport_errors


def _is_json(response: httpx.Response) -> bool:
    if "json" not in response.headers.get("content-type", ""):
        return False
    try:
        response.json()
    except ValueError:
        return False
    return True


def _run(
    examples: int,
    strategy: st.SearchStrategy[Any],
    check: Callable[[Any], None],
    *,
    derandomize: bool,
) -> None:
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=derandomize,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def run(value: Any) -> None:
        check(value)

    run()


class Fuzzer:
    """Runs each surface for a number of cases (and at most ``budget_s`` seconds each).

    ``derandomize`` makes hypothesis draw the same cases every run (what `make test`
    wants); the benchmark explores new ones each time.
    """

    def __init__(
        self, target: Target, *, budget_s: float = 60.0, derandomize: bool = False
    ) -> None:
        self.t = target
        self.budget_s = budget_s
        self.derandomize = derandomize
        self.report = FuzzReport()
        self.http = httpx.Client(timeout=60)

    def run(self, surface: str, cases: int) -> FuzzReport:
        getattr(self, f"fuzz_{surface}")(cases)
        return self.report

    def _guarded(self, surface: str, send: Callable[[Any], tuple[str, httpx.Response]]) -> Any:
        deadline = time.monotonic() + self.budget_s

        def check(value: Any) -> None:
            if time.monotonic() > deadline:
                return
            try:
                label, response = send(value)
            except httpx.TransportError as e:
                self.report.failed(surface, repr(value)[:100], e)
                return
            self.report.record(surface, label, response)

        return check

    # surfaces

    def fuzz_rest(self, cases: int) -> None:
        url = f"{self.t.rasa}/webhooks/rest/webhook"
        senders = st.from_regex(r"[a-z0-9]{1,12}", fullmatch=True).map(lambda s: f"fuzz-{s}")
        bodies = st.one_of(
            st.fixed_dictionaries(  # reaches the bot: odd text and metadata in a real turn
                {"sender": senders, "message": odd_text},
                optional={"metadata": st.dictionaries(st.text(max_size=12), json_values)},
            ).map(lambda body: json.dumps(body).encode()),
            st.fixed_dictionaries(
                {"sender": odd_text, "message": odd_text},
                optional={"metadata": json_values, "extra": json_values},
            ).map(lambda body: json.dumps(body).encode()),
            json_values.map(lambda value: json.dumps(value).encode()),
            st.binary(max_size=200),
        )

        def send(body: bytes) -> tuple[str, httpx.Response]:
            response = self.http.post(
                url,
                content=body,
                headers={"Content-Type": "application/json", **self.t.rest_headers()},
            )
            return f"POST rest {body[:60]!r}", response

        _run(cases, bodies, self._guarded("rest", send), derandomize=self.derandomize)

    def fuzz_webchat(self, cases: int) -> None:
        key = self.t.visitor_key
        header_text = st.text(
            st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=60
        )
        tokens = st.one_of(
            st.none(),
            header_text,
            st.builds(lambda sub: jwt_hs256({"sub": sub, "exp": 2**31}, key), odd_text),
            st.builds(
                lambda claims: jwt_hs256(claims, key),
                st.dictionaries(st.text(), json_values, max_size=3),
            ),
        )
        ids = st.one_of(odd_text, st.uuids().map(str))

        def send(value: tuple[str, str | None]) -> tuple[str, httpx.Response]:
            session, token = value
            headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
            path = f"/webhooks/webchat/history/{quote(session, safe='')}"
            return f"GET {path}", self.http.get(f"{self.t.rasa}{path}", headers=headers)

        _run(
            cases,
            st.tuples(ids, tokens),
            self._guarded("webchat", send),
            derandomize=self.derandomize,
        )

    def fuzz_console(self, cases: int) -> None:
        console = self.t.console()
        ids = st.one_of(
            st.sampled_from([2**63, 2**64, -(2**63) - 1, 0]).map(str),
            st.integers(min_value=-(2**70), max_value=2**70).map(str),
            st.integers(min_value=0, max_value=12).map(str),
            odd_text.map(lambda s: quote(s, safe="")),
        )
        actions = st.sampled_from(
            ["", "/claim", "/reply", "/notes", "/reassign", "/resolve", "/return"]
        )
        bodies = st.one_of(
            json_values,
            st.fixed_dictionaries({"text": odd_text}),
            st.fixed_dictionaries(
                {
                    "agent_id": st.one_of(
                        st.sampled_from([2**63, 2**64]),
                        st.integers(min_value=-(2**70), max_value=2**70),
                    )
                }
            ),
        )

        def send(value: tuple[str, str, Any]) -> tuple[str, httpx.Response]:
            handoff, action, body = value
            path = f"/console/api/handoffs/{handoff}{action}"
            if not action:
                return f"GET {path}", console.http.get(path)
            headers = {"X-CSRF-Token": console.csrf, "Origin": console.base}
            response = console.http.post(
                path,
                content=json.dumps(body),
                headers={**headers, "Content-Type": "application/json"},
            )
            return f"POST {path} {json.dumps(body)[:60]}", response

        _run(
            cases,
            st.tuples(ids, actions, bodies),
            self._guarded("console", send),
            derandomize=self.derandomize,
        )

    def fuzz_handoff_api(self, cases: int) -> None:
        headers = {"Authorization": f"Bearer {self.t.settings.service_token}"}
        requests = st.one_of(
            st.tuples(
                st.just("/api/handoffs"),
                st.fixed_dictionaries(
                    {"conversation_id": odd_text, "channel": odd_text, "reason": odd_text},
                    optional={"priority": json_values, "customer_name": json_values},
                ),
            ),
            st.tuples(
                st.just("/api/tickets"),
                st.fixed_dictionaries(
                    {"conversation_id": odd_text, "contact": odd_text},
                    optional={"note": json_values},
                ),
            ),
            st.tuples(st.sampled_from(["/api/handoffs", "/api/tickets"]), json_values),
            st.tuples(
                odd_text.map(lambda s: f"/api/conversations/{quote(s, safe='')}/notify"),
                json_values,
            ),
        )

        def send(value: tuple[str, Any]) -> tuple[str, httpx.Response]:
            path, body = value
            response = self.http.post(f"{self.t.handoff}{path}", json=body, headers=headers)
            return f"POST {path} {json.dumps(body)[:60]}", response

        _run(cases, requests, self._guarded("handoff_api", send), derandomize=self.derandomize)

    def fuzz_handoff_schema(self, cases: int) -> None:
        """Every operation the handoff service declares, as schemathesis generates them."""
        try:
            import schemathesis
        except ImportError:
            self.report.skipped["handoff_schema"] = "schemathesis is not installed"
            return
        console = self.t.console()
        schema = schemathesis.openapi.from_dict(handoff_openapi())
        operations = [
            result.ok()
            for result in schema.get_all_operations()
            if result.ok().path.startswith(("/api/", "/console/api/"))
            and result.ok().path != "/console/api/stream"
        ]
        per_operation = max(1, cases // max(1, len(operations)))
        auth = {
            "Authorization": f"Bearer {self.t.settings.service_token}",
            "X-CSRF-Token": console.csrf,
            "Origin": console.base,
        }

        for operation in operations:

            def send(case: Any) -> tuple[str, httpx.Response]:
                kwargs = case.as_transport_kwargs(base_url=self.t.handoff, headers=auth)
                kwargs.pop("cookies", None)
                response = console.http.request(
                    kwargs.pop("method"), kwargs.pop("url"), **_httpx_kwargs(kwargs)
                )
                return f"{case.method} {case.formatted_path}", response

            _run(
                per_operation,
                operation.as_strategy(),
                self._guarded("handoff_schema", send),
                derandomize=self.derandomize,
            )


def _httpx_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"headers": kwargs.get("headers") or {}}
    if kwargs.get("params"):
        out["params"] = kwargs["params"]
    if "json" in kwargs:
        out["json"] = kwargs["json"]
    elif kwargs.get("data") is not None:
        out["data" if isinstance(kwargs["data"], dict) else "content"] = kwargs["data"]
    return out


def handoff_openapi() -> dict[str, Any]:
    """The handoff service's OpenAPI document (not served: ``openapi_url=None``), built
    from its routes without starting it."""
    import tempfile

    from bot.handoff.app import create_app
    from bot.handoff.settings import HandoffSettings

    with tempfile.TemporaryDirectory() as tmp:
        settings = HandoffSettings.from_env(
            {"TANDEM_STATE_DIR": tmp, "TANDEM_HANDOFF_SERVICE_TOKEN": "x" * 32}
        )
        app = create_app(settings, text_generator=None, run_migrations=False)
        return dict(app.openapi())
