"""RephrasingNLG against a local aiohttp server standing in for the action server."""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web
from rasa.core.nlg import NaturalLanguageGenerator, TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.engine.rephrase import RephrasingNLG, filled_values, recent_turns, wants_rephrasing

BUTTONS = [{"title": "Directions", "payload": "/directions"}]
HOURS = "The {store} store opens at 9am today."
with warnings.catch_warnings():  # rasa 3.6 warns "slot auto-fill has been removed" for any slot
    warnings.simplefilter("ignore", UserWarning)
    DOMAIN = Domain.from_dict(
        {
            "version": "3.1",
            "slots": {"store": {"type": "text", "mappings": [{"type": "custom"}]}},
            "responses": {
                "utter_hours": [
                    {"text": HOURS, "buttons": BUTTONS, "metadata": {"rephrase": True}}
                ],
                "utter_goodbye": [{"text": "Goodbye, {store} fans!"}],
                "utter_off": [{"text": "Bye!", "metadata": {"rephrase": False}}],
            },
        }
    )
REWORDED = "Good news: the Downtown store opens at 9am today."


def tracker() -> DialogueStateTracker:
    return DialogueStateTracker.from_events(
        "c1",
        [
            UserUttered("an old session"),
            SessionStarted(),
            ActionExecuted("action_listen"),
            UserUttered("hi"),
            BotUttered("Hello! How can I help?"),
            UserUttered("/ask_store_hours"),
            UserUttered("when does downtown open?"),
            SlotSet("store", "Downtown"),
        ],
        slots=DOMAIN.slots,
    )


class StandIn:
    """The action server's /rephrase: ``mode`` scripts its next answers."""

    def __init__(self) -> None:
        self.mode = "rephrase"
        self.requests: list[dict[str, Any]] = []
        self.url = ""

    async def rephrase(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(body)
        if self.mode == "slow":
            await asyncio.sleep(3)
        if self.mode == "500":
            return web.json_response({"error": "boom"}, status=500)
        if self.mode == "garbage":
            return web.Response(text="<html>proxy error</html>")
        if self.mode == "wrong-shape":
            return web.json_response({"text": 42, "rephrased": "yes"})
        if self.mode == "reject":
            return web.json_response(
                {"text": body["text"], "rephrased": False, "reason": "The rephrasing drops 9am."}
            )
        return web.json_response({"text": REWORDED, "rephrased": True, "reason": None})


@asynccontextmanager
async def action_server(path: str = "/rephrase") -> AsyncIterator[StandIn]:
    stand_in = StandIn()
    app = web.Application()
    app.router.add_post(path, stand_in.rephrase)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    stand_in.url = f"http://127.0.0.1:{port}"
    try:
        yield stand_in
    finally:
        await runner.cleanup()


def nlg(url: str, **kwargs: Any) -> RephrasingNLG:
    return RephrasingNLG(endpoint_config=EndpointConfig(url=url, **kwargs), domain=DOMAIN)


def render(mode: str, action: str = "utter_hours", **kwargs: Any) -> tuple[Any, StandIn]:
    """Render ``action`` with the stand-in answering in ``mode`` (own loop: no pytest-asyncio)."""

    async def run() -> tuple[Any, StandIn]:
        async with action_server() as server:
            server.mode = mode
            message = await nlg(server.url, **kwargs).generate(action, tracker(), "rest")
            return message, server

    return asyncio.run(run())


def test_a_marked_response_gets_the_rephrased_text_and_keeps_its_buttons() -> None:
    message, server = render("rephrase")
    assert message["text"] == REWORDED
    assert message["buttons"] == BUTTONS
    assert message["metadata"] == {"rephrase": True, "rephrased": True}
    [request] = server.requests
    assert request == {
        "text": "The Downtown store opens at 9am today.",
        "turns": [
            {"role": "user", "text": "hi"},
            {"role": "bot", "text": "Hello! How can I help?"},
            {"role": "user", "text": "when does downtown open?"},
        ],
        "response": "utter_hours",
        "keep": ["Downtown"],
        "deadline_s": 1.5,
    }


def test_only_the_last_turns_are_sent() -> None:
    _, server = render("rephrase", max_turns=1)
    assert server.requests[0]["turns"] == [{"role": "user", "text": "when does downtown open?"}]


@pytest.mark.parametrize("action", ["utter_goodbye", "utter_off"])
def test_unmarked_responses_are_rendered_as_templates_and_never_sent(action: str) -> None:
    message, server = render("rephrase", action=action)
    expected = TemplatedNaturalLanguageGenerator(DOMAIN.responses).generate_from_slots(
        action, {"store": "Downtown"}, "rest"
    )
    assert message == expected
    assert server.requests == []


def test_an_unknown_response_is_none_as_in_rasa() -> None:
    message, server = render("rephrase", action="utter_nothing")
    assert message is None and server.requests == []


@pytest.mark.parametrize("mode", ["reject", "500", "garbage", "wrong-shape"])
def test_anything_but_a_rephrasing_leaves_the_template(mode: str) -> None:
    message, server = render(mode)
    assert message["text"] == "The Downtown store opens at 9am today."
    assert message["buttons"] == BUTTONS
    assert message["metadata"] == {"rephrase": True}
    assert len(server.requests) == 1


def test_a_slow_action_server_costs_the_timeout_and_no_more() -> None:
    async def run() -> tuple[list[str], float]:
        async with action_server() as server:
            server.mode = "slow"
            generator = nlg(server.url, timeout_s=0.7)
            loop = asyncio.get_running_loop()
            started = loop.time()
            first = await generator.generate("utter_hours", tracker(), "rest")
            elapsed = loop.time() - started
            second = await generator.generate("utter_hours", tracker(), "rest")
            return [first["text"], second["text"]], elapsed

    texts, elapsed = asyncio.run(run())
    assert texts == ["The Downtown store opens at 9am today."] * 2
    assert 0.6 < elapsed < 1.5


def test_each_kind_of_failure_is_a_warning_once(caplog: pytest.LogCaptureFixture) -> None:
    async def run() -> None:
        async with action_server(path="/elsewhere") as server:  # rasa-sdk's own server: no route
            generator = nlg(f"{server.url}/webhook")
            for _ in range(3):
                await generator.generate("utter_hours", tracker(), "rest")

    with caplog.at_level(logging.DEBUG, logger="bot.engine.rephrase"):
        asyncio.run(run())
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "/rephrase does not exist" in warnings[0].getMessage()
    assert "python -m bot.actionserver" in warnings[0].getMessage()


def test_an_unreachable_action_server_leaves_the_template(caplog: pytest.LogCaptureFixture) -> None:
    async def run() -> Any:
        async with action_server() as server:
            url = server.url
        return await nlg(url).generate("utter_hours", tracker(), "rest")  # nobody listens now

    with caplog.at_level(logging.WARNING, logger="bot.engine.rephrase"):
        message = asyncio.run(run())
    assert message["text"] == "The Downtown store opens at 9am today."
    assert "is the action server running?" in caplog.text


def test_rasa_builds_it_from_endpoints_yml_as_a_templated_generator() -> None:
    config = EndpointConfig.from_dict(
        {"type": "bot.engine.rephrase.RephrasingNLG", "url": "http://127.0.0.1:5055/webhook"}
    )
    generator = NaturalLanguageGenerator.create(config, DOMAIN)
    assert isinstance(generator, RephrasingNLG)
    # Agent.load_model refreshes the responses of templated generators only
    assert isinstance(generator, TemplatedNaturalLanguageGenerator)
    assert generator.url == "http://127.0.0.1:5055/rephrase"
    assert generator.responses == DOMAIN.responses


def test_bad_configuration_says_how_to_fix_it() -> None:
    with pytest.raises(ValueError, match=r"base url in endpoints\.yml"):
        RephrasingNLG(endpoint_config=EndpointConfig(url=""), domain=DOMAIN)
    with pytest.raises(ValueError, match="timeout_s must be above"):
        nlg("http://127.0.0.1:5055", timeout_s=0.2)
    with pytest.raises(ValueError, match="max_turns must be between 0 and 20"):
        nlg("http://127.0.0.1:5055", max_turns=50)


def test_helpers() -> None:
    assert filled_values("{a} and {b} and {a}, {c}, {d}", {"a": "x", "b": None, "c": " "}) == ["x"]
    assert filled_values(None, {"a": 1}) == []
    assert recent_turns(tracker(), 0) == []
    long = DialogueStateTracker.from_events("c2", [UserUttered("y" * 5000)])
    assert recent_turns(long, 6) == [{"role": "user", "text": "y" * 1000}]
    assert wants_rephrasing({"text": "ok", "metadata": {"rephrase": True}})
    assert not wants_rephrasing({"text": "x" * 2001, "metadata": {"rephrase": True}})
    assert not wants_rephrasing({"text": "ok", "metadata": {"rephrase": "yes"}})
    assert not wants_rephrasing({"custom": {}, "metadata": {"rephrase": True}})
