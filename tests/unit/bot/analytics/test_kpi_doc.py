"""docs/analytics.md's SQL is the KPIs' SQL: each block gives what kpi.summary() gives.

Every ```sql block that starts ``-- kpi: <name>`` (or ``-- timeseries: <name>``)
runs on the hand-built rows of kpi_rows.py; the PostgreSQL twin of this module
(tests/integration/bot/analytics/test_kpi_postgres.py) runs it there too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from bot.analytics import kpi
from bot.analytics.kpi import Filters
from tests.unit.bot.analytics.kpi_rows import DAY0, DAY1, load

DOC = Path(__file__).resolve().parents[4] / "docs" / "analytics.md"
BLOCK = re.compile(r"```sql\n-- (kpi|timeseries): (\w+)\n(.*?)```", re.DOTALL)
BLOCKS = [(kind, name, sql) for kind, name, sql in BLOCK.findall(DOC.read_text())]
RANGES = [(DAY0, DAY1 + 86400), (DAY0, DAY1), (DAY0 + 7000, DAY1 + 150), (0.0, DAY0)]


@pytest.fixture
def db() -> Iterator[Session]:
    engine = create_engine("sqlite://")
    load(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


def test_every_kpi_has_its_sql_in_the_doc() -> None:
    documented = {name for kind, name, _ in BLOCKS if kind == "kpi"}
    assert documented == set(kpi.METRICS)
    headings = set(re.findall(r"^### (\w+)", DOC.read_text(), re.MULTILINE))
    assert {m for m in kpi.METRICS if not m.endswith("_mean")} <= headings


@pytest.mark.parametrize(("kind", "name", "sql"), BLOCKS, ids=[f"{k}:{n}" for k, n, _ in BLOCKS])
def test_the_docs_sql_gives_the_codes_answer(db: Session, kind: str, name: str, sql: str) -> None:
    for since, until in RANGES:
        params = {"since": since, "until": until}
        filters = Filters(since=since, until=until)
        if kind == "kpi":
            got = db.execute(text(sql), params).scalar()
            expected = kpi.summary(db, filters)[name]
            if name == "conversations":
                assert got == expected
            else:
                assert (got is None and expected is None) or float(got) == pytest.approx(expected)
        else:
            rows = [(int(b), float(v), int(n)) for b, v, n in db.execute(text(sql), params)]
            points = [p for p in kpi.timeseries(db, name, filters) if p["n"]]
            assert rows == [(p["bucket"], pytest.approx(p["value"]), p["n"]) for p in points]
