# ruff: noqa: RUF001  (the Chinese interface's full-width punctuation, on purpose)
"""The web chat widget in a real browser against the real assistant.

Debian's chromium (``scripts/setup-web.sh --browser``) driven by Playwright opens
the demo page that the Rasa server itself serves, chats through the widget over
socket.io, reloads and finds the conversation again, and checks the phone layout;
a visitor whose browser speaks Chinese gets the interface, the replies and the
cards in Chinese.
A screenshot of each step goes to ``$TANDEM_TEST_ARTIFACTS`` (default
``.tandem/test-results/screenshots/``).
"""

from __future__ import annotations

import importlib.util
import os
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.supervisor import Supervisor
from tests.conftest import CATALOG_DIR
from tests.e2e.conftest import rasa_api_headers

CHROMIUM = Path("/usr/bin/chromium")
PROJECT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(600),
    pytest.mark.skipif(
        importlib.util.find_spec("playwright") is None,
        reason="playwright is not installed: run scripts/setup-web.sh --browser",
    ),
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="/usr/bin/chromium is missing: run scripts/setup-web.sh --browser",
    ),
]
STEP_TIMEOUT_MS = 60_000  # a turn through the real engine on a busy 2-core machine


@pytest.fixture(scope="module")
def shots() -> Path:
    folder = (
        Path(os.environ.get("TANDEM_TEST_ARTIFACTS") or PROJECT / ".tandem" / "test-results")
        / "screenshots"
        / "widget"
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def demo_url(assistant: Supervisor) -> str:
    base = assistant.settings.rasa_url
    health = httpx.get(f"{base}/webhooks/webchat/", timeout=10)
    if health.status_code == 404:
        pytest.skip(
            "the assistant's credentials.yml has no bot.channels.webchat.WebChatInput entry"
        )
    widget = httpx.get(f"{base}/webhooks/webchat/vendor/socket.io.min.js", timeout=10)
    if widget.status_code != 200:
        pytest.skip("socket.io-client is not installed: run scripts/setup-web.sh")
    return f"{base}/webhooks/webchat/demo"


@contextmanager
def browser_page(**options: Any) -> Iterator[Any]:
    """A page of a fresh chromium context (``options``: Playwright's, e.g. ``locale``)."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=STEP_TIMEOUT_MS)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        context = browser.new_context(viewport={"width": 1280, "height": 800}, **options)
        context.set_default_timeout(STEP_TIMEOUT_MS)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        yield page
        browser.close()
        assert errors == [], f"JavaScript errors on the page: {errors}"


@pytest.fixture()
def page(demo_url: str) -> Iterator[Any]:
    with browser_page() as opened:
        yield opened


@pytest.fixture()
def chinese_page(demo_url: str) -> Iterator[Any]:
    """A browser whose language is Chinese (``navigator.language == "zh-CN"``)."""
    with browser_page(locale="zh-CN") as opened:
        yield opened


def say(page: Any, text: str) -> None:
    box = page.get_by_label("Your message")
    box.fill(text)
    box.press("Enter")


def bot_texts(page: Any) -> list[str]:
    return list(page.locator(".tw-bot .tw-text").all_inner_texts())


def wait_for_bot_count(page: Any, count: int) -> None:
    page.wait_for_function(
        """n => document.querySelector('#tandem-webchat').shadowRoot
                 .querySelectorAll('.tw-bot').length >= n""",
        arg=count,
    )


def test_a_shopper_chats_reloads_and_uses_a_phone(page: Any, demo_url: str, shots: Path) -> None:
    from playwright.sync_api import expect

    page.goto(demo_url)
    expect(page.get_by_role("heading", name="Tech you love, paid your way")).to_be_visible()
    launcher = page.get_by_role("button", name="Open chat: Chat with Volt")
    expect(launcher).to_be_visible()
    page.screenshot(path=shots / "01-demo-page.png")

    # Opening moves focus into the message box; the log is announced politely.
    launcher.click()
    box = page.get_by_label("Your message")
    expect(box).to_be_focused()
    expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible()
    log = page.get_by_role("log", name="Conversation")
    expect(log).to_have_attribute("aria-live", "polite")
    page.screenshot(path=shots / "02-open.png")

    say(page, "hello")
    expect(page.locator(".tw-user .tw-text").last).to_have_text("hello")
    wait_for_bot_count(page, 1)
    assert any("Volt" in text for text in bot_texts(page)), bot_texts(page)

    say(page, "can you recommend some headphones?")
    card = page.locator(".tw-card-recommendations")
    expect(card).to_be_visible()
    expect(card.locator(".tw-item").first).to_be_visible()
    assert card.locator(".tw-item").count() >= 1
    # one bubble: a short lead-in and the card; the text does not repeat the items
    name = card.locator(".tw-item-name").first.inner_text()
    lead = page.locator(".tw-bot", has=card).locator(".tw-text").inner_text()
    assert lead.strip() and name not in lead, lead
    expect(page.locator(".tw-typing")).to_be_hidden()
    page.screenshot(path=shots / "03-recommendations.png")

    # Not understood: the clarifying question offers buttons; a click answers with one.
    before = page.locator(".tw-bot").count()
    say(page, "blorp fizz")
    # the recommendation above has buttons of its own: wait for the reply to this turn
    wait_for_bot_count(page, before + 1)
    choices = page.locator(".tw-choices").last.get_by_role("button")
    expect(choices.first).to_be_visible()
    title = choices.first.inner_text()
    choices.first.click()
    expect(page.locator(".tw-user .tw-text").last).to_have_text(title)
    expect(choices.first).to_be_disabled()
    wait_for_bot_count(page, before + 2)
    page.screenshot(path=shots / "04-button-clicked.png")
    transcript = log.inner_text()

    # A reload finds the same conversation: the session id lives in localStorage.
    session = page.evaluate("window.TandemWebChat.sessionId")
    assert uuid.UUID(session)
    page.reload()
    expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible()
    assert page.evaluate("window.TandemWebChat.sessionId") == session
    expect(page.locator(".tw-card-recommendations").first).to_be_visible()
    users = page.locator(".tw-user .tw-text").all_inner_texts()
    assert users[-4:] == ["hello", "can you recommend some headphones?", "blorp fizz", title]
    assert page.locator(".tw-bot").count() == before + 2
    assert log.inner_text().count("can you recommend") == transcript.count("can you recommend")
    page.screenshot(path=shots / "05-after-reload.png")

    # Escape closes the panel and gives focus back to the launcher.
    page.get_by_label("Your message").focus()
    page.keyboard.press("Escape")
    expect(page.locator(".tw-panel")).to_be_hidden()
    expect(launcher).to_be_focused()

    # A phone: the open panel fills the screen and nothing scrolls sideways.
    page.set_viewport_size({"width": 375, "height": 740})
    launcher.click()
    panel = page.locator(".tw-panel").bounding_box()
    assert panel is not None
    assert (panel["x"], panel["y"], panel["width"], panel["height"]) == (0, 0, 375, 740)
    expect(launcher).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    expect(page.locator(".tw-card-recommendations").first).to_be_visible()
    page.screenshot(path=shots / "06-phone.png")
    page.get_by_role("button", name="Close chat").click()
    expect(launcher).to_be_visible()


def open_chat(page: Any, demo_url: str) -> str:
    """Open the demo, open the widget, say hello; the session id the widget uses."""
    from playwright.sync_api import expect

    page.goto(demo_url)
    page.get_by_role("button", name="Open chat: Chat with Volt").click()
    expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible()
    say(page, "hello")
    wait_for_bot_count(page, 1)
    return str(page.evaluate("window.TandemWebChat.sessionId"))


def push(assistant: Supervisor, session: str, *events: dict[str, Any]) -> None:
    """What the handoff service does: events through Rasa's API, sent on the latest channel."""
    response = httpx.post(
        f"{assistant.settings.rasa_url}/conversations/{session}/tracker/events",
        params={"execute_side_effects": "true", "output_channel": "latest"},
        headers=rasa_api_headers(assistant),
        json=list(events),
        timeout=30,
    )
    assert response.status_code == 200, response.text


def bot(text: str | None, custom: dict[str, Any] | None = None, **metadata: Any) -> dict[str, Any]:
    return {"event": "bot", "text": text, "data": {"custom": custom}, "metadata": metadata}


def test_agents_handoff_cards_and_unsafe_text_render(
    page: Any, demo_url: str, assistant: Supervisor, shots: Path
) -> None:
    from playwright.sync_api import expect

    from generators.credit import Scorecard
    from generators.mobile_plans import MobilePlanAdvisor
    from generators.savings import SavingsPlanner
    from generators.schemas import payload

    session = open_chat(page, demo_url)
    banner = page.locator(".tw-banner")

    push(
        assistant,
        session,
        bot(
            "Let me get a colleague.",
            {"type": "handoff", "state": "waiting", "expected_wait_s": 120},
        ),
    )
    expect(banner).to_have_text("Waiting for a colleague… (about 2 min)")
    push(assistant, session, bot(None, {"type": "handoff", "state": "agent", "agent": "Maya"}))
    expect(banner).to_have_text("You are now talking to Maya, a person from our team")
    push(
        assistant,
        session,
        bot("Hi, I'm Maya. How can I help?", {"type": "agent_message", "agent": "Maya"}),
    )
    agent = page.locator(".tw-agent").last
    expect(agent.locator(".tw-author")).to_have_text("Maya (from our team)")
    expect(agent.locator(".tw-text")).to_have_text("Hi, I'm Maya. How can I help?")
    page.screenshot(path=shots / "10-agent.png")

    credit = Scorecard().score({"credit_amount": 2000, "duration_months": 24})
    mobile = MobilePlanAdvisor(catalog_path=CATALOG_DIR / "mobile_plans.yml").recommend(
        {"data_gb": 12, "minutes": 500, "roaming_days": 3, "budget": 30}
    )
    savings = SavingsPlanner().plan(
        {
            "goal_amount": 10000,
            "target_date": "2030-01-01",
            "current_savings": 1000,
            "loss_reaction": "wait",
            "experience": "some",
        }
    )
    push(
        assistant,
        session,
        bot("Your pre-check.", payload("credit_score", credit)),
        bot("Your plan.", payload("mobile_plan", mobile)),
        bot("Your savings.", payload("savings_plan", savings)),
        bot("Something new.", {"type": "hologram", "data": {"x": 1}}),
        bot('<img src=x onerror="window.pwned=1"> Returns: https://voltline.example/returns.'),
        bot(None, {"type": "handoff", "state": "bot"}),
    )
    expect(page.locator(".tw-card-credit_score .tw-badge")).to_have_text("Needs a review")
    expect(page.locator(".tw-card-credit_score")).to_contain_text(f"{credit.score} / 1000")
    expect(page.locator(".tw-card-credit_score")).not_to_contain_text("Chance")
    expect(page.locator(".tw-card-mobile_plan h3")).to_have_text(
        f"Best plan: {mobile.best.plan_name}"
    )
    expect(page.locator(".tw-card-savings_plan meter")).to_have_count(len(savings.allocation))
    expect(page.get_by_text("Something new.")).to_be_visible()
    expect(page.get_by_text("You are back with the assistant.")).to_be_visible()
    expect(banner).to_be_hidden()
    link = page.get_by_role("link", name="https://voltline.example/returns")
    expect(link).to_have_attribute("href", "https://voltline.example/returns")
    expect(link).to_have_attribute("rel", "noopener noreferrer nofollow")
    assert page.locator(".tw-log img").count() == 0
    assert page.evaluate("window.pwned") is None
    page.screenshot(path=shots / "11-handoff-over.png")
    for kind in ("credit_score", "mobile_plan", "savings_plan"):
        page.locator(f".tw-card-{kind}").screenshot(path=shots / f"12-card-{kind}.png")


def test_a_streamed_answer_grows_and_is_replaced_by_the_final_message(
    page: Any, demo_url: str, assistant: Supervisor, shots: Path
) -> None:
    from playwright.sync_api import expect

    token = assistant.settings.stream_token  # what `bot run` gives credentials.yml
    stream_url = f"{assistant.settings.rasa_url}/webhooks/webchat/stream"
    session = open_chat(page, demo_url)
    stream_id = f"answer-{uuid.uuid4()}"

    def chunk(delta: str, done: bool = False) -> None:
        body = {"session_id": session, "stream_id": stream_id, "delta": delta, "done": done}
        response = httpx.post(
            stream_url, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        assert response.status_code == 200, response.text

    chunk("Returns are free ")
    growing = page.locator(".tw-streaming .tw-text")
    expect(growing).to_have_text("Returns are free ")
    expect(page.locator(".tw-streaming")).to_have_attribute("aria-busy", "true")
    chunk("within 30 days.", done=True)
    expect(page.locator(".tw-bot .tw-text").last).to_have_text("Returns are free within 30 days.")
    page.screenshot(path=shots / "20-streamed.png")

    # The final message (what the tracker keeps) takes the streamed bubble's place.
    bubbles = page.locator(".tw-bot").count()
    final = "Returns are free within 30 days. See https://voltline.example/returns"
    push(assistant, session, bot(final, stream_id=stream_id))
    expect(page.locator(".tw-bot .tw-text").last).to_have_text(final)
    expect(page.locator(".tw-streaming")).to_have_count(0)
    assert page.locator(".tw-bot").count() == bubbles
    expect(page.get_by_role("link", name="https://voltline.example/returns")).to_be_visible()


def test_the_widget_reconnects_after_an_engine_restart_without_losing_anything(
    page: Any, demo_url: str, assistant: Supervisor, shots: Path
) -> None:
    from playwright.sync_api import expect

    open_chat(page, demo_url)
    replies = page.locator(".tw-bot").count()
    restart = threading.Thread(target=assistant.restart_rasa)
    restart.start()
    try:
        expect(page.get_by_role("status").filter(has_text="Reconnecting")).to_be_visible()
        page.screenshot(path=shots / "30-reconnecting.png")
        say(page, "are you back?")  # queued until the session is confirmed again
    finally:
        restart.join()
    expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible()
    wait_for_bot_count(page, replies + 1)
    assert page.locator(".tw-user .tw-text").all_inner_texts() == ["hello", "are you back?"]
    page.screenshot(path=shots / "31-reconnected.png")


@contextmanager
def shop(host: str, server: str) -> Iterator[str]:
    """Another shop's page with the one-tag embed, on its own loopback origin."""
    page = (
        "<!doctype html><title>Another shop</title><h1>Another shop</h1>"
        f'<script src="{server}/webhooks/webchat/widget.js" data-server="{server}" '
        'data-token="not-checked-without-jwt_key" data-open></script>'
    ).encode()

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer((host, 0), Page)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"{host}:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_page_on_another_allowed_origin_embeds_the_widget_and_a_foreign_one_cannot(
    page: Any, assistant: Supervisor, demo_url: str
) -> None:
    from playwright.sync_api import expect

    server = assistant.settings.rasa_url
    history_requests: list[Any] = []
    page.on(
        "request",
        lambda r: history_requests.append(r) if "/webhooks/webchat/history/" in r.url else None,
    )
    with shop("127.0.0.1", server) as address:
        # localhost:<port> is another origin than 127.0.0.1:<rasa port>, on loopback.
        page.goto(f"http://{address.replace('127.0.0.1', 'localhost')}/")
        expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible()
        say(page, "hello")
        wait_for_bot_count(page, 1)
    [request] = [r for r in history_requests if r.method == "GET"]
    assert request.headers["authorization"] == "Bearer not-checked-without-jwt_key"
    response = request.response()
    assert response is not None and response.status == 200

    with shop("127.0.0.2", server) as address:  # not an allowed origin
        page.goto(f"http://{address}/")
        expect(page.get_by_role("status").filter(has_text="Reconnecting")).to_be_visible()
        page.wait_for_timeout(3000)
        expect(page.get_by_role("status").filter(has_text="Connected")).to_have_count(0)


def test_goodbye_asks_for_a_rating_and_a_tap_on_4_is_recorded(
    page: Any, demo_url: str, assistant: Supervisor, shots: Path
) -> None:
    """CSAT (issue 21): the question's buttons in the widget, the choice in the tracker."""
    from playwright.sync_api import expect

    session = open_chat(page, demo_url)
    before = page.locator(".tw-bot").count()
    say(page, "bye")
    question = page.locator(".tw-bot", has_text="how did I do")
    expect(question).to_be_visible()
    choices = question.locator(".tw-choice")
    expect(choices).to_have_count(5)
    assert choices.all_inner_texts() == ["1", "2", "3", "4", "5"]
    page.screenshot(path=shots / "20-csat-question.png")

    question.get_by_role("button", name="4", exact=True).click()
    expect(page.locator(".tw-user .tw-text").last).to_have_text("4")
    expect(page.locator(".tw-bot", has_text="Thanks for rating us")).to_be_visible()
    assert page.locator(".tw-bot").count() > before + 1
    expect(question.get_by_role("button", name="4", exact=True)).to_be_disabled()
    page.screenshot(path=shots / "21-csat-thanks.png")

    response = httpx.get(
        f"{assistant.settings.rasa_url}/conversations/{session}/tracker",
        headers=rasa_api_headers(assistant),
        timeout=30,
    )
    slots = response.json()["slots"]
    assert (slots["csat_score"], slots["csat_context"]) == (4, "conversation")


def test_a_chinese_visitor_gets_the_widget_and_the_cards_in_chinese(
    chinese_page: Any, demo_url: str, assistant: Supervisor, shots: Path
) -> None:
    """The browser's language picks the interface and starts the conversation in it;
    each bot message names its language, which the cards' labels follow."""
    from playwright.sync_api import expect

    from generators.credit import Scorecard
    from generators.mobile_plans import MobilePlanAdvisor
    from generators.schemas import payload

    page = chinese_page
    page.goto(demo_url)
    launcher = page.get_by_role("button", name="打开聊天：Chat with Volt")
    expect(launcher).to_be_visible()
    launcher.click()
    box = page.get_by_label("您的消息")
    expect(box).to_be_focused()
    expect(box).to_have_attribute("placeholder", "请输入消息…")
    expect(page.get_by_role("status").filter(has_text="已连接")).to_be_visible()
    expect(page.get_by_role("log", name="对话")).to_be_visible()
    expect(page.get_by_role("button", name="发送消息")).to_be_visible()
    expect(page.get_by_role("button", name="关闭聊天")).to_be_visible()
    page.screenshot(path=shots / "30-zh-open.png")

    box.fill("你好")
    box.press("Enter")
    expect(page.locator(".tw-user .tw-text").last).to_have_text("你好")
    wait_for_bot_count(page, 1)
    greeting = bot_texts(page)[-1]
    assert re.search(r"[\u4e00-\u9fff]", greeting), greeting
    expect(page.locator(".tw-bot .tw-sr").first).to_have_text("助手：")
    expect(page.locator(".tw-user .tw-sr").first).to_have_text("您：")
    session = str(page.evaluate("window.TandemWebChat.sessionId"))
    tracker = httpx.get(
        f"{assistant.settings.rasa_url}/conversations/{session}/tracker",
        headers=rasa_api_headers(assistant),
        timeout=30,
    ).json()
    assert tracker["slots"]["language"] == "zh"
    page.screenshot(path=shots / "31-zh-greeting.png")

    # Cards sent into the conversation the way the handoff service sends messages:
    # the engine names the conversation's language on each, and the widget follows it.
    credit = Scorecard().score({"credit_amount": 2000, "duration_months": 24})
    mobile = MobilePlanAdvisor(catalog_path=CATALOG_DIR / "mobile_plans.yml").recommend(
        {"data_gb": 12, "minutes": 500, "roaming_days": 3, "budget": 30}
    )
    push(
        assistant,
        session,
        bot("这是您的信用预审结果。", payload("credit_score", credit)),
        bot("这是最省钱的套餐。", payload("mobile_plan", mobile)),
        bot(None, {"type": "handoff", "state": "waiting", "position": 2, "expected_wait_s": 120}),
    )
    plan = page.locator(".tw-card-mobile_plan")
    expect(plan.locator("h3")).to_have_text(f"最佳套餐：{mobile.best.plan_name}")
    expect(plan.locator("dt")).to_have_text(["流量", "通话", "漫游"])
    expect(plan.locator(".tw-price")).to_contain_text("每月")
    score = page.locator(".tw-card-credit_score")
    expect(score.locator("h3")).to_have_text("您的信用预审")
    expect(score.locator(".tw-badge")).to_have_text("需要人工审核")
    # a "review" result has no financing offer; its reasons have the Chinese subheading
    expect(score.locator(".tw-subhead")).to_have_text("影响评分的因素")
    expect(score.locator("dt")).to_have_text(["评分"])
    expect(page.locator(".tw-banner")).to_have_text(
        "正在等待同事接入… 您排在第 2 位。 （约 2 分钟）"
    )
    for english in ("Best plan", "What lowered", "Waiting for a colleague", "Roaming"):
        expect(page.locator(".tw-panel")).not_to_contain_text(english)
    page.screenshot(path=shots / "32-zh-cards.png")
    plan.screenshot(path=shots / "33-zh-card-mobile_plan.png")
    push(assistant, session, bot(None, {"type": "handoff", "state": "bot"}))
    expect(page.get_by_text("您已回到智能助手。")).to_be_visible()

    # A message the server refuses (an unpaired surrogate is not text) is explained
    # in the visitor's language by the error's code, not in the server's English.
    assert page.evaluate("window.TandemWebChat.send('坏\\ud800字')") is True
    refused = page.locator(".tw-notice-error").last
    expect(refused).to_have_text("消息里有无法发送的字符，请重新输入。")
    expect(page.locator(".tw-panel")).not_to_contain_text("unpaired surrogate")
    page.screenshot(path=shots / "35-zh-refused.png")

    # A reload shows the conversation again, in the language it was held in.
    page.reload()
    expect(page.get_by_role("status").filter(has_text="已连接")).to_be_visible()
    expect(page.locator(".tw-card-mobile_plan h3")).to_have_text(
        f"最佳套餐：{mobile.best.plan_name}"
    )
    page.screenshot(path=shots / "34-zh-after-reload.png")
