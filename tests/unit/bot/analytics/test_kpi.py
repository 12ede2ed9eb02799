"""bot/analytics/kpi.py on hand-built rows whose every figure is known (kpi_rows.py)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from bot.analytics import kpi
from bot.analytics.kpi import Filters
from tests.unit.bot.analytics.kpi_rows import DAY0, DAY1, EXPECTED, load


@pytest.fixture
def db() -> Iterator[Session]:
    engine = create_engine("sqlite://")
    load(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


def ids(rows: list[dict[str, object]]) -> set[object]:
    return {r["conversation"] for r in rows}


def test_every_metric_is_defined_and_summarised(db: Session) -> None:
    got = kpi.summary(db, Filters())
    assert set(got) == set(kpi.METRICS) == set(EXPECTED)
    assert got == pytest.approx(EXPECTED)


def test_an_empty_store_has_no_figures(db: Session) -> None:
    got = kpi.summary(db, Filters(since=DAY1 + 86400))
    assert got["conversations"] == 0
    assert all(v is None for k, v in got.items() if k != "conversations")


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (
            Filters(channel="slack"),  # c3, c4
            {"conversations": 2, "containment": 0.0, "escalation": 0.5, "abandonment": 0.5,
             "fallback_rate": 1 / 3, "frt_s": 160.0, "csat": 2.5, "rec_ctr": 0.0},
        ),
        (
            Filters(journey="plan"),  # c1, c2, c4
            {"conversations": 3, "containment": 1 / 3, "escalation": 2 / 3,
             "coverage": 3 / 5, "frt_s": 60.0, "queue_wait_s_mean": 40.0,
             "csat_response_rate": 2 / 3, "avg_response_ms": 220.0},
        ),
        (
            Filters(since=DAY1, until=DAY1 + 86400),  # c4, c5
            {"conversations": 2, "containment": 0.5, "fallback_rate": 0.0, "frt_s": 160.0,
             "resolution_s": 1200.0, "csat": 2.5, "csat_response_rate": 1.0, "rec_ctr": 1.0},
        ),
        (
            Filters(since=DAY0, until=DAY1, channel="rest"),  # c1, c2
            {"conversations": 2, "containment": 0.5, "fallback_rate": 0.25, "frt_s": 40.0,
             "frt_s_mean": 40.0, "resolution_s": 600.0, "csat": 5.0, "rec_ctr": 1.0},
        ),
        (Filters(since=DAY0 + 3600, until=DAY0 + 7200), {"conversations": 1, "containment": 1.0}),
    ],
)  # fmt: skip
def test_filters_select_conversations(
    db: Session, filters: Filters, expected: dict[str, float]
) -> None:
    got = kpi.summary(db, filters)
    assert {k: got[k] for k in expected} == pytest.approx(expected)


def test_timeseries_buckets_by_the_day_a_conversation_started(db: Session) -> None:
    assert kpi.timeseries(db, "containment", Filters()) == [
        {"bucket": int(DAY0), "value": pytest.approx(1 / 3), "n": 3, "conversations": 3},
        {"bucket": int(DAY1), "value": 0.5, "n": 2, "conversations": 2},
    ]
    frt = kpi.timeseries(db, "frt_s", Filters())
    assert [(p["value"], p["n"], p["conversations"]) for p in frt] == [(40.0, 2, 1), (160.0, 1, 1)]
    fallback = kpi.timeseries(db, "fallback_rate", Filters())
    assert [(p["value"], p["n"]) for p in fallback] == [(pytest.approx(1 / 3), 6), (0.0, 3)]


def test_timeseries_fills_the_filtered_range_and_hours(db: Session) -> None:
    # until is exclusive: a range ending one second into a day includes that day
    series = kpi.timeseries(db, "conversations", Filters(since=DAY0 - 86400, until=DAY1 + 86401))
    assert [(p["bucket"], p["value"], p["n"]) for p in series] == [
        (int(DAY0 - 86400), 0.0, 0),
        (int(DAY0), 3.0, 3),
        (int(DAY1), 2.0, 2),
        (int(DAY1 + 86400), 0.0, 0),
    ]
    assert [p["n"] for p in kpi.timeseries(db, "csat", Filters(since=DAY0, until=DAY1))] == [1]
    hours = kpi.timeseries(db, "conversations", Filters(until=DAY0 + 3 * 3600), bucket="hour")
    assert [(p["bucket"] - DAY0, p["value"]) for p in hours] == [(3600, 1.0), (7200, 2.0)]
    with pytest.raises(kpi.KPIError, match="unknown metric"):
        kpi.timeseries(db, "happiness", Filters())
    with pytest.raises(kpi.KPIError, match="unknown bucket"):
        kpi.timeseries(db, "csat", Filters(), bucket="fortnight")


def test_funnel_counts_conversations_per_step(db: Session) -> None:
    assert kpi.funnel(db, "plan_form", Filters()) == [
        {"step": "started", "count": 3, "form": "plan_form"},
        {"step": "usage", "count": 3, "form": "plan_form"},
        {"step": "budget", "count": 2, "form": "plan_form"},
        {"step": "confirm_plan", "count": 1, "form": "plan_form"},
        {"step": "completed", "count": 1, "form": "plan_form"},
    ]
    slack = kpi.funnel(db, "plan_form", Filters(channel="slack"))
    assert [(s["step"], s["count"]) for s in slack] == [
        ("started", 1),
        ("usage", 1),
        ("completed", 0),
    ]
    assert kpi.funnel(db, "no_such_form", Filters()) == [
        {"step": "started", "count": 0, "form": "no_such_form"},
        {"step": "completed", "count": 0, "form": "no_such_form"},
    ]
    assert kpi.form_names(db, Filters()) == ["plan_form", "credit_form"]


def test_funnel_step_names_are_matched_exactly(db: Session) -> None:
    """A slot named like another with a LIKE wildcard in it (usage vs us_ge) is its own step."""
    from bot.analytics import models as m

    db.add(m.Form(conversation="c5", name="plan_form", started_seq=9, started_at=DAY1 + 250,
                  outcome="abandoned", slots_asked=["us_ge"]))  # fmt: skip
    db.commit()
    steps = {s["step"]: s["count"] for s in kpi.funnel(db, "plan_form", Filters())}
    assert steps["usage"] == 3 and steps["us_ge"] == 1 and steps["started"] == 4
    assert ids(kpi.drilldown(db, Filters(), form="plan_form", step="us_ge")) == {"c5"}


def test_breakdowns_and_top_intents(db: Session) -> None:
    assert kpi.breakdown(db, "channel", Filters()) == [
        {"key": "rest", "count": 3},
        {"key": "slack", "count": 2},
    ]
    assert kpi.breakdown(db, "journey", Filters()) == [
        {"key": "plan", "count": 3, "completed": 1},
        {"key": "credit", "count": 1, "completed": 0},
        {"key": "knowledge", "count": 1, "completed": 1},
    ]
    assert kpi.breakdown(db, "intent", Filters(), limit=4) == [
        {"key": "faq", "count": 2},
        {"key": "nlu_fallback", "count": 2},
        {"key": "plan_ask", "count": 2},
        {"key": "credit_ask", "count": 1},
    ]
    assert kpi.breakdown(db, "intent", Filters(channel="slack")) == [
        {"key": "credit_ask", "count": 1},
        {"key": "nlu_fallback", "count": 1},
        {"key": "plan_ask", "count": 1},
    ]
    assert kpi.breakdown(db, "csat", Filters()) == [
        {"key": 2, "count": 1},
        {"key": 3, "count": 1},
        {"key": 5, "count": 1},
    ]
    assert kpi.breakdown(db, "csat", Filters(channel="rest")) == [{"key": 5, "count": 1}]
    with pytest.raises(kpi.KPIError, match="unknown dimension"):
        kpi.breakdown(db, "colour", Filters())


# Which conversations give each metric a sample (what a chart point is made of).
POPULATIONS = {
    "conversations": {"c1", "c2", "c3", "c4", "c5"},
    "containment": {"c1", "c2", "c3", "c4", "c5"},
    "fallback_rate": {"c1", "c2", "c3", "c4", "c5"},
    "avg_response_ms": {"c1", "c2", "c3", "c4", "c5"},
    "frt_s": {"c2", "c4"},
    "resolution_s": {"c2", "c4"},
    "queue_wait_s_mean": {"c2", "c4"},
    "csat": {"c1", "c4"},
    "csat_response_rate": {"c1", "c2", "c4"},
    "rec_ctr": {"c1", "c3", "c5"},
}
STARTED = {"c1": DAY0, "c2": DAY0, "c3": DAY0, "c4": DAY1, "c5": DAY1}


@pytest.mark.parametrize("metric", sorted(kpi.METRICS))
@pytest.mark.parametrize(
    "filters", [Filters(), Filters(channel="rest"), Filters(journey="plan", since=DAY0)]
)
def test_drilldown_of_a_point_is_what_the_point_counts(
    db: Session, metric: str, filters: Filters
) -> None:
    for point in kpi.timeseries(db, metric, filters):
        rows = kpi.drilldown(db, filters, metric=metric, bucket_start=point["bucket"])
        assert len(rows) == len(ids(rows)) == point["conversations"]
        assert all(point["bucket"] <= r["started_at"] < point["bucket"] + 86400 for r in rows)
        if metric in POPULATIONS:
            expected = {c for c in POPULATIONS[metric] if STARTED[c] == point["bucket"]}
            if filters.channel == "rest":
                expected -= {"c3", "c4"}
            if filters.journey == "plan":
                expected -= {"c3", "c5"}
            assert ids(rows) == expected


def test_drilldown_of_funnel_steps_intents_and_breakdowns(db: Session) -> None:
    for step in kpi.funnel(db, "plan_form", Filters()):
        rows = kpi.drilldown(db, Filters(), form="plan_form", step=step["step"])
        assert len(rows) == step["count"]
    assert ids(kpi.drilldown(db, Filters(), form="plan_form", step="budget")) == {"c1", "c2"}
    assert ids(kpi.drilldown(db, Filters(), form="plan_form", step="completed")) == {"c1"}
    assert ids(kpi.drilldown(db, Filters(), intent="nlu_fallback")) == {"c2", "c3"}
    assert ids(kpi.drilldown(db, Filters(channel="slack"))) == {"c3", "c4"}
    assert ids(kpi.drilldown(db, Filters(), step="started")) == {"c1", "c2", "c3", "c4"}
    assert ids(kpi.drilldown(db, Filters(), step="income")) == {"c3"}


def test_drilldown_rows_newest_first_and_limited(db: Session) -> None:
    rows = kpi.drilldown(db, Filters(), limit=2)
    assert [r["conversation"] for r in rows] == ["c5", "c4"]
    assert rows[1] == {
        "conversation": "c4",
        "started_at": DAY1 + 100,
        "channel": "slack",
        "journey": "plan",
        "outcome": "escalated",
        "csat": 3,
        "handed_off": True,
    }


def test_export_has_one_row_per_conversation_with_its_first_handoff(db: Session) -> None:
    rows = list(kpi.export_rows(db, Filters()))
    assert [r["conversation"] for r in rows] == ["c1", "c2", "c3", "c4", "c5"]
    c2 = rows[1]
    assert (c2["handoff_reason"], c2["frt_s"], c2["resolution_s"], c2["queue_wait_s"]) == (
        "customer_request", 60.0, 600.0, 30.0,
    )  # fmt: skip
    assert c2["returned_to_bot"] is True and c2["outcome"] == "escalated" and c2["csat"] is None
    assert rows[0]["frt_s"] is None and rows[0]["csat"] == 5 and rows[0]["journey_completed"]
    assert rows[0]["started_at_utc"] == "2024-10-04T01:00:00+00:00"
    assert [r["conversation"] for r in kpi.export_rows(db, Filters(journey="plan"))] == [
        "c1", "c2", "c4",
    ]  # fmt: skip


def test_csv_export_is_readable_and_formula_safe(db: Session) -> None:
    out = io.StringIO()
    assert kpi.write_csv(kpi.export_rows(db, Filters()), out) == 5
    table = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert list(table[0]) == list(kpi.EXPORT_COLUMNS)
    assert [r["conversation"] for r in table] == ["c1", "c2", "c3", "c4", "c5"]
    c4 = table[3]
    assert c4["handoff_reason"] == '\'=HYPERLINK("x")'  # never run as a spreadsheet formula
    assert (c4["frt_s"], c4["resolution_s"], c4["csat"], c4["outcome"]) == (
        "160.0", "1200.0", "3", "escalated",
    )  # fmt: skip
    assert table[0]["frt_s"] == "" and table[0]["journey_completed"] == "True"


def test_queries_take_a_connection_too(db: Session) -> None:
    with db.get_bind().connect() as conn:
        assert kpi.summary(conn, Filters())["csat"] == pytest.approx(10 / 3)
