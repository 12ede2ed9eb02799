"""Offline parsers for the values customers type: money, durations, counts, dates,
e-mail addresses and phone numbers.

Rasa's usual answer is a Duckling server; Tandem avoids the extra process with
regular expressions and small normalisers that cover what a shop assistant
hears ("$1,200", "2 years", "three phones", "next friday", "24/12/2026",
"+1 555 123 4567"). Each parser returns :class:`Found` spans with a normalised
value; :func:`find_all` resolves overlaps (longest span wins, then the order of
``PARSERS``). Pure standard library, so it runs in both venvs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any


@dataclass(frozen=True)
class Found:
    entity: str
    start: int
    end: int
    text: str
    value: Any
    extra: dict[str, Any] = field(default_factory=dict)


_UNITS = {
    "zero": 0, "one": 1, "a": 1, "an": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "dozen": 12,
    "couple": 2,
}  # fmt: skip
_WORD_NUMBER = r"(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|" \
    r"thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|" \
    r"fifty|sixty|seventy|eighty|ninety|hundred|dozen)"  # fmt: skip
_DIGITS = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_NUMBER = rf"(?:{_DIGITS}|{_WORD_NUMBER}(?:[- ]{_WORD_NUMBER})?)"
_SCALE = {"k": 1_000, "thousand": 1_000, "m": 1_000_000, "million": 1_000_000, "grand": 1_000}


def parse_number(text: str) -> float | None:
    """'1,200' → 1200, 'twenty-five' → 25, 'a dozen' → 12; None if not a number."""
    cleaned = text.strip().lower().replace(",", "")
    try:
        return float(cleaned)
    except ValueError:
        pass
    cleaned = re.sub(r"^(?:a )?couple(?: of)?$", "couple", cleaned)
    total = 0.0
    for word in re.split(r"[- ]+", cleaned):
        if word not in _UNITS:
            return None
        value = _UNITS[word]
        total = (
            total * value if value in (12, 100) and word != "twelve" and total else total + value
        )
    return total


_CURRENCY_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP"}
_CURRENCY_WORDS = {
    "dollar": "USD", "dollars": "USD", "usd": "USD", "bucks": "USD", "euro": "EUR",
    "euros": "EUR", "eur": "EUR", "pound": "GBP", "pounds": "GBP", "gbp": "GBP",
}  # fmt: skip
_MONEY = re.compile(
    rf"(?P<sym>[$€£])\s?(?P<a1>{_DIGITS})(?:\s?(?P<s1>k|m|thousand|million|grand)\b)?"
    rf"|\b(?P<a2>{_NUMBER})(?:\s?(?P<s2>k|m|thousand|million|grand))?\s?"
    rf"(?P<cur>dollars?|usd|bucks|euros?|eur|pounds?|gbp)\b",
    re.IGNORECASE,
)


def _money(text: str) -> Iterator[Found]:
    for m in _MONEY.finditer(text):
        amount = parse_number(m["a1"] or m["a2"])
        if amount is None:
            continue
        scale = (m["s1"] or m["s2"] or "").lower()
        amount *= _SCALE.get(scale, 1)
        currency = _CURRENCY_SYMBOLS[m["sym"]] if m["sym"] else _CURRENCY_WORDS[m["cur"].lower()]
        yield Found("money", m.start(), m.end(), m[0], amount, {"currency": currency})


_DURATION_SECONDS = {
    "second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800,
    "month": 2_629_746, "year": 31_556_952,
}  # fmt: skip
_DURATION = re.compile(
    rf"\b(?P<n>{_NUMBER}|a|an|a couple of)\s?"
    r"(?P<unit>seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|yrs?)\b",
    re.IGNORECASE,
)
_UNIT_ALIASES = {"sec": "second", "min": "minute", "hr": "hour", "yr": "year"}


def _duration(text: str) -> Iterator[Found]:
    for m in _DURATION.finditer(text):
        amount = parse_number(m["n"])
        if amount is None:
            continue
        unit = m["unit"].lower().rstrip("s")
        unit = _UNIT_ALIASES.get(unit, unit)
        seconds = int(amount * _DURATION_SECONDS[unit])
        yield Found("duration", m.start(), m.end(), m[0], seconds, {"amount": amount, "unit": unit})


_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_MONTHS = [
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
]  # fmt: skip
_MONTH_RE = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = re.compile(
    r"\b(?P<iso>(?P<iy>\d{4})-(?P<im>\d{1,2})-(?P<id>\d{1,2}))\b"
    r"|\b(?P<dmy>(?P<dd>\d{1,2})[/.](?P<dm>\d{1,2})[/.](?P<dy>\d{2,4}))\b"
    rf"|\b(?P<dm2>(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?(?: of)? (?P<m2>{_MONTH_RE})"
    r"(?:,? (?P<y2>\d{4}))?)\b"
    rf"|\b(?P<md>(?P<m3>{_MONTH_RE}) (?P<d3>\d{{1,2}})(?:st|nd|rd|th)?(?:,? (?P<y3>\d{{4}}))?)\b"
    r"|\b(?P<rel>today|tonight|tomorrow|day after tomorrow|yesterday)\b"
    rf"|\b(?P<wd>(?:(?P<next>next|this|on) )?(?P<day>{'|'.join(_WEEKDAYS)}))\b",
    re.IGNORECASE,
)


def _month(name: str) -> int | None:
    key = name.lower().rstrip(".")[:3]
    return next((i + 1 for i, full in enumerate(_MONTHS) if full.startswith(key)), None)


def _safe_date(year: int, month: int | None, day: int) -> date | None:
    if month is None:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _date(text: str, today: date) -> Iterator[Found]:
    for m in _DATE.finditer(text):
        value: date | None
        if m["iso"]:
            value = _safe_date(int(m["iy"]), int(m["im"]), int(m["id"]))
        elif m["dmy"]:
            year = int(m["dy"]) + (2000 if len(m["dy"]) == 2 else 0)
            value = _safe_date(year, int(m["dm"]), int(m["dd"]))
        elif m["dm2"] or m["md"]:
            day, month, named_year = (
                (m["d2"], m["m2"], m["y2"]) if m["dm2"] else (m["d3"], m["m3"], m["y3"])
            )
            value = _safe_date(
                int(named_year) if named_year else today.year, _month(month), int(day)
            )
            if value and not named_year and value < today:
                value = _safe_date(today.year + 1, value.month, value.day)
        elif m["rel"]:
            rel = m["rel"].lower()
            offset = {"yesterday": -1, "tomorrow": 1, "day after tomorrow": 2}.get(rel, 0)
            value = today + timedelta(days=offset)
        else:
            ahead = (_WEEKDAYS.index(m["day"].lower()) - today.weekday()) % 7
            if (m["next"] or "").lower() == "next" and ahead == 0:
                ahead = 7
            value = today + timedelta(days=ahead)
        if value is not None:
            yield Found("date", m.start(), m.end(), m[0], value.isoformat())


_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}\b", re.IGNORECASE)


def _email(text: str) -> Iterator[Found]:
    for m in _EMAIL.finditer(text):
        yield Found("email", m.start(), m.end(), m[0], m[0].lower())


_PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)[\s.-]?)?\d[\d\s.-]{5,14}\d\b")


def _phone(text: str) -> Iterator[Found]:
    for m in _PHONE.finditer(text):
        digits = re.sub(r"\D", "", m[0])
        if not 7 <= len(digits) <= 15 or re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", m[0]):
            continue
        value = ("+" if m[0].startswith("+") else "") + digits
        yield Found("phone", m.start(), m.end(), m[0], value)


_COUNT = re.compile(rf"\b(?P<n>{_NUMBER}|a couple of)\b(?!\s?[%$€£])", re.IGNORECASE)


def _count(text: str) -> Iterator[Found]:
    for m in _COUNT.finditer(text):
        if m["n"].lower() in {"a", "an"}:
            continue
        value = parse_number(m["n"])
        if value is not None:
            number: float | int = int(value) if value.is_integer() else value
            yield Found("count", m.start(), m.end(), m[0], number)


Parser = Callable[[str, date], Iterator[Found]]

PARSERS: dict[str, Parser] = {
    "email": lambda text, _today: _email(text),
    "phone": lambda text, _today: _phone(text),
    "money": lambda text, _today: _money(text),
    "date": _date,
    "duration": lambda text, _today: _duration(text),
    "count": lambda text, _today: _count(text),
}


def find_all(
    text: str, *, today: date | None = None, dimensions: list[str] | None = None
) -> list[Found]:
    """All values in ``text``, non-overlapping, in text order."""
    today = today or date.today()
    names = dimensions or list(PARSERS)
    candidates = [
        (found, rank) for rank, name in enumerate(names) for found in PARSERS[name](text, today)
    ]
    candidates.sort(key=lambda item: (-(item[0].end - item[0].start), item[1]))
    taken: list[Found] = []
    for found, _ in candidates:
        if all(found.end <= t.start or found.start >= t.end for t in taken):
            taken.append(found)
    return sorted(taken, key=lambda f: f.start)
