"""The analytics store's first schema: the raw redacted events and the tables derived from them.

Revision ID: 0001_analytics
Revises:
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_analytics"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "actions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("ts", sa.Float(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("policy", sa.String(length=80), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("conversation", "seq", name="uq_actions_conversation_seq"),
    )
    op.create_index("ix_actions_name_ts", "actions", ["name", "ts"], unique=False)
    op.create_table(
        "conversations",
        sa.Column("conversation", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("last_event_at", sa.Float(), nullable=False),
        sa.Column("sessions", sa.Integer(), nullable=False),
        sa.Column("user_turns", sa.Integer(), nullable=False),
        sa.Column("bot_messages", sa.Integer(), nullable=False),
        sa.Column("fallbacks", sa.Integer(), nullable=False),
        sa.Column("journey", sa.String(length=40), nullable=True),
        sa.Column("journey_completed", sa.Boolean(), nullable=False),
        sa.Column("handed_off", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("avg_response_ms", sa.Float(), nullable=True),
        sa.Column("csat", sa.Integer(), nullable=True),
        sa.Column("csat_prompted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("conversation"),
    )
    op.create_index(
        "ix_conversations_channel_started", "conversations", ["channel", "started_at"], unique=False
    )
    op.create_index(
        "ix_conversations_journey_started", "conversations", ["journey", "started_at"], unique=False
    )
    op.create_index("ix_conversations_started_at", "conversations", ["started_at"], unique=False)
    op.create_table(
        "csat",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("ts", sa.Float(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("context", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("conversation", "seq", name="uq_csat_conversation_seq"),
    )
    op.create_index("ix_csat_ts", "csat", ["ts"], unique=False)
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("ts", sa.Float(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("conversation", "seq", name="uq_events_conversation_seq"),
    )
    op.create_index("ix_events_ts", "events", ["ts"], unique=False)
    op.create_table(
        "forms",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("started_seq", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("ended_at", sa.Float(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("slots_asked", sa.JSON(), nullable=False),
        sa.Column("abandoned_at_slot", sa.String(length=80), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("conversation", "started_seq", name="uq_forms_conversation_seq"),
    )
    op.create_index("ix_forms_name_started", "forms", ["name", "started_at"], unique=False)
    op.create_table(
        "generator_calls",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("ts", sa.Float(), nullable=False),
        sa.Column("backend", sa.String(length=40), nullable=False),
        sa.Column("task", sa.String(length=40), nullable=True),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("deadline_hit", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("conversation", "seq", "ordinal", name="uq_generator_conversation_seq"),
    )
    op.create_index("ix_generator_backend_ts", "generator_calls", ["backend", "ts"], unique=False)
    op.create_table(
        "handoffs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation", sa.String(length=64), nullable=False),
        sa.Column("requested_seq", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.Float(), nullable=False),
        sa.Column("reason", sa.String(length=80), nullable=True),
        sa.Column("assigned_at", sa.Float(), nullable=True),
        sa.Column("first_agent_reply_at", sa.Float(), nullable=True),
        sa.Column("resolved_at", sa.Float(), nullable=True),
        sa.Column("returned_to_bot", sa.Boolean(), nullable=False),
        sa.Column("queue_wait_s", sa.Float(), nullable=True),
        sa.Column("first_response_s", sa.Float(), nullable=True),
        sa.Column("resolution_s", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("conversation", "requested_seq", name="uq_handoffs_conversation_seq"),
    )
    op.create_index("ix_handoffs_requested_at", "handoffs", ["requested_at"], unique=False)
    op.create_table(
        "knowledge_answers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("ts", sa.Float(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("conversation", "seq", name="uq_knowledge_conversation_seq"),
    )
    op.create_index("ix_knowledge_outcome_ts", "knowledge_answers", ["outcome", "ts"], unique=False)
    op.create_table(
        "results",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("ts", sa.Float(), nullable=False),
        sa.Column("result_type", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=120), nullable=True),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("clicked_item", sa.String(length=120), nullable=True),
        sa.Column("clicked_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("conversation", "seq", name="uq_results_conversation_seq"),
    )
    op.create_index("ix_results_type_ts", "results", ["result_type", "ts"], unique=False)
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation", sa.String(length=64), nullable=False),
        sa.Column("started_seq", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("ended_at", sa.Float(), nullable=False),
        sa.Column("user_turns", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("conversation", "started_seq", name="uq_sessions_conversation_seq"),
    )
    op.create_index("ix_sessions_started_at", "sessions", ["started_at"], unique=False)
    op.create_table(
        "turns",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("ts", sa.Float(), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("intent", sa.String(length=80), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("fallback", sa.Boolean(), nullable=False),
        sa.Column("clarified", sa.Boolean(), nullable=False),
        sa.Column("handled", sa.Boolean(), nullable=False),
        sa.Column("unhandled_reason", sa.String(length=20), nullable=True),
        sa.Column("response_ms", sa.Float(), nullable=True),
        sa.Column("by_agent", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("conversation", "seq", name="uq_turns_conversation_seq"),
    )
    op.create_index("ix_turns_intent", "turns", ["intent"], unique=False)
    op.create_index("ix_turns_ts", "turns", ["ts"], unique=False)
    op.create_index("ix_turns_unhandled", "turns", ["unhandled_reason", "ts"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_turns_unhandled", table_name="turns")
    op.drop_index("ix_turns_ts", table_name="turns")
    op.drop_index("ix_turns_intent", table_name="turns")
    op.drop_table("turns")
    op.drop_index("ix_sessions_started_at", table_name="sessions")
    op.drop_table("sessions")
    op.drop_index("ix_results_type_ts", table_name="results")
    op.drop_table("results")
    op.drop_index("ix_knowledge_outcome_ts", table_name="knowledge_answers")
    op.drop_table("knowledge_answers")
    op.drop_index("ix_handoffs_requested_at", table_name="handoffs")
    op.drop_table("handoffs")
    op.drop_index("ix_generator_backend_ts", table_name="generator_calls")
    op.drop_table("generator_calls")
    op.drop_index("ix_forms_name_started", table_name="forms")
    op.drop_table("forms")
    op.drop_index("ix_events_ts", table_name="events")
    op.drop_table("events")
    op.drop_index("ix_csat_ts", table_name="csat")
    op.drop_table("csat")
    op.drop_index("ix_conversations_started_at", table_name="conversations")
    op.drop_index("ix_conversations_journey_started", table_name="conversations")
    op.drop_index("ix_conversations_channel_started", table_name="conversations")
    op.drop_table("conversations")
    op.drop_index("ix_actions_name_ts", table_name="actions")
    op.drop_table("actions")
