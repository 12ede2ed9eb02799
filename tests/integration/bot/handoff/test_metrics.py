"""``GET /metrics`` of the handoff service, parsed with prometheus_client's own parser."""

from __future__ import annotations

from dataclasses import replace

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bot.handoff import HandoffSettings

from .conftest import SERVICE, Harness, running

METRICS_TOKEN = "metrics-token-for-tests-0123456789"


async def scrape(client: httpx.AsyncClient, **headers: str) -> dict[tuple[str, tuple], float]:
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def value(series: dict[tuple[str, tuple], float], name: str, **labels: str) -> float:
    return series.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_queue_length_and_request_series_move(harness: Harness) -> None:
    before = await scrape(harness.client)
    assert value(before, "tandem_handoff_queue_waiting") == 0
    for conversation in ("alice-42", "bob-43"):
        answer = await harness.request_handoff(conversation)
        assert answer.status_code == 201, answer.text
    refused = await harness.client.post("/api/handoffs", json={}, headers=SERVICE)
    assert refused.status_code in (400, 422)
    missing = await harness.client.get("/api/nothing-here/7")
    assert missing.status_code == 404

    after = await scrape(harness.client)
    assert value(after, "tandem_handoff_queue_waiting") == 2
    route = {"service": "handoff", "method": "POST", "route": "/api/handoffs"}
    assert (
        value(after, "tandem_http_responses_total", **route, status_class="2xx")
        == value(before, "tandem_http_responses_total", **route, status_class="2xx") + 2
    )
    assert (
        value(after, "tandem_http_responses_total", **route, status_class="4xx")
        == value(before, "tandem_http_responses_total", **route, status_class="4xx") + 1
    )
    count = "tandem_http_request_duration_seconds_count"
    assert value(after, count, **route) == value(before, count, **route) + 3
    unmatched = {"service": "handoff", "method": "GET", "route": "<unmatched>"}
    assert value(after, "tandem_http_responses_total", **unmatched, status_class="4xx") >= 1
    # labels are route templates: no conversation id, no raw path anywhere
    text = (await harness.client.get("/metrics")).text
    assert "alice-42" not in text and "nothing-here" not in text


async def test_without_a_token_only_this_machine_may_scrape(harness: Harness) -> None:
    # a page at attacker.example whose name now points at 127.0.0.1 (DNS rebinding)
    rebound = await harness.client.get("/metrics", headers={"host": "attacker.example"})
    assert rebound.status_code == 403
    assert "TANDEM_METRICS_TOKEN" in rebound.json()["error"]
    outside = httpx.ASGITransport(harness.app, client=("203.0.113.9", 4000))
    async with httpx.AsyncClient(transport=outside, base_url="http://127.0.0.1:5070") as client:
        assert (await client.get("/metrics")).status_code == 403


async def test_with_a_token_anyone_holding_it_may_scrape(settings: HandoffSettings) -> None:
    async with running(replace(settings, metrics_token=METRICS_TOKEN)) as harness:
        outside = httpx.ASGITransport(harness.app, client=("203.0.113.9", 4000))
        async with httpx.AsyncClient(transport=outside, base_url="http://tandem.example") as c:
            assert (await c.get("/metrics")).status_code == 401
            wrong = await c.get("/metrics", headers={"authorization": "Bearer wrong"})
            assert wrong.status_code == 401
            in_url = await c.get(f"/metrics?token={METRICS_TOKEN}")
            assert in_url.status_code == 401 and "never in the URL" in in_url.json()["error"]
            series = await scrape(c, authorization=f"Bearer {METRICS_TOKEN}")
            assert value(series, "tandem_handoff_queue_waiting") == 0
            # the service token is not the metrics token
            assert (await c.get("/metrics", headers=SERVICE)).status_code == 401
