"""The analytics store's tables, as SQLAlchemy 2 ORM classes.

One conversation's facts are derived from its events (``events``, the raw,
redacted log keyed by conversation and event index), so ingestion is
idempotent: an event delivered twice hits the ``(conversation, seq)`` unique
key and is skipped, and a conversation's derived rows are rebuilt from its
stored events whenever new ones arrive.

Conventions, for every table:

* ``conversation`` is a keyed hash (HMAC-SHA256) of the channel's sender id,
  never the id itself (docs/analytics.md, "Privacy").
* ``ts`` and every ``*_at`` column are Unix epoch seconds (UTC) as floats, as
  Rasa stamps its events; bucketing by day is ``floor(ts / 86400)`` on SQLite
  and PostgreSQL alike. Durations are seconds (``*_s``) or milliseconds (``*_ms``).
* No column holds raw personal data: message text is redacted before it is
  stored, and structured results keep what was shown (a plan id, a credit
  band, product ids), never the applicant's answers.

The schema is created and changed only by the Alembic revisions in
``bot/analytics/migrations`` (never ``create_all`` outside tests).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Why a user message was not handled (turns.unhandled_reason).
UNHANDLED_REASONS = ("nlu_fallback", "abstained", "handoff")
# How a form ended (forms.outcome); "active" until it does.
FORM_OUTCOMES = ("active", "completed", "abandoned")
# How a knowledge question was answered (knowledge_answers.outcome).
KNOWLEDGE_OUTCOMES = ("grounded", "quoted", "abstained")
# Where a CSAT rating was asked (csat.context).
CSAT_CONTEXTS = ("conversation", "handoff")
# A conversation's outcome (conversations.outcome).
OUTCOMES = ("contained", "escalated", "abandoned")


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Event(Base):
    """Every event Rasa stored, redacted; the source the other tables are derived from."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("conversation", "seq", name="uq_events_conversation_seq"),
        Index("ix_events_ts", "ts"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer)  # the event's index in its conversation
    type: Mapped[str] = mapped_column(String(40))  # Rasa's event name: user, bot, action, slot...
    ts: Mapped[float] = mapped_column(Float)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)  # the redacted event


class Conversation(Base):
    """One row per conversation: what the KPIs count and the CSV export writes."""

    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_started_at", "started_at"),
        Index("ix_conversations_channel_started", "channel", "started_at"),
        Index("ix_conversations_journey_started", "journey", "started_at"),
    )

    conversation: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(
        String(40), default="unknown"
    )  # rest, socketio, slack, teams...
    started_at: Mapped[float] = mapped_column(Float)
    last_event_at: Mapped[float] = mapped_column(Float)
    sessions: Mapped[int] = mapped_column(Integer, default=0)
    user_turns: Mapped[int] = mapped_column(Integer, default=0)
    bot_messages: Mapped[int] = mapped_column(Integer, default=0)
    fallbacks: Mapped[int] = mapped_column(Integer, default=0)
    # The first journey the customer started (knowledge, plan, credit, recommendation,
    # orders, handoff, smalltalk, ...), for filters and funnels.
    journey: Mapped[str | None] = mapped_column(String(40), nullable=True)
    journey_completed: Mapped[bool] = mapped_column(Boolean, default=False)
    handed_off: Mapped[bool] = mapped_column(Boolean, default=False)
    outcome: Mapped[str] = mapped_column(String(20), default="contained")  # OUTCOMES
    avg_response_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    csat: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the last rating, 1-5
    csat_prompted: Mapped[bool] = mapped_column(Boolean, default=False)


class Session(Base):
    """A Rasa session (``session_started`` to the next one) of a conversation."""

    __tablename__ = "sessions"
    __table_args__ = (
        UniqueConstraint("conversation", "started_seq", name="uq_sessions_conversation_seq"),
        Index("ix_sessions_started_at", "started_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation: Mapped[str] = mapped_column(String(64))
    started_seq: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[float] = mapped_column(Float)
    ended_at: Mapped[float] = mapped_column(Float)
    user_turns: Mapped[int] = mapped_column(Integer, default=0)


class Turn(Base):
    """One customer message and how the bot took it."""

    __tablename__ = "turns"
    __table_args__ = (
        UniqueConstraint("conversation", "seq", name="uq_turns_conversation_seq"),
        Index("ix_turns_ts", "ts"),
        Index("ix_turns_intent", "intent"),
        Index("ix_turns_unhandled", "unhandled_reason", "ts"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer)  # the user event's index
    ts: Mapped[float] = mapped_column(Float)
    channel: Mapped[str] = mapped_column(String(40), default="unknown")
    text: Mapped[str] = mapped_column(Text, default="")  # redacted
    intent: Mapped[str | None] = mapped_column(String(80), nullable=True)
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    fallback: Mapped[bool] = mapped_column(
        Boolean, default=False
    )  # nlu_fallback or a fallback action
    clarified: Mapped[bool] = mapped_column(
        Boolean, default=False
    )  # the bot asked which one was meant
    handled: Mapped[bool] = mapped_column(Boolean, default=True)
    unhandled_reason: Mapped[str | None] = mapped_column(String(20), nullable=True)
    response_ms: Mapped[float | None] = mapped_column(
        Float, nullable=True
    )  # to the first bot message
    by_agent: Mapped[bool] = mapped_column(Boolean, default=False)  # sent while a person had it


class ActionRun(Base):
    """An action the engine ran (``action`` events, ``action_listen`` excluded)."""

    __tablename__ = "actions"
    __table_args__ = (
        UniqueConstraint("conversation", "seq", name="uq_actions_conversation_seq"),
        Index("ix_actions_name_ts", "name", "ts"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer)
    ts: Mapped[float] = mapped_column(Float)
    name: Mapped[str] = mapped_column(String(80))
    policy: Mapped[str | None] = mapped_column(String(80), nullable=True)
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)


class Form(Base):
    """A form the conversation started, and how it ended."""

    __tablename__ = "forms"
    __table_args__ = (
        UniqueConstraint("conversation", "started_seq", name="uq_forms_conversation_seq"),
        Index("ix_forms_name_started", "name", "started_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(80))
    started_seq: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[float] = mapped_column(Float)
    ended_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    outcome: Mapped[str] = mapped_column(String(20), default="active")  # FORM_OUTCOMES
    # Slots asked, in order (the funnel's steps), and the one left unanswered
    # when the form was abandoned.
    slots_asked: Mapped[list[Any]] = mapped_column(JSON, default=list)
    abandoned_at_slot: Mapped[str | None] = mapped_column(String(80), nullable=True)


class Result(Base):
    """A structured result shown: what was shown, never the answers behind it."""

    __tablename__ = "results"
    __table_args__ = (
        UniqueConstraint("conversation", "seq", name="uq_results_conversation_seq"),
        Index("ix_results_type_ts", "result_type", "ts"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer)
    ts: Mapped[float] = mapped_column(Float)
    result_type: Mapped[str] = mapped_column(
        String(40)
    )  # the payload type: mobile_plan, credit_score...
    label: Mapped[str | None] = mapped_column(String(120), nullable=True)  # plan id, credit band
    items: Mapped[list[Any]] = mapped_column(JSON, default=list)  # product ids shown, in order
    clicked_item: Mapped[str | None] = mapped_column(String(120), nullable=True)
    clicked_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class KnowledgeAnswer(Base):
    """A knowledge question's answer: grounded generation, a quoted passage, or none."""

    __tablename__ = "knowledge_answers"
    __table_args__ = (
        UniqueConstraint("conversation", "seq", name="uq_knowledge_conversation_seq"),
        Index("ix_knowledge_outcome_ts", "outcome", "ts"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer)
    ts: Mapped[float] = mapped_column(Float)
    outcome: Mapped[str] = mapped_column(String(20))  # KNOWLEDGE_OUTCOMES
    sources: Mapped[list[Any]] = mapped_column(JSON, default=list)  # document ids / titles


class GeneratorCall(Base):
    """A text-generator call made for a reply."""

    __tablename__ = "generator_calls"
    __table_args__ = (
        UniqueConstraint("conversation", "seq", "ordinal", name="uq_generator_conversation_seq"),
        Index("ix_generator_backend_ts", "backend", "ts"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer)  # the bot event that carried it
    ordinal: Mapped[int] = mapped_column(Integer, default=0)  # several calls for one message
    ts: Mapped[float] = mapped_column(Float)
    backend: Mapped[str] = mapped_column(String(40))
    task: Mapped[str | None] = mapped_column(String(40), nullable=True)  # answer, rephrase, copy...
    latency_ms: Mapped[float] = mapped_column(Float)
    deadline_hit: Mapped[bool] = mapped_column(Boolean, default=False)


class Handoff(Base):
    """A conversation handed to a person, from the request to the return."""

    __tablename__ = "handoffs"
    __table_args__ = (
        UniqueConstraint("conversation", "requested_seq", name="uq_handoffs_conversation_seq"),
        Index("ix_handoffs_requested_at", "requested_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation: Mapped[str] = mapped_column(String(64))
    requested_seq: Mapped[int] = mapped_column(Integer)
    requested_at: Mapped[float] = mapped_column(Float)
    reason: Mapped[str | None] = mapped_column(
        String(80), nullable=True
    )  # customer_request, nlu_fallback...
    assigned_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    first_agent_reply_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    resolved_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    returned_to_bot: Mapped[bool] = mapped_column(Boolean, default=False)
    queue_wait_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    first_response_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    resolution_s: Mapped[float | None] = mapped_column(Float, nullable=True)


class Csat(Base):
    """A customer satisfaction rating (1-5) and where it was asked."""

    __tablename__ = "csat"
    __table_args__ = (
        UniqueConstraint("conversation", "seq", name="uq_csat_conversation_seq"),
        Index("ix_csat_ts", "ts"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer)
    ts: Mapped[float] = mapped_column(Float)
    score: Mapped[int] = mapped_column(Integer)
    context: Mapped[str] = mapped_column(String(20), default="conversation")  # CSAT_CONTEXTS
