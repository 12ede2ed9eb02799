"""Tandem's web chat channel: Rasa's socket.io channel made safe to embed in a shop.

The widget (``bot/channels/web/``) speaks socket.io to this channel. What it adds
to Rasa 3.6's ``SocketIOInput``, and why:

* **Sessions that survive a reload.** The browser keeps a random UUID and sends
  it in ``session_request``; the socket joins a room of that name and the UUID is
  the Rasa sender id. Bot messages go to the room, so a reconnected socket, a
  second tab, and replies that arrive with no request in hand (a human agent's,
  posted through Rasa's API with ``output_channel=latest``) all reach the page.
  Rasa's own channel cannot do this with python-socketio 5.18: it calls the now
  asynchronous ``enter_room`` without awaiting it, so nobody is ever in the room,
  and its ``send_custom_json`` passes the payload as keyword arguments to ``emit``.
* **Checked input.** Non-text or oversized messages get an error event and never
  reach the bot; empty ones are ignored.
* **One ``bot_uttered`` per bot message** with everything it has (text, buttons,
  quick replies, custom payload, image, attachment, metadata), so a card and its
  summary arrive together.
* **The widget's files and a demo page** on the channel's own routes, so the Rasa
  server serves everything; ``GET history/<session_id>`` gives the transcript from
  the tracker store so a reloaded page shows the conversation.
* **Security on by default:** with ``jwt_key`` (the visitor key,
  ``TANDEM_JWT_SECRET``) the socket and the history need a visitor token
  (:mod:`bot.channels.visitor_token`) whose ``sub`` is the session id and whose
  ``exp`` is at most ``max_token_age_s`` ahead: a token opens one session only,
  and its ``customer_id`` claim reaches the bot as verified identity
  (``metadata.tandem_auth``). Only configured origins (by default the same origin
  and loopback) may connect.
* **Its own namespace:** session ids are UUIDs, the only conversation ids without
  a ``channel:`` prefix (REST ``rest:``, Slack ``slack:``, Teams ``teams:``), so a
  visitor can never name another channel's conversation.
* **Streaming:** ``POST stream`` (shared-secret ``stream_token``) forwards a
  growing answer as ``bot_stream`` events; see docs/channels/web.md.
* **Several replicas:** with ``client_manager_url`` (a Redis URL) every emit goes
  through python-socketio's ``AsyncRedisManager``, so a reply or a draft that
  reaches replica B gets to the socket held by replica A; empty keeps the
  in-process manager. The publication goes out from a background task
  (:class:`BackgroundRedisManager`), so a turn never waits for Redis. See
  docs/scaling.md, "Web chat across replicas".

Enable it in ``credentials.yml``::

    bot.channels.webchat.WebChatInput:
      max_message_chars: 4000
      # jwt_key: ${TANDEM_JWT_SECRET}
      # cors_allowed_origins: ["https://shop.example.com"]
      # stream_token: ${TANDEM_STREAM_TOKEN}
      # client_manager_url: redis://redis:6379/0  # default: $TANDEM_SOCKETIO_REDIS_URL
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import html
import inspect
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncManager, AsyncRedisManager, AsyncServer, packet
from socketio.exceptions import ConnectionRefusedError

from bot.channels import demo_page, visitor_token
from bot.channels.inbound import client_ip, with_identity
from bot.channels.rest import failure_reply
from bot.channels.webchat_protocol import (
    DEFAULT_HISTORY_LIMIT,
    DEFAULT_MAX_MESSAGE_CHARS,
    Rejected,
    bot_payload,
    has_content,
    origin_allowed,
    parse_origins,
    parse_stream,
    parse_user_message,
    session_id_from,
    transcript,
)
from bot.contract.paths import STREAM_PATH, route
from bot.engine.settings import EngineSettings
from bot.errors import ConfigError

logger = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parent / "web"
VENDOR_JS = WEB_DIR / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"
ERROR_EVENT = "webchat_error"
TYPING_EVENT = "bot_typing"
STREAM_EVENT = "bot_stream"
MIN_STREAM_TOKEN_CHARS = 16
DEFAULT_MANAGER_CHANNEL = "tandem-webchat"
MANAGER_URL_ENV = "TANDEM_SOCKETIO_REDIS_URL"
"""Where ``client_manager_url`` comes from when credentials.yml does not give it."""
MANAGER_SCHEMES = ("redis", "rediss", "unix", "redis+sentinel")
MAX_UNSENT_PUBLISHES = 10_000
_MANAGER_CHANNEL = re.compile(r"^[\w.:-]{1,128}$")
_URL_PASSWORD = re.compile(r"(?<=://)[^/]*@")
_SANIC_CORS_DONE = "_sanic_cors_e"  # sanic_cors (Rasa's CORS) skips requests marked so
_DEMO_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: https:; connect-src 'self' ws: wss:; frame-ancestors 'none'"
)


def redacted_url(url: str) -> str:
    """``url`` with its user and password replaced by ``***``: safe for logs and errors."""
    return _URL_PASSWORD.sub("***@", url)


def client_manager(url: str | None, channel: str = DEFAULT_MANAGER_CHANNEL) -> AsyncManager | None:
    """The socket.io client manager ``url`` names: ``None`` (in-process) when empty.

    A Redis URL (``redis://[:password@]host:port/db``, ``rediss://`` for TLS,
    ``unix://``, ``redis+sentinel://``) gives python-socketio's
    ``AsyncRedisManager``: each emit is published on the Redis channel
    ``channel`` and every replica subscribed to it delivers it to the sockets it
    holds. Raises ``ConfigError`` (the password never in it) for anything else.
    """
    url = (url or "").strip()
    if not url:
        return None
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in MANAGER_SCHEMES:
        raise ConfigError(
            f"client_manager_url {redacted_url(url)!r} is not a Redis URL: use "
            "redis://[:password@]host:port/db (or rediss://, unix://, redis+sentinel://), "
            "or leave it empty for one engine process."
        )
    if not _MANAGER_CHANNEL.match(channel):
        raise ConfigError(
            "client_manager_channel must be 1-128 letters, digits or . _ : - characters."
        )
    return BackgroundRedisManager(url, channel=channel)


class DirectManager(AsyncManager):
    """python-socketio's in-process manager, delivering an emit without a task per socket.

    ``AsyncManager.emit`` starts a task per recipient and awaits them all, so
    every emit waits for two turns of the event loop. A web chat turn emits
    three times or more (typing, each bot message, typing off), and on a busy
    engine a turn of the loop is every other turn's next slice of CPU: the
    web chat answered seconds after REST did (docs/capacity.md). Here the
    packets go into each socket's queue in order, with no wait.
    """

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str,
        room: str | None = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: str | None = None,
        **kwargs: Any,
    ) -> None:
        room = to or room
        if callback is not None or namespace not in self.rooms:
            await super().emit(
                event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, **kwargs
            )
            return
        args = list(data) if isinstance(data, tuple) else [] if data is None else [data]
        skip = skip_sid if isinstance(skip_sid, list) else [skip_sid]
        pkt = self.server.packet_class(packet.EVENT, namespace=namespace, data=[event, *args])
        for sid, eio_sid in list(self.get_participants(namespace, room)):
            if sid in skip:
                continue
            try:
                await self.server._send_packet(eio_sid, pkt)
            except Exception:  # one broken socket must not cost the others the event
                logger.exception("webchat: could not emit %s to %s", event, sid)


class BackgroundRedisManager(AsyncRedisManager, DirectManager):
    """``AsyncRedisManager`` whose emits wait neither for Redis nor for a loop turn.

    python-socketio delivers an emit to this replica's own sockets
    (:class:`DirectManager` here), then awaits its publication for the other
    replicas: on a busy engine every await is a trip through the event loop's
    queue. Here publications go out in order from one background task, and the
    turn goes on as soon as its own sockets have the event.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._unsent: asyncio.Queue[Any] | None = None
        self._sender: asyncio.Task[None] | None = None

    async def _publish(self, data: Any) -> None:
        if self._unsent is None:
            self._unsent = asyncio.Queue(MAX_UNSENT_PUBLISHES)
        if self._sender is None or self._sender.done():
            self._sender = asyncio.get_running_loop().create_task(self._send_unsent())
        try:
            self._unsent.put_nowait(data)
        except asyncio.QueueFull:
            logger.warning(
                "webchat: %s emits wait for Redis; other replicas miss this one",
                MAX_UNSENT_PUBLISHES,
            )

    async def _send_unsent(self) -> None:
        assert self._unsent is not None
        while True:
            data = await self._unsent.get()
            try:
                await super()._publish(data)  # logs and gives up after two attempts
            finally:
                self._unsent.task_done()

    async def aclose(self, timeout_s: float = 2.0) -> None:
        """Send what is queued (for up to ``timeout_s``), then stop the sender."""
        if self._unsent is not None and self._sender is not None and not self._sender.done():
            try:
                await asyncio.wait_for(self._unsent.join(), timeout_s)
            except asyncio.TimeoutError:
                logger.warning("webchat: %d emits not shared at shutdown", self._unsent.qsize())
        if self._sender is not None:
            self._sender.cancel()
            await asyncio.gather(self._sender, return_exceptions=True)


class WebChatOutput(OutputChannel):
    """Emits each bot message as one ``bot_uttered`` event to the session's room."""

    @classmethod
    def name(cls) -> str:
        return "webchat"

    def __init__(
        self, sio: AsyncServer, *, bot_message_evt: str = "bot_uttered", namespace: str | None
    ) -> None:
        self.sio = sio
        self.bot_message_evt = bot_message_evt
        self.namespace = namespace

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        payload = bot_payload(message)
        if has_content(payload):
            await self.sio.emit(
                self.bot_message_evt, payload, to=recipient_id, namespace=self.namespace
            )

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {**kwargs, "text": text})

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self.send_response(recipient_id, {**kwargs, "text": text, "buttons": buttons})

    async def send_quick_replies(
        self, recipient_id: str, text: str, quick_replies: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self.send_response(
            recipient_id, {**kwargs, "text": text, "quick_replies": quick_replies}
        )

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        await self.send_response(recipient_id, {**kwargs, "custom": json_message})

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {**kwargs, "image": image})

    async def send_attachment(self, recipient_id: str, attachment: Any, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {**kwargs, "attachment": attachment})

    async def send_elements(self, recipient_id: str, elements: Any, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {**kwargs, "elements": list(elements)})


class WebChatInput(SocketIOInput):
    """Rasa's socket.io channel with sessions, checks and the widget; see the module doc."""

    # Optional in Rasa's SocketIOInput; this channel always passes a path and a key.
    socketio_path: str
    metadata_key: str

    def __init__(
        self,
        *,
        user_message_evt: str = "user_uttered",
        bot_message_evt: str = "bot_uttered",
        namespace: str | None = None,
        socketio_path: str = "/socket.io",
        jwt_key: str | None = None,
        jwt_method: str = "HS256",
        metadata_key: str = "metadata",
        max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS,
        cors_allowed_origins: Sequence[str] | str | None = None,
        stream_token: str | None = None,
        history_limit: int = DEFAULT_HISTORY_LIMIT,
        max_token_age_s: float = visitor_token.DEFAULT_MAX_TOKEN_AGE_S,
        client_manager_url: str | None = None,
        client_manager_channel: str = DEFAULT_MANAGER_CHANNEL,
    ) -> None:
        if max_message_chars < 1:
            raise ConfigError("max_message_chars must be a positive number of characters.")
        if history_limit < 1:
            raise ConfigError("history_limit must be a positive number of messages.")
        if max_token_age_s <= 0:
            raise ConfigError("max_token_age_s must be a positive number of seconds.")
        if stream_token is not None and len(stream_token) < MIN_STREAM_TOKEN_CHARS:
            raise ConfigError(
                f"stream_token must have at least {MIN_STREAM_TOKEN_CHARS} characters; "
                "generate one with `python -c 'import secrets; print(secrets.token_urlsafe())'`"
                " or remove the key to turn streaming off."
            )
        super().__init__(
            user_message_evt,
            bot_message_evt,
            namespace,
            True,
            socketio_path,
            jwt_key or None,
            jwt_method,
            metadata_key,
        )
        self.max_message_chars = max_message_chars
        self.allowed_origins = parse_origins(cors_allowed_origins)
        self.stream_token = stream_token or None
        self.history_limit = history_limit
        self.max_token_age_s = max_token_age_s
        self.client_manager_url = (client_manager_url or "").strip() or None
        self.client_manager_channel = client_manager_channel
        client_manager(self.client_manager_url, client_manager_channel)  # checks it early
        if not VENDOR_JS.is_file():
            logger.warning("%s is missing: run scripts/setup-web.sh", VENDOR_JS)

    @classmethod
    def name(cls) -> str:
        return "webchat"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = dict(credentials or {})
        known = set(inspect.signature(cls.__init__).parameters) - {"self"}
        known.add("session_persistence")  # Rasa's key; always on here
        unknown = sorted(set(credentials) - known)
        if unknown:
            raise ConfigError(
                f"Unknown key(s) {unknown} under bot.channels.webchat.WebChatInput in "
                f"credentials.yml; the channel understands {sorted(known)}."
            )
        if "stream_token" in credentials and not credentials["stream_token"]:
            raise ConfigError(
                "stream_token under bot.channels.webchat.WebChatInput is empty (is the "
                "environment variable it names set?); give it a value or remove the key."
            )
        if "jwt_key" in credentials and not credentials["jwt_key"]:
            # `jwt_key: ${TANDEM_JWT_SECRET}`: empty on loopback, where `bot run`
            # allows it; off loopback `bot run` refuses to start without it.
            logger.warning(
                "webchat: jwt_key is empty, so the socket and the history need no token; "
                "set it (TANDEM_JWT_SECRET) wherever the server is reachable by others"
            )
            credentials.pop("jwt_key")
        if "client_manager_url" not in credentials:
            # From the environment, so a credentials.yml without the key (every
            # existing one) starts wherever TANDEM_SOCKETIO_REDIS_URL is unset.
            credentials["client_manager_url"] = EngineSettings.from_env().socketio_redis_url
        if not credentials["client_manager_url"]:
            credentials.pop("client_manager_url")  # empty: one process
        if credentials.pop("session_persistence", True) is not True:
            logger.warning("webchat: session_persistence is always on; the setting is ignored")
        for key in ("max_message_chars", "history_limit"):
            if key in credentials:
                credentials[key] = int(credentials[key])
        if "max_token_age_s" in credentials:
            credentials["max_token_age_s"] = float(credentials["max_token_age_s"])
        return cls(**credentials)

    def get_output_channel(self) -> OutputChannel | None:
        """The channel for messages with no request in hand (agents' replies, reminders)."""
        if self.sio is None:
            logger.warning("webchat: no socket server yet (is the channel registered?)")
            return None
        return self._output(self.sio)

    def _output(self, sio: AsyncServer) -> WebChatOutput:
        return WebChatOutput(sio, bot_message_evt=self.bot_message_evt, namespace=self.namespace)

    def _visitor(self, token: Any) -> visitor_token.Visitor | None:
        """The verified visitor, ``None`` without ``jwt_key``; raises ``TokenRefused``."""
        if not self.jwt_key:
            return None
        visitor = visitor_token.verify(
            token,
            key=self.jwt_key,
            algorithm=self.jwt_algorithm or "HS256",
            max_age_s=self.max_token_age_s,
        )
        try:
            return replace(visitor, subject=session_id_from(visitor.subject))
        except Rejected as e:
            raise visitor_token.TokenRefused(
                "The visitor token's sub must be the web chat session id (a UUID)."
            ) from e

    def _socket_origin_ok(self, origin: str | None, environ: dict[str, Any]) -> bool:
        return origin_allowed(origin, host=environ.get("HTTP_HOST"), allowed=self.allowed_origins)

    def _cors(self, request: Request) -> dict[str, str] | None:
        """CORS headers for this request, or ``None`` when its origin is not allowed."""
        setattr(request.ctx, _SANIC_CORS_DONE, "1")
        origin = request.headers.get("origin")
        if not origin_allowed(origin, host=request.host, allowed=self.allowed_origins):
            return None
        if not origin:
            return {}
        return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}

    def _preflight(self, request: Request) -> HTTPResponse:
        headers = self._cors(request)
        if headers is None:
            return response.empty(status=403)
        return response.empty(
            status=204,
            headers={
                **headers,
                "Access-Control-Allow-Methods": "GET, OPTIONS",
                "Access-Control-Allow-Headers": "Authorization, Content-Type",
                "Access-Control-Max-Age": "600",
            },
        )

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        manager = client_manager(self.client_manager_url, self.client_manager_channel)
        sio = AsyncServer(
            async_mode="sanic",
            client_manager=manager or DirectManager(),
            cors_allowed_origins=self._socket_origin_ok,
            cors_credentials=False,
            max_http_buffer_size=max(65536, 8 * self.max_message_chars),
        )
        self.sio = sio
        webhook = SocketBlueprint(sio, self.socketio_path, "webchat_webhook", __name__)
        ns = self.namespace

        async def refuse(sid: str, error: Rejected) -> None:
            await sio.emit(ERROR_EVENT, error.as_event(), to=sid, namespace=ns)

        @sio.on("connect", namespace=ns)
        async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
            token = auth.get("token") if isinstance(auth, dict) else None
            try:
                visitor = self._visitor(token)
            except Rejected as e:
                logger.info("webchat: refused a token: %s", e)
                raise ConnectionRefusedError(
                    "A valid JWT is required: give the widget a data-token attribute "
                    "(or the auth option {token: ...}) signed with the channel's jwt_key, "
                    f"with sub (the session id) and exp. {e}"
                ) from e
            address = client_ip(environ.get("sanic.request"))
            await sio.save_session(sid, {"visitor": visitor, "ip": address}, namespace=ns)

        @sio.on("session_request", namespace=ns)
        async def session_request(sid: str, data: Any = None) -> None:
            session = await sio.get_session(sid, namespace=ns)
            visitor: visitor_token.Visitor | None = session.get("visitor")
            raw = data.get("session_id") if isinstance(data, dict) else None
            try:
                if raw is not None:
                    session_id = session_id_from(raw)
                elif visitor is not None:
                    session_id = visitor.subject  # the token names the session
                else:
                    session_id = str(uuid.uuid4())
                if visitor is not None:
                    visitor.require(session_id)
            except Rejected as e:
                await refuse(sid, e)
                return
            previous = session.get("session_id")
            if previous and previous != session_id:
                await sio.leave_room(sid, previous, namespace=ns)
            await sio.enter_room(sid, session_id, namespace=ns)
            await sio.save_session(sid, {**session, "session_id": session_id}, namespace=ns)
            await sio.emit("session_confirm", session_id, to=sid, namespace=ns)

        @sio.on(self.user_message_evt, namespace=ns)
        async def handle_message(sid: str, data: Any = None) -> None:
            session = await sio.get_session(sid, namespace=ns)
            session_id = session.get("session_id")
            visitor = session.get("visitor")
            if visitor is not None and visitor.expired():
                expired = "The visitor token expired; reconnect with a new one."
                await refuse(sid, Rejected("token_expired", expired, status=401))
                await sio.disconnect(sid, namespace=ns)
                return
            try:
                if not session_id:
                    raise Rejected("no_session", "Send session_request with your session_id first.")
                text, metadata = parse_user_message(
                    data, max_message_chars=self.max_message_chars, metadata_key=self.metadata_key
                )
            except Rejected as e:
                await refuse(sid, e)
                return
            metadata = with_identity(
                metadata,
                customer_id=visitor.customer_id if visitor else None,
                role=visitor.role if visitor else None,
                client_ip=session.get("ip"),
            )
            if not text.strip():
                return
            output = self._output(sio)
            await sio.emit(TYPING_EVENT, {"typing": True}, to=session_id, namespace=ns)
            try:
                await on_new_message(
                    UserMessage(
                        text, output, session_id, input_channel=self.name(), metadata=metadata
                    )
                )
            except Exception:
                logger.exception("webchat: handling a message of %s failed", session_id)
                await output.send_response(session_id, {"text": failure_reply(text, metadata)})
            finally:
                await sio.emit(TYPING_EVENT, {"typing": False}, to=session_id, namespace=ns)

        @webhook.listener("before_server_start")
        async def answer_preflights_first(app: Sanic, _: Any) -> None:
            # Rasa's app-wide sanic_cors answers every OPTIONS request before any
            # route runs; the widget's history fetch with a JWT needs ours instead.
            app.request_middleware.appendleft(preflight)

        async def preflight(request: Request) -> HTTPResponse | None:
            route = getattr(request, "route", None)
            if request.method == "OPTIONS" and route and f".{webhook.name}." in f".{route.name}":
                return self._preflight(request)
            return None

        @webhook.listener("before_server_start")
        async def share_emits(app: Sanic, _: Any) -> None:
            # python-socketio subscribes to Redis on this replica's first socket; a
            # replica that has none yet must still deliver what the others publish.
            if manager is not None and not sio.manager_initialized:
                sio.manager_initialized = True
                manager.initialize()
                logger.info(
                    "webchat: emits shared with other replicas through %s (channel %s)",
                    redacted_url(self.client_manager_url or ""),
                    self.client_manager_channel,
                )

        @webhook.listener("before_server_stop")
        async def stop_sharing(app: Sanic, _: Any) -> None:
            if isinstance(manager, BackgroundRedisManager):
                await manager.aclose()

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/widget.js", methods=["GET"])
        async def widget_js(request: Request) -> HTTPResponse:
            return _asset(request, WEB_DIR / "widget.js", "text/javascript; charset=utf-8")

        @webhook.route("/widget.css", methods=["GET"])
        async def widget_css(request: Request) -> HTTPResponse:
            return _asset(request, WEB_DIR / "widget.css", "text/css; charset=utf-8")

        @webhook.route("/vendor/socket.io.min.js", methods=["GET"])
        async def vendor_socketio(request: Request) -> HTTPResponse:
            return _asset(request, VENDOR_JS, "text/javascript; charset=utf-8", max_age=86400)

        @webhook.route("/demo", methods=["GET"])
        async def demo(request: Request) -> HTTPResponse:
            page = demo_page.page()
            origin = html.escape(f"{request.scheme}://{request.host}", quote=True)
            return response.html(
                page.replace("__TANDEM_SERVER__", origin),
                headers={
                    "Cache-Control": "no-cache",
                    "Content-Security-Policy": _DEMO_CSP,
                    "X-Content-Type-Options": "nosniff",
                },
            )

        @webhook.route("/history/<session_id>", methods=["GET", "OPTIONS"])
        async def history(request: Request, session_id: str) -> HTTPResponse:
            if request.method == "OPTIONS":
                return self._preflight(request)
            cors = self._cors(request)
            headers = {"Cache-Control": "no-store", **(cors or {})}
            if cors is None:
                return _error("This origin may not read conversations.", 403, headers)
            try:
                session_id = session_id_from(session_id)
            except Rejected as e:
                return _error(str(e), 400, headers)
            try:
                visitor = self._visitor(request.headers.get("authorization"))
                if visitor is not None:
                    visitor.require(session_id)
            except Rejected as e:
                if e.status == 401:
                    headers["WWW-Authenticate"] = "Bearer"
                return _error(
                    f"Send the widget's JWT for this session as 'Authorization: Bearer "
                    f"<token>'. {e}",
                    e.status,
                    headers,
                )
            agent = getattr(request.app.ctx, "agent", None)
            store = getattr(agent, "tracker_store", None)
            if store is None:
                return _error("The assistant is still loading; try again shortly.", 503, headers)
            tracker = await store.retrieve_full_tracker(session_id)
            events = [e.as_dict() for e in tracker.events] if tracker else []
            return response.json(
                {
                    "session_id": session_id,
                    "messages": transcript(events, limit=self.history_limit),
                },
                headers=headers,
            )

        @webhook.route(route(STREAM_PATH, f"/webhooks/{self.name()}"), methods=["POST"])
        async def stream(request: Request) -> HTTPResponse:
            setattr(request.ctx, _SANIC_CORS_DONE, "1")
            if self.stream_token is None:
                return _error("Streaming is off: set stream_token for this channel.", 403)
            given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
            if not hmac.compare_digest(given.encode(), self.stream_token.encode()):
                return _error(
                    "Send the channel's stream_token as 'Authorization: Bearer <token>'.",
                    401,
                    {"WWW-Authenticate": "Bearer"},
                )
            try:
                chunk = parse_stream(request.body)
            except Rejected as e:
                return _error(str(e), e.status)
            session_id = chunk.pop("session_id")
            await sio.emit(STREAM_EVENT, chunk, to=session_id, namespace=ns)
            return response.json({"status": "sent"})

        return webhook


def _error(message: str, status: int, headers: dict[str, str] | None = None) -> HTTPResponse:
    return response.json({"error": message}, status=status, headers=headers)


def _asset(request: Request, path: Path, content_type: str, *, max_age: int = 0) -> HTTPResponse:
    """A widget file with an ETag, so browsers revalidate instead of downloading again."""
    try:
        body = path.read_bytes()
    except FileNotFoundError:
        logger.error("webchat: %s is missing", path)
        return response.text(
            f"{path.name} is missing on the server: run scripts/setup-web.sh "
            "(it installs the widget's npm dependencies).",
            status=503,
        )
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {
        "ETag": etag,
        "Cache-Control": f"public, max-age={max_age}, must-revalidate",
        "X-Content-Type-Options": "nosniff",
    }
    if request.headers.get("if-none-match") == etag:
        return response.empty(status=304, headers=headers)
    return response.raw(body, content_type=content_type, headers=headers)
