"""The supervisors' analytics dashboard: its page, its JSON API, the CSV export.

Routes only translate: query strings become :class:`bot.analytics.kpi.Filters`,
:mod:`bot.analytics.kpi` computes every number, and the answers are JSON (or
CSV). Everything here is for supervisors only: agents get 403, strangers 401
(a redirect to the login form for the page). The dashboard only reads, so
there is no state-changing request to guard with CSRF; reading a transcript
and exporting the CSV are audited like the console's other sensitive acts.

The analytics store is a separate database (``TANDEM_ANALYTICS_DB_URL``);
transcripts come from its ``events`` table, which holds each conversation's
events already redacted, keyed by the conversation's keyed hash.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from bot.analytics import kpi
from bot.analytics.models import Conversation, Event
from bot.console import auth
from bot.console.routes import User, actor, render_page, runtime
from bot.handoff.accounts import Staff
from bot.handoff.errors import Forbidden, InvalidInput, NotAuthenticated, NotFound, Unavailable
from bot.handoff.sync import in_thread
from bot.handoff.transcript import classify
from bot.privacy import redact

router = APIRouter(prefix="/console")
T = TypeVar("T")

CONVERSATION_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
TRANSCRIPT_LIMIT = 500
OPTIONS_LIMIT = 200
# The console's policy, but plotly.js writes its chart styles (hover layer, drag
# layer pointer events) as inline rules at run time, and a chart without them
# takes no clicks. Scripts stay 'self' only; every text goes in as textContent.
# (tests check that it differs from bot.handoff.app.SECURITY_HEADERS in that only).
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'"
)
Bucket = Literal["hour", "day"]
Dimension = Literal["channel", "journey", "intent"]


async def supervisor(user: User) -> Staff:
    if not user.is_supervisor:
        raise Forbidden("Only supervisors can see analytics.")
    return user


Supervisor = Annotated[Staff, Depends(supervisor)]


async def _read(request: Request, work: Callable[[Session], T]) -> T:
    """Run ``work`` on a session of the analytics store, in a worker thread."""
    rt = runtime(request)

    def run() -> T:
        with rt.analytics() as session:
            return work(session)

    try:
        return await in_thread(run)
    except kpi.KPIError as e:
        raise InvalidInput(f"{str(e).capitalize()}.") from e
    except (OperationalError, ProgrammingError) as e:
        raise Unavailable(
            "The analytics store cannot be read: it is unreachable, or nothing has created its "
            "tables yet (the analytics consumer migrates it when it starts); check "
            "TANDEM_ANALYTICS_DB_URL."
        ) from e


def _epoch(day: date) -> float:
    return datetime.combine(day, time(), tzinfo=UTC).timestamp()


def filters_from(
    since: Annotated[date | None, Query(description="first day, UTC (YYYY-MM-DD)")] = None,
    until: Annotated[date | None, Query(description="last day, UTC, inclusive")] = None,
    channel: Annotated[str | None, Query(max_length=40)] = None,
    journey: Annotated[str | None, Query(max_length=40)] = None,
) -> kpi.Filters:
    if since and until and until < since:
        raise InvalidInput("The end date is before the start date; pick a later end date.")
    return kpi.Filters(
        since=_epoch(since) if since else None,
        until=_epoch(until + timedelta(days=1)) if until else None,
        channel=channel or None,
        journey=journey or None,
    )


Filtered = Annotated[kpi.Filters, Depends(filters_from)]


def _metric(name: str | None) -> str | None:
    if name is not None and name not in kpi.METRICS:
        raise InvalidInput(f"Unknown metric {name!r}; use one of {', '.join(kpi.METRICS)}.")
    return name


def transcript(events: Sequence[Event]) -> list[dict[str, Any]]:
    """The messages of a conversation's stored events, oldest first, as the console shows them."""
    result = []
    for event in events:
        body = dict(event.body or {})
        body.setdefault("event", event.type)
        kind = classify(body)
        if kind is None:
            continue
        sender, agent = kind
        result.append(
            {
                "seq": event.seq,
                "sender": sender,
                "agent": agent,
                "text": redact(str(body["text"])),
                "at": datetime.fromtimestamp(event.ts, UTC).isoformat(),
            }
        )
    return result


# the page


@router.get("/analytics", response_class=HTMLResponse)
async def analytics_page(request: Request) -> Any:
    try:
        user = await auth.current_user(request)
    except NotAuthenticated:
        return RedirectResponse("/console/login", status_code=303)
    if not user.is_supervisor:
        return HTMLResponse(
            render_page("forbidden.html", name=user.name),
            status_code=403,
            headers={"cache-control": "no-store"},
        )
    return HTMLResponse(
        render_page("analytics.html", csrf=user.csrf_token, name=user.name, role=user.role),
        headers={"cache-control": "no-store", "content-security-policy": PAGE_CSP},
    )


@router.get("/analytics/plotly.min.js", include_in_schema=False)
async def plotly_js() -> FileResponse:
    """plotly.js from the ``plotly`` package: served from here, never fetched from a CDN."""
    bundle = resources.files("plotly") / "package_data" / "plotly.min.js"
    return FileResponse(
        str(bundle),
        media_type="text/javascript",
        headers={"cache-control": "public, max-age=86400"},
    )


# JSON API


@router.get("/api/analytics/options")
async def options(request: Request, user: Supervisor) -> dict[str, Any]:
    """What the filters offer: channels, journeys and forms seen, the metrics, the data's dates."""

    def work(session: Session) -> dict[str, Any]:
        everything = kpi.Filters()
        first, last = (
            session.execute(
                select(Conversation.started_at).order_by(Conversation.started_at).limit(1)
            ).scalar(),
            session.execute(
                select(Conversation.started_at).order_by(Conversation.started_at.desc()).limit(1)
            ).scalar(),
        )
        return {
            "channels": _keys(session, "channel"),
            "journeys": _keys(session, "journey"),
            "forms": kpi.form_names(session, everything),
            "metrics": kpi.METRICS,
            "first_day": _day(first),
            "last_day": _day(last),
        }

    return await _read(request, work)


def _keys(session: Session, dimension: str) -> list[str]:
    rows = kpi.breakdown(session, dimension, kpi.Filters(), limit=OPTIONS_LIMIT)
    return sorted(str(r["key"]) for r in rows if r["key"])


def _day(stamp: float | None) -> str | None:
    return datetime.fromtimestamp(stamp, UTC).date().isoformat() if stamp is not None else None


@router.get("/api/analytics/summary")
async def summary(request: Request, user: Supervisor, filters: Filtered) -> dict[str, Any]:
    values = await _read(request, lambda s: kpi.summary(s, filters))
    return {"metrics": values, "definitions": kpi.METRICS}


@router.get("/api/analytics/timeseries")
async def timeseries(
    request: Request,
    user: Supervisor,
    filters: Filtered,
    metric: Annotated[str, Query(max_length=40)] = "conversations",
    bucket: Bucket = "day",
) -> dict[str, Any]:
    name = _metric(metric) or "conversations"
    points = await _read(request, lambda s: kpi.timeseries(s, name, filters, bucket=bucket))
    return {"metric": name, "bucket": bucket, "points": points}


@router.get("/api/analytics/funnel")
async def funnel(
    request: Request,
    user: Supervisor,
    filters: Filtered,
    form: Annotated[str, Query(min_length=1, max_length=80)],
) -> dict[str, Any]:
    steps = await _read(request, lambda s: kpi.funnel(s, form, filters))
    return {"form": form, "steps": steps}


@router.get("/api/analytics/breakdown")
async def breakdown(
    request: Request, user: Supervisor, filters: Filtered, dimension: Dimension = "journey"
) -> dict[str, Any]:
    rows = await _read(request, lambda s: kpi.breakdown(s, dimension, filters))
    return {"dimension": dimension, "rows": rows}


@router.get("/api/analytics/conversations")
async def drilldown(
    request: Request,
    user: Supervisor,
    filters: Filtered,
    metric: Annotated[str | None, Query(max_length=40)] = None,
    bucket_start: Annotated[float | None, Query(ge=0)] = None,
    bucket: Bucket = "day",
    step: Annotated[str | None, Query(max_length=80)] = None,
    form: Annotated[str | None, Query(max_length=80)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    """The conversations behind a chart point (a time bucket, a funnel step) or the filters."""
    name = _metric(metric)
    if step is not None and form is None:
        # Step names repeat across forms; a funnel bar is one form's step.
        raise InvalidInput("A funnel step needs its form: add form=<the funnel's form>.")
    rows = await _read(
        request,
        lambda s: kpi.drilldown(
            s, filters, metric=name, bucket_start=bucket_start, bucket=bucket, step=step,
            form=form, limit=limit,
        ),
    )  # fmt: skip
    return {"conversations": rows, "limit": limit}


@router.get("/api/analytics/conversations/{conversation}")
async def conversation(request: Request, conversation: str, user: Supervisor) -> dict[str, Any]:
    if not CONVERSATION_ID.match(conversation):
        raise InvalidInput("That is not a conversation id; pick a conversation from a chart.")

    def work(session: Session) -> dict[str, Any] | None:
        row = session.get(Conversation, conversation)
        if row is None:
            return None
        events = session.scalars(
            select(Event)
            .where(Event.conversation == conversation, Event.type.in_(("user", "bot")))
            .order_by(Event.seq)
            .limit(TRANSCRIPT_LIMIT)
        ).all()
        return {
            "conversation": row.conversation,
            "started_at": row.started_at,
            "channel": row.channel,
            "journey": row.journey,
            "outcome": row.outcome,
            "csat": row.csat,
            "handed_off": row.handed_off,
            "messages": transcript(events),
        }

    found = await _read(request, work)
    if found is None:
        raise NotFound(
            "No conversation with that id in the analytics store (it may have been pruned).",
            what="conversation",
        )
    await runtime(request).service.audit(
        actor(request, user), "analytics_transcript", f"conversation:{conversation}"
    )
    return found


@router.get("/api/analytics/export.csv")
async def export_csv(request: Request, user: Supervisor, filters: Filtered) -> Response:
    """One row per conversation: FRT, resolution time, CSAT, handoff reason, outcome."""

    def work(session: Session) -> tuple[str, int]:
        out = io.StringIO()
        count = kpi.write_csv(kpi.export_rows(session, filters), out)
        return out.getvalue(), count

    text, count = await _read(request, work)
    await runtime(request).service.audit(
        actor(request, user), "analytics_export", "analytics", rows=count
    )
    dates = [request.query_params.get(k) for k in ("since", "until")]  # valid dates by now
    name = "-".join(["tandem-conversations", *(d for d in dates if d)])
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={
            "content-disposition": f'attachment; filename="{name}.csv"',
            "cache-control": "no-store",
        },
    )
