"""Analytics records on the bot messages of every action (:mod:`bot.contract.analytics`).

The action server runs each action through :class:`RecordingExecutor`, so every
assistant gets, with no code in its actions:

* a ``generator`` record per text-generator call the action made (backend,
  task, latency, deadline hit), collected through a context variable that the
  worker threads of ``asyncio.to_thread`` inherit;
* the action's latency in ``tandem_action_duration_seconds`` (:mod:`bot.metrics`).

The records go on the action's last bot message (``metadata["analytics"]``);
an action that says nothing has no message to carry them, so its generator
calls are only counted in the metrics. Actions add what only they know with
:func:`attach`, e.g. the answer action's :func:`knowledge_record`::

    dispatcher.utter_message(text=answer.reply, metadata=attach(None, knowledge_record(answer)))

Channels never show the records: Rasa flattens a message's metadata into the
message it hands a channel, and Tandem's channels send only the keys they know
(text, buttons, custom, ...); the web chat's ``metadata`` object carries only
``stream_id``.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import time
from collections.abc import Iterator, Mapping
from typing import Any, Protocol

from rasa_sdk.executor import ActionExecutor, ActionExecutorRunResult

from bot import metrics
from bot.contract.analytics import (
    GENERATOR,
    HANDOFF_REASON,
    KNOWLEDGE,
    METADATA_KEY,
    record,
)
from generators.text import GenerationCall, add_call_observer

log = logging.getLogger(__name__)

_records: contextvars.ContextVar[list[dict[str, Any]] | None] = contextvars.ContextVar(
    "tandem_analytics_records", default=None
)


class HasKnowledgeOutcome(Protocol):
    @property
    def knowledge_outcome(self) -> str: ...

    @property
    def citations(self) -> tuple[str, ...]: ...


def knowledge_record(answer: HasKnowledgeOutcome) -> dict[str, Any]:
    """``{"kind": "knowledge", "outcome", "sources"}`` of an answer pipeline's result."""
    return record(KNOWLEDGE, outcome=answer.knowledge_outcome, sources=list(answer.citations))


def handoff_reason_record(reason: str) -> dict[str, Any]:
    return record(HANDOFF_REASON, reason=reason)


def generator_record(call: GenerationCall) -> dict[str, Any]:
    return record(
        GENERATOR,
        backend=call.backend,
        task=call.task,
        latency_ms=round(call.latency_s * 1000, 1),
        deadline_hit=call.deadline_hit,
    )


def attach(metadata: Mapping[str, Any] | None, *records: dict[str, Any]) -> dict[str, Any]:
    """``metadata`` (not changed) plus ``records`` appended to its analytics records."""
    merged = dict(metadata or {})
    existing = merged.get(METADATA_KEY)
    merged[METADATA_KEY] = [*(existing if isinstance(existing, list) else []), *records]
    return merged


@contextlib.contextmanager
def collecting() -> Iterator[list[dict[str, Any]]]:
    """Collect the ``generator`` records of the calls made inside.

    ``asyncio.to_thread`` copies the context into its worker thread, so calls
    made there land in the same list.
    """
    records: list[dict[str, Any]] = []
    token = _records.set(records)
    try:
        yield records
    finally:
        _records.reset(token)


def _on_generator_call(call: GenerationCall) -> None:
    records = _records.get()
    if records is not None:
        records.append(generator_record(call))


def attach_to_last_message(responses: list[dict[str, Any]], records: list[dict[str, Any]]) -> bool:
    """Put ``records`` on the last bot message in ``responses``; ``False`` if there is none."""
    if not records or not responses:
        return False
    last = responses[-1]
    last["metadata"] = attach(last.get("metadata"), *records)
    return True


class RecordingExecutor(ActionExecutor):
    """rasa-sdk's executor, timing each action and attaching its generator records."""

    async def run(
        self, action_call: dict[str, Any], *args: Any, **kwargs: Any
    ) -> ActionExecutorRunResult | None:
        name = action_call.get("next_action")
        label = name if isinstance(name, str) and name in self.actions else "<unknown>"
        started = time.perf_counter()
        with collecting() as records:
            try:
                result = await super().run(action_call, *args, **kwargs)
            finally:
                metrics.observe_action(label, time.perf_counter() - started)
        attached = result is not None and attach_to_last_message(result.responses, records)
        if records and not attached:
            log.debug("%s made %d generator calls but said nothing", label, len(records))
        return result


def observe_generator_calls() -> None:
    """Collect generator records (and count the calls) in this process; idempotent."""
    add_call_observer(_on_generator_call, key="bot.sdk.analytics")
    metrics.observe_generator_calls()


observe_generator_calls()

__all__ = [
    "RecordingExecutor",
    "attach",
    "attach_to_last_message",
    "collecting",
    "handoff_reason_record",
    "knowledge_record",
]
