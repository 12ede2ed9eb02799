"""How customers word form answers: corrections, exits, questions, units, products.

Pure functions on the message text, so the rules that decide whether a message
answers the pending question are testable without a server. The forms
(:mod:`bot.sdk.forms`) use them to reject non-answers ("how much is the Nova 8?"
is not 8 roaming days), to read the corrected part of a correction ("3 days a
year... I mean 3 a month"), and to keep units ("5 days a year", "£20 a month").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.sdk.form_zh import is_chinese, is_exit_zh, is_question_zh

_CORRECTION = re.compile(
    r"\b(?:i\s+mean[t]?|i\s+ment|make\s+(?:that|it)|scratch\s+that|or\s+rather|"
    r"change\s+(?:that|it)\s+to|correction:?)\s*",
    re.IGNORECASE,
)
_EXIT = re.compile(
    r"^\W*(?:(?:ok|okay|oh|ugh|no|actually|please|pls|just)[\s,.!]+)*"
    r"(?:never\s*mind|nevermind|forget\s+(?:it|about\s+it|this|that|the\s+whole\s+thing)|"
    r"cancel(?:\s+(?:it|that|this|the\s+form))?|stop(?:\s+(?:it|this|that|asking))?|quit|"
    r"exit|abort|leave\s+it|drop\s+it|"
    r"i\s+(?:do\s*n[o']?t|dont)\s+want\s+(?:this|it|to\s+(?:do\s+this|continue))"
    r"(?:\s+any\s*more)?|(?:i'?m\s+)?(?:no\s+longer|not)\s+interested(?:\s+any\s*more)?)"
    r"(?:[\s,.!]+(?:please|pls|thanks|thank\s+you|any\s*more|then))*\W*$",
    re.IGNORECASE,
)
_QUESTION_START = re.compile(
    r"^\s*(?:what|whats|what's|which|how|why|when|where|who|is|are|does|do|can|could|"
    r"will|would|should|has|have)\b",
    re.IGNORECASE,
)
_PERIODS = {
    "year": 1 / 12,
    "yr": 1 / 12,
    "annum": 1 / 12,
    "week": 52 / 12,
    "wk": 52 / 12,
    "day": 30.0,
    "month": 1.0,
    "mo": 1.0,
}
_PERIOD = re.compile(
    r"\s*(?:(?:a|an|per|each|every|/)\s*(?P<unit>year|yr|annum|week|wk|day|month|mo)\b|"
    r"(?P<adverb>annually|yearly|weekly|daily|monthly))",
    re.IGNORECASE,
)
_ADVERBS = {
    "annually": "year",
    "yearly": "year",
    "weekly": "week",
    "daily": "day",
    "monthly": "month",
}

UNIT_PATTERNS: dict[str, str] = {
    "data": r"(?:gb|gigs?|gigabytes?|mb|megabytes?|tb)",
    "call time": r"(?:minutes?|mins?|hours?|hrs?)",
    "days": r"(?:days?|weeks?|nights?)",
    "a length of time": r"(?:months?|years?|yrs?)",
    "money": r"(?:pounds?|quid|gbp|euros?|dollars?)",
    "a percentage": r"(?:%|percent|per\s*cent)",
}
"""What a unit right after a number says the number is."""


def focus(text: str) -> str:
    """The corrected part of a correction: "3 a year... I mean 3 a month" → "3 a month".

    Only when something with a digit or a unit follows the marker, so "make it
    cheaper" stays whole.
    """
    parts = _CORRECTION.split(text)
    tail = parts[-1].strip()
    if len(parts) > 1 and tail and re.search(r"\d|\bunlimited\b", tail, re.I):
        return tail
    return text


def is_exit(text: str) -> bool:
    """Whether the whole message asks to leave: "never mind", "ok forget it", "算了"."""
    return bool(_EXIT.match(text.strip())) or (is_chinese(text) and is_exit_zh(text))


def is_question(text: str) -> bool:
    stripped = text.strip()
    if is_chinese(stripped):
        return is_question_zh(stripped)
    return stripped.endswith("?") or bool(_QUESTION_START.match(stripped))


def unit_after(text: str, end: int) -> str | None:
    """The kind of quantity the unit right after position ``end`` names, if any."""
    rest = text[end:].lower()
    for kind, pattern in UNIT_PATTERNS.items():
        if re.match(rf"\s*{pattern}(?![a-z])", rest):
            return kind
    return None


def per_month(text: str) -> tuple[float, str | None]:
    """The factor that turns an amount "a year", "a week", "a day" into one a month.

    Returns ``(factor, period word)``; ``(1.0, None)`` when no period is named.
    """
    match = _PERIOD.search(text)
    if not match:
        return 1.0, None
    unit = match["unit"].lower() if match["unit"] else _ADVERBS[match["adverb"].lower()]
    return _PERIODS[unit], unit


@dataclass(frozen=True)
class ProductNames:
    """Names of products that must not be read as numbers ("Nova 8" is not 8 GB).

    An assistant with a catalogue builds one from it and returns it from
    :meth:`bot.sdk.forms.TextFormValidation.product_names`.
    """

    names: tuple[str, ...]

    def mask(self, text: str, spans: Iterable[tuple[int, int]] = ()) -> str:
        """``text`` with product names and the given entity spans blanked out."""
        chars = list(text)
        for start, end in spans:
            chars[start:end] = " " * (end - start)
        masked = "".join(chars)
        for name in self.names:
            flexible = r"\s*".join(re.escape(part) for part in name.split())
            masked = re.sub(rf"(?<![\w]){flexible}(?![\w])", " ", masked, flags=re.IGNORECASE)
        return masked


NO_PRODUCT_NAMES = ProductNames(())
