"""The supervisors' analytics dashboard in a real browser, on a seeded analytics store.

The real handoff service (``python -m bot.handoff serve``) reads a SQLite
analytics store migrated and filled with known rows
(:mod:`tests.integration.bot.handoff.analytics_seed`). A supervisor signs in,
opens the dashboard, narrows it to a channel, clicks a point of the time
series and a step of the funnel, reads a transcript and downloads the CSV; an
agent is refused. Chromium loads plotly.js from the console itself, under its
strict Content-Security-Policy, and the page must raise no script error or CSP
violation. Screenshots go to ``<artifacts>/screenshots/analytics/``.
"""

from __future__ import annotations

import csv
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.supervisor import free_port
from tests.e2e.test_widget_browser import CHROMIUM, PROJECT
from tests.e2e.test_widget_browser import pytestmark as widget_marks
from tests.integration.bot.handoff.analytics_seed import ROWS, SECRET_EMAIL, seed_file

pytestmark = widget_marks
STEP_MS = 30_000
PASSWORD = secrets.token_urlsafe(16)
SUPERVISOR, AGENT = "sam@voltline.example", "ada@voltline.example"


@pytest.fixture(scope="module")
def shots() -> Path:
    artifacts = Path(os.environ.get("TANDEM_TEST_ARTIFACTS") or PROJECT / ".tandem/test-results")
    folder = artifacts / "screenshots" / "analytics"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def console_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The handoff service on a free port, its analytics store seeded, two accounts made."""
    folder = tmp_path_factory.mktemp("analytics-dashboard")
    analytics_url = f"sqlite:///{folder / 'analytics.db'}"
    seed_file(analytics_url)
    port = free_port()
    env = {
        **os.environ,
        "TANDEM_STATE_DIR": str(folder),
        "TANDEM_HANDOFF_DB_URL": f"sqlite:///{folder / 'handoff.db'}",
        "TANDEM_HANDOFF_PORT": str(port),
        "TANDEM_HANDOFF_SERVICE_TOKEN": secrets.token_urlsafe(24),
        "TANDEM_HANDOFF_RASA_URL": f"http://127.0.0.1:{free_port()}",  # no handoffs to sync
        "TANDEM_HANDOFF_OPEN_HOURS": "always",
        "TANDEM_ANALYTICS_DB_URL": analytics_url,
        "TANDEM_TEST_PASSWORD": PASSWORD,
    }
    handoff = [sys.executable, "-m", "bot.handoff"]
    for email, name, role in ((SUPERVISOR, "Sam", "supervisor"), (AGENT, "Ada", "agent")):
        subprocess.run(
            [*handoff, "create-user", "--email", email, "--name", name, "--role", role,
             "--password-env", "TANDEM_TEST_PASSWORD"],
            cwd=PROJECT, env=env, check=True, capture_output=True, timeout=120,
        )  # fmt: skip
    log = (folder / "handoff.log").open("w")
    server = subprocess.Popen([*handoff, "serve"], cwd=PROJECT, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None, (folder / "handoff.log").read_text()
            assert time.monotonic() < deadline, "the handoff service did not start in 90 s"
            time.sleep(0.3)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


@pytest.fixture()
def browser() -> Iterator[Any]:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=STEP_MS)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield browser
        browser.close()


def signed_in(browser: Any, base: str, email: str, problems: list[str]) -> Any:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(STEP_MS)
    page = context.new_page()
    page.on("pageerror", lambda e: problems.append(f"error: {e}"))
    page.on(  # CSP violations and failed scripts; failed requests are reported below
        "console",
        lambda m: (
            problems.append(f"console: {m.text}")
            if m.type == "error" and "Failed to load resource" not in m.text
            else None
        ),
    )
    page.on(
        "response",
        lambda r: (
            problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    page.goto(f"{base}/console/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base}/console/")
    return page


def kpi(page: Any, name: str) -> Any:
    return page.locator(".kpi").filter(has=page.get_by_text(name, exact=True)).locator("dd")


def click_plot_point(page: Any, point: Any) -> None:
    """Hover then click the point's centre, as a mouse does (plotly reads its hover state)."""
    box = point.bounding_box()
    assert box, "the chart point is not on screen"
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x + 3, y + 3)
    page.mouse.move(x, y, steps=3)
    page.locator(".hoverlayer .hovertext").first.wait_for()  # plotly's hover, throttled, is up
    page.mouse.click(x, y)


def test_a_supervisor_drills_from_charts_to_transcripts_and_exports_csv(
    browser: Any, console_url: str, shots: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    problems: list[str] = []
    page = signed_in(browser, console_url, SUPERVISOR, problems)
    page.get_by_role("link", name="Analytics").click()
    expect(page).to_have_url(f"{console_url}/console/analytics")
    expect(page.locator("#status")).to_have_text("Up to date.")
    expect(kpi(page, "Conversations")).to_have_text(str(len(ROWS)))
    expect(page.get_by_label("From", exact=True)).to_have_value("2026-03-02")
    expect(page.get_by_label("To", exact=True)).to_have_value("2026-03-04")
    expect(page.locator("#series-chart .scatterlayer .point")).to_have_count(3)
    expect(page.locator("#funnel-chart .funnellayer .point")).to_have_count(5)
    page.screenshot(path=shots / "01-dashboard.png", full_page=True)

    # Narrow to one channel, from the keyboard.
    page.get_by_label("Channel").focus()
    page.get_by_label("Channel").select_option("socketio")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # Group by
    page.keyboard.press("Tab")  # Apply filters
    page.keyboard.press("Enter")
    socketio = sum(r.channel == "socketio" for r in ROWS)
    expect(kpi(page, "Conversations")).to_have_text(str(socketio))
    page.screenshot(path=shots / "02-filtered-socketio.png", full_page=True)

    # A point of the time series: the first day's socketio conversations.
    click_plot_point(page, page.locator("#series-chart .scatterlayer .point").first)
    drill = page.locator("#drilldown-table tbody tr")
    first_day = [r for r in ROWS if r.day == 0 and r.channel == "socketio"]
    expect(drill).to_have_count(len(first_day))
    expect(page.locator("#drilldown-title")).to_contain_text("day of 2026-03-02")

    # Its transcript, redacted, in the console.
    a1 = next(r for r in first_day if r.sender == "a1")
    page.get_by_role(
        "button", name=f"Open the transcript of conversation {a1.conversation[:8]}"
    ).click()
    transcript = page.get_by_role("list", name="Messages")
    expect(transcript.locator("li")).to_have_count(3)
    expect(transcript).to_contain_text("mail me at [EMAIL]")
    expect(transcript).not_to_contain_text(SECRET_EMAIL)
    expect(page.locator("#transcript-meta")).to_contain_text("socketio · plan · contained")
    page.screenshot(path=shots / "03-drilldown-transcript.png", full_page=True)

    # A step of the funnel: the socketio conversations whose plan form asked for a contract.
    click_plot_point(page, page.locator("#funnel-chart .funnellayer .point").nth(3))
    expect(page.locator("#drilldown-title")).to_contain_text("plan_form: reached contract")
    contract = [r for r in ROWS if r.channel == "socketio" and "contract" in r.form_slots]
    expect(drill).to_have_count(len(contract))
    page.screenshot(path=shots / "04-funnel-drilldown.png", full_page=True)

    # The same drill-down without a mouse: the chart's table.
    page.get_by_text("Show as a table").first.click()
    page.get_by_role("button", name="Conversations of 2026-03-03").click()
    expect(drill).to_have_count(sum(r.day == 1 and r.channel == "socketio" for r in ROWS))

    # The CSV: one row per filtered conversation.
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == "tandem-conversations-2026-03-02-2026-03-04.csv"
    rows = list(csv.DictReader(saved.open(encoding="utf-8")))
    assert len(rows) == socketio
    assert {r["channel"] for r in rows} == {"socketio"}
    c4 = next(r for r in rows if r["conversation"] == ROWS[-1].conversation)
    assert (c4["handoff_reason"], c4["outcome"], c4["csat"]) == ("frustration", "escalated", "1")
    assert float(c4["frt_s"]) == 30.0 and float(c4["resolution_s"]) == 300.0
    assert problems == [], problems


def test_an_agent_is_refused(browser: Any, console_url: str, shots: Path) -> None:
    from playwright.sync_api import expect

    problems: list[str] = []
    page = signed_in(browser, console_url, AGENT, problems)
    expect(page.get_by_role("link", name="Analytics")).to_be_hidden()
    response = page.goto(f"{console_url}/console/analytics")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading")).to_have_text("Analytics are for supervisors")
    page.screenshot(path=shots / "05-agent-refused.png")
    api = page.request.get(f"{console_url}/console/api/analytics/export.csv")
    assert api.status == 403
    assert problems == [f"403 {console_url}/console/analytics"], problems
