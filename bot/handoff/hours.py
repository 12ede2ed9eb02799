# ruff: noqa: RUF001, RUF002  (Chinese text, on purpose)
"""When people are on duty: the support hours, parsed and checked.

By default they are read from the support page of the knowledge base
(``data/knowledge/support.md``: "Our team answers Monday to Saturday,
09:00-18:00."), so what the bot tells customers and when it promises a
colleague come from one sentence (:func:`spec_from_page`).
``TANDEM_HANDOFF_OPEN_HOURS`` overrides it; its format is meant to be typed by
an operator::

    always                                  (the default)
    mon-sat 09:00-18:00
    mon-fri 09:00-18:00, sat 10:00-14:00    (ranges separated by , or ;)
    fri-mon 08:00-24:00                     (day ranges may wrap around Sunday)

Times are wall-clock times in the configured IANA time zone, so a change to
summer time needs no edit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import ConfigError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DAY_NAMES_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_DAY_WORD = r"(mon|tue|wed|thu|fri|sat|sun)[a-z]*"
_TIME = r"(\d{1,2})[:.](\d{2})"
# "Monday to Saturday, 09:00-18:00", "Mon-Fri 9.00 to 17.30", "Sunday 10:00-16:00"
_PAGE_RANGE = re.compile(
    rf"\b{_DAY_WORD}(?:\s*(?:-|\u2013|to|until)\s*{_DAY_WORD})?\s*,?\s*(?:from\s+)?"
    rf"{_TIME}\s*(?:-|\u2013|to|until)\s*{_TIME}",
    re.IGNORECASE,
)
_RANGE = re.compile(
    r"^(?P<first>[a-z]{3})(?:-(?P<last>[a-z]{3}))?\s+"
    r"(?P<start>\d{1,2}:\d{2})-(?P<end>\d{1,2}:\d{2})$"
)


def _minutes(text: str, spec: str) -> int:
    hours, minutes = (int(part) for part in text.split(":"))
    if hours > 24 or minutes > 59 or (hours == 24 and minutes):
        raise ConfigError(
            f"{text!r} in open hours {spec!r} is not a time; use HH:MM (00:00-24:00)."
        )
    return hours * 60 + minutes


@dataclass(frozen=True)
class DayRange:
    days: frozenset[int]
    start_min: int
    end_min: int
    text: str


@dataclass(frozen=True)
class OpenHours:
    """Opening ranges in one time zone; no ranges means always open."""

    ranges: tuple[DayRange, ...] = ()
    timezone: str = "UTC"

    @classmethod
    def parse(cls, spec: str, *, timezone: str = "UTC") -> OpenHours:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ConfigError(
                f"Unknown time zone {timezone!r} in TANDEM_HANDOFF_TIMEZONE; use an IANA name "
                "such as Europe/London."
            ) from e
        spec = spec.strip().lower()
        if spec in ("", "always", "24/7"):
            return cls((), timezone)
        ranges = []
        for part in re.split(r"[,;]", spec):
            match = _RANGE.match(" ".join(part.split()))
            if not match:
                raise ConfigError(
                    f"Cannot read {part.strip()!r} in TANDEM_HANDOFF_OPEN_HOURS; write ranges like "
                    "'mon-fri 09:00-18:00, sat 10:00-14:00' or 'always'."
                )
            first, last = match["first"], match["last"] or match["first"]
            for day in (first, last):
                if day not in DAYS:
                    raise ConfigError(f"{day!r} in open hours is not a day; use {', '.join(DAYS)}.")
            i, j = DAYS.index(first), DAYS.index(last)
            days = frozenset((i + k) % 7 for k in range((j - i) % 7 + 1))
            start, end = _minutes(match["start"], spec), _minutes(match["end"], spec)
            if end <= start:
                raise ConfigError(
                    f"In {part.strip()!r} the end is not after the start; split ranges that "
                    "cross midnight in two ('fri 22:00-24:00, sat 00:00-02:00')."
                )
            ranges.append(DayRange(days, start, end, part.strip()))
        return cls(tuple(ranges), timezone)

    @property
    def always(self) -> bool:
        return not self.ranges

    def is_open(self, when: datetime) -> bool:
        """Whether ``when`` (timezone-aware) falls in a range, in the configured zone."""
        if self.always:
            return True
        local = when.astimezone(ZoneInfo(self.timezone))
        minute = local.hour * 60 + local.minute
        return any(
            local.weekday() in r.days and r.start_min <= minute < r.end_min for r in self.ranges
        )

    def next_open(self, when: datetime) -> datetime | None:
        """The first moment at or after ``when`` that is open; ``None`` if never."""
        if self.always or self.is_open(when):
            return when
        zone = ZoneInfo(self.timezone)
        local = when.astimezone(zone)
        minute = local.hour * 60 + local.minute
        for ahead in range(8):
            day = (local + timedelta(days=ahead)).date()
            weekday = day.weekday()
            starts = sorted(
                r.start_min
                for r in self.ranges
                if weekday in r.days and (ahead > 0 or r.start_min > minute)
            )
            if starts:
                naive = datetime(day.year, day.month, day.day) + timedelta(minutes=starts[0])
                return naive.replace(tzinfo=zone)
        return None

    def describe_next(self, when: datetime, language: str | None = None) -> str:
        """When the team is next there, in the customer's words: "tomorrow (Monday) at 09:00".

        ``language`` ``zh`` says it in Chinese ("明天（周一）09:00"); others in English.
        """
        zh = language == "zh"
        opens = self.next_open(when)
        if opens is None:
            return "稍后" if zh else "soon"
        if opens == when:
            return "现在" if zh else "now"
        local_now = when.astimezone(opens.tzinfo)
        days = (opens.date() - local_now.date()).days
        at = opens.strftime("%H:%M")
        day = (DAY_NAMES_ZH if zh else DAY_NAMES)[opens.weekday()]
        if days == 0:
            return f"今天 {at}" if zh else f"today at {at}"
        if days == 1:
            return f"明天（{day}）{at}" if zh else f"tomorrow ({day}) at {at}"
        return f"{day} {at}" if zh else f"on {day} at {at}"

    def describe(self, language: str | None = None) -> str:
        """A customer-facing description, e.g. ``Mon-Sat 09:00-18:00 (Europe/London time)``.

        ``language`` ``zh`` says it in Chinese (``周一至周六 09:00-18:00（Europe/London 时间）``).
        """
        zh = language == "zh"
        if self.always:
            return "全天" if zh else "at any time"
        parts = []
        for r in self.ranges:
            days, times = r.text.split(maxsplit=1)
            if zh:
                names = [DAY_NAMES_ZH[DAYS.index(d)] for d in days.split("-")]
                parts.append(f"{'至'.join(names)} {times}")
            else:
                parts.append(f"{'-'.join(d.capitalize() for d in days.split('-'))} {times}")
        if zh:
            return f"{'，'.join(parts)}（{self.timezone} 时间）"
        return f"{', '.join(parts)} ({self.timezone} time)"


def spec_from_page(text: str, *, source: str = "the support page") -> str:
    """The open-hours spec written in a knowledge page's sentence about them.

    Every "<day>[ to <day>], HH:MM-HH:MM" in the page is a range, so a page that
    says "Monday to Friday 09:00-18:00 and Saturday 10:00-14:00" gives
    ``mon-fri 09:00-18:00, sat 10:00-14:00``.
    """
    parts = []
    for match in _PAGE_RANGE.finditer(text):
        first, last, h1, m1, h2, m2 = match.groups()
        days = first.lower() if last is None else f"{first.lower()}-{last.lower()}"
        parts.append(f"{days} {int(h1):02d}:{m1}-{int(h2):02d}:{m2}")
    if not parts:
        raise ConfigError(
            f"No support hours found in {source}; write them as 'Monday to Saturday, "
            "09:00-18:00', or set TANDEM_HANDOFF_OPEN_HOURS."
        )
    return ", ".join(dict.fromkeys(parts))
