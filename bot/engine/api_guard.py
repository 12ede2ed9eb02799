"""Who may call Rasa's HTTP API, as plain rules over a request's facts.

Rasa 3.6 leaves its API open when no ``--auth-token`` is given, reads the token
from the URL (where logs and proxies keep it), accepts cross-site ``text/plain``
POSTs, answers any ``Host`` (DNS rebinding) and loads models sent over HTTP. The
engine puts :class:`ApiGuard` in front of every API route instead (see
:mod:`bot.engine.server`); the rules, in the order they apply:

1. ``Host`` must name this server (loopback, ``TANDEM_HOST``, ``TANDEM_ALLOWED_HOSTS``): 403.
2. An ``Origin``, when sent, must be in ``TANDEM_ALLOWED_ORIGINS``: 403.
3. No ``?token=`` in the URL: 401, saying to use the header.
4. ``Authorization: Bearer <TANDEM_RASA_TOKEN>``, or a JWT signed with
   ``TANDEM_API_JWT_SECRET`` (Rasa's admin/user roles): 401, or 403 for a user
   JWT outside its own conversation.
5. Model-changing routes only with ``TANDEM_ENABLE_MODEL_API=true``: 403.
6. A POST/PUT body is JSON (or YAML/markdown where Rasa documents it): 415.

Channel webhooks and ``/`` are not API routes; channels check their own callers.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from urllib.parse import unquote

from bot.engine.settings import EngineSettings

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
AUTH_HEADER_HINT = "send `Authorization: Bearer <TANDEM_RASA_TOKEN>`"

_YAML_TYPES = frozenset(
    {"application/x-yaml", "application/yaml", "text/yaml", "text/x-yaml", "text/yml"}
)
_MARKDOWN_TYPES = frozenset({"text/markdown", "text/x-markdown"})
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused, as Rasa's own API errors say it."""

    status: int
    reason: str
    message: str


@dataclass(frozen=True)
class ApiRequest:
    """The facts of one API request the rules look at.

    ``route`` is the matched route's pattern (``/model/train``,
    ``/conversations/<conversation_id:path>/tracker``), so a variant spelling of
    a path cannot slip past a rule. ``conversation_id`` is the path parameter as
    it arrived, still percent-encoded.
    """

    method: str
    route: str
    host: str | None = None
    origin: str | None = None
    authorization: str | None = None
    content_type: str | None = None
    has_body: bool = False
    token_in_query: bool = False
    conversation_id: str | None = None


def host_name(host: str) -> str:
    """The name part of a ``Host`` header: ``[::1]:5005`` -> ``::1``."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    if host.count(":") > 1:  # a bare IPv6 address, as in TANDEM_HOST=::1
        return host
    name, colon, port = host.rpartition(":")
    return name if colon and port.isdigit() else host


def host_allowed(host: str | None, allowed: tuple[str, ...]) -> bool:
    """Loopback names and the configured ones, any port; no ``Host`` is refused."""
    if not host:
        return False
    names = {host_name(name) for name in (*LOOPBACK_NAMES, *allowed)}
    return host_name(host) in names


def origin_allowed(origin: str | None, allowed: tuple[str, ...]) -> bool:
    """No ``Origin`` (not a browser, or a same-origin GET) passes; else an exact match."""
    if origin is None:
        return True
    return origin.strip().rstrip("/").lower() in {o.rstrip("/").lower() for o in allowed}


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_json(content_type: str | None) -> bool:
    kind = media_type(content_type)
    return kind == "application/json" or (
        kind.startswith("application/") and kind.endswith("+json")
    )


def body_type_allowed(route: str, content_type: str | None) -> bool:
    """JSON everywhere; YAML for training and tests, markdown for tests, as Rasa documents."""
    if is_json(content_type):
        return True
    kind = media_type(content_type)
    if route == "/model/train":
        return kind in _YAML_TYPES
    if route.startswith("/model/test/"):
        return kind in _YAML_TYPES or kind in _MARKDOWN_TYPES
    return False


def is_model_change(method: str, route: str) -> bool:
    """Loading, unloading, training or testing a model (loading a model runs its code)."""
    method = method.upper()
    if route == "/model":
        return method in ("PUT", "DELETE")
    return method == "POST" and (route == "/model/train" or route.startswith("/model/test/"))


def bearer(authorization: str | None) -> str | None:
    scheme, _, credentials = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    return credentials.strip()


def decode_conversation_id(raw: str) -> str:
    """The id a client sent as ``quote(id, safe='')``; ``ValueError`` if not UTF-8."""
    return unquote(raw, encoding="utf-8", errors="strict")


class ApiGuard:
    """Applies the module's rules with one engine's settings."""

    def __init__(self, settings: EngineSettings) -> None:
        self.settings = settings
        self._hosts = (settings.host, *settings.allowed_hosts)

    def check(self, request: ApiRequest) -> Refusal | None:
        """The first rule ``request`` breaks, or ``None`` when it may pass."""
        if not host_allowed(request.host, self._hosts):
            return Refusal(
                403,
                "HostNotAllowed",
                f"Rasa's API does not answer for Host {request.host!r}; add the name to "
                "TANDEM_ALLOWED_HOSTS if this server is reached under it.",
            )
        if not origin_allowed(request.origin, self.settings.allowed_origins):
            return Refusal(
                403,
                "OriginNotAllowed",
                f"Rasa's API does not accept calls from web pages at {request.origin!r}; add "
                "the origin to TANDEM_ALLOWED_ORIGINS to allow it.",
            )
        if request.token_in_query:
            return Refusal(
                401,
                "TokenInUrl",
                "Rasa's API no longer takes its token in the URL, where logs and proxies keep "
                f"it: remove ?token= and {AUTH_HEADER_HINT}.",
            )
        conversation_id = None
        if request.conversation_id is not None:
            try:
                conversation_id = decode_conversation_id(request.conversation_id)
            except UnicodeDecodeError:
                return Refusal(
                    400,
                    "BadConversationId",
                    "The conversation id is not percent-encoded UTF-8; send quote(id, safe='').",
                )
        refusal = self._check_credentials(request.authorization, conversation_id)
        if refusal is not None:
            return refusal
        if is_model_change(request.method, request.route) and not self.settings.enable_model_api:
            return Refusal(
                403,
                "ModelApiDisabled",
                "Loading, training and testing models over HTTP is off, because a model "
                "runs code when it is loaded; set TANDEM_ENABLE_MODEL_API=true on a "
                "trusted network to allow it.",
            )
        if (
            request.method.upper() in _BODY_METHODS
            and request.has_body
            and not body_type_allowed(request.route, request.content_type)
        ):
            return Refusal(
                415,
                "UnsupportedMediaType",
                f"Rasa's API takes JSON bodies; send `Content-Type: application/json` "
                f"(got {media_type(request.content_type) or 'none'!r}).",
            )
        return None

    def _check_credentials(
        self, authorization: str | None, conversation_id: str | None
    ) -> Refusal | None:
        token = self.settings.rasa_token
        if not token and not self.settings.api_jwt_secret:
            return Refusal(
                401,
                "ApiClosed",
                "This engine was started without TANDEM_RASA_TOKEN, so its API is closed; "
                "start it with `python -m bot run`, or set TANDEM_RASA_TOKEN and "
                f"{AUTH_HEADER_HINT}.",
            )
        provided = bearer(authorization)
        if provided is None:
            return Refusal(
                401, "NotAuthenticated", f"Rasa's API needs a token: {AUTH_HEADER_HINT}."
            )
        if token and hmac.compare_digest(provided.encode(), token.encode()):
            return None
        if self.settings.api_jwt_secret:
            payload = self._jwt_payload(provided)
            if payload is not None:
                if _jwt_scope_allows(payload, conversation_id):
                    return None
                return Refusal(403, "NotAuthorized", "This token may not act on this conversation.")
        return Refusal(401, "NotAuthenticated", f"Wrong token: {AUTH_HEADER_HINT}.")

    def _jwt_payload(self, token: str) -> dict[str, object] | None:
        import jwt

        try:
            payload = jwt.decode(
                token, self.settings.api_jwt_secret, algorithms=[self.settings.api_jwt_method]
            )
        except jwt.PyJWTError:
            return None
        return payload if isinstance(payload, dict) else None


def _jwt_scope_allows(payload: dict[str, object], conversation_id: str | None) -> bool:
    """Rasa's roles: ``admin`` may do anything, ``user`` only in its own conversation."""
    user = payload.get("user")
    if not isinstance(user, dict):
        return False
    role = user.get("role")
    if role == "admin":
        return True
    return (
        role == "user" and conversation_id is not None and user.get("username") == conversation_id
    )
