"""The rules in front of Rasa's HTTP API, without a server (issue 19 #5, #1)."""

from __future__ import annotations

import time
from urllib.parse import quote

import jwt
import pytest

from bot.engine.api_guard import (
    ApiGuard,
    ApiRequest,
    body_type_allowed,
    decode_conversation_id,
    host_allowed,
    is_model_change,
    origin_allowed,
)
from bot.engine.settings import EngineSettings

TOKEN = "t" * 43
TRACKER = "/conversations/<conversation_id:path>/tracker"
EVENTS = "/conversations/<conversation_id:path>/tracker/events"


def ok(**changes: object) -> ApiRequest:
    """A request that passes every rule; tests change one fact at a time."""
    facts: dict[str, object] = {
        "method": "GET",
        "route": TRACKER,
        "host": "127.0.0.1:5005",
        "authorization": f"Bearer {TOKEN}",
        "conversation_id": "c1",
    }
    facts.update(changes)
    return ApiRequest(**facts)  # type: ignore[arg-type]


@pytest.fixture
def guard() -> ApiGuard:
    return ApiGuard(EngineSettings(rasa_token=TOKEN))


def test_a_request_with_the_token_in_the_header_passes(guard: ApiGuard) -> None:
    assert guard.check(ok()) is None
    assert guard.check(ok(authorization=f"bearer   {TOKEN} ")) is None


@pytest.mark.parametrize(
    "authorization", [None, "", "Bearer", f"Basic {TOKEN}", "Bearer wrong", f"Bearer {TOKEN}x"]
)
def test_no_or_a_wrong_token_is_401(guard: ApiGuard, authorization: str | None) -> None:
    refusal = guard.check(ok(authorization=authorization))
    assert refusal is not None and refusal.status == 401
    assert "Authorization: Bearer <TANDEM_RASA_TOKEN>" in refusal.message


def test_a_token_in_the_url_is_refused_even_with_the_header(guard: ApiGuard) -> None:
    refusal = guard.check(ok(token_in_query=True))
    assert refusal is not None and refusal.status == 401
    assert "remove ?token=" in refusal.message


def test_an_engine_without_a_token_keeps_its_api_closed() -> None:
    refusal = ApiGuard(EngineSettings()).check(ok(authorization="Bearer "))
    assert refusal is not None and refusal.status == 401
    assert "TANDEM_RASA_TOKEN" in refusal.message


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("127.0.0.1:5005", True),
        ("localhost", True),
        ("LOCALHOST:80", True),
        ("[::1]:5005", True),
        ("bot.example.com", False),
        ("127.0.0.1.evil.example:5005", False),
        ("attacker.example:5005", False),
        ("", False),
        (None, False),
    ],
)
def test_host_must_name_this_server(host: str | None, allowed: bool) -> None:
    assert host_allowed(host, ()) is allowed


def test_configured_hosts_are_allowed(guard: ApiGuard) -> None:
    settings = EngineSettings(rasa_token=TOKEN, host="10.0.0.5", allowed_hosts=("bot.example.com",))
    guard = ApiGuard(settings)
    assert guard.check(ok(host="10.0.0.5:5005")) is None
    assert guard.check(ok(host="bot.example.com")) is None
    refusal = guard.check(ok(host="rebound.example"))
    assert refusal is not None and refusal.status == 403
    assert "TANDEM_ALLOWED_HOSTS" in refusal.message


def test_a_foreign_origin_is_refused_before_anything_else(guard: ApiGuard) -> None:
    cross_site = ok(
        method="POST",
        route=EVENTS,
        origin="https://evil.example",
        authorization=None,
        content_type="text/plain",
        has_body=True,
    )
    refusal = guard.check(cross_site)
    assert refusal is not None and refusal.status == 403
    assert "TANDEM_ALLOWED_ORIGINS" in refusal.message
    assert not origin_allowed("null", ())
    assert origin_allowed(None, ())
    assert origin_allowed("https://ops.example.com", ("https://ops.example.com/",))


@pytest.mark.parametrize(
    ("route", "content_type", "allowed"),
    [
        (EVENTS, "application/json", True),
        (EVENTS, "application/json; charset=utf-8", True),
        (EVENTS, "application/vnd.api+json", True),
        (EVENTS, "text/plain", False),
        (EVENTS, "application/x-www-form-urlencoded", False),
        (EVENTS, "multipart/form-data; boundary=x", False),
        (EVENTS, None, False),
        (EVENTS, "application/x-yaml", False),
        ("/model/train", "application/x-yaml", True),
        ("/model/test/stories", "text/yml", True),
        ("/model/test/intents", "text/markdown", True),
        ("/model/train", "text/plain", False),
    ],
)
def test_bodies_are_json_or_what_rasa_documents(
    route: str, content_type: str | None, allowed: bool
) -> None:
    assert body_type_allowed(route, content_type) is allowed


def test_a_non_json_body_is_415_but_an_empty_post_passes(guard: ApiGuard) -> None:
    plain = ok(method="POST", route=EVENTS, content_type="text/plain", has_body=True)
    refusal = guard.check(plain)
    assert refusal is not None and refusal.status == 415
    assert "application/json" in refusal.message
    assert guard.check(ok(method="POST", route=EVENTS, has_body=False)) is None
    assert guard.check(ok(method="POST", route=EVENTS, content_type="application/json")) is None


@pytest.mark.parametrize(
    ("method", "route", "changes"),
    [
        ("PUT", "/model", True),
        ("DELETE", "/model", True),
        ("POST", "/model/train", True),
        ("POST", "/model/test/stories", True),
        ("POST", "/model/test/intents", True),
        ("POST", "/model/parse", False),
        ("POST", "/model/predict", False),
        ("GET", "/status", False),
    ],
)
def test_model_changing_routes(method: str, route: str, changes: bool) -> None:
    assert is_model_change(method, route) is changes


def test_model_changes_are_off_unless_enabled(guard: ApiGuard) -> None:
    put = ok(method="PUT", route="/model", content_type="application/json", has_body=True)
    refusal = guard.check(put)
    assert refusal is not None and refusal.status == 403
    assert "TANDEM_ENABLE_MODEL_API=true" in refusal.message
    enabled = ApiGuard(EngineSettings(rasa_token=TOKEN, enable_model_api=True))
    assert enabled.check(put) is None
    assert guard.check(ok(method="PUT", route="/model", authorization=None)).status == 401  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "conversation_id",
    [
        "slack:T1:C2:1700.1",
        "19:abc@thread.tacv2;messageid=1",
        "a:1conv",
        "ünï çødé",
        "x|y,z=w+v",
        "a/b%c",
        "0f1c2d3e-0000-4000-8000-000000000000",
    ],
)
def test_quoted_conversation_ids_decode_to_the_original(conversation_id: str) -> None:
    assert decode_conversation_id(quote(conversation_id, safe="")) == conversation_id


def test_a_conversation_id_that_is_not_utf8_is_400(guard: ApiGuard) -> None:
    with pytest.raises(UnicodeDecodeError):
        decode_conversation_id("%ff%fe")
    refusal = guard.check(ok(conversation_id="%ff"))
    assert refusal is not None and refusal.status == 400


def _jwt(user: dict[str, str], secret: str = "k" * 32) -> str:
    return jwt.encode({"user": user, "exp": int(time.time()) + 60}, secret, algorithm="HS256")


def test_api_jwts_follow_rasas_roles() -> None:
    guard = ApiGuard(EngineSettings(rasa_token=TOKEN, api_jwt_secret="k" * 32))
    admin = _jwt({"username": "ops", "role": "admin"})
    assert guard.check(ok(authorization=f"Bearer {admin}")) is None
    own = _jwt({"username": "slack:T1:C2", "role": "user"})
    assert guard.check(ok(authorization=f"Bearer {own}", conversation_id="slack%3AT1%3AC2")) is None
    other = guard.check(ok(authorization=f"Bearer {own}", conversation_id="c1"))
    assert other is not None and other.status == 403
    forged = _jwt({"username": "ops", "role": "admin"}, secret="w" * 32)
    assert guard.check(ok(authorization=f"Bearer {forged}")).status == 401  # type: ignore[union-attr]
    without_secret = ApiGuard(EngineSettings(rasa_token=TOKEN))
    assert without_secret.check(ok(authorization=f"Bearer {admin}")).status == 401  # type: ignore[union-attr]


def test_settings_come_from_the_environment() -> None:
    s = EngineSettings.from_env(
        {
            "TANDEM_RASA_TOKEN": TOKEN,
            "TANDEM_ALLOWED_HOSTS": " bot.example.com, ,10.0.0.5 ",
            "TANDEM_ALLOWED_ORIGINS": "https://ops.example.com",
            "TANDEM_ENABLE_MODEL_API": "true",
            "TANDEM_MAX_BODY_BYTES": "2048",
        }
    )
    assert s.allowed_hosts == ("bot.example.com", "10.0.0.5")
    assert s.allowed_origins == ("https://ops.example.com",)
    assert (s.enable_model_api, s.max_body_bytes, s.request_timeout_s) == (True, 2048, 15)
    assert TOKEN not in repr(s)
    defaults = EngineSettings.from_env({})
    assert (defaults.enable_model_api, defaults.max_body_bytes) == (False, 1024 * 1024)
