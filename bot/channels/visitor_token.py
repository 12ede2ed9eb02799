"""Visitor tokens: the JWTs a shop's server mints so that one browser may use one conversation.

They are signed with the channels' visitor key (``TANDEM_JWT_SECRET``, credentials
``jwt_key``), which is not the key of Rasa's HTTP API, so whoever mints visitor
tokens cannot mint API tokens. A token is accepted only when it

* is signed with the key (``jwt_method``, default HS256),
* has ``sub``: the conversation it opens (the web chat session UUID, or the REST
  ``sender``) — a token never opens another conversation,
* has ``exp``, in the future and at most ``max_token_age_s`` (default 24 h) ahead,
  so a leaked token stops working soon,
* and, optionally, ``customer_id``: the signed-in customer, and ``role``: what the
  shop's server says this person is (``staff`` for a colleague signed in to the shop's
  back office), which the channels pass to the bot as verified identity
  (:func:`bot.channels.inbound.with_identity`). Only whoever holds the key can mint
  a role, so a customer cannot make themselves staff.
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass
from typing import Any

import jwt

from bot.channels.inbound import Rejected

DEFAULT_MAX_TOKEN_AGE_S = 24 * 3600
MAX_CUSTOMER_ID_CHARS = 128
MAX_ROLE_CHARS = 64
MAX_SUBJECT_CHARS = 256
LEEWAY_S = 60


class TokenRefused(Rejected):
    """A missing or invalid token (401), or one for another conversation (403)."""

    def __init__(self, message: str, *, status: int = 401) -> None:
        super().__init__("bad_token" if status == 401 else "not_your_conversation", message)
        self.status = status


@dataclass(frozen=True)
class Visitor:
    """What a verified token says: whose conversation, until when, and who, if known."""

    subject: str
    expires_at: float
    customer_id: str | None = None
    role: str | None = None

    def expired(self) -> bool:
        """Whether the token has run out (a socket outlives the token it opened with)."""
        return time.time() > self.expires_at + LEEWAY_S

    def require(self, conversation: str) -> None:
        """Raise a 403 :class:`TokenRefused` unless the token is for ``conversation``."""
        given, wanted = (v.encode("utf-8", "surrogatepass") for v in (self.subject, conversation))
        if not hmac.compare_digest(given, wanted):
            raise TokenRefused(
                "This token is for another conversation: its sub must be "
                f"{conversation!r}. Mint a token for this conversation.",
                status=403,
            )


def _is_text(value: Any, max_chars: int) -> bool:
    if not isinstance(value, str) or not 0 < len(value) <= max_chars:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # an unpaired surrogate, e.g. from "\\ud800" in the JSON
        return False
    return True


def bearer(value: Any) -> str:
    """The token in ``Authorization: Bearer <token>`` (or a bare token), else ``""``."""
    if not isinstance(value, str):
        return ""
    scheme, _, rest = value.strip().partition(" ")
    return rest.strip() if scheme.lower() == "bearer" else value.strip()


def verify(
    token: Any,
    *,
    key: str,
    algorithm: str = "HS256",
    max_age_s: float = DEFAULT_MAX_TOKEN_AGE_S,
) -> Visitor:
    """The :class:`Visitor` a token names, or :class:`TokenRefused` (401)."""
    raw = bearer(token)
    if not raw:
        raise TokenRefused("A visitor token is required: send 'Authorization: Bearer <jwt>'.")
    try:
        claims = jwt.decode(
            raw,
            key,
            algorithms=[algorithm],
            options={"require": ["exp", "sub"]},
            leeway=LEEWAY_S,
        )
    except jwt.InvalidTokenError as e:
        raise TokenRefused(
            f"The visitor token was refused ({e}); it needs sub and exp and must be "
            "signed with the channel's jwt_key."
        ) from e
    subject, expires_at = claims["sub"], float(claims["exp"])
    if not _is_text(subject, MAX_SUBJECT_CHARS):
        raise TokenRefused(
            f"The visitor token's sub must name the conversation: 1-{MAX_SUBJECT_CHARS} "
            "characters of text."
        )
    if expires_at - time.time() > max_age_s + LEEWAY_S:
        raise TokenRefused(
            f"The visitor token expires more than {max_age_s:.0f} s from now; mint tokens "
            "that live at most max_token_age_s."
        )
    customer_id = claims.get("customer_id")
    if customer_id is not None and not _is_text(customer_id, MAX_CUSTOMER_ID_CHARS):
        raise TokenRefused(
            f"The token's customer_id must be a string of 1-{MAX_CUSTOMER_ID_CHARS} characters."
        )
    role = claims.get("role")
    if role is not None and not _is_text(role, MAX_ROLE_CHARS):
        raise TokenRefused(f"The token's role must be a string of 1-{MAX_ROLE_CHARS} characters.")
    return Visitor(subject, expires_at, customer_id, role)
