"""The console in a real browser against a real handoff server; Rasa is the fake gateway.

A lighter tier than ``tests/e2e/test_handoff_browser.py``: no engine, so a
race in the console's page can be staged exactly, by holding its requests.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest

from bot.handoff import HandoffSettings
from tests.e2e.test_widget_browser import CHROMIUM
from tests.e2e.test_widget_browser import pytestmark as browser_marks

from .conftest import PASSWORD, SERVICE
from .test_live_stream import LiveServer

pytestmark = [m for m in browser_marks if m.name != "e2e"] + [pytest.mark.timeout(180)]

STEP_MS = 20_000


@pytest.fixture
def live(settings: HandoffSettings) -> Iterator[LiveServer]:
    with LiveServer(replace(settings, keepalive_s=0.5)) as server:
        yield server


@pytest.fixture
def page(live: LiveServer) -> Iterator[Any]:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=STEP_MS)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        context = browser.new_context()
        context.set_default_timeout(STEP_MS)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        yield page
        browser.close()
        assert errors == [], errors


def sign_in_and_claim(live: LiveServer, page: Any, conversation: str) -> int:
    from playwright.sync_api import expect

    live.app.state.runtime.accounts.create_user(
        email="ana@example.com", name="Ana", role="agent", password=PASSWORD
    )
    live.gateway.customer_says(conversation, "a person please")
    created = httpx.post(
        f"{live.origin}/api/handoffs",
        json={"conversation_id": conversation, "channel": "socketio", "reason": "asked"},
        headers=SERVICE,
    )
    assert created.status_code in (200, 201), created.text
    page.goto(f"{live.origin}/console/")
    page.get_by_label("E-mail address").fill("ana@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#connection")).to_have_text("Live")
    page.locator(".queue-item").filter(has_text=conversation).click()
    page.get_by_role("button", name="Claim").click()
    expect(page.locator("#reply")).to_be_enabled()
    handoff_id: int = created.json()["id"]
    return handoff_id


def hold_the_first(held: list[Any], change: Any = None) -> Any:
    """A route handler that fetches the first request's answer and keeps it unanswered
    in ``held`` (``(route, response[, body])``); later requests go through."""

    def handle(route: Any) -> None:
        if held:
            route.continue_()
            return
        response = route.fetch()
        if change is None:
            held.append((route, response))
        else:
            held.append((route, response, change(response.json())))

    return handle


def customer_writes(live: LiveServer, conversation: str, text: str) -> None:
    live.gateway.customer_says(conversation, text)
    notified = httpx.post(f"{live.origin}/api/conversations/{conversation}/notify", headers=SERVICE)
    assert notified.status_code == 202, notified.text


def test_a_message_that_arrives_while_the_transcript_loads_stays_on_screen(
    live: LiveServer, page: Any
) -> None:
    """The page asks for the transcript (a reconnect, a queue change, a click); the
    customer's next message is stored after the server read the transcript and
    reaches the page by the stream before the transcript does. Drawing the older
    transcript must not wipe it out (seen in a CI run as a customer message that
    never showed up in the agent's console)."""
    from playwright.sync_api import expect

    handoff_id = sign_in_and_claim(live, page, "race-1")
    messages = page.locator("#messages .text")
    expect(page.locator("#messages .system")).to_contain_text(["Ana"])
    page.wait_for_timeout(1500)  # the claim's own refreshes have settled

    held: list[Any] = []
    detail = re.compile(rf"/console/api/handoffs/{handoff_id}$")
    page.route(detail, hold_the_first(held))
    page.locator(".queue-item").filter(has_text="race-1").click()  # asks again
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "the console did not ask for the transcript again"

    # The transcript the server has read so far lacks this message; the stream has it.
    customer_writes(live, "race-1", "is anyone there?")
    expect(messages.filter(has_text="is anyone there?")).to_have_count(1)

    # Now the older transcript arrives and is drawn.
    page.evaluate("document.querySelector('#messages li').dataset.old = '1'")
    route, response = held[0]
    route.fulfill(response=response)
    page.wait_for_function("() => !document.querySelector('#messages li[data-old]')")
    expect(messages.filter(has_text="is anyone there?")).to_have_count(1)
    expect(page.locator("#messages .system")).to_contain_text(["Ana"])

    # And what comes next still arrives once, in order.
    customer_writes(live, "race-1", "hello?")
    expect(messages.filter(has_text="hello?")).to_have_count(1)
    texts = messages.all_text_contents()
    assert texts.index("is anyone there?") < texts.index("hello?")


def test_an_older_transcript_that_answers_last_is_not_drawn(live: LiveServer, page: Any) -> None:
    """Two requests for the same transcript cross: the newer answers first. The
    older one's answer (which says the conversation is still waiting) is dropped."""
    from playwright.sync_api import expect

    handoff_id = sign_in_and_claim(live, page, "race-2")
    page.wait_for_timeout(1500)
    held: list[Any] = []
    detail = re.compile(rf"/console/api/handoffs/{handoff_id}$")

    def stale(body: dict[str, Any]) -> dict[str, Any]:
        body["handoff"]["status"] = "waiting"  # as it was before the claim
        body["messages"] = []
        return body

    page.route(detail, hold_the_first(held, stale))
    page.locator(".queue-item").filter(has_text="race-2").click()
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(100)
    assert held
    mark = "document.querySelector('#messages li').dataset.old = '1'"
    drawn = "() => !document.querySelector('#messages li[data-old]')"
    page.evaluate(mark)
    page.locator(".queue-item").filter(has_text="race-2").click()  # the newer request
    page.wait_for_function(drawn)
    page.evaluate(mark)
    route, response, body = held[0]
    route.fulfill(response=response, json=body)
    page.wait_for_timeout(1000)  # time enough to draw it, were it drawn
    expect(page.locator("#messages li[data-old]")).to_have_count(1)
    expect(page.locator("#reply")).to_be_enabled()
    expect(page.locator("#conversation-meta")).to_contain_text("assigned")
