"""Bot Connector token validation and the JWKS cache, with keys made in the test.

No socket: the key set comes from an in-memory fetcher and time from a manual
clock, so key rotation and the refetch limit are exact.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from bot.channels.botframework_auth import (
    ActivityForbidden,
    ConnectorCredentials,
    HttpSessions,
    JwksCache,
    KeysUnavailable,
    TokenRejected,
    TokenValidator,
    VerifiedToken,
)
from tests.standins.botframework import SigningKey, claims

APP_ID = "app-123"
SERVICE_URL = "https://smba.trafficmanager.net/emea/"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Keys:
    """What the JWKS endpoint publishes; counts fetches; can fail."""

    def __init__(self, *keys: SigningKey) -> None:
        self.published = list(keys)
        self.fetches = 0
        self.down = False

    async def __call__(self) -> list[dict[str, Any]]:
        self.fetches += 1
        if self.down:
            raise KeysUnavailable("stand-in is down")
        return [key.jwk() for key in self.published]


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return SigningKey("key-1", endorsements=["msteams", "webchat"])


def setup(*keys: SigningKey, skew: float = 300) -> tuple[TokenValidator, Keys, Clock]:
    source, clock = Keys(*keys), Clock()
    cache = JwksCache(source, refresh_s=3600, min_refetch_s=60, clock=clock)
    return TokenValidator(app_id=APP_ID, keys=cache, clock_skew_s=skew), source, clock


def good(**changes: Any) -> dict[str, Any]:
    return claims(app_id=APP_ID, service_url=SERVICE_URL) | changes


def check(validator: TokenValidator, token: str, *, channel: str = "msteams") -> VerifiedToken:
    return asyncio.run(
        validator.validate(f"Bearer {token}", channel_id=channel, service_url=SERVICE_URL)
    )


def test_a_valid_token_passes_and_carries_its_claims(key: SigningKey) -> None:
    validator, _, _ = setup(key)
    verified = check(validator, key.token(good()))
    assert verified.claims["aud"] == APP_ID
    assert verified.service_url == SERVICE_URL
    assert verified.endorsements == ("msteams", "webchat")


@pytest.mark.parametrize("alg", ["RS384", "RS512"])
def test_other_rsa_algorithms_are_accepted(key: SigningKey, alg: str) -> None:
    validator, _, _ = setup(key)
    assert check(validator, key.token(good(), alg=alg)).claims["iss"]


def test_expired_within_the_skew_is_accepted(key: SigningKey) -> None:
    validator, _, _ = setup(key, skew=300)
    check(validator, key.token(good(exp=int(time.time()) - 100)))


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"age_s": 3600 + 301}, "has expired"),
        ({"nbf_ahead_s": 400}, "not valid yet"),
        ({"aud": "someone-else"}, "another app id"),
        ({"iss": "https://login.evil.example"}, "not issued by the Bot Framework"),
    ],
)
def test_bad_claims_are_rejected_with_a_reason(
    key: SigningKey, changes: dict[str, Any], reason: str
) -> None:
    validator, _, _ = setup(key)
    body = claims(app_id=APP_ID, service_url=SERVICE_URL, age_s=changes.pop("age_s", 0))
    if "nbf_ahead_s" in changes:
        body["nbf"] = body["iat"] = body["nbf"] + changes.pop("nbf_ahead_s")
    body.update(changes)
    with pytest.raises(TokenRejected, match=reason) as e:
        check(validator, key.token(body))
    assert e.value.status == 401


def test_an_unsigned_token_is_rejected(key: SigningKey) -> None:
    validator, source, _ = setup(key)
    with pytest.raises(TokenRejected, match="algorithm 'none' is not accepted"):
        check(validator, key.unsigned(good()))
    assert source.fetches == 0, "a token refused on its header must not cost a key fetch"


def test_hs256_signed_with_the_public_key_is_rejected(key: SigningKey) -> None:
    validator, _, _ = setup(key)
    with pytest.raises(TokenRejected, match="'HS256' is not accepted") as e:
        check(validator, key.hs256_with_public_key(good()))
    assert "BEGIN PUBLIC KEY" not in str(e.value)


def test_a_token_signed_by_another_key_under_a_known_kid_is_rejected(key: SigningKey) -> None:
    validator, _, _ = setup(key)
    impostor = SigningKey(key.kid)
    with pytest.raises(TokenRejected, match="signature does not verify") as e:
        check(validator, impostor.token(good()))
    assert key.jwk()["n"][:20] not in str(e.value)


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "header is missing"),
        ("", "header is missing"),
        ("Basic dXNlcjpwdw==", "must be 'Bearer <jwt>'"),
        ("Bearer ", "must be 'Bearer <jwt>'"),
        ("Bearer not.a.jwt", "not a well-formed JWT"),
    ],
)
def test_missing_or_malformed_headers_are_rejected(
    key: SigningKey, header: str | None, reason: str
) -> None:
    validator, _, _ = setup(key)
    with pytest.raises(TokenRejected, match=reason):
        asyncio.run(validator.verify(header))


def test_unknown_kid_refetches_once_a_minute_and_accepts_the_rotated_key(
    key: SigningKey,
) -> None:
    validator, source, clock = setup(key)
    check(validator, key.token(good()))
    assert source.fetches == 1

    rotated = SigningKey("key-2")
    source.published = [rotated]
    clock.now += 61
    check(validator, rotated.token(good()))
    assert source.fetches == 2, "an unknown kid refetches the key set"

    later = SigningKey("key-3")
    clock.now += 10
    with pytest.raises(TokenRejected, match="'key-3' is not in the Bot Framework key set"):
        check(validator, later.token(good()))
    assert source.fetches == 2, "no second refetch within a minute"

    clock.now += 51
    source.published = [rotated, later]
    check(validator, later.token(good()))
    assert source.fetches == 3

    clock.now += 61
    with pytest.raises(TokenRejected, match="not in the Bot Framework key set"):
        check(validator, SigningKey("never-published").token(good()))
    assert source.fetches == 4, "refetched once, then rejected"
    check(validator, rotated.token(good()))
    assert source.fetches == 4


def test_keys_are_refreshed_after_refresh_s_and_kept_when_the_refresh_fails(
    key: SigningKey,
) -> None:
    validator, source, clock = setup(key)
    check(validator, key.token(good()))
    clock.now += 3600
    source.down = True
    check(validator, key.token(good()))
    assert source.fetches == 2


def test_no_keys_at_all_is_a_503_not_a_401(key: SigningKey) -> None:
    validator, source, _ = setup(key)
    source.down = True
    with pytest.raises(KeysUnavailable, match="openid_metadata_url") as e:
        check(validator, key.token(good()))
    assert e.value.status == 503


def test_an_endorsement_mismatch_is_forbidden(key: SigningKey) -> None:
    validator, _, _ = setup(key)
    with pytest.raises(ActivityForbidden, match="not endorsed for channel 'skype'") as e:
        check(validator, key.token(good()), channel="skype")
    assert e.value.status == 403


def test_a_key_without_endorsements_serves_any_channel() -> None:
    plain = SigningKey("plain")
    validator, _, _ = setup(plain)
    check(validator, plain.token(good()), channel="anything")


@pytest.mark.parametrize("service_url", ["https://evil.example/", None])
def test_a_serviceurl_mismatch_is_forbidden(key: SigningKey, service_url: str | None) -> None:
    validator, _, _ = setup(key)
    body = good(serviceurl=service_url)
    if service_url is None:
        del body["serviceurl"]
    with pytest.raises(ActivityForbidden, match="serviceurl"):
        check(validator, key.token(body))


def test_the_connector_token_is_reused_until_five_minutes_before_it_expires() -> None:
    clock = Clock()
    credentials = ConnectorCredentials(
        app_id=APP_ID, app_password="pw", sessions=HttpSessions(), clock=clock
    )
    issued: list[str] = []

    async def fetch() -> tuple[str, float]:
        issued.append(f"token-{len(issued) + 1}")
        return issued[-1], clock() + 3600 - 300

    credentials._fetch = fetch  # type: ignore[method-assign]

    async def many() -> list[str]:
        return list(await asyncio.gather(*(credentials.token() for _ in range(5))))

    assert asyncio.run(many()) == ["token-1"] * 5, "concurrent callers share one fetch"
    clock.now += 3299
    assert asyncio.run(credentials.token()) == "token-1"
    clock.now += 1
    assert asyncio.run(credentials.token()) == "token-2"
    credentials.invalidate()
    assert asyncio.run(credentials.token()) == "token-3"
    assert "pw" not in repr(credentials)
