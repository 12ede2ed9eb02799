"""A loopback stand-in for the Bot Framework services a Teams bot talks to.

Microsoft's login and connector endpoints cannot be reached from tests, so this
serves the same protocol on 127.0.0.1 with a test key pair:

* ``GET /v1/.well-known/openidconfiguration`` -> OpenID metadata naming the JWKS;
* ``GET /v1/keys`` -> the JWKS (rotate with :meth:`BotFrameworkStandIn.rotate`);
* ``POST /botframework.com/oauth2/v2.0/token`` -> a client-credentials token,
  after checking the form (grant type, client id and secret, scope);
* ``POST <service url>/v3/conversations/{id}/activities[/{reply to}]`` -> the
  connector: checks the bearer token, records the request, answers scripted
  failures first.

:class:`SigningKey` mints real RS256 tokens, like the Bot Connector does.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://api.botframework.com"
SCOPE = "https://api.botframework.com/.default"
SERVICE_PATH = "/emea/"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class SigningKey:
    """An RSA key pair with a ``kid``, published as a JWK, that signs tokens."""

    def __init__(self, kid: str | None = None, *, endorsements: list[str] | None = None) -> None:
        self.kid = kid or f"test-{secrets.token_hex(4)}"
        self.endorsements = endorsements
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwk(self) -> dict[str, Any]:
        key = json.loads(RSAAlgorithm.to_jwk(self.private_key.public_key()))
        key.update(kid=self.kid, use="sig")
        if self.endorsements is not None:
            key["endorsements"] = self.endorsements
        return key

    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def token(self, claims: dict[str, Any], *, alg: str = "RS256", kid: str | None = None) -> str:
        return jwt.encode(claims, self.private_key, algorithm=alg, headers={"kid": kid or self.kid})

    def hs256_with_public_key(self, claims: dict[str, Any]) -> str:
        """The key-confusion forgery: HMAC keyed with the published public key."""
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": self.kid}).encode())
        payload = _b64(json.dumps(claims).encode())
        signature = hmac.new(self.public_pem(), f"{header}.{payload}".encode(), hashlib.sha256)
        return f"{header}.{payload}.{_b64(signature.digest())}"

    def unsigned(self, claims: dict[str, Any]) -> str:
        header = _b64(json.dumps({"alg": "none", "typ": "JWT", "kid": self.kid}).encode())
        return f"{header}.{_b64(json.dumps(claims).encode())}."


def claims(
    *, app_id: str, service_url: str, issuer: str = ISSUER, age_s: float = 0, **extra: Any
) -> dict[str, Any]:
    """Bot Connector token claims, issued ``age_s`` ago and valid for an hour after."""
    now = int(time.time() - age_s)
    return {
        "iss": issuer,
        "aud": app_id,
        "serviceurl": service_url,
        "nbf": now,
        "iat": now,
        "exp": now + 3600,
        **extra,
    }


@dataclass(frozen=True)
class Received:
    """One request the connector got."""

    path: str
    raw_path: str
    authorization: str | None
    body: dict[str, Any]


class BotFrameworkStandIn:
    """Login, key and connector endpoints on loopback, in their own thread."""

    def __init__(self, *, app_id: str = "tandem-test-app", app_password: str = "s3cret") -> None:
        self.app_id = app_id
        self.app_password = app_password
        self.keys = [SigningKey(endorsements=["msteams"])]
        self.metadata_requests = 0
        self.jwks_requests = 0
        self.token_requests = 0
        self.received: list[Received] = []
        self.failures: list[tuple[int, dict[str, str]]] = []
        self._issued: set[str] = set()
        self._changed = threading.Condition()
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def openid_metadata_url(self) -> str:
        return f"{self.base_url}/v1/.well-known/openidconfiguration"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/botframework.com/oauth2/v2.0/token"

    @property
    def service_url(self) -> str:
        return self.base_url + SERVICE_PATH

    @property
    def key(self) -> SigningKey:
        return self.keys[0]

    def rotate(self, new: SigningKey) -> None:
        """Publish ``new`` instead of the current keys."""
        self.keys = [new]

    def revoke_tokens(self) -> None:
        """Make the connector refuse every token issued so far (a rotated secret)."""
        self._issued.clear()

    def fail_next(self, status: int, *, retry_after: str | None = None) -> None:
        self.failures.append((status, {"Retry-After": retry_after} if retry_after else {}))

    def wait_for(self, count: int, timeout: float = 15.0) -> list[Received]:
        """Block until the connector has received ``count`` activities in all."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.received) >= count, timeout):
                raise AssertionError(f"the connector got {len(self.received)} of {count} posts")
            return list(self.received)

    def start(self) -> BotFrameworkStandIn:
        ready = threading.Event()
        threading.Thread(target=self._serve, args=(ready,), daemon=True).start()
        assert ready.wait(15), "the Bot Framework stand-in did not start"
        return self

    def stop(self) -> None:
        async def shutdown() -> None:
            if self._runner is not None:
                await self._runner.cleanup()
            self._loop.stop()

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop)

    def _serve(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_get("/v1/.well-known/openidconfiguration", self._metadata)
        app.router.add_get("/v1/keys", self._jwks)
        app.router.add_post("/botframework.com/oauth2/v2.0/token", self._token)
        activities = SERVICE_PATH + "v3/conversations/{conversation}/activities"
        app.router.add_post(activities, self._activity)
        app.router.add_post(activities + "/{reply_to}", self._activity)

        async def boot() -> None:
            self._runner = web.AppRunner(app, access_log=None)
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            await site.start()
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

        self._loop.run_until_complete(boot())
        ready.set()
        self._loop.run_forever()

    async def _metadata(self, _: web.Request) -> web.Response:
        self.metadata_requests += 1
        return web.json_response(
            {
                "issuer": ISSUER,
                "authorization_endpoint": "https://invalid.botframework.com",
                "jwks_uri": f"{self.base_url}/v1/keys",
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            }
        )

    async def _jwks(self, _: web.Request) -> web.Response:
        self.jwks_requests += 1
        return web.json_response({"keys": [key.jwk() for key in self.keys]})

    async def _token(self, request: web.Request) -> web.Response:
        self.token_requests += 1
        form = await request.post()
        if form.get("grant_type") != "client_credentials" or form.get("scope") != SCOPE:
            return web.json_response({"error": "invalid_request"}, status=400)
        if form.get("client_id") != self.app_id or form.get("client_secret") != self.app_password:
            return web.json_response({"error": "invalid_client"}, status=401)
        token = f"connector-{secrets.token_hex(8)}"
        self._issued.add(token)
        return web.json_response(
            {
                "token_type": "Bearer",
                "expires_in": 3600,
                "ext_expires_in": 3600,
                "access_token": token,
            }
        )

    async def _activity(self, request: web.Request) -> web.Response:
        authorization = request.headers.get("Authorization")
        if authorization is None or authorization.removeprefix("Bearer ") not in self._issued:
            return web.json_response({"error": {"code": "Unauthorized"}}, status=401)
        received = Received(request.path, request.raw_path, authorization, await request.json())
        with self._changed:
            self.received.append(received)
            self._changed.notify_all()
        if self.failures:
            status, headers = self.failures.pop(0)
            return web.json_response(
                {"error": {"code": "Throttled"}}, status=status, headers=headers
            )
        return web.json_response({"id": f"reply-{len(self.received)}"}, status=201)
