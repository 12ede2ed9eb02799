from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.errors import ConfigError
from bot.handoff import OpenHours


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
