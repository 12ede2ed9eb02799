"""Benchmark of the dashboard's queries on 1,000,000 synthetic events' worth of analytics rows.

    python -m benchmarks.analytics_queries [--events 1000000] [--repeats 5] [--no-postgres]

Generates the rows the store derives from that many events (conversations,
turns, handoffs, ratings, results, forms over 30 days; a conversation is
about 25 events: session start, and per customer message the user event, the
action, the bot message, the listen and a slot or two) and bulk-inserts them
into SQLite (a file) and PostgreSQL (a fresh database on 127.0.0.1:5432,
skipped when none listens). The ``events`` and ``actions`` tables stay empty:
no dashboard query reads them. Then it times what the console's dashboard asks
(bot/console/analytics.py): the summary, time series, funnels, breakdowns and
drill-downs, with no filter and with date-range, channel and journey filters,
each ``--repeats`` times after one warm-up run.

Writes ``dashboard_query_p95_ms`` (PostgreSQL; target <= 1,000 ms),
``dashboard_query_p95_ms_sqlite`` and the per-query figures into
``benchmarks/results/analytics.json`` (other keys kept), plus
``analytics_queries.md`` and ``analytics_queries.png``.
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from bot.analytics import kpi, models

RESULTS = Path(__file__).resolve().parent / "results"
DAY = 86400
START = 1_727_740_800.0  # 2024-10-01 00:00 UTC
DAYS = 30
CHANNELS = (("socketio", 0.45), ("rest", 0.2), ("slack", 0.2), ("teams", 0.15))
PLAN_SLOTS = ("usage", "budget", "contract", "confirm_plan")
CREDIT_SLOTS = ("income", "expenses", "employment", "consent")
JOURNEYS = {  # journey: (weight, form, its slots, intent)
    "knowledge": (0.30, None, (), "ask_faq"),
    "plan": (0.15, "mobile_plan_form", PLAN_SLOTS, "ask_plan_advice"),
    "credit": (0.10, "credit_form", CREDIT_SLOTS, "ask_credit_check"),
    "savings": (0.05, "savings_plan_form", ("goal", "horizon", "risk"), "ask_savings_plan"),
    "recommendation": (0.12, None, (), "ask_recommendation"),
    "orders": (0.10, "order_status_form", ("order_number", "email"), "ask_order_status"),
    "handoff": (0.08, None, (), "ask_human"),
    "smalltalk": (0.10, None, (), "greet"),
}
OTHER_INTENTS = (
    "inform",
    "affirm",
    "deny",
    "thanks",
    "goodbye",
    "ask_store_hours",
    "bot_challenge",
)
EVENTS_PER_CONVERSATION_BASE = 3  # session_started, action_listen, the greeting's action
EVENTS_PER_TURN = 6
POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _pick(rng: random.Random, weighted: Any) -> Any:
    items, weights = zip(*weighted, strict=True)
    return rng.choices(items, weights)[0]


@dataclass
class Dataset:
    """The generated rows by table, and the tallies they must give (the correctness check)."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    events: int = 0
    tally: dict[str, float] = field(default_factory=dict)


def generate(n_events: int, *, seed: int = 21) -> Dataset:
    """Rows worth ``n_events`` events, and the expected conversations/containment/csat figures."""
    rng = random.Random(seed)
    data = Dataset(
        rows={t: [] for t in ("conversations", "turns", "handoffs", "csat", "results", "forms")}
    )
    rows = data.rows
    journeys = [(j, spec[0]) for j, spec in JOURNEYS.items()]
    contained = ratings_sum = ratings = 0
    i = 0
    while data.events < n_events:
        cid = f"{i:064x}"  # stands for the keyed hash
        i += 1
        started = START + rng.random() * DAYS * DAY
        channel = _pick(rng, CHANNELS)
        journey = _pick(rng, journeys)
        _, form, slots, intent = JOURNEYS[journey]
        n_turns = max(1, min(20, int(rng.expovariate(1 / 4)) + 1))
        data.events += EVENTS_PER_CONVERSATION_BASE + n_turns * EVENTS_PER_TURN
        handed_off = journey == "handoff" or rng.random() < 0.06
        abandoned = not handed_off and rng.random() < 0.18
        outcome = "escalated" if handed_off else "abandoned" if abandoned else "contained"
        contained += outcome == "contained"
        fallbacks, responses = 0, []
        t = started
        for k in range(n_turns):
            t += rng.uniform(3, 40)
            fallback = rng.random() < 0.08
            fallbacks += fallback
            response = rng.lognormvariate(6.2, 0.6)
            responses.append(response)
            rows["turns"].append({
                "conversation": cid, "seq": 2 + k * EVENTS_PER_TURN, "ts": t, "channel": channel,
                "text": "", "intent": "nlu_fallback" if fallback else intent if k == 0
                else rng.choice(OTHER_INTENTS), "confidence": rng.uniform(0.3, 1.0),
                "fallback": fallback, "clarified": fallback and rng.random() < 0.5,
                "handled": not fallback, "unhandled_reason": "nlu_fallback" if fallback else None,
                "response_ms": response, "by_agent": handed_off and k == n_turns - 1 and k > 0,
            })  # fmt: skip
        if handed_off:
            wait = rng.expovariate(1 / 60)
            frt = wait + rng.expovariate(1 / 30)
            resolution = frt + rng.expovariate(1 / 600) if rng.random() < 0.85 else None
            rows["handoffs"].append({
                "conversation": cid, "requested_seq": 8, "requested_at": started + 30,
                "reason": rng.choice(("customer_request", "nlu_fallback", "frustration")),
                "assigned_at": started + 30 + wait, "first_agent_reply_at": started + 30 + frt,
                "resolved_at": None if resolution is None else started + 30 + resolution,
                "returned_to_bot": resolution is not None, "queue_wait_s": wait,
                "first_response_s": frt, "resolution_s": resolution,
            })  # fmt: skip
        prompted = not abandoned and rng.random() < 0.6
        score = (
            rng.choices((1, 2, 3, 4, 5), (5, 7, 15, 33, 40))[0]
            if prompted and rng.random() < 0.45
            else None
        )
        if score is not None:
            ratings_sum, ratings = ratings_sum + score, ratings + 1
            context = "handoff" if handed_off else "conversation"
            rows["csat"].append(
                {"conversation": cid, "seq": 90, "ts": t + 5, "score": score, "context": context}
            )
        completed = False
        if form:
            asked = list(slots[: rng.randint(1, len(slots))]) if abandoned else list(slots)
            completed = not abandoned and not handed_off
            rows["forms"].append({
                "conversation": cid, "name": form, "started_seq": 4, "started_at": started + 5,
                "ended_at": t, "outcome": "completed" if completed else "abandoned",
                "slots_asked": asked, "abandoned_at_slot": None if completed else asked[-1],
            })  # fmt: skip
        if journey == "recommendation":
            clicked = rng.random() < 0.35
            rows["results"].append({
                "conversation": cid, "seq": 7, "ts": started + 20, "result_type": "recommendations",
                "label": None, "items": ["p1", "p2", "p3"],
                "clicked_item": "p2" if clicked else None,
                "clicked_at": started + 40 if clicked else None,
            })  # fmt: skip
            completed = True
        elif journey in ("knowledge", "smalltalk") and not abandoned:
            completed = True
        rows["conversations"].append({
            "conversation": cid, "channel": channel, "started_at": started, "last_event_at": t,
            "sessions": 1, "user_turns": n_turns, "bot_messages": n_turns, "fallbacks": fallbacks,
            "journey": journey, "journey_completed": completed, "handed_off": handed_off,
            "outcome": outcome, "avg_response_ms": sum(responses) / n_turns,
            "csat": score, "csat_prompted": prompted,
        })  # fmt: skip
    n = len(rows["conversations"])
    data.tally = {
        "conversations": float(n),
        "containment": contained / n,
        "csat": ratings_sum / ratings if ratings else float("nan"),
    }
    return data


def load(engine: Engine, data: Dataset, *, chunk: int = 5000) -> float:
    """Create the tables and bulk-insert the rows; returns the seconds it took."""
    started = time.perf_counter()
    models.Base.metadata.create_all(engine)
    tables = models.Base.metadata.tables
    with engine.begin() as conn:
        for name, rows in data.rows.items():
            for at in range(0, len(rows), chunk):
                conn.execute(tables[name].insert(), rows[at : at + chunk])
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return time.perf_counter() - started


def queries(last_day: float) -> list[tuple[str, Callable[[Session], Any]]]:
    """What the dashboard asks, by name: filters off, then by date range, channel and journey."""
    week = kpi.Filters(since=last_day - 6 * DAY, until=last_day + DAY)
    slack = kpi.Filters(channel="slack")
    plan = kpi.Filters(journey="plan", since=last_day - 13 * DAY)
    combined = kpi.Filters(
        since=last_day - 6 * DAY, until=last_day + DAY, channel="socketio", journey="knowledge"
    )
    asks: list[tuple[str, Callable[[Session, kpi.Filters], Any]]] = [
        ("summary", kpi.summary),
        *[
            (f"timeseries {m}", lambda s, f, m=m: kpi.timeseries(s, m, f))
            for m in ("conversations", "containment", "fallback_rate", "frt_s")
        ],
        ("timeseries csat hourly", lambda s, f: kpi.timeseries(s, "csat", f, "hour")),
        ("funnel mobile_plan_form", lambda s, f: kpi.funnel(s, "mobile_plan_form", f)),
        ("form names", kpi.form_names),
        *[
            (f"breakdown {d}", lambda s, f, d=d: kpi.breakdown(s, d, f))
            for d in ("channel", "journey", "intent")
        ],
        ("drilldown point frt_s",
         lambda s, f: kpi.drilldown(s, f, metric="frt_s", bucket_start=last_day)),
        ("drilldown funnel step",
         lambda s, f: kpi.drilldown(s, f, form="mobile_plan_form", step="contract")),
        ("drilldown intent", lambda s, f: kpi.drilldown(s, f, intent="nlu_fallback")),
        ("drilldown filters", lambda s, f: kpi.drilldown(s, f)),
    ]  # fmt: skip
    filters = {
        "all": kpi.Filters(),
        "7 days": week,
        "slack": slack,
        "plan 14 d": plan,
        "7 d+channel+journey": combined,
    }
    out: list[tuple[str, Callable[[Session], Any]]] = []
    for label, f in filters.items():
        out += [(f"{name} [{label}]", lambda s, ask=ask, f=f: ask(s, f)) for name, ask in asks]
    return out


def time_queries(engine: Engine, last_day: float, repeats: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {}
    with Session(engine) as session:
        for name, query in queries(last_day):
            query(session)  # warm-up
            runs = []
            for _ in range(repeats):
                started = time.perf_counter()
                query(session)
                runs.append((time.perf_counter() - started) * 1000)
            timings[name] = runs
            session.rollback()
    return timings


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def check(engine: Engine, data: Dataset) -> None:
    """The figures the dashboard shows are the generator's own tallies."""
    with Session(engine) as session:
        got = kpi.summary(session, kpi.Filters())
        for name, expected in data.tally.items():
            value = got[name]
            if value is None or abs(value - expected) > 1e-9 * max(1.0, abs(expected)):
                raise AssertionError(f"{name}: the dashboard says {value}, the data {expected}")


def reachable(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def postgres_database() -> Iterator[str | None]:
    """A fresh database on the local PostgreSQL (dropped afterwards), or None without one."""
    if not reachable(5432):
        yield None
        return
    name = f"analytics_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run_backend(url: str, data: Dataset, repeats: int) -> dict[str, Any]:
    engine = create_engine(url)
    try:
        load_s = load(engine, data)
        check(engine, data)
        last_day = START + (DAYS - 1) * DAY
        timings = time_queries(engine, last_day, repeats)
    finally:
        engine.dispose()
    every = [t for runs in timings.values() for t in runs]
    return {
        "load_s": round(load_s, 1),
        "p95_ms": round(p95(every), 1),
        "median_ms": round(statistics.median(every), 1),
        "max_ms": round(max(every), 1),
        "queries": {k: round(statistics.median(v), 1) for k, v in timings.items()},
        "query_p95_ms": {k: round(p95(v), 1) for k, v in timings.items()},
    }


def write_results(result: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    path = out / "analytics.json"
    merged = json.loads(path.read_text()) if path.exists() else {}
    merged.update(result)
    path.write_text(json.dumps(merged, indent=2) + "\n")


def write_markdown(result: dict[str, Any], backends: dict[str, dict[str, Any]], out: Path) -> None:
    m = result["dashboard_machine"]
    rows = result["dashboard_rows"]
    lines = [
        "# Dashboard query benchmark",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB. Command: "
        f"`python -m benchmarks.analytics_queries --events {result['dashboard_events_asked']}`.",
        "",
        f"Rows for {result['dashboard_events']:,} synthetic events: "
        + ", ".join(f"{n:,} {t}" for t, n in rows.items())
        + f". Each query ran {result['dashboard_repeats']} times after a warm-up; "
        "p95 over every run of every query.",
        "",
        "| backend | load (s) | p95 (ms) | median (ms) | max (ms) | target |",
        "|---|---|---|---|---|---|",
    ]
    for name, b in backends.items():
        target = "<= 1,000 ms" if name == "postgresql" else ""
        lines.append(
            f"| {name} | {b['load_s']} | {b['p95_ms']} | {b['median_ms']} | {b['max_ms']} "
            f"| {target} |"
        )
    lines += ["", "| query | " + " | ".join(f"{n} median (ms)" for n in backends) + " |",
              "|---|" + "---|" * len(backends)]  # fmt: skip
    first = next(iter(backends.values()))
    for query in first["queries"]:
        cells = " | ".join(str(b["queries"][query]) for b in backends.values())
        lines.append(f"| {query} | {cells} |")
    (out / "analytics_queries.md").write_text("\n".join(lines) + "\n")


def plot(backends: dict[str, dict[str, Any]], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    kinds: dict[str, dict[str, list[float]]] = {}
    for name, b in backends.items():
        for query, ms in b["queries"].items():
            kind = query.split(" [")[0].split(" ")[0]
            kinds.setdefault(kind, {}).setdefault(name, []).append(ms)
    fig, ax = plt.subplots(figsize=(8, 4))
    labels = list(kinds)
    width = 0.8 / max(1, len(backends))
    for i, name in enumerate(backends):
        ax.bar([x + i * width for x in range(len(labels))],
               [max(kinds[k].get(name, [0])) for k in labels], width, label=name)  # fmt: skip
    ax.axhline(1000, color="red", linestyle="--", linewidth=1, label="target (PostgreSQL)")
    ax.set_xticks([x + width * (len(backends) - 1) / 2 for x in range(len(labels))], labels)
    ax.set_ylabel("slowest median per kind (ms)")
    ax.set_yscale("log")
    ax.set_title("Dashboard queries on 1M events' worth of rows")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "analytics_queries.png", dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    from benchmarks.serving import machine

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    data = generate(args.events)
    took = time.perf_counter() - started
    print(f"generated {data.events:,} events' worth of rows in {took:.1f} s: "
          + ", ".join(f"{len(r):,} {t}" for t, r in data.rows.items()))  # fmt: skip
    backends: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        backends["sqlite"] = run_backend(f"sqlite:///{tmp}/analytics.db", data, args.repeats)
        print(f"sqlite: p95 {backends['sqlite']['p95_ms']} ms")
    if not args.no_postgres:
        with postgres_database() as url:
            if url is None:
                print("PostgreSQL is not on 127.0.0.1:5432: skipped")
            else:
                backends["postgresql"] = run_backend(url, data, args.repeats)
                print(f"postgresql: p95 {backends['postgresql']['p95_ms']} ms")
    result: dict[str, Any] = {
        "dashboard_query_p95_ms": backends.get("postgresql", {}).get("p95_ms"),
        "dashboard_query_p95_ms_sqlite": backends["sqlite"]["p95_ms"],
        "dashboard_query_target_ms": 1000,
        "dashboard_events": data.events,
        "dashboard_events_asked": args.events,
        "dashboard_rows": {t: len(r) for t, r in data.rows.items()},
        "dashboard_repeats": args.repeats,
        "dashboard_backends": backends,
        "dashboard_machine": machine(),
    }
    write_results(result, args.out)
    write_markdown(result, backends, args.out)
    plot(backends, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
