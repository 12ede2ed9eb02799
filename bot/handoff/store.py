"""Database access for handoffs, their transcripts, notes, tickets and the audit log.

Plain synchronous SQLAlchemy in short transactions; the async service calls
these methods in worker threads. Rules about who may do what live in
:mod:`bot.handoff.service`; this module keeps the data consistent (one active
handoff per conversation, one message per tracker event, state changes that
check the state they start from).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.handoff.errors import Conflict, NotFound
from bot.handoff.models import (
    ACTIVE,
    AuditEntry,
    ConsoleSession,
    Handoff,
    Message,
    Note,
    Ticket,
    utcnow,
    valid_id,
)
from bot.handoff.transcript import Line

WAIT_HISTORY = 20
WAIT_HISTORY_AGE = timedelta(days=1)


def queue_order(handoffs: Iterable[Handoff]) -> list[Handoff]:
    """Waiting first (most urgent, then longest waiting), then assigned by claim time."""
    return sorted(
        handoffs,
        key=lambda h: (
            h.status != "waiting",
            -h.priority if h.status == "waiting" else 0,
            h.created_at if h.status == "waiting" else (h.assigned_at or h.created_at),
            h.id,
        ),
    )


class Store:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._db = sessions

    # handoffs

    def active_handoff(self, conversation_id: str) -> Handoff | None:
        with self._db() as db:
            return db.scalar(
                select(Handoff).where(
                    Handoff.conversation_id == conversation_id, Handoff.status.in_(ACTIVE)
                )
            )

    def get(self, handoff_id: int) -> Handoff:
        if not valid_id(handoff_id):
            raise NotFound(f"There is no handoff {handoff_id}.")
        with self._db() as db:
            handoff = db.get(Handoff, handoff_id)
            if handoff is None:
                raise NotFound(f"There is no handoff {handoff_id}.")
            return handoff

    def active(self) -> list[Handoff]:
        with self._db() as db:
            return queue_order(db.scalars(select(Handoff).where(Handoff.status.in_(ACTIVE))))

    def waiting_count(self) -> int:
        with self._db() as db:
            count = db.scalar(select(func.count(Handoff.id)).where(Handoff.status == "waiting"))
            return int(count or 0)

    def requested_since(self, conversation_id: str, since: datetime) -> int:
        """Handoffs this conversation asked for since ``since`` (any status)."""
        with self._db() as db:
            count = db.scalar(
                select(func.count(Handoff.id)).where(
                    Handoff.conversation_id == conversation_id, Handoff.created_at >= since
                )
            )
            return int(count or 0)

    def waiting_from(self, client_ip: str) -> int:
        """Waiting handoffs whose customer wrote from ``client_ip``."""
        with self._db() as db:
            count = db.scalar(
                select(func.count(Handoff.id)).where(
                    Handoff.client_ip == client_ip, Handoff.status == "waiting"
                )
            )
            return int(count or 0)

    def create(self, handoff: Handoff) -> tuple[Handoff, bool]:
        """Insert ``handoff``; ``(existing, False)`` if the conversation has an active one."""
        try:
            with self._db.begin() as db:
                db.add(handoff)
            return handoff, True
        except IntegrityError:
            existing = self.active_handoff(handoff.conversation_id)
            if existing is None:
                raise
            return existing, False

    def recent_waits(self, now: datetime | None = None) -> list[float]:
        """Seconds from request to claim of the last claimed handoffs of the past day."""
        since = (now or utcnow()) - WAIT_HISTORY_AGE
        with self._db() as db:
            rows = db.execute(
                select(Handoff.created_at, Handoff.assigned_at)
                .where(Handoff.assigned_at.is_not(None), Handoff.assigned_at >= since)
                .order_by(Handoff.assigned_at.desc())
                .limit(WAIT_HISTORY)
            ).all()
        return [(assigned - created).total_seconds() for created, assigned in rows if assigned]

    def agents_online(self, now: datetime, within: timedelta) -> int:
        """Staff with a console session that was in touch within ``within`` of ``now``.

        An open console renews its session every few seconds (its live stream
        checks it), so this counts the people looking at the queue.
        """
        with self._db() as db:
            count = db.scalar(
                select(func.count(func.distinct(ConsoleSession.user_id))).where(
                    ConsoleSession.expires_at > now, ConsoleSession.last_seen >= now - within
                )
            )
            return int(count or 0)

    def assign(self, handoff_id: int, agent_id: int, *, expect: Sequence[str]) -> Handoff:
        """Give the handoff to ``agent_id`` if its status is still one of ``expect``."""
        with self._db.begin() as db:
            result = db.execute(
                update(Handoff)
                .where(Handoff.id == handoff_id, Handoff.status.in_(expect))
                .values(status="assigned", agent_id=agent_id, assigned_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            if not getattr(result, "rowcount", 0):
                current = db.get(Handoff, handoff_id)
                raise Conflict(
                    "Someone else changed this conversation first; the list has been refreshed.",
                    status=current.status if current else "",
                )
        return self.get(handoff_id)

    def close(self, handoff_id: int, status: str, *, expect: Sequence[str] = ACTIVE) -> Handoff:
        with self._db.begin() as db:
            result = db.execute(
                update(Handoff)
                .where(Handoff.id == handoff_id, Handoff.status.in_(expect))
                .values(status=status, closed_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            if not getattr(result, "rowcount", 0):
                raise Conflict("This conversation is closed already.", status=status)
        return self.get(handoff_id)

    def set_start(self, handoff_id: int, start_index: int, context: dict[str, Any]) -> None:
        with self._db.begin() as db:
            db.execute(
                update(Handoff)
                .where(Handoff.id == handoff_id, Handoff.start_index.is_(None))
                .values(start_index=start_index, context=context)
            )

    def set_announced(self, handoff_id: int, words: Sequence[str]) -> None:
        """Record the queue words a waiting customer was just sent (see ``Handoff.announced``)."""
        with self._db.begin() as db:
            db.execute(
                update(Handoff)
                .where(Handoff.id == handoff_id, Handoff.status == "waiting")
                .values(announced=list(words))
            )

    # transcripts

    def add_lines(
        self, handoff: Handoff, lines: Sequence[Line], *, last_index: int
    ) -> list[Message]:
        """Store the lines not stored yet, in ``seq`` order; return the new ones.

        The unique (conversation, seq) constraint makes this idempotent even
        when two processes sync the same conversation.
        """
        with self._db.begin() as db:
            seqs = {line.seq for line in lines}
            known = (
                set(
                    db.scalars(
                        select(Message.seq).where(
                            Message.conversation_id == handoff.conversation_id,
                            Message.seq.in_(seqs),
                        )
                    )
                )
                if seqs
                else set()
            )
            new = [
                Message(
                    handoff_id=handoff.id,
                    conversation_id=handoff.conversation_id,
                    seq=line.seq,
                    sender=line.sender,
                    agent=line.agent,
                    text=line.text,
                    sent_at=line.sent_at,
                )
                for line in sorted(lines, key=lambda line: line.seq)
                if line.seq not in known
            ]
            db.add_all(new)
            db.execute(
                update(Handoff)
                .where(Handoff.id == handoff.id, Handoff.last_synced_index < last_index)
                .values(last_synced_index=last_index)
            )
        return new

    def messages(self, handoff_id: int) -> list[Message]:
        with self._db() as db:
            return list(
                db.scalars(
                    select(Message).where(Message.handoff_id == handoff_id).order_by(Message.seq)
                )
            )

    # notes, tickets, audit

    def add_note(self, handoff_id: int, author_id: int, text: str) -> Note:
        with self._db.begin() as db:
            note = Note(handoff_id=handoff_id, author_id=author_id, text=text)
            db.add(note)
            db.flush()
            db.refresh(note)
            return note

    def notes(self, handoff_id: int) -> list[Note]:
        with self._db() as db:
            return list(
                db.scalars(select(Note).where(Note.handoff_id == handoff_id).order_by(Note.id))
            )

    def add_ticket(self, conversation_id: str, contact: str, note: str | None) -> Ticket:
        with self._db.begin() as db:
            ticket = Ticket(conversation_id=conversation_id, contact=contact, note=note)
            db.add(ticket)
            return ticket

    def audit(
        self,
        action: str,
        *,
        actor: str,
        user_id: int | None = None,
        target: str = "",
        detail: dict[str, Any] | None = None,
        ip: str = "",
        at: datetime | None = None,
    ) -> None:
        with self._db.begin() as db:
            db.add(
                AuditEntry(
                    user_id=user_id,
                    actor=actor,
                    action=action,
                    target=target,
                    detail=detail or {},
                    ip=ip[:64],
                    created_at=at or utcnow(),
                )
            )

    def audit_log(self, *, action: str | None = None) -> list[AuditEntry]:
        with self._db() as db:
            query = select(AuditEntry).order_by(AuditEntry.id)
            if action:
                query = query.where(AuditEntry.action == action)
            return list(db.scalars(query))

    # right to erasure (python -m bot erase)

    def erase_conversation(self, conversation_id: str) -> dict[str, int]:
        """Delete every row about one conversation, in one transaction; counts per table.

        Audit entries about its handoffs and tickets go too (their targets name
        them); the caller records the erasure itself without the id.
        """
        with self._db.begin() as db:
            handoffs = list(
                db.scalars(select(Handoff.id).where(Handoff.conversation_id == conversation_id))
            )
            tickets = list(
                db.scalars(select(Ticket.id).where(Ticket.conversation_id == conversation_id))
            )
            targets = [
                f"conversation:{conversation_id}",
                *(f"handoff:{i}" for i in handoffs),
                *(f"ticket:{i}" for i in tickets),
            ]
            statements = {
                "audit entries": delete(AuditEntry).where(AuditEntry.target.in_(targets)),
                "notes": delete(Note).where(Note.handoff_id.in_(handoffs)),
                "messages": delete(Message).where(
                    (Message.conversation_id == conversation_id) | Message.handoff_id.in_(handoffs)
                ),
                "tickets": delete(Ticket).where(Ticket.conversation_id == conversation_id),
                "handoffs": delete(Handoff).where(Handoff.conversation_id == conversation_id),
            }
            return {
                name: int(getattr(db.execute(statement), "rowcount", 0) or 0)
                for name, statement in statements.items()
            }
