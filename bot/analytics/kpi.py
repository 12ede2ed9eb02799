"""The KPIs over the analytics store: definitions, time series, funnels, drill-down, export.

Every figure is attributed to the conversations it comes from, and a
conversation belongs to the day (or hour) it *started*: the filters select
conversations (start date range, channel, journey) and each KPI averages its
samples over them. A time-series point is therefore a set of conversations,
and :func:`drilldown` returns exactly that set. The queries are SQLAlchemy Core
and run unchanged on SQLite and PostgreSQL; docs/analytics.md gives each KPI's
SQL, and a test runs that SQL against the same rows as :func:`summary`.

A KPI is the mean (or median) of one expression over its *samples*:

* conversation-level rates (containment, escalation, abandonment, CSAT response
  rate) average a 0/1 per conversation;
* turn-level rates (fallback rate, coverage) and the response time average over
  the customer's messages that the bot answered (not those sent while a person
  had the conversation);
* handoff durations (FRT, resolution, queue wait) take the median over handoffs,
  with the mean beside them as ``<name>_mean``;
* CSAT averages every rating; the recommendation click-through averages a 0/1
  per recommendation list shown.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Float,
    Select,
    String,
    and_,
    case,
    cast,
    distinct,
    func,
    literal,
    null,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Subquery

from bot.analytics.models import Conversation, Csat, Form, Handoff, Result, Turn
from bot.errors import TandemError

RECOMMENDATIONS = "recommendations"  # the result type whose clicks rec_ctr counts
BUCKETS = {"hour": 3600, "day": 86400}
STARTED, COMPLETED = "started", "completed"  # a funnel's first and last steps


@dataclass(frozen=True)
class Filters:
    """Which conversations a figure covers; every field is optional."""

    since: float | None = None  # epoch s, inclusive (conversations.started_at)
    until: float | None = None  # epoch s, exclusive
    channel: str | None = None
    journey: str | None = None


class KPIError(TandemError, ValueError):
    """A KPI query was asked for something that does not exist (a metric, a bucket)."""


METRICS: dict[str, str] = {
    "conversations": "conversations started in the period",
    "containment": "share of conversations that ended with the bot, not handed off or abandoned",
    "escalation": "share of conversations handed to a person",
    "abandonment": "share of conversations the customer left mid-journey (outcome 'abandoned')",
    "fallback_rate": "share of the customer's messages the bot answered with a fallback",
    "coverage": "share of the customer's messages the bot handled (no fallback or handoff)",
    "frt_s": "median seconds from a handoff request to the agent's first reply",
    "frt_s_mean": "mean seconds from a handoff request to the agent's first reply",
    "resolution_s": "median seconds from a handoff request to its resolution",
    "resolution_s_mean": "mean seconds from a handoff request to its resolution",
    "queue_wait_s": "median seconds a handed-off customer waited for an agent",
    "queue_wait_s_mean": "mean seconds a handed-off customer waited for an agent",
    "csat": "mean customer rating, 1 to 5, over every rating given",
    "csat_response_rate": "share of conversations asked for a rating that gave one",
    "rec_ctr": "share of recommendation lists shown in which the customer clicked an item",
    "avg_response_ms": "mean milliseconds from a customer message to the bot's first reply",
    "agent_reply_s": "median seconds from a customer's message to the next reply while a "
    "person has the conversation (reply time)",
    "sessions_per_user": "mean Rasa sessions per customer (a customer is a conversation id)",
    "messages_per_conversation": "mean customer messages per conversation",
}


@dataclass(frozen=True)
class _Metric:
    source: str  # conversations | turns | handoffs | csat | results
    agg: str  # count | mean | median
    value: Any  # the sample's value; NULL where the row is not a sample


def _metrics() -> dict[str, _Metric]:
    one, zero = literal(1.0), literal(0.0)
    bot_turn = ~Turn.by_agent

    def rate(condition: Any) -> Any:
        return case((condition, one), else_=zero)

    return {
        "conversations": _Metric("conversations", "count", Conversation.conversation),
        "containment": _Metric("conversations", "mean", rate(Conversation.outcome == "contained")),
        "escalation": _Metric("conversations", "mean", rate(Conversation.handed_off)),
        "abandonment": _Metric("conversations", "mean", rate(Conversation.outcome == "abandoned")),
        "csat_response_rate": _Metric(
            "conversations",
            "mean",
            case((Conversation.csat_prompted, rate(Conversation.csat.is_not(None))), else_=null()),
        ),
        "fallback_rate": _Metric(
            "turns", "mean", case((bot_turn, rate(Turn.fallback)), else_=null())
        ),
        "coverage": _Metric("turns", "mean", case((bot_turn, rate(Turn.handled)), else_=null())),
        "avg_response_ms": _Metric(
            "turns", "mean", case((bot_turn, Turn.response_ms), else_=null())
        ),
        "frt_s": _Metric("handoffs", "median", Handoff.first_response_s),
        "frt_s_mean": _Metric("handoffs", "mean", Handoff.first_response_s),
        "resolution_s": _Metric("handoffs", "median", Handoff.resolution_s),
        "resolution_s_mean": _Metric("handoffs", "mean", Handoff.resolution_s),
        "queue_wait_s": _Metric("handoffs", "median", Handoff.queue_wait_s),
        "queue_wait_s_mean": _Metric("handoffs", "mean", Handoff.queue_wait_s),
        "csat": _Metric("csat", "mean", Csat.score),
        "agent_reply_s": _Metric(
            "turns", "median", case((Turn.by_agent, Turn.response_ms / 1000.0), else_=null())
        ),
        "sessions_per_user": _Metric("conversations", "mean", Conversation.sessions),
        "messages_per_conversation": _Metric("conversations", "mean", Conversation.user_turns),
        "rec_ctr": _Metric(
            "results",
            "mean",
            case(
                (Result.result_type == RECOMMENDATIONS, rate(Result.clicked_item.is_not(None))),
                else_=null(),
            ),
        ),
    }


_METRICS = _metrics()
_SOURCES = {"turns": Turn, "handoffs": Handoff, "csat": Csat, "results": Result}

Executor = Session | Connection


def _metric(name: str) -> _Metric:
    try:
        return _METRICS[name]
    except KeyError:
        raise KPIError(f"unknown metric {name!r}; use one of {sorted(METRICS)}") from None


def _bucket_seconds(bucket: str) -> int:
    try:
        return BUCKETS[bucket]
    except KeyError:
        raise KPIError(f"unknown bucket {bucket!r}; use one of {sorted(BUCKETS)}") from None


def _conditions(filters: Filters) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if filters.since is not None:
        where.append(Conversation.started_at >= filters.since)
    if filters.until is not None:
        where.append(Conversation.started_at < filters.until)
    if filters.channel is not None:
        where.append(Conversation.channel == filters.channel)
    if filters.journey is not None:
        where.append(Conversation.journey == filters.journey)
    return where


def _bucket_of(started_at: Any, seconds: int) -> ColumnElement[Any]:
    """The bucket's start: ``floor(started_at / seconds) * seconds`` (SQLite and PostgreSQL)."""
    return (func.floor(started_at / seconds) * seconds).label("bucket")


def _from(source: str, *columns: Any) -> Select[Any]:
    """``SELECT columns`` over the conversations joined to the source's rows."""
    query = select(*columns).select_from(Conversation)
    if source == "conversations":
        return query
    table = _SOURCES[source]
    return query.join(table, table.conversation == Conversation.conversation)  # type: ignore[attr-defined]


def _samples(metric: _Metric, filters: Filters, seconds: int | None) -> Subquery:
    """``(conversation, bucket, v)``: one row per sample of the metric in the conversations."""
    bucket = _bucket_of(Conversation.started_at, seconds) if seconds else literal(0).label("bucket")
    value = metric.value.label("v")
    query = _from(metric.source, Conversation.conversation, bucket, value)
    return query.where(*_conditions(filters), value.is_not(None)).subquery("s")


def _aggregate(metric: _Metric, samples: Subquery) -> Select[Any]:
    n = func.count(samples.c.v)
    conversations = func.count(distinct(samples.c.conversation))
    if metric.agg == "count":
        return select(samples.c.bucket, n, n, conversations).group_by(samples.c.bucket)
    if metric.agg == "mean":
        return select(
            samples.c.bucket, func.avg(cast(samples.c.v, Float)), n, conversations
        ).group_by(samples.c.bucket)
    # The median: the middle sample, or the mean of the middle two, by window functions.
    ranked = select(
        samples.c.bucket,
        samples.c.conversation,
        samples.c.v,
        func.row_number().over(partition_by=samples.c.bucket, order_by=samples.c.v).label("rn"),
        func.count().over(partition_by=samples.c.bucket).label("cnt"),
    ).subquery("r")
    middle = ranked.c.rn.in_([(ranked.c.cnt + 1) // 2, (ranked.c.cnt + 2) // 2])
    return select(
        ranked.c.bucket,
        func.avg(case((middle, cast(ranked.c.v, Float)), else_=null())),
        func.count(),
        func.count(distinct(ranked.c.conversation)),
    ).group_by(ranked.c.bucket)


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _point(metric: _Metric, row: Any) -> tuple[float | None, int, int]:
    n, conversations = int(row[2]), int(row[3])
    if metric.agg == "count":
        return float(n), n, conversations
    return (_number(row[1]) if n else None), n, conversations


def summary(session: Executor, filters: Filters = Filters()) -> dict[str, float | None]:
    """Every metric of :data:`METRICS` over the filtered conversations (None: no sample).

    The means and counts of one source come from one query; each median from its own.
    """
    result: dict[str, float | None] = {}
    by_source: dict[str, list[str]] = {}
    for name, metric in _METRICS.items():
        if metric.agg == "median":
            row = session.execute(_aggregate(metric, _samples(metric, filters, None))).first()
            result[name] = _point(metric, row)[0] if row else None
        else:
            by_source.setdefault(metric.source, []).append(name)
    for source, names in by_source.items():
        columns = [
            func.count(_METRICS[n].value)
            if _METRICS[n].agg == "count"
            else func.avg(cast(_METRICS[n].value, Float))
            for n in names
        ]
        row = session.execute(_from(source, *columns).where(*_conditions(filters))).one()
        result.update(zip(names, map(_number, row), strict=True))
    return {name: result[name] for name in _METRICS}


def timeseries(
    session: Executor, metric: str, filters: Filters = Filters(), bucket: str = "day"
) -> list[dict[str, Any]]:
    """One point per bucket of conversation start: ``{"bucket", "value", "n", "conversations"}``.

    ``n`` counts the samples behind the value (conversations, messages, handoffs,
    ratings or lists shown), ``conversations`` the conversations they came from
    (what :func:`drilldown` returns for the point). Empty buckets between the
    first and the last (or the filters' since/until) have value None and n 0.
    """
    spec, seconds = _metric(metric), _bucket_seconds(bucket)
    query = _aggregate(spec, _samples(spec, filters, seconds))
    points: dict[int, dict[str, Any]] = {}
    for row in session.execute(query):
        value, n, conversations = _point(spec, row)
        start = int(row[0])
        points[start] = {"bucket": start, "value": value, "n": n, "conversations": conversations}
    first = min(points, default=None) if filters.since is None else _floor(filters.since, seconds)
    last = max(points, default=None) if filters.until is None else _floor(filters.until, seconds)
    if filters.until is not None and last == filters.until:
        last -= seconds  # until is exclusive
    if first is None or last is None:
        return []
    empty = 0.0 if spec.agg == "count" else None
    return [
        points.get(start, {"bucket": start, "value": empty, "n": 0, "conversations": 0})
        for start in range(first, last + 1, seconds)
    ]


def _floor(ts: float, seconds: int) -> int:
    return int(ts // seconds) * seconds


def _forms(form_name: str, filters: Filters) -> Select[Any]:
    return (
        select(Form.conversation)
        .join(Conversation, Conversation.conversation == Form.conversation)
        .where(Form.name == form_name, *_conditions(filters))
    )


def _slots_text() -> ColumnElement[str]:
    return cast(Form.slots_asked, String)


def _step_condition(step: str) -> ColumnElement[bool]:
    if step == STARTED:
        return literal(True)
    if step == COMPLETED:
        return Form.outcome == "completed"
    return _slots_text().contains(json.dumps(step), autoescape=True)


def funnel_steps(session: Executor, form_name: str, filters: Filters = Filters()) -> list[str]:
    """The form's steps: started, each slot it asked (most asked first), completed.

    Read from the distinct orders in which the form asked its slots (a handful
    of paths, whatever the number of forms).
    """
    paths = session.execute(
        _forms(form_name, filters)
        .with_only_columns(_slots_text(), func.count())
        .group_by(_slots_text())
    ).all()
    asked: Counter[str] = Counter()
    position: dict[str, float] = {}
    for text, count in paths:
        for index, slot in enumerate(json.loads(text) if text else []):
            if isinstance(slot, str) and slot not in (STARTED, COMPLETED):
                asked[slot] += count
                position[slot] = min(position.get(slot, index), index)
    slots = sorted(asked, key=lambda s: (-asked[s], position[s], s))
    return [STARTED, *slots, COMPLETED]


def funnel(session: Executor, form_name: str, filters: Filters = Filters()) -> list[dict[str, Any]]:
    """``{"step", "count"}`` per step: the conversations whose form reached it.

    A slot's step counts the conversations in which the form asked that slot;
    ``completed`` those in which it was filled to the end.
    """
    steps = funnel_steps(session, form_name, filters)
    counts = [
        func.count(distinct(case((_step_condition(step), Form.conversation), else_=null())))
        for step in steps
    ]
    row = session.execute(_forms(form_name, filters).with_only_columns(*counts)).one()
    return [{"step": step, "count": int(row[i]), "form": form_name} for i, step in enumerate(steps)]


def form_names(session: Executor, filters: Filters = Filters()) -> list[str]:
    """The forms started in the filtered conversations, most started first."""
    query = (
        select(Form.name)
        .join(Conversation, Conversation.conversation == Form.conversation)
        .where(*_conditions(filters))
        .group_by(Form.name)
        .order_by(func.count().desc(), Form.name)
    )
    return [name for (name,) in session.execute(query)]


DIMENSIONS = ("channel", "journey", "intent", "csat")


def breakdown(
    session: Executor, dimension: str, filters: Filters = Filters(), *, limit: int = 20
) -> list[dict[str, Any]]:
    """Conversations per channel or journey, customer messages per intent (top intents),
    or ratings per CSAT score.

    ``{"key", "count"}``, largest first; journeys also carry ``completed``.
    """
    key: Any
    if dimension == "csat":
        key = Csat.score
        query = select(key, func.count()).join(
            Conversation, Conversation.conversation == Csat.conversation
        )
        query = query.where(*_conditions(filters))
    elif dimension == "intent":
        key = Turn.intent
        query = (
            select(key, func.count())
            .join(Conversation, Conversation.conversation == Turn.conversation)
            .where(*_conditions(filters), ~Turn.by_agent, key.is_not(None))
        )
    elif dimension in ("channel", "journey"):
        key = getattr(Conversation, dimension)
        columns = [key, func.count()]
        if dimension == "journey":
            columns.append(func.count(case((Conversation.journey_completed, 1), else_=null())))
        query = select(*columns).where(*_conditions(filters))
    else:
        raise KPIError(f"unknown dimension {dimension!r}; use one of {DIMENSIONS}")
    rows = session.execute(query.group_by(key).order_by(func.count().desc(), key).limit(limit))
    out = []
    for row in rows:
        values: tuple[Any, ...] = tuple(row)
        item: dict[str, Any] = {"key": values[0], "count": int(values[1])}
        if dimension == "journey":
            item["completed"] = int(values[2])
        out.append(item)
    return out


DRILLDOWN_COLUMNS = (
    "conversation",
    "started_at",
    "channel",
    "journey",
    "outcome",
    "csat",
    "handed_off",
)


def drilldown(
    session: Executor,
    filters: Filters = Filters(),
    *,
    metric: str | None = None,
    bucket_start: float | None = None,
    bucket: str = "day",
    step: str | None = None,
    form: str | None = None,
    intent: str | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """The conversations behind a chart point, newest first.

    ``metric`` (+ ``bucket_start``): those that gave the metric a sample (in that
    bucket); ``form`` + ``step``: those whose form reached the funnel step
    (without ``form``: a form of any name);
    ``intent``: those with a customer message of that intent. Conditions combine.
    """
    where = _conditions(filters)
    seconds = _bucket_seconds(bucket)
    if bucket_start is not None:
        start = _floor(bucket_start, seconds)
        where += [Conversation.started_at >= start, Conversation.started_at < start + seconds]
    if metric is not None:
        samples = _samples(_metric(metric), Filters(), None)
        where.append(Conversation.conversation.in_(select(samples.c.conversation)))
    if step is not None or form is not None:
        forms = select(Form.conversation)
        if form is not None:
            forms = forms.where(Form.name == form)
        if step is not None:
            forms = forms.where(_step_condition(step))
        where.append(Conversation.conversation.in_(forms))
    if intent is not None:
        where.append(
            Conversation.conversation.in_(
                select(Turn.conversation).where(Turn.intent == intent, ~Turn.by_agent)
            )
        )
    query = (
        select(*(getattr(Conversation, c) for c in DRILLDOWN_COLUMNS))
        .where(*where)
        .order_by(Conversation.started_at.desc(), Conversation.conversation)
        .limit(limit)
    )
    return [{**row._asdict(), "handed_off": bool(row.handed_off)} for row in session.execute(query)]


EXPORT_COLUMNS = (
    "conversation", "started_at", "started_at_utc", "channel", "journey", "journey_completed",
    "outcome", "handed_off", "handoff_reason", "queue_wait_s", "frt_s", "resolution_s",
    "returned_to_bot", "csat", "csat_prompted", "user_turns", "fallbacks", "avg_response_ms",
)  # fmt: skip


def export_rows(session: Executor, filters: Filters = Filters()) -> Iterator[dict[str, Any]]:
    """One row per filtered conversation, oldest first, with its first handoff's figures."""
    first_handoff = (
        select(
            Handoff.conversation,
            Handoff.reason,
            Handoff.queue_wait_s,
            Handoff.first_response_s,
            Handoff.resolution_s,
            Handoff.returned_to_bot,
            func.row_number()
            .over(partition_by=Handoff.conversation, order_by=Handoff.requested_seq)
            .label("rn"),
        )
    ).subquery("h")
    query = (
        select(
            Conversation,
            first_handoff.c.reason,
            first_handoff.c.queue_wait_s,
            first_handoff.c.first_response_s,
            first_handoff.c.resolution_s,
            first_handoff.c.returned_to_bot,
        )
        .outerjoin(
            first_handoff,
            and_(
                first_handoff.c.conversation == Conversation.conversation, first_handoff.c.rn == 1
            ),
        )
        .where(*_conditions(filters))
        .order_by(Conversation.started_at, Conversation.conversation)
        .execution_options(yield_per=1000)
    )
    for conv, reason, wait, frt, resolution, returned in session.execute(query):
        yield {
            "conversation": conv.conversation,
            "started_at": conv.started_at,
            "started_at_utc": datetime.fromtimestamp(conv.started_at, UTC).isoformat(
                timespec="seconds"
            ),
            "channel": conv.channel,
            "journey": conv.journey,
            "journey_completed": bool(conv.journey_completed),
            "outcome": conv.outcome,
            "handed_off": bool(conv.handed_off),
            "handoff_reason": reason,
            "queue_wait_s": wait,
            "frt_s": frt,
            "resolution_s": resolution,
            "returned_to_bot": None if returned is None else bool(returned),
            "csat": conv.csat,
            "csat_prompted": bool(conv.csat_prompted),
            "user_turns": conv.user_turns,
            "fallbacks": conv.fallbacks,
            "avg_response_ms": conv.avg_response_ms,
        }


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """A CSV cell; text that a spreadsheet would run as a formula is quoted with ``'``."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_csv(rows: Iterable[Mapping[str, Any]], fp: IO[str]) -> int:
    """Write :func:`export_rows`' rows as CSV with a header; returns the rows written."""
    writer = csv.DictWriter(fp, fieldnames=EXPORT_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    written = 0
    for row in rows:
        writer.writerow({k: _cell(row.get(k)) for k in EXPORT_COLUMNS})
        written += 1
    return written


__all__ = [
    "BUCKETS",
    "DIMENSIONS",
    "EXPORT_COLUMNS",
    "METRICS",
    "Filters",
    "KPIError",
    "breakdown",
    "drilldown",
    "export_rows",
    "form_names",
    "funnel",
    "funnel_steps",
    "summary",
    "timeseries",
    "write_csv",
]
