"""From hand-built Rasa event streams through the store's ingestion to known KPIs.

Four conversations, written as the engine publishes them (event envelopes with
``sender_id`` and ``tandem_seq``), are ingested by the real
:class:`~bot.analytics.store.AnalyticsStore` into a migrated SQLite file; every
KPI below is worked out by hand from the streams.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from bot.analytics import kpi
from bot.analytics.db import make_engine, migrate
from bot.analytics.kpi import Filters
from bot.analytics.store import AnalyticsStore

T0 = 1_728_000_000.0 + 9 * 3600  # 2024-10-04 09:00 UTC
KEY = "kpi-ingest-test-key-0123456789"


class Stream:
    """One conversation's events, numbered and stamped as the engine publishes them."""

    def __init__(self, sender: str, start: float, channel: str) -> None:
        self.sender, self.t, self.channel = sender, start, channel
        self.events: list[dict[str, Any]] = []

    def add(self, event: str, after_s: float = 0.0, **fields: Any) -> Stream:
        self.t += after_s
        self.events.append(
            {"sender_id": self.sender, "tandem_seq": len(self.events), "event": event,
             "timestamp": self.t, **fields}
        )  # fmt: skip
        return self

    def user(self, text: str, intent: str, after_s: float = 5.0, **entities: str) -> Stream:
        parse = {
            "intent": {"name": intent, "confidence": 0.9},
            "entities": [{"entity": k, "value": v} for k, v in entities.items()],
        }
        return self.add("user", after_s, text=text, parse_data=parse, input_channel=self.channel)

    def bot(self, text: str = "", after_s: float = 1.0, **fields: Any) -> Stream:
        return self.add("bot", after_s, text=text, **fields)

    def slot(self, name: str, value: Any) -> Stream:
        return self.add("slot", 0.0, name=name, value=value)


def handoff(state: str) -> dict[str, Any]:
    return {"custom": {"type": "handoff", "state": state}}


def streams() -> list[Stream]:
    # A (rest): two questions answered (1 s, 0.5 s), a grounded answer, asked for and gave a 4.
    a = Stream("rest:alice", T0, "rest").add("session_started").user("hi", "greet").bot("Hello!")
    a.user("when do you open?", "ask_faq").bot(
        "9 to 5.", 0.5,
        metadata={"analytics": [{"kind": "knowledge", "outcome": "grounded", "sources": ["h"]}]},
    )  # fmt: skip
    a.bot("How did I do?", 1.0, metadata={"analytics": [{"kind": "csat_prompt",
                                                         "context": "conversation"}]})  # fmt: skip
    a.user("4", "rate", 3.0).slot("csat_score", 4).bot("Thanks!")
    # B (rest): asks for a person (2 s to the handoff message), waits 30 s for an agent, first
    # reply 60 s after the request, back to the bot after 300 s; asked for a rating, none given.
    b = Stream("rest:bob", T0 + 600, "rest").add("session_started").user("a human", "ask_human")
    b.bot(
        "Connecting you.",
        2.0,
        data=handoff("waiting"),
        metadata={"analytics": [{"kind": "handoff_reason", "reason": "customer_request"}]},
    )
    b.add("pause").bot("", 30.0, data=handoff("agent"))
    b.bot("Hi, Sam here.", 30.0, data={"custom": {"type": "agent_message", "agent": "Sam"}})
    b.user("my bill is wrong", "inform", 20.0)  # sent to the agent: counts in no bot KPI
    b.add("resume", 220.0).bot("", 0.0, data=handoff("bot"))
    b.bot("Rate us?", 1.0, metadata={"analytics": [{"kind": "csat_prompt", "context": "handoff"}]})
    # C (slack): starts the plan form, answers usage, leaves at budget (quiet ever since).
    c = Stream("slack:carol", T0 + 3600, "slack").add("session_started")
    c.user("a new plan", "ask_plan_advice").add("action", 0.2, name="mobile_plan_form")
    c.add("active_loop", 0.0, name="mobile_plan_form").slot("requested_slot", "usage")
    c.bot("How much data?", 0.8).user("lots", "inform").slot("usage", "20GB")
    c.slot("requested_slot", "budget").bot("Your budget?", 1.0)
    # D (slack): a recommendation list, a click on p2, then a message the bot did not get.
    d = Stream("slack:dave", T0 + 86400, "slack").add("session_started")
    d.user("recommend a phone", "ask_recommendation").bot(
        "", 1.0, data={"custom": {"type": "recommendations", "schema_version": 1,
                                  "data": {"items": [{"product_id": "p1"}, {"product_id": "p2"}]}}},
    )  # fmt: skip
    d.user("tell me about p2", "ask_product_details", product="p2").bot("It is great.")
    d.user("blorf", "nlu_fallback").bot("Sorry, I did not get that.")
    return [a, b, c, d]


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'analytics.db'}")
    migrate(engine)
    store = AnalyticsStore(engine, KEY, clock=lambda: T0 + 10 * 86400)
    events = [e for s in streams() for e in s.events]
    report = store.ingest(events)
    assert (report.new, report.duplicates) == (len(events), 0)
    assert store.ingest(events[:7]).new == 0  # redelivered: nothing changes
    with Session(engine) as session:
        yield session
    engine.dispose()


def test_kpis_from_event_streams(db: Session) -> None:
    # Bot-answered customer messages: A 3, B 1, C 2, D 3 = 9 (B's message to the agent is
    # not one); one fallback (D's last). Responses: A 1000, 500, 1000; B 2000; C 1000, 1000
    # (the bot's first message after each); D 1000 x 3.
    assert kpi.summary(db, Filters()) == pytest.approx(
        {
            "conversations": 4.0,
            "containment": 2 / 4,  # A (knowledge answered), D (its list was shown)
            "escalation": 1 / 4,  # B
            "abandonment": 1 / 4,  # C, at budget
            "fallback_rate": 1 / 9,
            "coverage": 8 / 9,
            "avg_response_ms": 9500 / 9,
            "agent_reply_s": 220.0,  # B's message to the agent, answered by the return
            "sessions_per_user": 1.0,  # one session each
            "messages_per_conversation": 10 / 4,  # A 3, B 2 (one to the agent), C 2, D 3
            "frt_s": 60.0,
            "frt_s_mean": 60.0,
            "resolution_s": 300.0,  # from the handoff message to the return: 30+30+20+220
            "resolution_s_mean": 300.0,
            "queue_wait_s": 30.0,
            "queue_wait_s_mean": 30.0,
            "csat": 4.0,
            "csat_response_rate": 1 / 2,  # A and B were asked, A answered
            "rec_ctr": 1.0,
        }
    )


def test_funnel_breakdowns_and_drilldown_from_event_streams(db: Session) -> None:
    assert [(s["step"], s["count"]) for s in kpi.funnel(db, "mobile_plan_form", Filters())] == [
        ("started", 1), ("usage", 1), ("budget", 1), ("completed", 0),
    ]  # fmt: skip
    journeys = {r["key"]: (r["count"], r["completed"]) for r in kpi.breakdown(db, "journey")}
    assert journeys == {
        "knowledge": (1, 1), "handoff": (1, 1), "plan": (1, 0), "recommendation": (1, 1),
    }  # fmt: skip
    assert {r["key"]: r["count"] for r in kpi.breakdown(db, "channel")} == {"rest": 2, "slack": 2}
    days = kpi.timeseries(db, "conversations", Filters())
    assert [(p["bucket"], p["value"]) for p in days] == [
        (1_728_000_000, 3.0),
        (1_728_086_400, 1.0),
    ]
    escalated = kpi.drilldown(db, Filters(), metric="frt_s", bucket_start=days[0]["bucket"])
    assert len(escalated) == 1 and escalated[0]["outcome"] == "escalated"
    assert escalated[0]["conversation"] not in {"rest:bob", "bob"}  # a keyed hash, never the id
    [row] = [r for r in kpi.export_rows(db, Filters()) if r["handed_off"]]
    assert (row["handoff_reason"], row["queue_wait_s"], row["frt_s"], row["csat"]) == (
        "customer_request", 30.0, 60.0, None,
    )  # fmt: skip
    assert kpi.summary(db, Filters(channel="slack"))["fallback_rate"] == pytest.approx(1 / 5)
