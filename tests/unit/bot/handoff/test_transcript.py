from __future__ import annotations

from datetime import UTC, datetime

from bot.handoff import transcript
from bot.handoff.gateway import agent_message_event

EVENTS = [
    {"event": "action", "name": "action_session_start", "timestamp": 1.0},
    {"event": "session_started", "timestamp": 1.0},
    {"event": "user", "text": "hi", "timestamp": 2.0},
    {"event": "slot", "name": "customer_name", "value": "Ana", "timestamp": 2.1},
    {"event": "slot", "name": "requested_slot", "value": "x", "timestamp": 2.1},
    {"event": "bot", "text": "Hello Ana", "data": {}, "timestamp": 3.0},
    {"event": "user", "text": "a person please", "timestamp": 4.0},
    {"event": "pause", "timestamp": 4.5},
    {
        "event": "bot",
        "text": "Ana from our team has joined the conversation.",
        "data": {"custom": {"type": "handoff", "state": "agent", "agent": "Ana"}},
        "timestamp": 5.0,
    },
    {**agent_message_event("How can I help?", "Ana"), "timestamp": 6.0},
    {"event": "bot", "text": None, "data": {"custom": {"type": "card"}}, "timestamp": 6.5},
    {"event": "user", "text": "  ", "timestamp": 7.0},
]


def test_classify_tells_customer_bot_agent_and_system_apart() -> None:
    kinds = [transcript.classify(e) for e in EVENTS]
    assert kinds == [
        None,
        None,
        ("customer", None),
        None,
        None,
        ("bot", None),
        ("customer", None),
        None,
        ("system", "Ana"),
        ("agent", "Ana"),
        None,
        None,
    ]


def test_lines_keep_the_tracker_index_and_skip_what_was_seen() -> None:
    lines = transcript.lines(EVENTS, start=6)
    assert [(line.seq, line.sender, line.text) for line in lines] == [
        (6, "customer", "a person please"),
        (8, "system", "Ana from our team has joined the conversation."),
        (9, "agent", "How can I help?"),
    ]
    assert lines[0].sent_at == datetime.fromtimestamp(4.0, UTC)
    assert [line.seq for line in transcript.lines(EVENTS, start=6, after=8)] == [9]


def test_infer_start_is_the_last_customer_message_before_the_request() -> None:
    assert transcript.infer_start(EVENTS, datetime.fromtimestamp(4.2, UTC)) == 6
    assert transcript.infer_start(EVENTS, datetime.fromtimestamp(3.0, UTC)) == 2
    assert transcript.infer_start(EVENTS, datetime.fromtimestamp(0.5, UTC)) == 0


def test_context_has_recent_messages_and_visible_slots() -> None:
    context = transcript.context(EVENTS[:6])
    assert context["slots"] == {"customer_name": "Ana"}
    assert [(m["sender"], m["text"]) for m in context["messages"]] == [
        ("customer", "hi"),
        ("bot", "Hello Ana"),
    ]
    cleared = transcript.context(
        [*EVENTS[:6], {"event": "slot", "name": "customer_name", "value": None}]
    )
    assert cleared["slots"] == {}
    long = [{"event": "user", "text": f"m{i}", "timestamp": float(i)} for i in range(30)]
    assert len(transcript.context(long)["messages"]) == transcript.CONTEXT_MESSAGES


def test_cards_emails_and_phones_never_reach_the_transcript_or_the_context() -> None:
    events = [
        {
            "event": "user",
            "text": "card 4111-1111-1111-1111, mail ana@example.com",
            "timestamp": 1.0,
        },
        {"event": "slot", "name": "contact", "value": "+44 20 7946 0958", "timestamp": 1.1},
        {"event": "user", "text": "call me on 020 7946 0958", "timestamp": 2.0},
    ]
    lines = transcript.lines(events, start=0)
    assert [line.text for line in lines] == ["card [card], mail [email]", "call me on [phone]"]
    context = transcript.context(events)
    assert context["slots"] == {"contact": "[phone]"}
    assert "4111" not in str(context) and "ana@" not in str(context) and "7946" not in str(context)
