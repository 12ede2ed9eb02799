"""A small analytics store with known contents, for the dashboard's tests.

Twelve conversations over three days (2026-03-02 to 2026-03-04, UTC) on three
channels; the plan journey's form funnel, handoffs with known response times,
CSAT ratings, and each conversation's redacted messages in ``events``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.analytics import models as m
from bot.analytics.db import make_engine, migrate

DAY0 = 1772409600.0  # 2026-03-02 00:00 UTC
DAY = 86400.0


def conversation_id(sender: str) -> str:
    return hashlib.sha256(f"seed:{sender}".encode()).hexdigest()


@dataclass(frozen=True)
class Seeded:
    day: int  # 0, 1 or 2
    sender: str
    channel: str
    journey: str
    outcome: str
    csat: int | None = None
    form_slots: tuple[str, ...] = ()
    form_outcome: str = ""
    handoff_reason: str | None = None
    frt_s: float | None = None
    resolution_s: float | None = None

    @property
    def conversation(self) -> str:
        return conversation_id(self.sender)

    @property
    def started_at(self) -> float:
        return DAY0 + self.day * DAY + 9 * 3600 + len(self.sender) * 60


PLAN = ("usage_gb", "budget", "contract")
ROWS = (
    Seeded(0, "a1", "socketio", "plan", "contained", 5, PLAN, "completed"),
    Seeded(0, "a2", "socketio", "plan", "abandoned", None, PLAN[:1], "abandoned"),
    Seeded(0, "a3", "slack", "knowledge", "contained", 4),
    Seeded(0, "a4", "socketio", "handoff", "escalated", 2, (), "", "customer_request", 45.0, 600.0),
    Seeded(1, "b1", "socketio", "plan", "contained", None, PLAN, "completed"),
    Seeded(1, "b2", "teams", "plan", "abandoned", None, PLAN[:2], "abandoned"),
    Seeded(1, "b3", "slack", "knowledge", "escalated", 3, (), "", "nlu_fallback", 120.0, 900.0),
    Seeded(1, "b4", "socketio", "credit", "contained", 5),
    Seeded(2, "c1", "socketio", "plan", "contained", 4, PLAN, "completed"),
    Seeded(2, "c2", "slack", "credit", "abandoned"),
    Seeded(2, "c3", "teams", "knowledge", "contained", None),
    Seeded(
        2,
        "c4",
        "socketio",
        "plan",
        "escalated",
        1,
        PLAN[:2],
        "abandoned",
        "frustration",
        30.0,
        300.0,
    ),
)
# Events arrive redacted; this one slipped through (a store older than the redaction
# rules), and the console's transcript must still not show it.
SECRET_EMAIL = "jane.doe@example.com"


def _add(db: Session, row: Seeded) -> None:
    c, t = row.conversation, row.started_at
    db.add(
        m.Conversation(
            conversation=c, channel=row.channel, started_at=t, last_event_at=t + 300,
            sessions=1, user_turns=2, bot_messages=2, fallbacks=0, journey=row.journey,
            journey_completed=row.form_outcome == "completed",
            handed_off=row.handoff_reason is not None, outcome=row.outcome,
            avg_response_ms=250.0, csat=row.csat, csat_prompted=row.csat is not None,
        )
    )  # fmt: skip
    texts = [
        ("user", f"hi, I need help with {row.journey} ({row.sender}), mail me at [EMAIL]"),
        ("bot", f"Happy to help with {row.journey}."),
        ("action", ""),
        ("user", f"thanks, that is {SECRET_EMAIL}" if row.sender == "a1" else "thanks"),
    ]
    if row.handoff_reason:
        texts.append(("bot", "Grace from the team will take it from here."))
    for seq, (kind, text) in enumerate(texts):
        body: dict[str, object] = {"event": kind, "timestamp": t + seq * 5}
        if kind == "action":
            body["name"] = "action_listen"
        else:
            body["text"] = text
        if kind == "bot" and row.handoff_reason and seq == len(texts) - 1:
            body["data"] = {"custom": {"type": "agent_message", "agent": "Grace"}}
        db.add(m.Event(conversation=c, seq=seq, type=kind, ts=t + seq * 5, body=body))
    if row.form_slots:
        db.add(
            m.Form(
                conversation=c, name="plan_form", started_seq=1, started_at=t + 5,
                ended_at=t + 200, outcome=row.form_outcome, slots_asked=list(row.form_slots),
                abandoned_at_slot=row.form_slots[-1] if row.form_outcome == "abandoned" else None,
            )
        )  # fmt: skip
    if row.handoff_reason:
        db.add(
            m.Handoff(
                conversation=c, requested_seq=3, requested_at=t + 15, reason=row.handoff_reason,
                assigned_at=t + 15 + (row.frt_s or 0) / 2,
                first_agent_reply_at=t + 15 + (row.frt_s or 0),
                resolved_at=t + 15 + (row.resolution_s or 0), queue_wait_s=(row.frt_s or 0) / 2,
                first_response_s=row.frt_s, resolution_s=row.resolution_s,
            )
        )  # fmt: skip
    if row.csat is not None:
        db.add(m.Csat(conversation=c, seq=10, ts=t + 290, score=row.csat))


def seed(engine: Engine) -> None:
    """Migrate the store, as its consumer does, and fill it with :data:`ROWS`."""
    migrate(engine)
    with Session(engine) as db, db.begin():
        for row in ROWS:
            _add(db, row)


def seed_file(url: str) -> None:
    engine = make_engine(url)
    try:
        seed(engine)
    finally:
        engine.dispose()
