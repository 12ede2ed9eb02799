"""Offline parsers for the values customers type: money, durations, counts, dates,
e-mail addresses and phone numbers.

Rasa's usual answer is a Duckling server; Tandem avoids the extra process with
regular expressions and small normalisers that cover what a shop assistant
hears ("$1,200", "2 years", "three phones", "next friday", "24/12/2026",
"+1 555 123 4567") and their Chinese forms ("两千块", "五年", "二十个G", "3千"),
with the same entity names and values, so a form gets 2000 from "两千块" as from
"2000 yuan". Each parser returns :class:`Found` spans with a normalised
value; :func:`find_all` resolves overlaps (longest span wins, then the order of
``PARSERS``). Pure standard library, so it runs in both venvs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import chain
from typing import Any

from bot.nlu.zh_numbers import ZH_NUMBER, parse_zh_number


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


# Chinese: no spaces, so a value is told from the words around it by what
# follows the number (a currency, a unit of time, a measure word).
_HAN = re.compile(r"[\u4e00-\u9fff]")
# Arabic digits glued to Latin letters belong to a name ("iPhone15", "RTX4090").
_ZH_START = r"(?<![A-Za-z0-9.\-])"
_ZH_CURRENCIES = {
    "块": "CNY", "元": "CNY", "圆": "CNY", "人民币": "CNY", "rmb": "CNY", "¥": "CNY",
    "\uffe5": "CNY", "美元": "USD", "美金": "USD", "欧元": "EUR", "英镑": "GBP", "镑": "GBP",
}  # fmt: skip
_ZH_MONEY = re.compile(
    rf"(?P<pre>[¥\uffe5]|人民币|rmb)\s?(?P<a1>{ZH_NUMBER})(?:元|块钱?)?"
    rf"|{_ZH_START}(?P<a2>{ZH_NUMBER})(?P<more>多|来|余)?\s?"
    r"(?P<cur>块钱?|元|圆|人民币|rmb|美元|美金|欧元|英镑|镑)",
    re.IGNORECASE,
)


def _zh_money(text: str) -> Iterator[Found]:
    if not _HAN.search(text) and not re.search("[¥\uffe5]", text):
        return
    for m in _ZH_MONEY.finditer(text):
        amount = parse_zh_number(m["a1"] or m["a2"])
        if amount is None:
            continue
        symbol = (m["pre"] or m["cur"]).lower().rstrip("钱")
        yield Found("money", m.start(), m.end(), m[0], amount, {"currency": _ZH_CURRENCIES[symbol]})


_ZH_TIME_UNITS = {
    "秒": "second", "秒钟": "second", "分钟": "minute", "小时": "hour", "钟头": "hour",
    "天": "day", "周": "week", "星期": "week", "礼拜": "week", "月": "month", "年": "year",
}  # fmt: skip
_ZH_DURATION = re.compile(
    rf"{_ZH_START}(?P<n>{ZH_NUMBER}|半)(?P<ge>个)?(?P<half>半)?"
    r"(?P<unit>秒钟|秒|分钟|小时|钟头|天|周|星期|礼拜|月|年)(?P<half_after>半)?"
)
_A_YEAR = re.compile(r"(?:1[89]|2[01])\d\d|[一二][〇零一二三四五六七八九]{3}")


def _zh_duration(text: str) -> Iterator[Found]:
    if not _HAN.search(text):
        return
    for m in _ZH_DURATION.finditer(text):
        unit = _ZH_TIME_UNITS[m["unit"]]
        # "三月" is March and "2030年" a year; "三个月" and "五年" are lengths of time
        if (unit == "month" and not m["ge"]) or (unit == "year" and _A_YEAR.fullmatch(m["n"])):
            continue
        amount = 0.5 if m["n"] == "半" else parse_zh_number(m["n"])
        if amount is None or (m["n"] == "半" and (m["half"] or m["half_after"])):
            continue
        amount += 0.5 if m["half"] or m["half_after"] else 0
        seconds = int(amount * _DURATION_SECONDS[unit])
        extra = {"amount": amount, "unit": unit}
        yield Found("duration", m.start(), m.end(), m[0], seconds, extra)


_ZH_MEASURE_WORDS = "个台部件张位款只条份次套箱包副把块"
_DATA_UNITS = {"g": "GB", "gb": "GB", "m": "MB", "mb": "MB", "t": "TB", "tb": "TB", "兆": "MB"}
_ZH_COUNT = re.compile(
    rf"{_ZH_START}(?P<n>{ZH_NUMBER})"
    rf"(?P<measure>个?(?:gb?|mb?|tb?|兆)(?![a-z])|[{_ZH_MEASURE_WORDS}])?",
    re.IGNORECASE,
)
# Before a number these make it part of a word: an ordinal or a weekday ("第三", "周五").
_ZH_NOT_A_COUNT_AFTER = ("第", "周", "星期", "礼拜", "初")


def _zh_count(text: str) -> Iterator[Found]:
    han = bool(_HAN.search(text))  # without Chinese, only "30G": English has its own counts
    whole = re.sub(r"[\W_]+", "", text)
    for m in _ZH_COUNT.finditer(text):
        number, measure = m["n"], (m["measure"] or "").lower()
        if text[: m.start()].endswith(_ZH_NOT_A_COUNT_AFTER):
            continue
        single = len(number) == 1 and not number.isdigit()
        # "三星", "十分", "一起": one numeral is a number only before a measure word,
        # and "一个" is the article "a", as "a" is in English
        if single and number != whole and (not measure or (number == "一" and measure in "个件")):
            continue
        value = parse_zh_number(number)
        if value is None:
            continue
        data_unit = _DATA_UNITS.get(measure.removeprefix("个"))
        if not han and not (data_unit and number.isdigit()):
            continue
        if measure == "g" and value < 10 and not text[m.end() :].lstrip("的").startswith("流量"):
            continue  # "5G手机" is a network, "5G流量" five gigabytes
        extra = {"unit": data_unit} if data_unit else {}
        count: float | int = int(value) if value.is_integer() else value
        yield Found("count", m.start(), m.start() + len(number), number, count, extra)


Parser = Callable[[str, date], Iterator[Found]]

PARSERS: dict[str, Parser] = {
    "email": lambda text, _today: _email(text),
    "phone": lambda text, _today: _phone(text),
    "money": lambda text, _today: chain(_money(text), _zh_money(text)),
    "date": _date,
    "duration": lambda text, _today: chain(_duration(text), _zh_duration(text)),
    "count": lambda text, _today: chain(_count(text), _zh_count(text)),
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
