"""The handoff service's tables, as SQLAlchemy 2 ORM classes.

The schema is created and changed only by the Alembic revisions in
``bot/handoff/migrations`` (never ``create_all``), so SQLite and PostgreSQL
databases follow the same history. Timestamps are stored as UTC and come back
timezone-aware on both.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

ROLES = ("agent", "supervisor")
ACTIVE = ("waiting", "assigned")
CLOSED = ("resolved", "returned", "cancelled")  # cancelled: by the customer, while waiting
STATUSES = ACTIVE + CLOSED
SENDERS = ("customer", "bot", "agent", "system")
# Ids are 64-bit signed integers in both databases: a larger one cannot exist,
# and SQLite's driver raises OverflowError on it rather than finding nothing.
MAX_ID = 2**63 - 1


def valid_id(value: int) -> bool:
    """Whether ``value`` can be a row id at all (checked before it reaches the driver)."""
    return 1 <= value <= MAX_ID


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Naive UTC in the database, aware UTC in Python (SQLite keeps no zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("Timestamps must be timezone-aware; use datetime.now(UTC).")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def is_supervisor(self) -> bool:
        return self.role == "supervisor"


class ConsoleSession(Base):
    """A signed-in browser. Only a hash of the cookie's token is stored."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")


class LoginThrottle(Base):
    """Failed sign-ins of one e-mail from one client address, and when the next may be tried.

    ``version`` makes each update a compare-and-set, so concurrent attempts
    cannot all read the same count (see :mod:`bot.handoff.throttle`).
    """

    __tablename__ = "login_throttle"
    __table_args__ = (UniqueConstraint("email", "ip", name="uq_login_throttle_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    ip: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    next_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=0)


class Handoff(Base):
    """One request for a person, from ``waiting`` to ``resolved`` or ``returned``."""

    __tablename__ = "handoffs"
    __table_args__ = (
        # At most one active handoff per conversation: the database settles races.
        Index(
            "uq_handoffs_active_conversation",
            "conversation_id",
            unique=True,
            sqlite_where=text("status IN ('waiting', 'assigned')"),
            postgresql_where=text("status IN ('waiting', 'assigned')"),
        ),
        Index("ix_handoffs_status_priority", "status", "priority", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(256), index=True)
    channel: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(500))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="waiting")
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    customer_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # The customer's address as the channel saw it, when it did: for the per-address limit.
    client_ip: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Index in Rasa's tracker of the first event of the handoff; unknown until
    # Rasa has been reached once.
    start_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_synced_index: Mapped[int] = mapped_column(Integer, default=-1)
    # What the bot and the customer said before, and the slots: {"messages", "slots"}.
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The queue words a waiting customer was last sent, [place, wait]: kept here,
    # not in a process, so no replica repeats or skips an update another one sent.
    announced: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)

    agent: Mapped[User | None] = relationship(lazy="joined")

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


class Message(Base):
    """A user or bot event of Rasa's tracker; ``seq`` is its index there."""

    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("conversation_id", "seq", name="uq_messages_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id"), index=True)
    conversation_id: Mapped[str] = mapped_column(String(256))
    seq: Mapped[int] = mapped_column(Integer)
    sender: Mapped[str] = mapped_column(String(20))
    agent: Mapped[str | None] = mapped_column(String(100), nullable=True)
    text: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Note(Base):
    """An internal remark on a handoff; never shown to the customer."""

    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship(lazy="joined")


class Ticket(Base):
    """A call-back request left when nobody could take the conversation."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(256), index=True)
    contact: Mapped[str] = mapped_column(String(254))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEntry(Base):
    """Who did what to which conversation, from where; rows are only ever added."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(40), index=True)
    target: Mapped[str] = mapped_column(String(300), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    ip: Mapped[str] = mapped_column(String(64), default="")
