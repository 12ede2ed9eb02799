"""Bot Framework authentication, both directions.

Inbound, every activity the Bot Connector posts carries ``Authorization: Bearer
<jwt>``. Rasa's own ``botframework`` channel accepts whatever algorithm the
token names and never compares the token with the activity, so a forged or
replayed token could inject messages. :class:`TokenValidator` follows
Microsoft's "Authentication with the Bot Connector API" rules instead:

1. an RSA algorithm only (``none``, HMAC and anything else are refused, which
   also defeats HS256 signed with the public key as the secret);
2. a ``kid`` from the JWKS named by the OpenID metadata (:class:`JwksCache`);
3. signature, ``iss``, ``aud`` == the bot's app id, ``exp``/``nbf`` with skew;
4. the key's ``endorsements`` include the activity's ``channelId`` and the
   ``serviceurl`` claim equals the activity's ``serviceUrl``.

Steps 1-3 fail with :class:`TokenRejected` (HTTP 401), step 4 with
:class:`ActivityForbidden` (403). Messages say what was wrong, never key bytes.

Outbound, :class:`ConnectorCredentials` holds the client-credentials token the
bot presents to the connector, cached and shared by every conversation.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from jwt.algorithms import RSAAlgorithm

from bot.engine.errors import ChannelError

logger = logging.getLogger(__name__)

ALLOWED_ALGORITHMS = frozenset({"RS256", "RS384", "RS512"})
DEFAULT_OPENID_METADATA_URL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
DEFAULT_ISSUER = "https://api.botframework.com"
DEFAULT_TOKEN_URL = "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token"  # noqa: S105 (a URL)
DEFAULT_TOKEN_SCOPE = "https://api.botframework.com/.default"  # noqa: S105
DEFAULT_CLOCK_SKEW_S = 300
DEFAULT_JWKS_REFRESH_S = 24 * 3600
MIN_REFETCH_S = 60.0
TOKEN_REFRESH_MARGIN_S = 300.0
HTTP_TIMEOUT = aiohttp.ClientTimeout(total=10)

Clock = Callable[[], float]
KeyFetcher = Callable[[], Awaitable[list[dict[str, Any]]]]


class BotFrameworkError(ChannelError):
    """Root of the channel's Bot Framework errors; ``status`` is the HTTP answer."""

    status = 500


class TokenRejected(BotFrameworkError):
    """The bearer token is missing, malformed, unsigned, expired or not for this bot."""

    status = 401


class ActivityForbidden(BotFrameworkError):
    """A valid token that does not cover this activity (endorsement, serviceUrl)."""

    status = 403


class KeysUnavailable(BotFrameworkError):
    """The signing keys could not be fetched, so no token can be checked now."""

    status = 503


class ConnectorAuthError(BotFrameworkError):
    """The token endpoint refused the bot's app id and password."""


class HttpSessions:
    """One aiohttp session per event loop, opened on first use.

    Rasa builds channels before its loop runs, and tests drive one channel from
    several loops; a session is only valid on the loop that created it.
    """

    def __init__(self, *, timeout: aiohttp.ClientTimeout = HTTP_TIMEOUT) -> None:
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def get(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
            self._loop = loop
        return self._session

    async def close(self) -> None:
        if self._session is not None and self._loop is asyncio.get_running_loop():
            await self._session.close()
        self._session = None


def openid_key_fetcher(sessions: HttpSessions, metadata_url: str) -> KeyFetcher:
    """The JWKS named by an OpenID metadata document, fetched without blocking."""

    async def fetch() -> list[dict[str, Any]]:
        session = sessions.get()
        async with session.get(metadata_url) as response:
            response.raise_for_status()
            metadata = await response.json(content_type=None)
        jwks_uri = metadata.get("jwks_uri") if isinstance(metadata, dict) else None
        if not isinstance(jwks_uri, str):
            raise KeysUnavailable(f"The OpenID metadata at {metadata_url} names no jwks_uri.")
        async with session.get(jwks_uri) as response:
            response.raise_for_status()
            document = await response.json(content_type=None)
        keys = document.get("keys") if isinstance(document, dict) else None
        if not isinstance(keys, list):
            raise KeysUnavailable(f"The key set at {jwks_uri} has no 'keys' list.")
        return [key for key in keys if isinstance(key, dict) and isinstance(key.get("kid"), str)]

    return fetch


class JwksCache:
    """Signing keys by ``kid``: refreshed every ``refresh_s``, refetched for an unknown
    ``kid`` at most once per ``min_refetch_s`` so junk tokens cannot hammer Microsoft.
    """

    def __init__(
        self,
        fetch: KeyFetcher,
        *,
        refresh_s: float = DEFAULT_JWKS_REFRESH_S,
        min_refetch_s: float = MIN_REFETCH_S,
        clock: Clock = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self.refresh_s = refresh_s
        self.min_refetch_s = min_refetch_s
        self._clock = clock
        self._keys: dict[str, dict[str, Any]] = {}
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._lock = asyncio.Lock()

    async def get(self, kid: str) -> dict[str, Any] | None:
        now = self._clock()
        if self._fetched_at is None or now - self._fetched_at >= self.refresh_s:
            await self._refresh(stale_ok=self._fetched_at is not None)
            if self._fetched_at is None:
                raise KeysUnavailable(
                    "The Bot Framework signing keys are not available yet; retrying shortly."
                )
        elif kid not in self._keys and (
            self._attempted_at is None or now - self._attempted_at >= self.min_refetch_s
        ):
            logger.info("unknown signing key %r: refetching the key set", kid)
            await self._refresh(stale_ok=True)
        return self._keys.get(kid)

    async def _refresh(self, *, stale_ok: bool) -> None:
        async with self._lock:
            attempted = self._attempted_at
            if attempted is not None and self._clock() - attempted < min(
                self.min_refetch_s, self.refresh_s
            ):
                return  # another request refreshed while this one waited
            self._attempted_at = self._clock()
            try:
                keys = await self._fetch()
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError, KeysUnavailable) as e:
                if stale_ok:
                    logger.warning("could not refresh the signing keys, keeping the old: %s", e)
                    return
                raise KeysUnavailable(
                    "The Bot Framework signing keys could not be fetched; check that the "
                    "engine can reach openid_metadata_url."
                ) from e
            self._keys = {key["kid"]: key for key in keys}
            self._fetched_at = self._attempted_at


@dataclass(frozen=True)
class VerifiedToken:
    """Claims of a token whose signature, issuer, audience and lifetime checked out."""

    claims: Mapping[str, Any]
    endorsements: tuple[str, ...] | None = None

    @property
    def service_url(self) -> str | None:
        value = self.claims.get("serviceurl")
        return value if isinstance(value, str) else None


_CLAIM_ERRORS: tuple[tuple[type[jwt.PyJWTError], str], ...] = (
    (jwt.ExpiredSignatureError, "the token has expired"),
    (jwt.ImmatureSignatureError, "the token is not valid yet"),
    (jwt.InvalidAudienceError, "the token is for another app id (aud)"),
    (jwt.InvalidIssuerError, "the token was not issued by the Bot Framework (iss)"),
    (jwt.InvalidSignatureError, "the token signature does not verify"),
    (jwt.MissingRequiredClaimError, "the token lacks a required claim"),
)


@dataclass
class TokenValidator:
    """Checks Bot Connector tokens; see the module docstring for the rules."""

    app_id: str
    keys: JwksCache
    issuer: str = DEFAULT_ISSUER
    clock_skew_s: float = DEFAULT_CLOCK_SKEW_S
    algorithms: frozenset[str] = field(default=ALLOWED_ALGORITHMS)

    async def verify(self, authorization: str | None) -> VerifiedToken:
        """Steps 1-3: the token itself. Raises :class:`TokenRejected`."""
        if not authorization:
            raise TokenRejected("Authorization header is missing; send 'Bearer <jwt>'.")
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise TokenRejected("Authorization header must be 'Bearer <jwt>'.")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as e:
            raise TokenRejected("The bearer token is not a well-formed JWT.") from e

        alg = header.get("alg")
        if alg not in self.algorithms:
            raise TokenRejected(
                f"Token algorithm {str(alg)[:16]!r} is not accepted; "
                f"expected one of {', '.join(sorted(self.algorithms))}."
            )
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise TokenRejected("The token header names no signing key (kid).")
        jwk = await self.keys.get(kid)
        if jwk is None:
            raise TokenRejected(f"Signing key {kid[:64]!r} is not in the Bot Framework key set.")
        try:
            public_key = RSAAlgorithm.from_jwk(json.dumps(jwk))
        except (jwt.PyJWTError, ValueError, TypeError) as e:
            raise TokenRejected(f"Signing key {kid[:64]!r} is not a usable RSA key.") from e
        if isinstance(public_key, RSAPrivateKey):
            public_key = public_key.public_key()

        try:
            claims = jwt.decode(
                token,
                key=public_key,
                algorithms=[alg],
                audience=self.app_id,
                issuer=self.issuer,
                leeway=self.clock_skew_s,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as e:
            reason = next((text for kind, text in _CLAIM_ERRORS if isinstance(e, kind)), None)
            raise TokenRejected(f"Invalid token: {reason or 'it could not be verified'}.") from e

        endorsements = jwk.get("endorsements")
        return VerifiedToken(
            claims=claims,
            endorsements=tuple(str(e) for e in endorsements)
            if isinstance(endorsements, list)
            else None,
        )

    @staticmethod
    def authorize(token: VerifiedToken, *, channel_id: str, service_url: str) -> None:
        """Step 4: does the token cover this activity? Raises :class:`ActivityForbidden`."""
        if token.endorsements is not None and channel_id not in token.endorsements:
            raise ActivityForbidden(
                f"The signing key is not endorsed for channel {channel_id[:64]!r}."
            )
        if token.service_url is None:
            raise ActivityForbidden("The token carries no serviceurl claim.")
        if token.service_url != service_url:
            raise ActivityForbidden(
                "The activity's serviceUrl does not match the token's serviceurl claim."
            )

    async def validate(
        self, authorization: str | None, *, channel_id: str, service_url: str
    ) -> VerifiedToken:
        token = await self.verify(authorization)
        self.authorize(token, channel_id=channel_id, service_url=service_url)
        return token


class ConnectorCredentials:
    """The bot's own bearer token for the connector (OAuth2 client credentials).

    One token serves every conversation until ``refresh_margin_s`` before it
    expires; concurrent replies wait for one fetch instead of each asking.
    """

    def __init__(
        self,
        *,
        app_id: str,
        app_password: str,
        token_url: str = DEFAULT_TOKEN_URL,
        scope: str = DEFAULT_TOKEN_SCOPE,
        sessions: HttpSessions,
        refresh_margin_s: float = TOKEN_REFRESH_MARGIN_S,
        clock: Clock = time.monotonic,
    ) -> None:
        self.app_id = app_id
        self._app_password = app_password
        self.token_url = token_url
        self.scope = scope
        self._sessions = sessions
        self.refresh_margin_s = refresh_margin_s
        self._clock = clock
        self._token: str | None = None
        self._valid_until = 0.0
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"ConnectorCredentials(app_id={self.app_id!r}, token_url={self.token_url!r})"

    def invalidate(self) -> None:
        """Forget the token, e.g. after the connector answered 401."""
        self._token = None

    async def token(self) -> str:
        if self._token is not None and self._clock() < self._valid_until:
            return self._token
        async with self._lock:
            if self._token is not None and self._clock() < self._valid_until:
                return self._token
            self._token, self._valid_until = await self._fetch()
            return self._token

    async def _fetch(self) -> tuple[str, float]:
        form = {
            "grant_type": "client_credentials",
            "client_id": self.app_id,
            "client_secret": self._app_password,
            "scope": self.scope,
        }
        try:
            async with self._sessions.get().post(self.token_url, data=form) as response:
                body = await response.json(content_type=None)
                status = response.status
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as e:
            raise ConnectorAuthError(
                f"Could not get a connector token from {self.token_url}: {e}"
            ) from e
        if status != 200 or not isinstance(body, dict) or "access_token" not in body:
            code = body.get("error") if isinstance(body, dict) else None
            raise ConnectorAuthError(
                f"The token endpoint answered {status} ({code or 'no error code'}) for app id "
                f"{self.app_id!r}; check app_id and TEAMS_APP_PASSWORD (the client secret)."
            )
        lifetime = float(body.get("expires_in", 3600))
        started = self._clock()
        return str(body["access_token"]), started + max(0.0, lifetime - self.refresh_margin_s)
