"""The capacity model: from one load run's measurements to a deployment's size.

Pure arithmetic on what ``python -m benchmarks.scale`` measured, so the figures in
docs/capacity.md are re-derived by every run (they land in scale.json's
``load.sizing`` and scale.md). Every assumption is a parameter with its default here.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

CONVERSATIONS = 10_000
SECONDS_BETWEEN_MESSAGES = 30.0
"""A customer in a live chat sends a message about every 30 s (reading, typing)."""
TARGET_UTILISATION = 0.7
"""The HPA's CPU target (deploy/k8s): a pod is sized to run at 70 % of its request."""
LOCK_CALLS_PER_TURN = 3
"""AtomicRedisLockStore: take a ticket, at least one "am I served?", give it back."""
SOCKETIO_PUBLISHES_PER_TURN = 4
"""The web chat through the Redis manager: typing on, two replies, typing off."""
ANSWER_TOKENS = 150
GENERATED_SHARE = 0.25
"""Share of messages answered by a text model when answers are generated."""
GPU_SERVER_TOKENS_PER_S = 5103.0
"""Llama 3.1 8B FP8 on one H100 with vLLM, MLPerf v5.1 server scenario (Red Hat)."""


@dataclass(frozen=True)
class Measured:
    """What one load run measured (``load`` in scale.json)."""

    msgs_per_cpu_s: float
    engine_cpu_share: float
    actions_cpu_share: float
    engine_rss_mib: float
    actions_rss_mib: float
    events_per_message: float
    bytes_per_event: float


@dataclass(frozen=True)
class Sizing:
    messages_per_s: float
    server_cores: float
    engine_replicas: int
    action_servers: int
    engine_memory_gib: float
    actions_memory_gib: float
    postgres_event_inserts_per_s: float
    postgres_gib_per_million_messages: float
    redis_commands_per_s: float
    rabbitmq_messages_per_s: float
    generated_tokens_per_s: float
    h100_for_generation: int


def size(
    measured: Measured,
    *,
    conversations: int = CONVERSATIONS,
    seconds_between_messages: float = SECONDS_BETWEEN_MESSAGES,
) -> Sizing:
    """Replicas, memory and service load for ``conversations`` live at once.

    A replica is one asyncio process, so it uses at most one core: the engine's
    share of the CPU, divided by the utilisation target, is the number of replicas.
    """
    rate = conversations / seconds_between_messages
    cores = rate / measured.msgs_per_cpu_s
    replicas = max(2, math.ceil(cores * measured.engine_cpu_share / TARGET_UTILISATION))
    actions = max(2, math.ceil(cores * measured.actions_cpu_share / TARGET_UTILISATION))
    events = rate * measured.events_per_message
    tokens = rate * GENERATED_SHARE * ANSWER_TOKENS
    return Sizing(
        messages_per_s=round(rate, 1),
        server_cores=round(cores, 1),
        engine_replicas=replicas,
        action_servers=actions,
        engine_memory_gib=round(replicas * measured.engine_rss_mib / 1024, 1),
        actions_memory_gib=round(actions * measured.actions_rss_mib / 1024, 1),
        postgres_event_inserts_per_s=round(events),
        postgres_gib_per_million_messages=round(
            1e6 * measured.events_per_message * measured.bytes_per_event / 2**30, 1
        ),
        redis_commands_per_s=round(rate * (LOCK_CALLS_PER_TURN + SOCKETIO_PUBLISHES_PER_TURN)),
        rabbitmq_messages_per_s=round(events),
        generated_tokens_per_s=round(tokens),
        h100_for_generation=math.ceil(tokens / GPU_SERVER_TOKENS_PER_S),
    )


def measured_from(load: dict[str, Any], run: str) -> Measured | None:
    """The inputs of :func:`size` from scale.json's ``load`` section and one run."""
    capacity = load.get("capacity", {}).get(run)
    usage = load.get("runs", {}).get(run, {}).get("usage", {})
    check = load.get("runs", {}).get(run, {}).get("tracker_check", {})
    postgres = load.get("postgres", {})
    if not capacity or not capacity.get("msgs_per_cpu_s") or not usage:
        return None
    cpu = sum(u["cpu_s"] for u in usage.values()) or 1.0

    def share(prefix: str) -> float:
        return sum(u["cpu_s"] for n, u in usage.items() if n.startswith(prefix)) / cpu

    def rss(prefix: str) -> float:
        return max((u["peak_rss_mib"] for n, u in usage.items() if n.startswith(prefix)), default=0)

    messages = check.get("messages_sent") or 0
    return Measured(
        msgs_per_cpu_s=capacity["msgs_per_cpu_s"],
        engine_cpu_share=share("rasa"),
        actions_cpu_share=share("actions"),
        engine_rss_mib=rss("rasa"),
        actions_rss_mib=rss("actions"),
        events_per_message=check.get("tracker_events", 0) / messages if messages else 0.0,
        bytes_per_event=postgres.get("events_table_bytes", 0) / postgres["event_rows"]
        if postgres.get("event_rows")
        else 0.0,
    )


def as_dict(sizing: Sizing) -> dict[str, Any]:
    return asdict(sizing)
