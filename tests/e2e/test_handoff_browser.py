"""A customer in the widget and an agent in the console, two real browser contexts.

The customer asks for a person; the agent signs in, claims the conversation,
sees the transcript and the summary, replies; the customer sees the reply live,
answers, and the agent sees that live; the agent returns the conversation to the
bot, which answers the next message with the slots from before the handoff.
A second test is the console's side of stored XSS: a REST customer's markup
reaches the agent's page as text and never runs there.
Screenshots of each step go to ``<artifacts>/screenshots/handoff/``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.supervisor import Supervisor
from tests.e2e.conftest import rest_conversation_id, send
from tests.e2e.console_client import create_agent
from tests.e2e.test_widget_browser import (
    CHROMIUM,
    PROJECT,
    STEP_TIMEOUT_MS,
    bot_texts,
    say,
    wait_for_bot_count,
)
from tests.e2e.test_widget_browser import demo_url as demo_url  # fixture
from tests.e2e.test_widget_browser import pytestmark as widget_marks

pytestmark = widget_marks


@pytest.fixture(scope="module")
def shots() -> Path:
    artifacts = Path(os.environ.get("TANDEM_TEST_ARTIFACTS") or PROJECT / ".tandem/test-results")
    folder = artifacts / "screenshots" / "handoff"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture()
def browser() -> Iterator[Any]:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=STEP_TIMEOUT_MS)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield browser
        browser.close()


def new_page(browser: Any, errors: list[str]) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(STEP_TIMEOUT_MS)
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page


def test_a_person_takes_over_in_the_console_and_hands_back_to_the_bot(
    browser: Any, demo_url: str, assistant: Supervisor, shots: Path
) -> None:
    from playwright.sync_api import expect

    email, password = f"grace-{secrets.token_hex(3)}@voltline.example", secrets.token_urlsafe(16)
    create_agent(assistant, email=email, name="Grace", password=password)
    errors: list[str] = []
    customer, agent = new_page(browser, errors), new_page(browser, errors)

    # The customer introduces themselves, then asks for a person.
    customer.goto(demo_url)
    customer.get_by_role("button", name="Open chat: Chat with Volt").click()
    say(customer, "hello")
    wait_for_bot_count(customer, 1)
    say(customer, "my name is Ada")
    expect(customer.locator(".tw-bot .tw-text").last).to_have_text(
        "Nice to meet you, Ada! How can I help you today?"
    )
    say(customer, "I want to talk to a person")
    banner = customer.locator(".tw-banner")
    expect(banner).to_contain_text("Waiting for a colleague")
    customer.screenshot(path=shots / "01-customer-waiting.png")

    # The agent signs in; the conversation is in the live queue.
    agent.goto(f"{assistant.settings.handoff_url}/console/")
    expect(agent).to_have_url(f"{assistant.settings.handoff_url}/console/login")
    agent.get_by_label("E-mail address").fill(email)
    agent.get_by_label("Password").fill(password)
    agent.get_by_role("button", name="Sign in").click()
    expect(agent.locator("#connection")).to_have_text("Live")
    item = agent.locator(".queue-item").filter(has_text="Ada")
    expect(item).to_contain_text("customer_request")
    agent.screenshot(path=shots / "02-agent-queue.png")

    # Transcript and summary, then claim.
    item.click()
    messages = agent.get_by_role("list", name="Messages")
    expect(agent.locator(".transcript")).to_contain_text("I want to talk to a person")
    expect(agent.locator("#summary")).not_to_have_text("—")
    expect(agent.locator("#suggestions li").first).to_be_visible()
    agent.get_by_role("button", name="Claim").click()
    expect(banner).to_contain_text("You are now talking to Grace")
    agent.screenshot(path=shots / "03-agent-claimed.png")

    # The agent's reply reaches the widget live; the customer's answer reaches the console.
    agent.get_by_label("Reply to the customer").fill("Hi Ada, Grace here. What can I do for you?")
    agent.get_by_role("button", name="Send").click()
    reply = customer.locator(".tw-agent").filter(has_text="Hi Ada, Grace here.")
    expect(reply).to_contain_text("Grace")
    customer.screenshot(path=shots / "04-customer-sees-agent.png")
    say(customer, "my order 1234 hasn't arrived")
    expect(messages).to_contain_text("my order 1234 hasn't arrived")
    agent.screenshot(path=shots / "05-agent-sees-customer.png")

    # Back to the bot, which still knows the customer's name.
    agent.get_by_role("button", name="Return to bot").click()
    expect(customer.locator(".tw-log")).to_contain_text("back with")
    before = customer.locator(".tw-bot").count()
    say(customer, "what's my name?")
    wait_for_bot_count(customer, before + 1)
    expect(customer.locator(".tw-bot .tw-text").last).to_have_text("Of course, you're Ada.")
    customer.screenshot(path=shots / "06-customer-back-with-bot.png")
    agent.screenshot(path=shots / "07-agent-after-return.png")
    assert "Of course, you're Ada." in bot_texts(customer)
    assert errors == [], f"JavaScript errors: {errors}"


# What a customer might type to run script in an agent's console.
BEFORE_HANDOFF = (
    '<img src=x onerror="window.pwned=1">',
    "<script>window.pwned=2</script>",
)
WHILE_CLAIMED = (
    '"><svg onload=window.pwned=3>',
    '<a href="javascript:window.pwned=4">my order</a>',
    '<iframe srcdoc="<script>parent.pwned=5</script>"></iframe><b onmouseover=alert(6)>x</b>',
)

AGENT_NAME = 'Linus <img src=x onerror="window.pwned=7">'  # shown in the header and transcript


def test_a_customers_markup_is_shown_as_text_and_never_runs_in_the_console(
    browser: Any, assistant: Supervisor, shots: Path
) -> None:
    from playwright.sync_api import expect

    email, password = f"linus-{secrets.token_hex(3)}@voltline.example", secrets.token_urlsafe(16)
    create_agent(assistant, email=email, name=AGENT_NAME, password=password)
    sender = "e2e-xss-" + secrets.token_hex(4)
    errors: list[str] = []
    dialogs: list[str] = []
    agent = new_page(browser, errors)
    agent.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    # The console's CSP would block an injected handler quietly; record any attempt.
    agent.add_init_script(
        "window.blocked = []; document.addEventListener('securitypolicyviolation',"
        " (e) => window.blocked.push(`${e.violatedDirective}: ${e.sample}`));"
    )

    # Markup before the handoff: the console shows it as context and in the summary.
    for payload in BEFORE_HANDOFF:
        assert send(assistant, sender, payload), "the bot still answers before the handoff"
    reply = [m.get("text", "") for m in send(assistant, sender, "I want to talk to a person")]
    assert any("colleague" in text for text in reply), reply

    agent.goto(f"{assistant.settings.handoff_url}/console/")
    agent.get_by_label("E-mail address").fill(email)
    agent.get_by_label("Password").fill(password)
    agent.get_by_role("button", name="Sign in").click()
    expect(agent.locator("#connection")).to_have_text("Live")
    item = agent.locator(".queue-item").filter(has_text=rest_conversation_id(sender))
    expect(item).to_contain_text("customer_request")
    item.click()
    context = agent.locator("#context .text")
    for payload in BEFORE_HANDOFF:
        expect(context.filter(has_text=payload)).not_to_have_count(0)
        assert payload in context.all_text_contents()
    summary = agent.locator("#summary")
    expect(summary).not_to_have_text("—")
    if agent.locator("#summary-source").text_content() == "":  # extractive: quotes the customer
        expect(summary).to_contain_text(BEFORE_HANDOFF[-1])
    agent.get_by_role("button", name="Claim").click()
    expect(agent.locator("#reply")).to_be_enabled()
    expect(agent.locator(".whoami")).to_contain_text(AGENT_NAME)
    expect(agent.locator("#messages .system").last).to_contain_text(f"{AGENT_NAME} from our team")

    # Markup while the agent has the conversation arrives live in the transcript.
    messages = agent.locator("#messages .text")
    for payload in WHILE_CLAIMED:
        assert send(assistant, sender, payload) == [], "the bot is silent while paused"
        expect(messages.filter(has_text=payload)).not_to_have_count(0)
        assert payload in messages.all_text_contents()
    agent.locator("#messages .message.customer").last.hover()
    agent.screenshot(path=shots / "10-agent-customer-markup.png")

    # Nothing the customer sent became an element, and nothing ran.
    # (the console's own link to the supervisors' dashboard is the one <a> it has)
    markup = ":is(img, svg, script, iframe, a:not(#analytics-link), b)"
    injected = f".topbar {markup}, #queue {markup}, .conversation {markup}, .side {markup}"
    assert agent.locator(injected).count() == 0
    assert agent.evaluate("document.scripts.length") == 1  # console.js alone
    agent.wait_for_timeout(500)  # give any stray onerror/onload a moment to fire
    assert agent.evaluate("typeof window.pwned") == "undefined"
    assert agent.evaluate("window.blocked") == [], "injected script, blocked only by the CSP"
    assert dialogs == [], f"dialogs opened: {dialogs}"
    assert errors == [], f"JavaScript errors: {errors}"
    agent.get_by_role("button", name="Resolve").click()
    expect(agent.locator("#resolve")).to_be_disabled()


def test_the_waiting_banner_says_what_the_bot_said_and_follows_the_queue(
    browser: Any, demo_url: str, assistant: Supervisor, shots: Path
) -> None:
    """The banner's estimate is the bot's, and it moves when the queue moves, with no reload."""
    from playwright.sync_api import expect

    from tests.e2e.console_client import Console, wait_for

    email, password = f"ada-{secrets.token_hex(3)}@voltline.example", secrets.token_urlsafe(16)
    create_agent(assistant, email=email, name="Ada", password=password)
    agent = Console(assistant.settings.handoff_url).login(email, password)
    errors: list[str] = []
    customer = new_page(browser, errors)
    # Someone asked before: the widget's customer is not first in the queue.
    ahead = "e2e-ahead-" + secrets.token_hex(4)
    send(assistant, ahead, "I want to talk to a person")
    agent.handoff_for(rest_conversation_id(ahead))

    customer.goto(demo_url)
    customer.get_by_role("button", name="Open chat: Chat with Volt").click()
    say(customer, "hello")
    wait_for_bot_count(customer, 1)
    say(customer, "could I talk to someone from your team")
    banner = customer.locator(".tw-banner")
    expect(banner).to_contain_text("Waiting for a colleague")
    expect(banner).to_contain_text("in the queue.")
    said = customer.locator(".tw-bot .tw-text").filter(has_text="I've asked a colleague")
    expect(said).to_have_count(1)
    words = banner.inner_text().removeprefix("Waiting for a colleague…").strip()
    assert words and words in said.inner_text()  # one estimate, the same words
    assert "You're next in the queue." not in words
    customer.screenshot(path=shots / "20-banner-behind-someone.png")

    # The agent takes everyone ahead; the banner follows without a reload.
    session = customer.evaluate("window.TandemWebChat.sessionId")
    for handoff in agent.get("/queue"):
        if handoff["status"] == "waiting" and handoff["conversation_id"] != session:
            agent.post(f"/handoffs/{handoff['id']}/claim")
    expect(banner).to_contain_text("You're next in the queue.")
    assert customer.locator(".tw-bot .tw-text").filter(has_text="I've asked").count() == 1
    customer.screenshot(path=shots / "21-banner-next.png")

    # Taking the request back: the bot is there again, and the console shows it cancelled.
    mine = wait_for(
        lambda: next((h for h in agent.get("/queue") if h["conversation_id"] == session), None),
        timeout_s=15,
        what="the widget's conversation in the queue",
    )
    say(customer, "never mind")
    expect(customer.locator(".tw-log")).to_contain_text("Request cancelled")
    expect(banner).to_be_hidden()
    wait_for(
        lambda: agent.get(f"/handoffs/{mine['id']}")["handoff"]["status"] == "cancelled",
        timeout_s=15,
        what="the request shown as cancelled in the console",
    )
    for handoff in agent.get("/queue"):
        if handoff["agent_id"] is not None and handoff["conversation_id"] != session:
            agent.post(f"/handoffs/{handoff['id']}/resolve")
    agent.http.close()
    assert errors == [], f"JavaScript errors: {errors}"
