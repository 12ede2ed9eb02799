# ruff: noqa: RUF001  (Chinese text, on purpose)
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.errors import ConfigError
from bot.handoff import OpenHours
from bot.handoff.hours import spec_from_page
from tests.conftest import PROJECT_ROOT


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_default_is_always_open() -> None:
    hours = OpenHours.parse("always")
    assert hours.always and hours.is_open(at("2025-01-05T03:00:00"))
    assert hours.describe() == "at any time"


def test_mon_sat_in_london_follows_summer_time() -> None:
    hours = OpenHours.parse("mon-sat 09:00-18:00", timezone="Europe/London")
    # Monday 8:30 UTC in July is 9:30 in London (BST); in January it is 8:30
    assert hours.is_open(at("2025-07-07T08:30:00"))
    assert not hours.is_open(at("2025-01-06T08:30:00"))
    assert not hours.is_open(at("2025-01-06T18:00:00"))  # the end is exclusive
    assert hours.is_open(at("2025-01-11T17:59:00"))  # Saturday
    assert not hours.is_open(at("2025-01-12T12:00:00"))  # Sunday
    assert hours.describe() == "Mon-Sat 09:00-18:00 (Europe/London time)"


def test_several_ranges_and_wrapping_days() -> None:
    hours = OpenHours.parse("MON-FRI 09:00-18:00; sat 10:00-14:00, sun-mon 20:00-24:00")
    assert hours.is_open(at("2025-01-11T13:59:00"))
    assert not hours.is_open(at("2025-01-11T14:00:00"))
    assert hours.is_open(at("2025-01-12T23:59:00"))  # Sunday evening
    assert hours.is_open(at("2025-01-06T21:00:00"))  # Monday evening


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("weekdays 9-5", "Cannot read"),
        ("mon-xyz 09:00-18:00", "not a day"),
        ("mon 25:00-26:00", "not a time"),
        ("mon 18:00-09:00", "split ranges that cross midnight"),
    ],
)
def test_bad_specs_say_how_to_write_them(spec: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        OpenHours.parse(spec)


def test_unknown_time_zone() -> None:
    with pytest.raises(ConfigError, match="IANA"):
        OpenHours.parse("always", timezone="Mars/Olympus")


@pytest.mark.parametrize(
    ("now", "opens", "words"),
    [
        # Sunday night in London: Monday morning
        ("2026-12-06T21:30:00", "2026-12-07T09:00:00+00:00", "tomorrow (Monday) at 09:00"),
        # Monday before opening: the same day
        ("2026-12-07T06:00:00", "2026-12-07T09:00:00+00:00", "today at 09:00"),
        # Saturday evening: Monday, two days on
        ("2026-12-05T19:00:00", "2026-12-07T09:00:00+00:00", "on Monday at 09:00"),
        # July: 09:00 in London is 08:00 UTC
        ("2025-07-06T12:00:00", "2025-07-07T08:00:00+00:00", "tomorrow (Monday) at 09:00"),
    ],
)
def test_next_opening_in_the_configured_zone(now: str, opens: str, words: str) -> None:
    hours = OpenHours.parse("mon-sat 09:00-18:00", timezone="Europe/London")
    assert hours.next_open(at(now)) == datetime.fromisoformat(opens)
    assert hours.describe_next(at(now)) == words


def test_open_now_and_always_open() -> None:
    hours = OpenHours.parse("mon-sat 09:00-18:00", timezone="Europe/London")
    assert hours.describe_next(at("2026-12-07T10:00:00")) == "now"
    assert OpenHours.parse("always").next_open(at("2026-12-06T21:30:00")) == at(
        "2026-12-06T21:30:00"
    )


def test_hours_written_on_a_knowledge_page() -> None:
    page = (PROJECT_ROOT / "data" / "knowledge" / "support.md").read_text(encoding="utf-8")
    assert spec_from_page(page) == "mon-sat 09:00-18:00"
    assert (
        spec_from_page("We're here Mon-Fri 9.00 to 17.30, Sunday 10:00\u201316:00.")
        == "mon-fri 09:00-17:30, sun 10:00-16:00"
    )
    with pytest.raises(ConfigError, match="No support hours"):
        spec_from_page("Call us whenever you like.")


def test_hours_in_chinese() -> None:
    hours = OpenHours.parse("mon-fri 09:00-18:00, sat 10:00-14:00", timezone="Europe/London")
    assert hours.describe("zh") == "周一至周五 09:00-18:00，周六 10:00-14:00（Europe/London 时间）"
    assert hours.describe_next(at("2026-12-06T21:30:00"), "zh") == "明天（周一）09:00"
    assert hours.describe_next(at("2026-12-07T06:00:00"), "zh") == "今天 09:00"
    assert hours.describe_next(at("2026-12-07T10:00:00"), "zh") == "现在"
    assert OpenHours.parse("always").describe("zh") == "全天"
    assert (
        hours.describe("en")
        == hours.describe()
        == ("Mon-Fri 09:00-18:00, Sat 10:00-14:00 (Europe/London time)")
    )
