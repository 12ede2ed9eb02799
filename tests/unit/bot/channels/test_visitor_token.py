from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from bot.channels.visitor_token import TokenRefused, Visitor, bearer, verify

KEY = "visitor-key-0123456789abcdef0123"
SUB = "7c1d9a4e-3b2f-4c8d-9e0a-1b2c3d4e5f60"


def token(key: str = KEY, **claims: Any) -> str:
    return jwt.encode(claims, key, algorithm="HS256")


def soon() -> int:
    return int(time.time()) + 600


def test_a_good_token_names_its_conversation_and_customer() -> None:
    visitor = verify(f"Bearer {token(sub=SUB, exp=soon(), customer_id='c0042')}", key=KEY)
    assert (visitor.subject, visitor.customer_id) == (SUB, "c0042")
    assert verify(token(sub=SUB, exp=soon()), key=KEY).customer_id is None
    visitor.require(SUB)


@pytest.mark.parametrize(
    ("given", "match"),
    [
        (None, "required"),
        ("", "required"),
        ("Bearer ", "required"),
        ("not-a-jwt", "refused"),
        (token(), "refused"),  # {}
        (token(sub=SUB), "refused"),  # no exp
        (token(exp=soon()), "refused"),  # no sub
        (token(sub=SUB, exp=int(time.time()) - 3600), "refused"),  # expired
        (token(sub=SUB, exp=int(time.time()) + 2 * 86400), "expires more than 86400 s"),
        (token("another-key-0123456789abcdef0123", sub=SUB, exp=soon()), "refused"),
        (token(sub=SUB, exp=soon(), customer_id=42), "customer_id"),
        (token(sub=SUB, exp=soon(), customer_id="c" * 200), "customer_id"),
        (token(sub="\ud800", exp=soon()), "characters of text"),  # would crash encode()
        (token(sub=42, exp=soon()), "refused"),
        (token(sub=SUB, exp=soon(), customer_id="c\udfff"), "customer_id"),
    ],
)
def test_unbound_or_unbounded_tokens_are_refused(given: Any, match: str) -> None:
    with pytest.raises(TokenRefused, match=match) as caught:
        verify(given, key=KEY)
    assert (caught.value.status, caught.value.code) == (401, "bad_token")


def test_the_age_limit_is_configurable() -> None:
    with pytest.raises(TokenRefused, match="expires more than 300 s"):
        verify(token(sub=SUB, exp=int(time.time()) + 3600), key=KEY, max_age_s=300)


def test_a_token_for_another_conversation_is_a_403() -> None:
    with pytest.raises(TokenRefused, match="another conversation") as caught:
        Visitor(SUB, time.time()).require("someone-else")
    assert (caught.value.status, caught.value.code) == (403, "not_your_conversation")


def test_bearer() -> None:
    assert bearer("Bearer abc") == bearer("bearer  abc ") == bearer("abc") == "abc"
    assert bearer(None) == bearer(3) == ""


def test_a_visitor_expires_with_its_token() -> None:
    assert Visitor(SUB, time.time() - 3600).expired()
    assert not Visitor(SUB, time.time() + 3600).expired()


def test_a_role_claim_travels_only_in_a_signed_token() -> None:
    """Staff tools need ``role``; only whoever holds the key can mint one."""
    assert verify(token(sub=SUB, exp=soon(), role="staff"), key=KEY).role == "staff"
    assert verify(token(sub=SUB, exp=soon()), key=KEY).role is None
    with pytest.raises(TokenRefused, match="role"):
        verify(token(sub=SUB, exp=soon(), role=["staff"]), key=KEY)
    with pytest.raises(TokenRefused, match="refused"):
        verify(
            token("another-key-0123456789abcdef0123", sub=SUB, exp=soon(), role="staff"), key=KEY
        )
