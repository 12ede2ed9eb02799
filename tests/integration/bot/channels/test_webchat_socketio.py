"""The web chat channel inside Rasa's own Sanic app, with python-socketio clients as browsers.

The app is built by ``rasa.core.run.configure_app`` (so Rasa's CORS layer and its
``/conversations/<id>/tracker/events`` route are the real ones); only the agent is
a stand-in that records turns in a real in-memory tracker store. Sanic 21 allows
one app per process in tests, so one server runs on its own event loop thread for
the whole module and each test swaps the bot.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Awaitable, Callable, Iterator
from email.message import Message
from typing import Any

import jwt
import pytest
import socketio
from rasa.core.channels.channel import UserMessage
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.processor import MessageProcessor
from rasa.core.run import configure_app
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Sanic

from bot.channels import visitor_token
from bot.channels.webchat import VENDOR_JS, WebChatInput
from bot.channels.widget_strings import widget_locales
from bot.contract.labels import read_locales
from bot.supervisor import free_port

JWT_KEY = "webchat-test-key-0123456789abcdef"
STREAM_TOKEN = "stream-token-0123456789"
CARD = {"type": "recommendations", "schema_version": 1, "data": {"items": [], "customer_id": None}}
Bot = Callable[[UserMessage], Awaitable[None]]


class _Processor:
    """What Rasa's events endpoint needs of a processor, over a real tracker store."""

    def __init__(self, store: InMemoryTrackerStore) -> None:
        self.store = store

    async def fetch_tracker_with_initial_session(self, sender_id: str) -> DialogueStateTracker:
        return await self.store.get_or_create_tracker(sender_id)

    get_tracker = fetch_tracker_with_initial_session

    async def execute_side_effects(self, events: list[Any], tracker: Any, output: Any) -> None:
        await MessageProcessor._send_bot_messages(events, tracker, output)


class _Agent:
    """Rasa's ``Agent`` as the server and the channels use it; ``handle_message`` is the bot."""

    def __init__(self, handle_message: Callable[[UserMessage], Awaitable[None]]) -> None:
        self.domain = Domain.empty()
        self.tracker_store = InMemoryTrackerStore(self.domain)
        self.lock_store = InMemoryLockStore()
        self.processor = _Processor(self.tracker_store)
        self.handle_message = handle_message

    def is_ready(self) -> bool:
        return True


class _Server:
    def __init__(self) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.loop = asyncio.new_event_loop()
        self.agent = _Agent(self._dispatch)
        self.bot: Bot = self.echo
        self.seen: list[UserMessage] = []
        self._ready = threading.Event()

    async def echo(self, message: UserMessage) -> None:
        """Like Rasa's processor: record the turn, then send the bot's messages."""
        tracker = await self.agent.tracker_store.get_or_create_tracker(message.sender_id)
        tracker.update(
            UserUttered(
                message.text, input_channel=message.input_channel, metadata=message.metadata
            )
        )
        reply = BotUttered(
            f"echo: {message.text}",
            data={"buttons": [{"title": "More", "payload": "/more"}], "custom": CARD},
        )
        tracker.update(reply)
        await self.agent.tracker_store.save(tracker)
        await message.output_channel.send_response(message.sender_id, reply.message())

    async def _dispatch(self, message: UserMessage) -> None:
        self.seen.append(message)
        await self.bot(message)

    def start(self) -> None:
        threading.Thread(target=self._serve, daemon=True).start()
        assert self._ready.wait(30), "the test server did not start"

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        channel = WebChatInput(jwt_key=JWT_KEY, stream_token=STREAM_TOKEN, max_message_chars=100)
        app = configure_app([channel], cors=None, enable_api=True, use_uvloop=False)
        app.ctx.agent = self.agent
        self.app = app

        async def boot() -> None:
            server = await app.create_server(
                host="127.0.0.1", port=self.port, return_asyncio_server=True, access_log=False
            )
            assert server is not None
            await server.startup()
            await server.before_start()
            await server.after_start()
            self._ready.set()

        self.loop.run_until_complete(boot())
        self.loop.run_forever()

    def http(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Message, bytes]:
        """One request; the headers are looked up case-insensitively."""
        request = urllib.request.Request(
            self.base + path, data=body, method=method, headers=headers or {}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()


@pytest.fixture(scope="module")
def server() -> Iterator[_Server]:
    srv = _Server()
    srv.start()
    yield srv
    srv.loop.call_soon_threadsafe(srv.loop.stop)
    Sanic._app_registry.pop(srv.app.name, None)


@pytest.fixture(autouse=True)
def fresh_bot(server: _Server) -> None:
    server.bot = server.echo
    server.seen.clear()


class Browser:
    """A socket.io client that keeps every event it receives, in order."""

    def __init__(
        self,
        server: _Server,
        *,
        session: str | None = None,
        token: str | None = "",
        origin: str | None = None,
    ):
        self.server = server
        self.session = session or new_session()
        self.token = token_for(self.session) if token == "" else token
        self.headers = {"Origin": origin} if origin else {}
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: list[tuple[str, Any]] = []
        self._arrived = asyncio.Event()

        @self.sio.on("*")
        async def anything(event: str, data: Any = None) -> None:
            self.events.append((event, data))
            self._arrived.set()

        @self.sio.on("connect_error")
        async def refused(data: Any = None) -> None:
            self.events.append(("connect_error", data))
            self._arrived.set()

    async def __aenter__(self) -> Browser:
        await self.open(wait=True)
        return self

    async def open(self, *, wait: bool) -> None:
        await self.sio.connect(
            self.server.base,
            auth={"token": self.token} if self.token else None,
            headers=self.headers,
            # python-engineio 4.15's websocket client needs aiohttp >= 3.10; rasa pins
            # 3.9. The browser test covers the websocket transport.
            transports=["polling"],
            wait=wait,
            wait_timeout=10,
        )

    async def __aexit__(self, *exc: object) -> None:
        # Not waiting for the long poll to end, which takes up to a ping interval.
        await self.sio.eio.disconnect(abort=True)

    async def wait_for(self, name: str, count: int = 1, timeout: float = 10) -> list[Any]:
        async def enough() -> list[Any]:
            while True:
                found = [data for event, data in self.events if event == name]
                if len(found) >= count:
                    return found
                self._arrived.clear()
                await self._arrived.wait()

        return await asyncio.wait_for(enough(), timeout)

    async def join(self, session: str | None = None) -> None:
        await self.sio.emit("session_request", {"session_id": session or self.session})
        assert (await self.wait_for("session_confirm"))[0] == (session or self.session)

    async def say(self, text: Any, **extra: Any) -> None:
        await self.sio.emit("user_uttered", {"message": text, **extra})


def run(scenario: Awaitable[Any]) -> Any:
    return asyncio.run(asyncio.wait_for(scenario, 60))


def new_session() -> str:
    return str(uuid.uuid4())


def token_for(session: str, **claims: Any) -> str:
    """A visitor token as a shop's server mints it: this session, one hour."""
    return jwt.encode(
        {"sub": session, "exp": int(time.time()) + 3600, **claims}, JWT_KEY, algorithm="HS256"
    )


# ---- socket.io ----------------------------------------------------------------------


def test_a_round_trip_reaches_every_socket_of_the_session(server: _Server) -> None:
    session = new_session()

    async def scenario() -> tuple[list[Any], list[Any], list[str]]:
        async with (
            Browser(server, session=session) as tab1,
            Browser(server, session=session) as tab2,
            Browser(server) as other,
        ):
            await tab1.join()
            await tab2.join()
            await other.join()
            await tab1.say("hello there", metadata={"page": "/plans"})
            replies = await tab1.wait_for("bot_uttered")
            second_tab = await tab2.wait_for("bot_uttered")
            await tab1.wait_for("bot_typing", count=2)
            return replies, second_tab, [event for event, _ in other.events]

    replies, second_tab, other_events = run(scenario())
    [reply] = replies
    assert reply["text"] == "echo: hello there"
    assert reply["buttons"] == [{"title": "More", "payload": "/more"}]
    assert reply["custom"] == CARD
    assert reply["metadata"] == {} and reply["timestamp"] > 0
    assert second_tab == replies
    assert "bot_uttered" not in other_events
    [message] = server.seen
    assert (message.sender_id, message.input_channel, message.metadata) == (
        session,
        "webchat",
        {"page": "/plans", "tandem_auth": {"client_ip": "127.0.0.1"}},
    )


def test_typing_is_shown_while_the_bot_works(server: _Server) -> None:
    async def scenario() -> list[tuple[str, Any]]:
        async with Browser(server) as tab:
            await tab.join()
            await tab.say("hi")
            await tab.wait_for("bot_typing", count=2)
            return [(e, d) for e, d in tab.events if e in ("bot_typing", "bot_uttered")]

    events = run(scenario())
    assert [e for e, _ in events] == ["bot_typing", "bot_uttered", "bot_typing"]
    assert events[0][1] == {"typing": True} and events[2][1] == {"typing": False}


def test_bad_messages_get_an_error_event_and_never_reach_the_bot(server: _Server) -> None:
    async def scenario() -> list[Any]:
        async with Browser(server) as tab:
            await tab.say("before the session")
            await tab.join()
            await tab.say("x" * 101)
            await tab.say({"text": "not a string"})
            await tab.say("   ")
            await tab.say("ok", metadata=[1, 2])
            return await tab.wait_for("webchat_error", count=4)

    errors = run(scenario())
    assert [e["code"] for e in errors] == [
        "no_session",
        "message_too_long",
        "bad_message",
        "bad_metadata",
    ]
    assert "the limit is 100" in errors[1]["message"]
    assert server.seen == []
    # the widget words each of these errors in every language it speaks
    for language, words in widget_locales(read_locales()).items():
        for error in errors:
            assert words.get(f"widget.error.{error['code']}"), (language, error["code"])


def test_a_session_id_that_is_not_a_uuid_is_refused(server: _Server) -> None:
    async def scenario() -> tuple[list[Any], list[str]]:
        async with Browser(server) as tab:
            await tab.sio.emit("session_request", {"session_id": "../../admin"})
            errors = await tab.wait_for("webchat_error")
            return errors, [e for e, _ in tab.events]

    errors, names = run(scenario())
    assert errors[0]["code"] == "invalid_session_id"
    assert "session_confirm" not in names


def test_a_crash_while_handling_becomes_an_apology(server: _Server) -> None:
    async def explode(message: UserMessage) -> None:
        raise RuntimeError("model crashed")

    server.bot = explode

    async def scenario() -> list[Any]:
        async with Browser(server) as tab:
            await tab.join()
            await tab.say("hi")
            return await tab.wait_for("bot_uttered")

    assert "went wrong" in run(scenario())[0]["text"]


HOUR_AHEAD = int(time.time()) + 3600


@pytest.mark.parametrize(
    "token",
    [
        None,
        "not-a-jwt",
        jwt.encode({"a": 1}, "wrong-key-123456789012345678901234"),
        jwt.encode({}, JWT_KEY),
        jwt.encode({"sub": str(uuid.uuid4())}, JWT_KEY),  # no exp: valid for ever
        jwt.encode({"exp": HOUR_AHEAD}, JWT_KEY),  # no sub: any session
        jwt.encode({"sub": "shopper", "exp": HOUR_AHEAD}, JWT_KEY),  # sub not a session id
        jwt.encode({"sub": str(uuid.uuid4()), "exp": HOUR_AHEAD + 30 * 86400}, JWT_KEY),
        jwt.encode({"sub": str(uuid.uuid4()), "exp": int(time.time()) - 600}, JWT_KEY),
        jwt.encode({"sub": str(uuid.uuid4()), "exp": HOUR_AHEAD, "role": "admin"}, "other-key"),
    ],
    ids=[
        "none",
        "not-a-jwt",
        "wrong-key",
        "empty",
        "no-exp",
        "no-sub",
        "sub-not-a-session",
        "exp-too-far",
        "expired",
        "admin-other-key",
    ],
)
def test_the_socket_needs_a_valid_jwt(server: _Server, token: str | None) -> None:
    async def scenario() -> tuple[Any, bool]:
        tab = Browser(server, token=token)
        await tab.open(wait=False)
        [refusal] = await tab.wait_for("connect_error")
        await tab.__aexit__()
        return refusal, "session_confirm" in [e for e, _ in tab.events]

    refusal, confirmed = run(scenario())
    assert "valid JWT is required" in refusal["message"]
    assert not confirmed


def test_a_foreign_origin_cannot_open_a_socket(server: _Server) -> None:
    async def scenario(origin: str) -> bool:
        async with Browser(server, origin=origin) as tab:
            return bool(tab.sio.connected)

    assert run(scenario("http://localhost:3000"))
    with pytest.raises(socketio.exceptions.ConnectionError):
        run(scenario("https://evil.example"))


def test_an_agent_reply_through_rasas_events_api_reaches_the_browser(server: _Server) -> None:
    """The handoff path: POST tracker/events with output_channel=latest → get_output_channel()."""
    session = new_session()
    agent_reply = {
        "event": "bot",
        "text": "Hi, I'm Maya from the team.",
        "data": {"custom": {"type": "agent_message", "agent": "Maya"}},
    }

    async def scenario() -> tuple[int, list[Any]]:
        async with Browser(server, session=session) as tab:
            await tab.join()
            await tab.say("I want a person")
            await tab.wait_for("bot_uttered")
            status, _, _ = await asyncio.to_thread(
                server.http,
                "POST",
                f"/conversations/{session}/tracker/events"
                "?execute_side_effects=true&output_channel=latest",
                json.dumps(agent_reply).encode(),
                {"Content-Type": "application/json"},
            )
            return status, await tab.wait_for("bot_uttered", count=2)

    status, replies = run(scenario())
    assert status == 200
    assert replies[1]["text"] == "Hi, I'm Maya from the team."
    assert replies[1]["custom"] == {"type": "agent_message", "agent": "Maya"}


# ---- history ------------------------------------------------------------------------


def test_the_history_returns_the_transcript_to_a_token_holder(server: _Server) -> None:
    session = new_session()

    async def scenario() -> None:
        async with Browser(server, session=session) as tab:
            await tab.join()
            await tab.say("/more")
            await tab.wait_for("bot_uttered")

    run(scenario())
    auth = {"Authorization": f"Bearer {token_for(session)}"}
    status, headers, body = server.http("GET", f"/webhooks/webchat/history/{session}", headers=auth)
    assert status == 200, body
    assert headers["Cache-Control"] == "no-store"
    assert headers["Content-Type"].startswith("application/json")
    messages = json.loads(body)["messages"]
    assert [(m["role"], m["text"]) for m in messages] == [("user", "/more"), ("bot", "echo: /more")]
    assert messages[1]["custom"] == CARD and messages[1]["buttons"][0]["title"] == "More"

    assert server.http("GET", f"/webhooks/webchat/history/{session}")[0] == 401
    bad = {"Authorization": "Bearer nope"}
    assert server.http("GET", f"/webhooks/webchat/history/{session}", headers=bad)[0] == 401
    assert server.http("GET", "/webhooks/webchat/history/not-a-uuid", headers=auth)[0] == 400
    evil = {**auth, "Origin": "https://evil.example"}
    assert server.http("GET", f"/webhooks/webchat/history/{session}", headers=evil)[0] == 403
    fresh = new_session()
    mine = {"Authorization": f"Bearer {token_for(fresh)}"}
    status, _, body = server.http("GET", f"/webhooks/webchat/history/{fresh}", headers=mine)
    assert (status, json.loads(body)["messages"]) == (200, [])


def test_a_cross_origin_preflight_is_answered_by_the_channel_not_rasas_cors(
    server: _Server,
) -> None:
    session = new_session()
    path = f"/webhooks/webchat/history/{session}"
    ask = {
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization",
    }
    status, headers, _ = server.http(
        "OPTIONS", path, headers={**ask, "Origin": "http://localhost:8000"}
    )
    assert status == 204
    assert headers["Access-Control-Allow-Origin"] == "http://localhost:8000"
    assert "Authorization" in headers["Access-Control-Allow-Headers"]
    assert server.http("OPTIONS", path, headers={**ask, "Origin": "https://evil.example"})[0] == 403
    status, headers, _ = server.http(
        "GET",
        path,
        headers={
            "Origin": "http://localhost:8000",
            "Authorization": f"Bearer {token_for(session)}",
        },
    )
    assert status == 200 and headers["Access-Control-Allow-Origin"] == "http://localhost:8000"


# ---- streaming ----------------------------------------------------------------------


def test_stream_chunks_need_the_token_and_reach_the_room(server: _Server) -> None:
    session = new_session()

    def post(body: dict[str, Any], token: str | None) -> int:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return server.http("POST", "/webhooks/webchat/stream", json.dumps(body).encode(), headers)[
            0
        ]

    chunk = {"session_id": session, "stream_id": "answer-1", "delta": "Hel"}

    async def scenario() -> tuple[list[int], list[Any]]:
        async with Browser(server, session=session) as tab:
            await tab.join()
            statuses = [
                await asyncio.to_thread(post, chunk, None),
                await asyncio.to_thread(post, chunk, "wrong-token-0123456789"),
                await asyncio.to_thread(post, {**chunk, "session_id": "x"}, STREAM_TOKEN),
                await asyncio.to_thread(post, chunk, STREAM_TOKEN),
                await asyncio.to_thread(post, {**chunk, "delta": "lo", "done": True}, STREAM_TOKEN),
            ]
            return statuses, await tab.wait_for("bot_stream", count=2)

    statuses, chunks = run(scenario())
    assert statuses == [401, 401, 400, 200, 200]
    assert chunks == [
        {"stream_id": "answer-1", "delta": "Hel", "done": False},
        {"stream_id": "answer-1", "delta": "lo", "done": True},
    ]


# ---- static files -------------------------------------------------------------------


def test_the_widget_files_are_served_with_their_types(server: _Server) -> None:
    status, headers, body = server.http("GET", "/webhooks/webchat/widget.js")
    assert status == 200 and headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert b"TandemWebChat" in body and headers["X-Content-Type-Options"] == "nosniff"
    again = server.http(
        "GET", "/webhooks/webchat/widget.js", headers={"If-None-Match": headers["ETag"]}
    )
    assert again[0] == 304

    status, headers, _ = server.http("GET", "/webhooks/webchat/widget.css")
    assert status == 200 and headers["Content-Type"] == "text/css; charset=utf-8"

    status, headers, body = server.http("GET", "/webhooks/webchat/demo")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    page = body.decode()
    assert page.count("<script") == 1
    assert f'src="{server.base}/webhooks/webchat/widget.js" data-server="{server.base}"' in page

    status, _, body = server.http("GET", "/webhooks/webchat/")
    assert (status, json.loads(body)) == (200, {"status": "ok"})


def test_the_vendored_socketio_client_is_served_or_explained(server: _Server) -> None:
    status, headers, body = server.http("GET", "/webhooks/webchat/vendor/socket.io.min.js")
    if VENDOR_JS.is_file():
        assert status == 200 and headers["Content-Type"] == "text/javascript; charset=utf-8"
        assert b"Socket.IO" in body[:200]
    else:
        assert status == 503 and b"scripts/setup-web.sh" in body


# ---- visitor tokens bind the session; input the bot never sees ---------------------


def test_a_token_opens_its_own_session_only(server: _Server) -> None:
    victim = new_session()

    async def scenario() -> tuple[list[Any], list[str], list[Any]]:
        async with (
            Browser(server, session=victim) as alice,
            Browser(server) as mallory,
            Browser(server) as named_by_token,
        ):
            await alice.join()
            await mallory.sio.emit("session_request", {"session_id": victim})
            errors = await mallory.wait_for("webchat_error")
            await named_by_token.sio.emit("session_request", {})
            confirmed = await named_by_token.wait_for("session_confirm")
            await alice.say("my name is Alice")
            await alice.wait_for("bot_uttered")
            await mallory.say("what is her name?")
            await mallory.wait_for("webchat_error", count=2)
            return errors, [e for e, _ in mallory.events], [*confirmed, named_by_token.session]

    errors, mallory_saw, (confirmed, expected) = run(scenario())
    assert errors[0]["code"] == "not_your_conversation"
    assert "session_confirm" not in mallory_saw and "bot_uttered" not in mallory_saw
    assert confirmed == expected
    assert [m.sender_id for m in server.seen] == [victim]


def test_the_history_needs_the_token_of_that_session(server: _Server) -> None:
    session = new_session()
    path = f"/webhooks/webchat/history/{session}"
    other = {"Authorization": f"Bearer {token_for(new_session())}"}
    status, _, body = server.http("GET", path, headers=other)
    assert status == 403 and "another conversation" in json.loads(body)["error"]
    unbound = {"Authorization": f"Bearer {jwt.encode({'sub': session}, JWT_KEY)}"}
    assert server.http("GET", path, headers=unbound)[0] == 401
    empty = {"Authorization": f"Bearer {jwt.encode({}, JWT_KEY)}"}
    assert server.http("GET", path, headers=empty)[0] == 401


def test_identity_comes_from_the_token_never_from_the_page(server: _Server) -> None:
    session = new_session()
    forged = {"tandem_auth": {"customer_id": "c0001"}, "page": "/"}

    async def scenario() -> None:
        token = token_for(session, customer_id="c0042")
        async with Browser(server, session=session, token=token) as tab, Browser(server) as anon:
            await tab.join()
            await anon.join()
            await tab.say("recommend something", metadata=forged)
            await tab.wait_for("bot_uttered")
            await anon.say("recommend something", metadata=forged)
            await anon.wait_for("bot_uttered")

    run(scenario())
    assert [m.metadata for m in server.seen] == [
        {"page": "/", "tandem_auth": {"customer_id": "c0042", "client_ip": "127.0.0.1"}},
        {"page": "/", "tandem_auth": {"client_ip": "127.0.0.1"}},
    ]


def test_unreadable_input_gets_an_error_event_not_silence(server: _Server) -> None:
    deep = "[" * 20_000 + "]" * 20_000  # under the socket's 64 KiB packet limit

    async def scenario() -> list[Any]:
        async with Browser(server) as tab:
            await tab.join()
            await tab.say("hi", metadata=deep)
            await tab.say("hi", metadata=json.dumps({"a": json.loads("[" * 40 + "]" * 40)}))
            await tab.say("\ud800")
            await tab.say("hi", metadata={"k": "v" * 9000})
            return await tab.wait_for("webchat_error", count=4)

    errors = run(scenario())
    assert [(e["code"]) for e in errors] == [
        "bad_metadata",
        "bad_metadata",
        "bad_text",
        "metadata_too_large",
    ]
    assert "nested too deeply" in errors[0]["message"]
    assert "unpaired surrogate" in errors[2]["message"]
    assert server.seen == []


def test_a_socket_does_not_outlive_its_token(
    server: _Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(visitor_token, "LEEWAY_S", 0)
    session = new_session()
    short = jwt.encode({"sub": session, "exp": int(time.time()) + 2}, JWT_KEY)

    async def scenario() -> tuple[list[Any], list[str]]:
        async with Browser(server, session=session, token=short) as tab:
            await tab.join()
            await asyncio.sleep(3)
            await tab.say("still me?")
            errors = await tab.wait_for("webchat_error")
            for _ in range(50):
                if not tab.sio.connected:
                    break
                await asyncio.sleep(0.1)
            return errors, ["connected"] if tab.sio.connected else []

    errors, connected = run(scenario())
    assert errors[0]["code"] == "token_expired"
    assert connected == [] and server.seen == []


def test_a_token_names_its_session_in_canonical_form(server: _Server) -> None:
    session = new_session()

    async def scenario() -> list[Any]:
        async with Browser(server, session=session, token=token_for(session.upper())) as tab:
            await tab.sio.emit("session_request", {})
            return await tab.wait_for("session_confirm")

    assert run(scenario()) == [session]
