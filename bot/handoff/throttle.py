"""A growing delay between sign-in attempts, per e-mail address and client address.

Each attempt *reserves* its place in the database before the password is
checked: the counter of the (e-mail, address) pair is raised with a
compare-and-set on a version column, so concurrent attempts (threads, or
service replicas sharing one database) cannot all read the same count, and
no more than :data:`FREE_ATTEMPTS` of a burst are ever evaluated. After those,
each further attempt must wait twice as long as the one before (2 s, 4 s, ...
up to :data:`MAX_DELAY`); a success clears the pair, and failures older than
:data:`WINDOW` are forgotten.

The key is the pair, never the e-mail alone: somebody who guesses at a staff
member's password from one address slows down only their own guesses, and
the staff member still signs in at once from anywhere else.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.handoff.models import LoginThrottle as Row
from bot.handoff.models import utcnow

FREE_ATTEMPTS = 5
FIRST_DELAY = timedelta(seconds=2)
MAX_DELAY = timedelta(minutes=5)
WINDOW = timedelta(minutes=15)
_MAX_RACES = 20


def delay_after(failures: int) -> timedelta:
    """How long the pair waits after its ``failures``-th failed (or reserved) attempt."""
    if failures < FREE_ATTEMPTS:
        return timedelta(0)
    return min(FIRST_DELAY * 2 ** min(failures - FREE_ATTEMPTS, 20), MAX_DELAY)


class LoginThrottle:
    """Reserve an attempt before checking a password; clear the pair after a success."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._db = sessions

    def reserve(self, email: str, ip: str, *, now: datetime | None = None) -> timedelta:
        """``timedelta(0)`` if this attempt may be evaluated, else how long to wait first.

        The attempt is counted as a failure until :meth:`succeeded` says otherwise.
        """
        now = now or utcnow()
        email, ip = email.strip().lower()[:254], ip[:64]
        for _ in range(_MAX_RACES):
            with self._db() as db:
                row = db.scalar(select(Row).where(Row.email == email, Row.ip == ip))
            if row is None:
                if self._insert(email, ip, now):
                    return timedelta(0)
                continue  # another attempt created the row first: take the update path
            failures = row.failures
            if now - row.last_at >= WINDOW:
                failures = 0
            elif now < row.next_at:
                return row.next_at - now
            with self._db.begin() as db:
                result = db.execute(
                    update(Row)
                    .where(Row.id == row.id, Row.version == row.version)
                    .values(
                        failures=failures + 1,
                        last_at=now,
                        next_at=now + delay_after(failures + 1),
                        version=row.version + 1,
                    )
                    .execution_options(synchronize_session=False)
                )
            if getattr(result, "rowcount", 0) == 1:
                return timedelta(0)
        # Lost every race: a burst is under way, and that is what this is for.
        return FIRST_DELAY

    def _insert(self, email: str, ip: str, now: datetime) -> bool:
        try:
            with self._db.begin() as db:
                db.execute(delete(Row).where(Row.last_at < now - WINDOW))
                db.add(
                    Row(
                        email=email,
                        ip=ip,
                        failures=1,
                        last_at=now,
                        next_at=now + delay_after(1),
                        version=1,
                    )
                )
        except IntegrityError:
            return False
        return True

    def succeeded(self, email: str, ip: str) -> None:
        """The password was right: this pair starts from nothing again."""
        with self._db.begin() as db:
            db.execute(
                delete(Row).where(Row.email == email.strip().lower()[:254], Row.ip == ip[:64])
            )

    def failures(self, email: str, ip: str) -> int:
        """Attempts counted against the pair since its last success (for tests and operators)."""
        with self._db() as db:
            row = db.scalar(
                select(Row).where(Row.email == email.strip().lower()[:254], Row.ip == ip[:64])
            )
            return row.failures if row else 0
