"""Staff accounts and their console sessions.

Passwords are hashed with argon2id (argon2-cffi's defaults, rehashed on login
when those change). A session's cookie holds 256 random bits; the database
keeps only their SHA-256, so a leaked database does not sign anyone in.
Sessions end after ``idle`` without requests and ``lifetime`` after login,
whichever comes first.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.handoff.errors import InvalidInput, NotFound
from bot.handoff.models import ROLES, ConsoleSession, User, utcnow, valid_id

MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 1024
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so both cases take as long.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def new_token() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_email(email: str) -> str:
    email = email.strip().lower()
    if len(email) > 254 or not EMAIL.match(email):
        raise InvalidInput(f"{email!r} is not an e-mail address.")
    return email


def check_password(password: str) -> str:
    if not MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS:
        raise InvalidInput(
            f"Passwords need {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters; a few "
            "unrelated words make a good one."
        )
    return password


@dataclass(frozen=True)
class Staff:
    """The signed-in user as the rest of the service sees it (no hash, no ORM state)."""

    id: int
    email: str
    name: str
    role: str
    csrf_token: str = ""

    @property
    def is_supervisor(self) -> bool:
        return self.role == "supervisor"

    @classmethod
    def of(cls, user: User, csrf_token: str = "") -> Staff:
        return cls(user.id, user.email, user.display_name, user.role, csrf_token)


class Accounts:
    """Users, passwords and sessions on one database."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._db = sessions

    def create_user(self, *, email: str, name: str, role: str, password: str) -> Staff:
        email = check_email(email)
        name = " ".join(name.split())
        if not 1 <= len(name) <= 100:
            raise InvalidInput("The display name needs 1 to 100 characters.")
        if role not in ROLES:
            raise InvalidInput(f"Role {role!r} is unknown; use one of {', '.join(ROLES)}.")
        user = User(
            email=email,
            display_name=name,
            role=role,
            password_hash=_hasher.hash(check_password(password)),
        )
        with self._db.begin() as db:
            db.add(user)
            try:
                db.flush()
            except IntegrityError as e:
                raise InvalidInput(f"A user with the e-mail {email} exists already.") from e
            return Staff.of(user)

    def authenticate(self, email: str, password: str) -> Staff | None:
        """The user if the password matches; ``None`` otherwise, in constant-ish time."""
        email = email.strip().lower()
        with self._db.begin() as db:
            user = db.scalar(select(User).where(User.email == email))
            stored = user.password_hash if user is not None else _DUMMY_HASH
            try:
                _hasher.verify(stored, password[:MAX_PASSWORD_CHARS])
            except (VerificationError, InvalidHashError):
                return None
            if user is None:
                return None
            if _hasher.check_needs_rehash(stored):
                user.password_hash = _hasher.hash(password)
            return Staff.of(user)

    def get(self, user_id: int) -> Staff:
        if not valid_id(user_id):
            raise NotFound(f"There is no user {user_id}.", what="user")
        with self._db() as db:
            user = db.get(User, user_id)
            if user is None:
                raise NotFound(f"There is no user {user_id}.", what="user")
            return Staff.of(user)

    def staff(self) -> list[Staff]:
        with self._db() as db:
            return [Staff.of(u) for u in db.scalars(select(User).order_by(User.display_name))]

    def start_session(
        self, user: Staff, *, lifetime: timedelta, replaces: str | None = None
    ) -> tuple[str, str]:
        """A NEW session for ``user``: ``(cookie token, csrf token)``.

        The session the browser had before (``replaces``) is deleted, so a token
        planted before login never becomes a signed-in one.
        """
        token, csrf = new_token(), new_token()
        now = utcnow()
        with self._db.begin() as db:
            if replaces:
                db.execute(
                    delete(ConsoleSession).where(ConsoleSession.token_hash == token_hash(replaces))
                )
            db.add(
                ConsoleSession(
                    token_hash=token_hash(token),
                    user_id=user.id,
                    csrf_token=csrf,
                    created_at=now,
                    last_seen=now,
                    expires_at=now + lifetime,
                )
            )
        return token, csrf

    def session_user(self, token: str, *, idle: timedelta) -> Staff | None:
        """The user of a live session (and mark it used), or ``None`` if it ended."""
        now = utcnow()
        with self._db.begin() as db:
            row = db.scalar(
                select(ConsoleSession).where(ConsoleSession.token_hash == token_hash(token))
            )
            if row is None:
                return None
            if now >= row.expires_at or now - row.last_seen >= idle:
                db.delete(row)
                return None
            if now - row.last_seen > timedelta(seconds=10):
                row.last_seen = now
            return Staff.of(row.user, row.csrf_token)

    def end_session(self, token: str) -> None:
        with self._db.begin() as db:
            db.execute(delete(ConsoleSession).where(ConsoleSession.token_hash == token_hash(token)))

    def purge_sessions(self, *, idle: timedelta) -> int:
        now = utcnow()
        with self._db.begin() as db:
            result = db.execute(
                delete(ConsoleSession).where(
                    or_(ConsoleSession.expires_at <= now, ConsoleSession.last_seen <= now - idle)
                )
            )
            return int(getattr(result, "rowcount", 0) or 0)
