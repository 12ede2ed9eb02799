"""Signing agents in and keeping forged requests out.

* Login: the form carries a CSRF token bound to a pre-login cookie (an HMAC of
  the cookie under a key derived from the service token), so another site
  cannot sign a browser into an account of its choosing. A successful login
  always creates a NEW session (fixation) and deletes the one the browser
  had; failures are audited and answered after a delay, and each attempt
  reserves its place in :class:`~bot.handoff.throttle.LoginThrottle` before
  the password is checked, so a burst gets only a few guesses and then a
  growing wait, for that e-mail from that address only.
* Session cookie: HttpOnly, SameSite=Strict, Secure off loopback; idle and
  absolute expiry are enforced in the database.
* Every state-changing request needs the session's CSRF token in
  ``X-CSRF-Token`` and a same-origin ``Origin`` (or ``Referer``).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from fastapi import Request, Response

from bot.handoff.accounts import Staff
from bot.handoff.errors import Forbidden, NotAuthenticated
from bot.handoff.settings import HandoffSettings
from bot.handoff.sync import in_thread

SESSION_COOKIE = "tandem_console"
LOGIN_COOKIE = "tandem_login"


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def _login_key(settings: HandoffSettings) -> bytes:
    return hmac.new(
        settings.service_token.encode(), b"tandem-console-login", hashlib.sha256
    ).digest()


def login_csrf(settings: HandoffSettings, prelogin: str) -> str:
    """The token the login form must echo: bound to this browser's pre-login cookie."""
    return hmac.new(_login_key(settings), prelogin.encode(), hashlib.sha256).hexdigest()


def prelogin_value(request: Request) -> tuple[str, bool]:
    """This browser's pre-login value and whether it is new (and must be set)."""
    value = request.cookies.get(LOGIN_COOKIE, "")
    if len(value) >= 32:
        return value, False
    return secrets.token_urlsafe(32), True


def set_prelogin_cookie(response: Response, value: str, settings: HandoffSettings) -> None:
    response.set_cookie(
        LOGIN_COOKIE,
        value,
        max_age=3600,
        path="/console",
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
    )


def expected_origin(request: Request, settings: HandoffSettings) -> str:
    if settings.public_origin:
        return settings.public_origin
    return f"{request.url.scheme}://{request.headers.get('host', '')}"


def check_origin(request: Request, settings: HandoffSettings) -> None:
    """Browsers send ``Origin`` with every POST; older ones at least ``Referer``."""
    expected = expected_origin(request, settings)
    origin = request.headers.get("origin")
    if origin is None and request.headers.get("referer"):
        parts = urlsplit(request.headers["referer"])
        origin = f"{parts.scheme}://{parts.netloc}"
    if origin is None:
        raise Forbidden("The request has no Origin or Referer header; send it from the console.")
    if origin.rstrip("/") != expected:
        raise Forbidden(f"Cross-origin request from {origin} refused.")


def check_csrf(request: Request, user: Staff, settings: HandoffSettings) -> None:
    check_origin(request, settings)
    given = request.headers.get("x-csrf-token", "")
    if not given or not hmac.compare_digest(given.encode(), user.csrf_token.encode()):
        raise Forbidden("The X-CSRF-Token header is missing or wrong; reload the console.")


async def current_user(request: Request) -> Staff:
    """The signed-in user of this request, or :class:`NotAuthenticated`."""
    runtime = request.app.state.runtime
    token = request.cookies.get(SESSION_COOKIE, "")
    user = None
    if token:
        idle = timedelta(minutes=runtime.settings.session_idle_min)
        user = await in_thread(runtime.accounts.session_user, token, idle=idle)
    if user is None:
        raise NotAuthenticated("Sign in at /console/login first (or again: sessions expire).")
    return user


async def slow_down(settings: HandoffSettings) -> None:
    """Make each wrong guess cost time, without blocking anyone else."""
    await asyncio.sleep(settings.login_failure_delay_s)


def set_session_cookie(response: Response, token: str, settings: HandoffSettings) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_max_h * 3600,
        path="/console",
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
    )
    response.delete_cookie(
        LOGIN_COOKIE,
        path="/console",
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
    )


def clear_session_cookie(response: Response, settings: HandoffSettings) -> None:
    response.delete_cookie(
        SESSION_COOKIE,
        path="/console",
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
    )
