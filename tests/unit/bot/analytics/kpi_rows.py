"""Hand-built analytics rows with known KPIs, shared by the KPI, doc and report tests.

Five conversations over two days (``DAY0``, ``DAY1``), two channels, three
journeys; every figure in :data:`EXPECTED` is worked out by hand in the
comments below, not computed by the code under test.
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.analytics import models as m

DAY0 = 1_728_000_000.0  # 2024-10-04 00:00 UTC, a day boundary (20000 * 86400)
DAY1 = DAY0 + 86400


def conversation(cid: str, start: float, **fields: object) -> m.Conversation:
    return m.Conversation(conversation=cid, started_at=start, last_event_at=start + 600, **fields)


def turn(cid: str, seq: int, intent: str | None, **fields: object) -> m.Turn:
    return m.Turn(conversation=cid, seq=seq, ts=DAY0 + seq, intent=intent, **fields)


def rows() -> list[object]:
    return [
        # c1 (day 0, rest, plan): contained, prompted and rated 5, journey completed.
        conversation("c1", DAY0 + 3600, channel="rest", journey="plan", outcome="contained",
                     journey_completed=True, csat=5, csat_prompted=True, user_turns=2, sessions=2),
        # c2 (day 0, rest, plan): handed off twice, prompted, never rated.
        conversation("c2", DAY0 + 7200, channel="rest", journey="plan", outcome="escalated",
                     handed_off=True, csat_prompted=True, user_turns=3, fallbacks=1, sessions=1),
        # c3 (day 0, slack, credit): abandoned.
        conversation("c3", DAY0 + 9000, channel="slack", journey="credit", outcome="abandoned",
                     user_turns=2, fallbacks=1, sessions=1),
        # c4 (day 1, slack, plan): handed off, rated 2 then 3.
        conversation("c4", DAY1 + 100, channel="slack", journey="plan", outcome="escalated",
                     handed_off=True, csat=3, csat_prompted=True, user_turns=2, sessions=1),
        # c5 (day 1, rest, knowledge): contained, never asked for a rating.
        conversation("c5", DAY1 + 200, channel="rest", journey="knowledge", outcome="contained",
                     journey_completed=True, user_turns=2, sessions=1),
        # Customer messages. by_agent ones (sent while a person had it) count nowhere.
        turn("c1", 1, "greet", response_ms=100),
        turn("c1", 4, "plan_ask", response_ms=300),
        turn("c2", 1, "nlu_fallback", fallback=True, handled=False,
             unhandled_reason="nlu_fallback", response_ms=200),
        turn("c2", 4, "human", handled=False, unhandled_reason="handoff", response_ms=400),
        turn("c2", 8, None, handled=False, by_agent=True, response_ms=45000),
        turn("c3", 1, "credit_ask", response_ms=500),
        turn("c3", 4, "nlu_fallback", fallback=True, handled=False,
             unhandled_reason="nlu_fallback", response_ms=500),
        turn("c4", 1, "plan_ask", response_ms=100),
        turn("c4", 6, "thanks", by_agent=True, response_ms=15000),
        turn("c5", 1, "faq", response_ms=200),
        turn("c5", 4, "faq", clarified=True, response_ms=300),
        # Handoffs: frt 60, 20, 160; resolution 600, (open), 1200; queue wait 30, 10, 80.
        m.Handoff(conversation="c2", requested_seq=5, requested_at=DAY0 + 7300,
                  reason="customer_request", queue_wait_s=30, first_response_s=60,
                  resolution_s=600, returned_to_bot=True),
        m.Handoff(conversation="c2", requested_seq=9, requested_at=DAY0 + 8000,
                  reason="nlu_fallback", queue_wait_s=10, first_response_s=20),
        m.Handoff(conversation="c4", requested_seq=3, requested_at=DAY1 + 200,
                  reason="=HYPERLINK(\"x\")", queue_wait_s=80, first_response_s=160,
                  resolution_s=1200),
        # Ratings: 5, 2, 3.
        m.Csat(conversation="c1", seq=9, ts=DAY0 + 4000, score=5, context="conversation"),
        m.Csat(conversation="c4", seq=8, ts=DAY1 + 900, score=2, context="handoff"),
        m.Csat(conversation="c4", seq=12, ts=DAY1 + 990, score=3, context="conversation"),
        # Recommendation lists: clicked in c1 and c5, not in c3; c5's plan card is not a list.
        m.Result(conversation="c1", seq=5, ts=DAY0 + 3700, result_type="recommendations",
                 items=["p1", "p2"], clicked_item="p2", clicked_at=DAY0 + 3710),
        m.Result(conversation="c3", seq=5, ts=DAY0 + 9100, result_type="recommendations",
                 items=["p1"]),
        m.Result(conversation="c5", seq=5, ts=DAY1 + 300, result_type="recommendations",
                 items=["p3"], clicked_item="p3"),
        m.Result(conversation="c5", seq=7, ts=DAY1 + 400, result_type="mobile_plan", label="S"),
        # Forms: plan_form asked usage, budget, confirm_plan in c1 (completed), usage and
        # budget in c2 (abandoned at confirm_plan), usage in c4; credit_form in c3.
        m.Form(conversation="c1", name="plan_form", started_seq=2, started_at=DAY0 + 3650,
               outcome="completed", slots_asked=["usage", "budget", "confirm_plan"]),
        m.Form(conversation="c2", name="plan_form", started_seq=2, started_at=DAY0 + 7250,
               outcome="abandoned", slots_asked=["usage", "budget"],
               abandoned_at_slot="confirm_plan"),
        m.Form(conversation="c4", name="plan_form", started_seq=2, started_at=DAY1 + 150,
               outcome="abandoned", slots_asked=["usage"], abandoned_at_slot="budget"),
        m.Form(conversation="c3", name="credit_form", started_seq=2, started_at=DAY0 + 9050,
               outcome="abandoned", slots_asked=["income"], abandoned_at_slot="income"),
    ]  # fmt: skip


def load(engine: Engine) -> None:
    m.Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add_all(rows())
        session.commit()


# Bot-answered customer messages: c1 2, c2 2, c3 2, c4 1, c5 2 = 9; fallbacks 2; handled 6.
EXPECTED: dict[str, float | None] = {
    "conversations": 5.0,
    "containment": 2 / 5,  # c1, c5
    "escalation": 2 / 5,  # c2, c4
    "abandonment": 1 / 5,  # c3
    "fallback_rate": 2 / 9,
    "coverage": 6 / 9,
    "frt_s": 60.0,  # median of 20, 60, 160
    "frt_s_mean": 80.0,
    "resolution_s": 900.0,  # median of 600, 1200 (the open handoff has none)
    "resolution_s_mean": 900.0,
    "queue_wait_s": 30.0,  # median of 10, 30, 80
    "queue_wait_s_mean": 40.0,
    "csat": 10 / 3,  # 5, 2, 3
    "csat_response_rate": 2 / 3,  # prompted c1, c2, c4; rated c1, c4
    "rec_ctr": 2 / 3,
    "avg_response_ms": 2600 / 9,  # 100+300+200+400+500+500+100+200+300
    "agent_reply_s": 30.0,  # median of 45 and 15, the messages sent while a person had it
    "sessions_per_user": 6 / 5,  # c1 came back once: 2 + 1 + 1 + 1 + 1
    "messages_per_conversation": 11 / 5,  # 2 + 3 + 2 + 2 + 2
}
