"""The supervisors' analytics dashboard over HTTP: permissions, filters, drill-down, CSV.

A real app (the handoff service) reads a real SQLite analytics store seeded
with known rows (:mod:`.analytics_seed`); every number asserted is counted by
hand from those rows.
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from pathlib import Path

import pytest

from bot.handoff import HandoffSettings
from bot.handoff.app import SECURITY_HEADERS

from .analytics_seed import DAY0, ROWS, SECRET_EMAIL, conversation_id, seed_file
from .conftest import Console, Harness, running

API = "/console/api/analytics"


@pytest.fixture
def analytics_settings(settings: HandoffSettings, tmp_path: Path) -> HandoffSettings:
    url = f"sqlite:///{tmp_path / 'analytics.db'}"
    seed_file(url)
    return replace(settings, analytics_db_url=url)


@pytest.fixture
async def dashboard(analytics_settings: HandoffSettings):  # type: ignore[no-untyped-def]
    async with running(analytics_settings) as h:
        await h.user("sam@example.com", "Sam", role="supervisor")
        await h.user("ada@example.com", "Ada", role="agent")
        yield h


async def test_strangers_are_sent_to_sign_in_and_agents_are_refused(dashboard: Harness) -> None:
    page = await dashboard.client.get("/console/analytics")
    assert page.status_code == 303 and page.headers["location"] == "/console/login"
    transcript = f"/conversations/{conversation_id('a1')}"
    paths = ("/options", "/summary", "/timeseries", "/funnel?form=plan_form",
             "/conversations", transcript, "/export.csv")  # fmt: skip
    for path in paths:
        assert (await dashboard.client.get(API + path)).status_code == 401, path
    agent = await dashboard.console("ada@example.com")
    page = await agent.get("/console/analytics")
    assert page.status_code == 403
    assert "for supervisors" in page.text
    for path in paths:
        response = await agent.get(API + path)
        assert response.status_code == 403, path
        assert "supervisors" in response.json()["error"]
    assert dashboard.audit("analytics_export") == []


async def test_the_page_loads_plotly_from_the_console_itself(dashboard: Harness) -> None:
    boss = await dashboard.console("sam@example.com")
    page = await boss.get("/console/analytics")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert policy == SECURITY_HEADERS["content-security-policy"].replace(
        "style-src 'self';", "style-src 'self' 'unsafe-inline';"
    )  # plotly.js writes its chart styles at run time; scripts stay 'self' only
    assert '<script src="/console/analytics/plotly.min.js"' in page.text
    assert "cdn" not in page.text.lower()
    bundle = await boss.get("/console/analytics/plotly.min.js")
    assert bundle.status_code == 200
    assert bundle.headers["content-type"].startswith("text/javascript")
    assert "plotly.js v" in bundle.text[:200]


async def test_options_list_what_the_store_holds(dashboard: Harness) -> None:
    boss = await dashboard.console("sam@example.com")
    options = (await boss.get(API + "/options")).json()
    assert options["channels"] == ["slack", "socketio", "teams"]
    assert options["journeys"] == ["credit", "handoff", "knowledge", "plan"]
    assert options["forms"] == ["plan_form"]
    assert "containment" in options["metrics"]
    assert (options["first_day"], options["last_day"]) == ("2026-03-02", "2026-03-04")


async def test_filters_narrow_every_figure(dashboard: Harness) -> None:
    boss = await dashboard.console("sam@example.com")
    everything = (await boss.get(API + "/summary")).json()["metrics"]
    assert everything["conversations"] == 12
    by_channel = (await boss.get(API + "/summary?channel=socketio")).json()["metrics"]
    assert by_channel["conversations"] == sum(r.channel == "socketio" for r in ROWS) == 7
    one_day = (await boss.get(API + "/summary?since=2026-03-03&until=2026-03-03")).json()
    assert one_day["metrics"]["conversations"] == 4
    plan = (await boss.get(API + "/timeseries?journey=plan&metric=conversations")).json()
    assert [(p["bucket"], p["value"]) for p in plan["points"]] == [
        (DAY0, 2.0),
        (DAY0 + 86400, 2.0),
        (DAY0 + 2 * 86400, 2.0),
    ]
    backwards = await boss.get(API + "/summary?since=2026-03-04&until=2026-03-02")
    assert backwards.status_code == 400 and "end date" in backwards.json()["error"]
    assert (await boss.get(API + "/summary?since=yesterday")).status_code == 422
    unknown = await boss.get(API + "/timeseries?metric=happiness")
    assert unknown.status_code == 400 and "containment" in unknown.json()["error"]


async def test_funnel_and_drilldown_from_a_step_and_a_day(dashboard: Harness) -> None:
    boss = await dashboard.console("sam@example.com")
    funnel = (await boss.get(API + "/funnel?form=plan_form")).json()["steps"]
    counts = {s["step"]: s["count"] for s in funnel}
    assert counts["usage_gb"] == 6 and counts["budget"] == 5 and counts["contract"] == 3
    assert [s["step"] for s in funnel] == ["started", "usage_gb", "budget", "contract", "completed"]
    assert counts["started"] == 6 and counts["completed"] == 3
    no_form = await boss.get(API + "/conversations?step=contract")
    assert no_form.status_code == 400 and "form" in no_form.json()["error"]
    reached = (await boss.get(API + "/conversations?step=contract&form=plan_form")).json()[
        "conversations"
    ]
    assert {r["conversation"] for r in reached} == {conversation_id(s) for s in ("a1", "b1", "c1")}
    day = (
        await boss.get(API + f"/conversations?metric=escalation&bucket=day&bucket_start={DAY0}")
    ).json()["conversations"]
    assert {r["conversation"] for r in day} == {
        conversation_id(s) for s in ("a1", "a2", "a3", "a4")
    }
    row = next(r for r in day if r["conversation"] == conversation_id("a4"))
    assert (row["channel"], row["journey"], row["outcome"], row["csat"], row["handed_off"]) == (
        "socketio", "handoff", "escalated", 2, True,
    )  # fmt: skip
    slack = (await boss.get(API + f"/conversations?bucket_start={DAY0}&channel=slack")).json()
    assert [r["conversation"] for r in slack["conversations"]] == [conversation_id("a3")]


async def test_a_transcript_is_shown_redacted_and_its_viewing_is_audited(
    dashboard: Harness,
) -> None:
    boss = await dashboard.console("sam@example.com")
    response = await boss.get(f"{API}/conversations/{conversation_id('a1')}")
    assert response.status_code == 200
    found = response.json()
    assert [(m["sender"], m["seq"]) for m in found["messages"]] == [
        ("customer", 0), ("bot", 1), ("customer", 3),
    ]  # fmt: skip
    assert found["messages"][0]["text"].endswith("mail me at [EMAIL]")
    assert SECRET_EMAIL not in response.text
    handed = (await boss.get(f"{API}/conversations/{conversation_id('a4')}")).json()
    assert (handed["messages"][-1]["sender"], handed["messages"][-1]["agent"]) == ("agent", "Grace")
    targets = [e.target for e in dashboard.audit("analytics_transcript")]
    assert targets == [f"conversation:{conversation_id(s)}" for s in ("a1", "a4")]
    missing = await boss.get(f"{API}/conversations/{'0' * 64}")
    assert missing.status_code == 404
    assert (await boss.get(f"{API}/conversations/not%20an%20id")).status_code == 400


async def test_csv_export_has_one_row_per_filtered_conversation(dashboard: Harness) -> None:
    boss = await dashboard.console("sam@example.com")
    response = await boss.get(API + "/export.csv?since=2026-03-02&until=2026-03-03&channel=slack")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="tandem-conversations-2026-03-02-2026-03-03.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {r["conversation"] for r in rows} == {conversation_id("a3"), conversation_id("b3")}
    b3 = next(r for r in rows if r["conversation"] == conversation_id("b3"))
    assert (b3["outcome"], b3["handoff_reason"], b3["csat"]) == ("escalated", "nlu_fallback", "3")
    assert float(b3["frt_s"]) == 120.0 and float(b3["resolution_s"]) == 900.0
    for column in ("frt_s", "resolution_s", "csat", "handoff_reason", "outcome"):
        assert column in rows[0]
    everything = list(csv.DictReader(io.StringIO((await boss.get(API + "/export.csv")).text)))
    assert len(everything) == len(ROWS)
    [entry, _] = dashboard.audit("analytics_export")
    assert entry.detail == {"rows": 2}


async def test_a_store_nobody_migrated_is_a_503_that_says_what_to_do(
    settings: HandoffSettings, tmp_path: Path
) -> None:
    absent = replace(settings, analytics_db_url=f"sqlite:///{tmp_path / 'a.db'}")
    async with running(absent) as h:
        await h.user("sam@example.com", "Sam", role="supervisor")
        boss: Console = await h.console("sam@example.com")
        response = await boss.get(API + "/summary")
        assert response.status_code == 503
        assert "TANDEM_ANALYTICS_DB_URL" in response.json()["error"]
        assert (tmp_path / "a.db").stat().st_mode & 0o077 == 0  # owner-only, as every store
