"""``GET /metrics`` of the engine: Rasa's real app (built as ``rasa run`` builds it), parsed
with prometheus_client's own parser. No model is loaded, so API calls the guard lets
through get Rasa's 409; the ones it refuses get its 401/403."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.integration.bot.engine.test_api_server import AUTH, NO_AGENT, Engine, engine

__all__ = ["engine"]  # the running app, shared with test_api_server's fixture


def scrape(engine: Engine, *headers: tuple[str, str]) -> dict[tuple[str, tuple], float]:
    status, body = engine.call("GET", "/metrics", *headers)
    assert status == 200, body
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body["raw"])
        for s in family.samples
    }


def value(series: dict[tuple[str, tuple], float], name: str, **labels: str) -> float:
    return series.get((name, tuple(sorted(labels.items()))), 0.0)


TRACKER = {
    "service": "engine",
    "method": "GET",
    "route": "/conversations/<conversation_id:path>/tracker",
}


def test_request_series_move_per_route_template_and_status_class(engine: Engine) -> None:
    before = scrape(engine)
    assert engine.call("GET", "/conversations/alice-42/tracker", AUTH)[0] == NO_AGENT
    assert engine.call("GET", "/conversations/bob-43/tracker")[0] == 401  # refused by the guard
    assert engine.call("GET", "/no/such/route/alice-42")[0] == 404
    assert engine.call("GET", "/version", AUTH)[0] == 200
    after = scrape(engine)

    responses = "tandem_http_responses_total"
    assert value(after, responses, **TRACKER, status_class="4xx") == (
        value(before, responses, **TRACKER, status_class="4xx") + 2
    )
    count = "tandem_http_request_duration_seconds_count"
    assert value(after, count, **TRACKER) == value(before, count, **TRACKER) + 2
    version = {"service": "engine", "method": "GET", "route": "/version"}
    assert value(after, responses, **version, status_class="2xx") == (
        value(before, responses, **version, status_class="2xx") + 1
    )
    unmatched = {"service": "engine", "method": "GET", "route": "<unmatched>"}
    assert value(after, responses, **unmatched, status_class="4xx") >= 1
    raw = engine.call("GET", "/metrics")[1]["raw"]
    assert "alice-42" not in raw and "bob-43" not in raw  # templates, never ids


def test_metrics_are_not_behind_the_api_token_but_stay_on_this_machine(engine: Engine) -> None:
    assert engine.call("GET", "/metrics")[0] == 200  # no Rasa token needed ...
    status, body = engine.call("GET", "/metrics", host="attacker.example:5005")
    assert status == 403 and "TANDEM_METRICS_TOKEN" in body["error"]  # ... nor DNS rebinding
    status, body = engine.call("GET", "/metrics?token=x")
    assert status == 401 and "never in the URL" in body["error"]
