"""``tandem report``: one offline HTML file with the period's KPIs and charts."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from bot import cli
from bot.analytics import charts
from bot.analytics.report import format_value, parse_time
from bot.errors import ConfigError
from tests.unit.bot.analytics.kpi_rows import DAY0, load


@pytest.fixture
def store(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'analytics.db'}"
    engine = create_engine(url)
    load(engine)
    engine.dispose()
    return url


class Resources(HTMLParser):
    """Every URL the page would fetch (scripts, styles, images, frames)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.urls.append(value)


def test_report_command_writes_a_self_contained_page(store: str, tmp_path: Path) -> None:
    out = tmp_path / "out" / "report.html"
    argv = ["report", "--db", store, "--since", "2024-10-03", "--until", "2024-10-06",
            "--out", str(out)]  # fmt: skip
    assert cli.main(argv) == cli.EXIT_OK
    page = out.read_text()
    parser = Resources()
    parser.feed(page)
    assert parser.urls == []  # nothing to fetch: it opens offline
    svgs = re.findall(r"<svg.*?</svg>", page, re.DOTALL)
    assert len(svgs) >= 10
    for svg in svgs:
        ET.fromstring(svg)  # well-formed
    for figure in ("40.0 %", "60 s", "3.33 / 5", "66.7 %", "289 ms"):  # kpi_rows.EXPECTED
        assert figure in page
    assert "Funnel: plan_form" in page and "Funnel: credit_form" in page
    assert "confirm_plan" in page and "nlu_fallback" in page
    assert "2024-10-03 00:00 UTC" in page
    assert "<script" not in page


def test_report_of_an_empty_period_and_of_a_missing_store(store: str, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    assert cli.main(["report", "--db", store, "--since", "2020-01-01", "--until", "2020-01-02",
                     "--out", str(out)]) == cli.EXIT_OK  # fmt: skip
    assert "no data" in out.read_text() and "No form was started" in out.read_text()
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    assert cli.main(["report", "--db", empty, "--out", str(out)]) == cli.EXIT_STORE
    assert cli.main(["report", "--db", store, "--since", "soon"]) == cli.EXIT_CONFIG


def test_times_and_values_read_as_people_write_them() -> None:
    now = DAY0 + 86400
    assert parse_time("7d", now=now) == now - 7 * 86400
    assert parse_time("36h", now=now) == now - 36 * 3600
    assert parse_time("90m", now=now) == now - 5400
    assert parse_time("2024-10-04", now=now) == DAY0
    assert parse_time("2024-10-04T01:00", now=now) == DAY0 + 3600
    assert parse_time(str(DAY0), now=now) == DAY0
    with pytest.raises(ConfigError, match="7d"):
        parse_time("last week", now=now)
    assert format_value("containment", 0.4) == "40.0 %"
    assert format_value("frt_s", 600.0) == "10.0 min"
    assert format_value("csat", None) == "-"


def test_charts_escape_text_and_break_lines_at_gaps() -> None:
    svg = charts.line_chart(
        {"<b>": [(DAY0, 1.0), (DAY0 + 86400, None), (DAY0 + 2 * 86400, 3.0)]}, title="a & b"
    )
    root = ET.fromstring(svg)
    assert "a &amp; b" in svg and "<b>" not in svg
    ns = "{http://www.w3.org/2000/svg}"
    assert len(root.findall(f"{ns}circle")) == 2 and not root.findall(f"{ns}polyline")
    bars = ET.fromstring(charts.bar_chart([("x", 2.0), ("y", 1.0)], title="t"))
    widths = [float(r.get("width", 0)) for r in bars.findall(f"{ns}rect")]
    assert widths[0] == 2 * widths[1]
