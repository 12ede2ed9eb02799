"""Personal data out of what Tandem stores, logs and shows: cards, e-mails, phones.

One standard-library-only module, imported by the engine (Python 3.10, its
tracker store) and by everything else (Python 3.11: the supervisor's log
files, the prompt guardrails), so every process agrees on what is redacted.

* Payment-card numbers: 13 to 19 digits, written together or in groups
  separated by one space or dash, that pass the Luhn check. An order number
  of the same shape fails the check nine times in ten and is kept.
* E-mail addresses.
* Phone numbers in the forms people type them: international (``+44 20 7946
  0958``, ``0044 ...``), UK national (``020 7946 0958``, ``07700 900123``),
  US (``(555) 123-4567``, ``1-800-555-0199``), or any 7 to 15 digits right
  after a word such as "phone", "mobile" or "call me on". Bare digit runs
  without such a cue (order numbers, prices, dates) are kept.
* UK postcodes (``SW1A 1AA``, ``ls14ap``): a postcode and an order number find
  a home. Storage sizes and the like that happen to share the shape ("M2 4GB")
  are kept.

Patterns favour recall where a miss is costly (any Luhn-valid digit run is
taken for a card) and precision where a false hit would garble ordinary
questions (a bare number is only a phone when it looks like one).

Person names are a separate pass (:func:`redact_names`, :func:`redact_personal`),
for stores that keep no name at all (the analytics store): a name introduced
("my name is alex", "I'm Alex Smith", "this is Sam", "call me Jo") or signed at
the end of a message ("Thanks,\nAlex", "-- Alex Smith"). The tracker store,
logs and transcripts keep names: the assistant greets a customer by theirs and
an agent needs to know whom they talk to.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Redactor",
    "luhn_valid",
    "redact",
    "redact_cards",
    "redact_json",
    "redact_names",
    "redact_personal",
]

_EMAIL = re.compile(r"(?<![\w.%+-])[\w.%+-]+@[\w-]+(?:\.[\w-]+)+")

# Digit groups joined by single spaces or dashes; a card is a run of whole groups.
_DIGIT_GROUPS = re.compile(r"(?<!\w)\d+(?:[ -]\d+)*(?!\w)")
_GROUP_SEPARATOR = re.compile(r"[ -]")

# The body of a phone number: digit groups, some in parentheses, separated by
# one space, dot or dash. Every separator is non-empty and starts with its own
# character, so a digit run splits into groups one way only: no backtracking
# blow-up on long digit strings (Python 3.10 has no atomic groups).
_SEPARATOR = r"(?:\)[ .-]?\(?|[ .-]\(?|\()"
_GROUPS = r"\d+(?:" + _SEPARATOR + r"\d+)*\)?"
_PHONE = re.compile(
    r"(?<![\w+])(?P<intl>(?:\+\s?|00)\(?" + _GROUPS + r")(?![\w])"
    r"|(?<![\w+])(?P<uk>\(?0[1-9]" + _GROUPS + r")(?![\w])"
    r"|(?<![\w+])(?P<us>(?:1[ .-]?)?(?:\(\d{3}\)\s?|\d{3}[ .-])\d{3}[ .-]\d{4})(?![\w]|[.-]\d)"
    r"|(?P<cue>\b(?:phone|mobile|cell|tel|telephone|landline|whatsapp|sms|text me|call me|"
    r"ring me|reach me|my number|contact number)\b[^\d\n.?!(+]{0,20})"
    r"(?P<cued>[(+]?\d[\d ().-]{5,}\d)(?![\w])",
    re.IGNORECASE,
)
_PHONE_DIGITS = {"intl": (8, 15), "uk": (10, 11), "us": (10, 11), "cued": (7, 15)}

# Outward code, then the inward code: a digit and two letters other than C I K M O V.
_POSTCODE = re.compile(
    r"(?<![\w+@.-])[a-z]{1,2}\d[a-z\d]?\s?(?!\d(?:gb|tb|hz)\b)\d[abd-hjlnp-uw-z]{2}(?![\w@])",
    re.IGNORECASE,
)


# Names. A capitalised word, with up to two more (Anne-Marie O'Neil), or, after a
# cue that can only introduce a name ("my name is"), any word: people type their
# name in lower case too.
_CAP = r"[A-Z][\w'\-]*"
_ANY = r"[^\W\d_][\w'\-]*"
# A placeholder may open a name: a known first name already replaced, then its surname.
_PLACEHOLDER = r"\[\w+\]"
_FIRST_CAP = rf"(?:{_PLACEHOLDER}|{_CAP})"
_FIRST_ANY = rf"(?:{_PLACEHOLDER}|{_ANY})"
_NOT_NAMES = frozenset(
    re.split(
        r"\s+",
        """a an the and but or not no yes just so very really here there back on at in
    from with for to of about looking trying interested after calling asking wondering
    sorry fine good great ok okay well happy glad afraid sure new still also only
    going having getting done ready free available unable able home away out over
    i me my you your we our it this that what who how why when where
    there bye goodbye everyone all again guys team folks everybody
    i'm i've i'd i'll it's that's what's let's we're you're""",
    )
)
_NAME_CUE = re.compile(
    r"\b(?:my\s+name\s+is|my\s+name's|name\s*:|i\s+am\s+called|i'm\s+called|"
    r"they\s+call\s+me)\s+(?P<name>" + _FIRST_ANY + r"(?:\s+" + _ANY + r"){0,2})",
    re.IGNORECASE,
)
_CAPITAL_CUE = re.compile(
    r"\b(?:[Ii]'m|[Ii]\s+am|[Tt]his\s+is|[Ii]t's|[Cc]all\s+me|[Ss]peaking\s+with|"
    r"(?i:hi|hello|hey|dear|welcome\s+back|nice\s+to\s+meet\s+you|good\s+to\s+see\s+you|"
    r"thanks|thank\s+you|good\s+(?:morning|afternoon|evening)),?)"
    r"\s+(?P<name>" + _FIRST_CAP + r"(?:\s+" + _CAP + r"){0,2})"
)
_SIGNATURE = re.compile(
    r"(?:(?:\b(?i:thanks|thank\s+you|thx|cheers|regards|kind\s+regards|best\s+regards|best|"
    r"best\s+wishes|many\s+thanks|sincerely|yours)[,.!]?)|(?:^|\n)\s*--?)\s*\n?\s*"
    r"(?P<name>" + _FIRST_CAP + r"(?:\s+" + _CAP + r"){0,2})\s*[.!]?\s*$"
)


def _name_words(name: str, placeholder: str) -> str:
    """The leading words of a candidate that can be a name ("Alex and" -> "Alex").

    The candidate may open with ``placeholder`` (a known name replaced already):
    the words after it are the rest of that name ("[name] Hopperton").
    """
    words = name.split()
    kept: list[str] = []
    for position, word in enumerate(words):
        if position == 0 and word == placeholder:
            kept.append(word)
            continue
        if word.lower() in _NOT_NAMES or word.startswith("["):
            break
        kept.append(word)
    return " ".join(kept)


@functools.lru_cache(maxsize=8)
def _surname_after(placeholder: str) -> re.Pattern[str]:
    """``placeholder`` and the capitalised words that follow it on the same line."""
    return re.compile(re.escape(placeholder) + r"(?:[ \t]+" + _CAP + r"){1,2}")


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum every payment-card number satisfies (``digits`` holds digits only)."""
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = int(char)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _digit_count(text: str) -> int:
    return sum(c.isdigit() for c in text)


def _contact_key(value: str) -> str:
    """How a published contact detail is compared: e-mails by case, phones by digits."""
    return value.strip().lower() if "@" in value else "".join(c for c in value if c.isdigit())


@dataclass(frozen=True)
class Redactor:
    """Replaces personal data with placeholders; prompts use their own (``[CARD]``...).

    ``public`` lists the business's own published phone numbers and e-mail
    addresses (its support line, say): they are no one's personal data, and a
    bot message that quotes them stays readable in the history and transcripts.
    """

    card: str = "[card]"
    email: str = "[email]"
    phone: str = "[phone]"
    postcode: str = "[postcode]"
    name: str = "[name]"
    public: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        keys = frozenset(filter(None, (_contact_key(v) for v in self.public)))
        object.__setattr__(self, "_public_keys", keys)

    def is_public(self, value: str) -> bool:
        return _contact_key(value) in self._public_keys  # type: ignore[attr-defined]

    def emails(self, text: str) -> str:
        return _EMAIL.sub(lambda m: m.group() if self.is_public(m.group()) else self.email, text)

    def cards(self, text: str) -> str:
        return _DIGIT_GROUPS.sub(self._cards_in_groups, text)

    def _cards_in_groups(self, match: re.Match[str]) -> str:
        """The longest Luhn-valid runs of whole groups, left to right.

        Tried run by run so that a card followed by another number (an expiry
        date, a CVC) is still found, which one greedy pattern would miss.
        """
        parts = _GROUP_SEPARATOR.split(match.group())
        separators = _GROUP_SEPARATOR.findall(match.group())
        out: list[str] = []
        i = 0
        while i < len(parts):
            end = self._card_end(parts, i)
            if end is None:
                out.append(parts[i])
                i += 1
            else:
                out.append(self.card)
                i = end
            if i < len(parts):
                out.append(separators[i - 1])
        return "".join(out)

    @staticmethod
    def _card_end(parts: list[str], start: int) -> int | None:
        """End of the longest Luhn-valid run of 13-19 digits from ``parts[start]``, if any."""
        best = None
        digits = ""
        for end in range(start + 1, len(parts) + 1):
            digits += parts[end - 1]
            if len(digits) > 19:
                break
            if len(digits) >= 13 and luhn_valid(digits):
                best = end
        return best

    def phones(self, text: str) -> str:
        return _PHONE.sub(self._phone, text)

    def _phone(self, match: re.Match[str]) -> str:
        kind = match.lastgroup or ""
        number = match.group(kind)
        low, high = _PHONE_DIGITS[kind]
        digits = _digit_count(number) - (2 if number.startswith("00") else 0)
        if not low <= digits <= high or self.is_public(number):
            return match.group()
        return (match.group("cue") or "") + self.phone

    def postcodes(self, text: str) -> str:
        return _POSTCODE.sub(self.postcode, text)

    def names(self, text: str, known: tuple[str, ...] = ()) -> str:
        """Person names introduced or signed in ``text``, and the ``known`` ones anywhere.

        The cues go first, while the whole name is still there to match ("my
        name is Grace Hopperton"); then the known names, each with the
        capitalised words right after it (a surname: "Grace Hopperton" where
        only "Grace" is known); then the cues again, for a known name the cues
        missed ("this is grace hopperton").
        """
        text = self._cued_names(text)
        replaced = text
        for value in sorted({k.strip() for k in known if k and k.strip()}, key=len, reverse=True):
            replaced = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", self.name, replaced, flags=re.I)
        if replaced == text:
            return text
        return self._cued_names(_surname_after(self.name).sub(self._surname, replaced))

    def _surname(self, match: re.Match[str]) -> str:
        name = _name_words(match.group(), self.name)  # "[name] And" keeps its "And"
        return self.name + match.group()[len(name) :]

    def _cued_names(self, text: str) -> str:
        for pattern in (_NAME_CUE, _CAPITAL_CUE):
            text = self._names_after(pattern, text)
        if "\n" in text or _SIGNATURE.search(text):
            text = self._names_after(_SIGNATURE, text)
        return text

    def _names_after(self, pattern: re.Pattern[str], text: str) -> str:
        def replace(match: re.Match[str]) -> str:
            whole = match.group()
            start = match.start("name") - match.start()
            name = _name_words(match.group("name"), self.name)
            if not name:  # "Hello, I'm Bob": the cue in the rest may still introduce one
                return whole[:start] + self._names_after(pattern, whole[start:])
            return whole[:start] + self.name + whole[start + len(name) :]

        return pattern.sub(replace, text)

    def __call__(self, text: str) -> str:
        """E-mails first (their digits are no phone), then cards (longer than phones)."""
        return self.postcodes(self.phones(self.cards(self.emails(text))))


_DEFAULT = Redactor()


def redact(text: str) -> str:
    """``text`` with cards, e-mails, phones and postcodes replaced by placeholders."""
    return _DEFAULT(text)


def redact_names(text: str, known: tuple[str, ...] = ()) -> str:
    """``text`` with introduced and signed person names, and the ``known`` ones, as ``[name]``."""
    return _DEFAULT.names(text, known)


def redact_personal(text: str, known_names: tuple[str, ...] = ()) -> str:
    """:func:`redact` and :func:`redact_names`: what a store that keeps no name needs."""
    return _DEFAULT.names(_DEFAULT(text), known_names)


def redact_cards(text: str) -> str:
    """``text`` with Luhn-valid card numbers replaced by ``[card]``, the rest as it was."""
    return _DEFAULT.cards(text)


def redact_json(value: Any, redactor: Callable[[str], str] = redact) -> Any:
    """A copy of a JSON-like value (dicts, lists, strings...) with every string redacted.

    Keys are kept: they are names chosen by code, not words typed by a customer.
    """
    if isinstance(value, str):
        return redactor(value)
    if isinstance(value, dict):
        return {key: redact_json(item, redactor) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_json(item, redactor) for item in value]
    return value
