"""``python -m bot report``: the KPIs of a period as one self-contained HTML file.

    tandem report --since 7d [--until 2024-10-08] [--out report.html] [--db URL]

Reads the analytics store (``--db``, else ``TANDEM_ANALYTICS_DB_URL`` through
:class:`bot.analytics.settings.AnalyticsSettings`) with :mod:`bot.analytics.kpi`
and writes the key figures, the KPIs per day, each form's funnel, top intents,
channels, journeys and the CSAT distribution. The charts are inline SVG
(:mod:`bot.analytics.charts`): the file opens anywhere, offline.
"""

from __future__ import annotations

import argparse
import logging
import re
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

from bot.analytics import charts
from bot.errors import ConfigError, StoreError

logger = logging.getLogger("bot.analytics.report")

_SPAN = re.compile(r"^(\d+(?:\.\d+)?)([dhm])$")
_UNIT_S = {"d": 86400, "h": 3600, "m": 60}
RATES = ("containment", "escalation", "abandonment", "fallback_rate", "coverage")
DURATIONS = ("frt_s", "queue_wait_s", "resolution_s")
PERCENT = set(RATES) | {"csat_response_rate", "rec_ctr"}


def parse_time(value: str, *, now: float) -> float:
    """``7d``/``24h``/``90m`` before ``now``, an ISO date or date-time (UTC), or epoch seconds."""
    span = _SPAN.match(value.strip())
    if span:
        return now - float(span[1]) * _UNIT_S[span[2]]
    try:
        return float(value)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ConfigError(
            f"{value!r} is not a time: use a span before now (7d, 24h, 90m), "
            "a date (2024-10-01), a date-time (2024-10-01T12:00) or epoch seconds."
        ) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def format_value(metric: str, value: float | None) -> str:
    if value is None:
        return "-"
    if metric in PERCENT:
        return f"{value * 100:.1f} %"
    if metric.endswith("_s") or metric.endswith("_s_mean"):
        return f"{value:,.0f} s" if value < 120 else f"{value / 60:,.1f} min"
    if metric == "avg_response_ms":
        return f"{value:,.0f} ms"
    if metric == "csat":
        return f"{value:.2f} / 5"
    return f"{value:,.0f}"


def _percent(value: float) -> str:
    return f"{value * 100:.0f} %"


def _date(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1000px;color:#111;padding:0 1rem}
h1{margin-bottom:.2rem} .period{color:#555;margin-top:0}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:.6rem}
.card{border:1px solid #e5e7eb;border-radius:8px;padding:.6rem .8rem}
.card .v{font-size:1.4rem;font-weight:600} .card .d{font-size:.75rem;color:#555}
section{margin-top:2rem} table{border-collapse:collapse;margin:.5rem 0}
td,th{border-bottom:1px solid #e5e7eb;padding:.25rem .8rem;text-align:left}
svg{max-width:100%;height:auto;display:block;margin:.5rem 0}
"""


def render(data: Mapping[str, Any]) -> str:
    """The report's HTML from :func:`collect`'s data (pure: tested without a database)."""
    summary: Mapping[str, float | None] = data["summary"]
    definitions: Mapping[str, str] = data["definitions"]
    series: Mapping[str, list[dict[str, Any]]] = data["series"]
    cards = "".join(
        f'<div class="card"><div class="v">{escape(format_value(name, summary.get(name)))}</div>'
        f'<div>{escape(name)}</div><div class="d">{escape(text)}</div></div>'
        for name, text in definitions.items()
    )

    def points(metric: str) -> list[tuple[float, float | None]]:
        return [(p["bucket"], p["value"]) for p in series.get(metric, [])]

    def chart(title: str, metrics: Sequence[str], fmt: Any = charts._fmt) -> str:
        return charts.line_chart({m: points(m) for m in metrics}, title=title, y_format=fmt)

    over_time = [
        chart("Conversations per day", ["conversations"]),
        chart("Outcomes (share of conversations)", RATES[:3], _percent),
        chart("Fallback rate and coverage (share of messages)", RATES[3:], _percent),
        chart("Handoff times, median (s)", DURATIONS),
        chart("CSAT (mean rating)", ["csat"]),
        chart("Bot response time (ms)", ["avg_response_ms"]),
    ]
    funnels = [
        charts.bar_chart([(s["step"], s["count"]) for s in steps], title=f"Funnel: {form}")
        for form, steps in data["funnels"].items()
    ] or ["<p>No form was started in this period.</p>"]
    intents = charts.bar_chart(
        [(str(r["key"]), r["count"]) for r in data["intents"]], title="Top intents (messages)"
    )
    ratings = {int(r["key"]): r["count"] for r in data["csat"]}
    csat = charts.bar_chart(
        [(f"{score} / 5", ratings.get(score, 0)) for score in range(5, 0, -1)],
        title="CSAT ratings",
    )
    channels = _table(
        ["channel", "conversations"], [(r["key"], r["count"]) for r in data["channels"]]
    )
    journeys = _table(
        ["journey", "conversations", "completed"],
        [(r["key"] or "(none)", r["count"], r["completed"]) for r in data["journeys"]],
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(data["title"])}</title><style>{STYLE}</style></head>
<body>
<h1>{escape(data["title"])}</h1>
<p class="period">Conversations started from {escape(_date(data["since"]))} to
{escape(_date(data["until"]))} &middot; written {escape(_date(data["generated_at"]))}.
Definitions and SQL: docs/analytics.md.</p>
<section><h2>Key figures</h2><div class="cards">{cards}</div></section>
<section><h2>Over time</h2>{"".join(over_time)}</section>
<section><h2>Funnels</h2>{"".join(funnels)}</section>
<section><h2>What customers ask</h2>{intents}</section>
<section><h2>Satisfaction</h2>{csat}</section>
<section><h2>Channels and journeys</h2>{channels}{journeys}</section>
</body></html>
"""


def collect(session: Any, since: float, until: float, *, bucket: str = "day") -> dict[str, Any]:
    """Everything the report shows, read with :mod:`bot.analytics.kpi`."""
    from bot.analytics import kpi

    filters = kpi.Filters(since=since, until=until)
    shown = ("conversations", *RATES, *DURATIONS, "csat", "avg_response_ms")
    return {
        "title": "Tandem conversation report",
        "since": since,
        "until": until,
        "generated_at": time.time(),
        "summary": kpi.summary(session, filters),
        "definitions": kpi.METRICS,
        "series": {m: kpi.timeseries(session, m, filters, bucket) for m in shown},
        "funnels": {f: kpi.funnel(session, f, filters) for f in kpi.form_names(session, filters)},
        "intents": kpi.breakdown(session, "intent", filters, limit=15),
        "channels": kpi.breakdown(session, "channel", filters),
        "journeys": kpi.breakdown(session, "journey", filters),
        "csat": kpi.breakdown(session, "csat", filters),
    }


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The command's flags, on ``parser`` (``tandem report`` adds them to its subcommand)."""
    parser.add_argument("--since", default="7d", help="start: 7d, 24h, 90m, a date (default 7d)")
    parser.add_argument("--until", default=None, help="end, exclusive (default: now)")
    parser.add_argument("--out", type=Path, default=Path("report.html"), help="the HTML file")
    parser.add_argument("--db", default=None, help="analytics DB URL (TANDEM_ANALYTICS_DB_URL)")
    parser.add_argument("--bucket", choices=("day", "hour"), default="day")
    return parser


def _db_url(arg: str | None) -> str:
    if arg:
        return arg
    from bot.analytics.settings import AnalyticsSettings

    return AnalyticsSettings.from_env().db_url


def write_report(url: str, out: Path, since: float, until: float, *, bucket: str = "day") -> int:
    """Write the report for ``url``'s store to ``out``; returns the conversations covered."""
    from sqlalchemy import inspect
    from sqlalchemy.orm import Session

    from bot.analytics.db import make_engine

    engine = make_engine(url)
    try:
        if not inspect(engine).has_table("conversations"):
            raise StoreError(
                "The analytics store has no tables yet: start the assistant with analytics on "
                "(docs/analytics-ingest.md), or point --db or TANDEM_ANALYTICS_DB_URL at its "
                "database."
            )
        with Session(engine) as session:
            data = collect(session, since, until, bucket=bucket)
    finally:
        engine.dispose()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(data), encoding="utf-8")
    return int(data["summary"]["conversations"] or 0)


def run(args: argparse.Namespace) -> int:
    now = time.time()
    since = parse_time(args.since, now=now)
    until = parse_time(args.until, now=now) if args.until else now
    if since >= until:
        raise ConfigError(f"--since ({args.since}) must be before --until ({args.until or 'now'}).")
    covered = write_report(_db_url(args.db), args.out, since, until, bucket=args.bucket)
    logger.info("report on %d conversations written to %s", covered, args.out)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tandem report", description=__doc__.splitlines()[0])
    return run(add_arguments(parser).parse_args(argv))
