"""The dashboard benchmark's path at a small size: the same rows, queries and results file.

Asserts what the figures must be (the generator's own tallies, drill-down =
the point's conversations, other keys of analytics.json kept), never a timing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from benchmarks import analytics_queries as bench
from bot.analytics import kpi


@pytest.fixture(scope="module")
def data() -> bench.Dataset:
    return bench.generate(6000)


def test_the_rows_are_worth_the_events_asked_for(data: bench.Dataset) -> None:
    assert 6000 <= data.events < 6000 + 3 + 20 * bench.EVENTS_PER_TURN
    assert len(data.rows["conversations"]) == data.tally["conversations"] > 100
    assert bench.generate(6000).rows == data.rows  # seeded: the same data every run
    assert {r["conversation"] for r in data.rows["turns"]} <= {
        r["conversation"] for r in data.rows["conversations"]
    }


def test_every_dashboard_query_runs_and_agrees_with_the_data(data: bench.Dataset) -> None:
    engine = create_engine("sqlite://")
    bench.load(engine, data)
    bench.check(engine, data)  # summary == the generator's tallies
    last_day = bench.START + (bench.DAYS - 1) * bench.DAY
    with Session(engine) as session:
        answers = {name: query(session) for name, query in bench.queries(last_day)}
        assert len(answers) == 5 * 15  # 15 questions, 5 sets of filters
        assert answers["summary [all]"]["conversations"] == data.tally["conversations"]
        series = answers["timeseries frt_s [all]"]
        assert len(series) == bench.DAYS
        for point in series[-3:]:
            rows = kpi.drilldown(session, metric="frt_s", bucket_start=point["bucket"], limit=10**6)
            assert len(rows) == point["conversations"] and all(r["handed_off"] for r in rows)
        steps = {s["step"]: s["count"] for s in answers["funnel mobile_plan_form [all]"]}
        assert list(steps) == ["started", *bench.PLAN_SLOTS, "completed"]
        assert steps["started"] == steps["usage"] >= steps["contract"] >= steps["completed"] > 0
        contract = kpi.drilldown(session, form="mobile_plan_form", step="contract", limit=10**6)
        assert len(contract) == steps["contract"]
        slack = answers["summary [slack]"]["conversations"]
        assert slack == sum(r["channel"] == "slack" for r in data.rows["conversations"])
    engine.dispose()


def test_results_are_merged_into_the_shared_file(tmp_path: Path) -> None:
    (tmp_path / "analytics.json").write_text(json.dumps({"ingest_events_per_s": 1234}))
    bench.write_results({"dashboard_query_p95_ms": 12.5}, tmp_path)
    assert json.loads((tmp_path / "analytics.json").read_text()) == {
        "ingest_events_per_s": 1234,
        "dashboard_query_p95_ms": 12.5,
    }
    assert bench.p95([float(i) for i in range(1, 101)]) == 95.0
