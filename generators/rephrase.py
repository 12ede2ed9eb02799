"""Contextual rephrasing of templated responses, without losing a single fact.

A business may mark a response in ``domain.yml`` (``metadata: {rephrase: true}``)
so the text generator words it to fit the conversation. Templates are written
and approved by people, so the rephrasing may change the wording and nothing
else: :func:`check_rephrasing` insists on the same numbers, amounts and times,
the same names, links and e-mail addresses, and every slot value the template
was filled with, and on a sensible length without traces of the prompt. A
rephrasing that fails any check, or comes too late, is thrown away and the
customer reads the template: a stiff sentence costs less than a wrong price.

Like the other generators this is pure prompt building
(:meth:`Rephraser.messages`) → one model call under a deadline → pure
validation, so both ends are testable without a model.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.errors import ConfigError
from generators.brand import Brand
from generators.errors import GenerationTimeout, GeneratorError, ValidationFailed
from generators.guardrails import redact
from generators.text import GenerationOptions, Message, TextGenerator, generate_within

log = logging.getLogger(__name__)

DEFAULT_DEADLINE_S = 1.5
"""A rephrasing is a nicety: past this the customer should already be reading."""
DEFAULT_MAX_TURNS = 6
MAX_TURN_CHARS = 300

SYSTEM_PROMPT = (  # a template: Brand.fill("rephrase", SYSTEM_PROMPT)
    "You rewrite the next message of {business}'s chat assistant so that it fits the "
    "conversation naturally. Keep every fact exactly as written: numbers, prices, times, "
    "dates, names, links and e-mail addresses. Do not add facts, offers or promises. Keep "
    "about the same length and the same language. Reply with the rewritten message only."
)
CONVERSATION_LABEL = "Conversation so far:"
MESSAGE_LABEL = "Message to rewrite:"
_SPEAKERS = {"user": "Customer", "bot": "Assistant"}

_SPEAKER_LINE = re.compile(r"^\s*(?:customer|assistant)\s*:", re.IGNORECASE | re.MULTILINE)
_LEADING_LABEL = re.compile(
    r"^\s*(?:assistant|rewritten(?: message)?|rephrased(?: message)?)\s*:\s*", re.IGNORECASE
)
_META = re.compile(
    r"^\s*(?:here(?:'s| is) (?:the|a|your)\b|sure[,!.]? here|as an ai\b)", re.IGNORECASE
)
_URL = re.compile(r"(?:\bhttps?://|\bwww\.)[^\s<>\"'()\[\]]*[^\s<>\"'()\[\].,;:!?]", re.IGNORECASE)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_TIME_OF_DAY = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*([ap])\.?\s?m\b\.?", re.IGNORECASE)
_CLOCK = re.compile(r"\b\d{1,2}:\d{2}\b")
_AMOUNT = re.compile(r"([£$€])?\s?\b(\d+(?:,\d{3})*(?:\.\d+)?)(\s?%)?")
_SMALL_NUMBERS = ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_NUMBER_WORDS = {word: str(n) for n, word in enumerate(_SMALL_NUMBERS, start=2)}
"""Written-out counts: "Four quick questions" and "4 quick questions" say the same."""
_NUMBER_WORD = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:'[A-Za-z]+)?")
_SENTENCE_START = re.compile(r"(?:^|[.!?\n]|\n\s*[-*•])[\s\"'(\[\u201c\u2018]*$")
_PRONOUN_I = frozenset({"i", "i'm", "i'll", "i've", "i'd"})
_CONTRACTIONS = frozenset(
    f"{word}'s" for word in ("it", "let", "that", "there", "here", "what", "who", "where", "how")
)
"""Sentence openers ending in 's that are no possessives, so no names."""


class Turn(BaseModel):
    """One earlier message of the conversation, as the engine sends it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Literal["user", "bot"]
    text: str = Field(max_length=4000)


class Rephrasing(BaseModel):
    """What the customer gets: the rephrased text, or the template and why."""

    text: str
    rephrased: bool
    reason: str | None = None


class RephrasingRejected(ValidationFailed):
    """The model's rephrasing broke a rule; ``check`` names it, ``raw`` keeps the output."""

    def __init__(self, message: str, *, check: str, raw: object = None) -> None:
        self.check = check
        super().__init__(message, raw=raw)


class Facts(BaseModel):
    """What a rephrasing must keep, as found in a text."""

    model_config = ConfigDict(frozen=True)

    links: frozenset[str]
    numbers: frozenset[str]
    names: frozenset[str]
    words: frozenset[str]

    @classmethod
    def of(cls, text: str) -> Facts:
        links = {m.lower().rstrip("/") for m in _URL.findall(text)}
        links |= {m.lower() for m in _EMAIL.findall(text)}
        text = text.replace("\u2019", "'")  # typographic apostrophes, as models like to write
        rest = _EMAIL.sub(" ", _URL.sub(" ", text))
        numbers, rest = _numbers(rest)
        names: set[str] = set()
        words: set[str] = set()
        for match in _WORD.finditer(rest):
            token = match.group()
            bare = token.removesuffix("'s")
            words.add(bare.lower())
            if _is_name(token, rest[: match.start()]):
                names.add(bare.lower())
        return cls(
            links=frozenset(links),
            numbers=frozenset(numbers),
            names=frozenset(names),
            words=frozenset(words),
        )


def _numbers(text: str) -> tuple[set[str], str]:
    """Numbers as facts (``9am``, ``17:30``, ``£4.99``, ``20%``) and the text without them."""
    found: set[str] = set()

    def time_of_day(m: re.Match[str]) -> str:
        minutes = "" if m.group(2) in (None, "00") else f":{m.group(2)}"
        found.add(f"{int(m.group(1))}{minutes}{m.group(3).lower()}m")
        return " "

    def clock(m: re.Match[str]) -> str:
        found.add(m.group())
        return " "

    def amount(m: re.Match[str]) -> str:
        value = m.group(2).replace(",", "")
        if "." in value:  # 4.90 and 4.9 are one price, 49.00 and 49 too
            value = value.rstrip("0").rstrip(".")
        found.add(f"{m.group(1) or ''}{value}{'%' if m.group(3) else ''}")
        return " "

    text = _TIME_OF_DAY.sub(time_of_day, text)
    text = _CLOCK.sub(clock, text)
    text = _NUMBER_WORD.sub(lambda m: _NUMBER_WORDS[m.group().lower()], text)
    text = _AMOUNT.sub(amount, text)
    return found, text


def _is_name(token: str, before: str) -> bool:
    """A proper noun or acronym: capitalised mid-sentence, inner capitals, or possessive.

    Sentence-initial words are not names unless possessive ("Acme's"): a
    rewording may start its sentences differently.
    """
    if token.lower() in _PRONOUN_I:
        return False
    if any(c.isupper() for c in token[1:]):
        return True
    if not token[0].isupper():
        return False
    if not _SENTENCE_START.search(before):
        return True
    return token.endswith("'s") and token.lower() not in _CONTRACTIONS


def _listed(values: Iterable[str]) -> str:
    return ", ".join(sorted(values))


def clean(raw: str) -> str:
    """The model's reply without surrounding whitespace, quotes or an echoed label."""
    text = _LEADING_LABEL.sub("", raw.strip(), count=1).strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'“”":
        text = text[1:-1].strip()
    if text.startswith("“") and text.endswith("”"):
        text = text[1:-1].strip()
    return text


def _plain(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", text.lower().replace("\u2019", "'")))


def _leaks_prompt(text: str, original: str, instructions: str) -> str | None:
    """A label or six words in a row of the prompt that the template itself lacks."""
    for label in (CONVERSATION_LABEL, MESSAGE_LABEL):
        if label.lower() in text.lower() and label.lower() not in original.lower():
            return label
    said, template = _plain(text), _plain(original)
    words = _plain(instructions).split()
    for start in range(len(words) - 5):
        shingle = " ".join(words[start : start + 6])
        if f" {shingle} " in f" {said} " and f" {shingle} " not in f" {template} ":
            return shingle
    speaker = _SPEAKER_LINE.search(text)
    if speaker and not _SPEAKER_LINE.search(original):
        return speaker.group().strip()
    if _META.match(text):
        return "a comment about the rewrite"
    return None


def check_rephrasing(
    original: str,
    candidate: str,
    *,
    keep: Sequence[str] = (),
    instructions: str = SYSTEM_PROMPT,
) -> str:
    """Return the cleaned ``candidate`` if it says what ``original`` says.

    ``keep`` holds strings that must survive verbatim (case aside): the slot
    values the template was filled with. Raises :class:`RephrasingRejected`
    (carrying the raw output) naming the first broken rule.
    """
    text = clean(candidate)
    if not text:
        raise RephrasingRejected("The rephrasing is empty.", check="empty", raw=candidate)
    low, high = 0.5 * len(original), 2 * len(original) + 20
    if not low <= len(text) <= high:
        raise RephrasingRejected(
            f"The rephrasing has {len(text)} characters; the template has {len(original)}, "
            f"so {int(low)}-{int(high)} are allowed.",
            check="length",
            raw=candidate,
        )
    leak = _leaks_prompt(text, original, instructions)
    if leak:
        raise RephrasingRejected(
            f"The rephrasing repeats the prompt ({leak!r}).", check="prompt", raw=candidate
        )
    missing = [value for value in keep if value.strip() and value.lower() not in text.lower()]
    if missing:
        raise RephrasingRejected(
            f"The rephrasing drops the filled-in value(s) {_listed(missing)}.",
            check="slots",
            raw=candidate,
        )
    want, got = Facts.of(original), Facts.of(text)
    for check, before, after in (
        ("links", want.links, got.links),
        ("numbers", want.numbers, got.numbers),
    ):
        if before != after:
            dropped, added = before - after, after - before
            raise RephrasingRejected(
                f"The rephrasing changes the {check}"
                + (f"; drops {_listed(dropped)}" if dropped else "")
                + (f"; adds {_listed(added)}" if added else "")
                + ".",
                check=check,
                raw=candidate,
            )
    dropped_names = want.names - got.words
    invented_names = got.names - want.words
    if dropped_names or invented_names:
        raise RephrasingRejected(
            "The rephrasing changes the names"
            + (f"; drops {_listed(dropped_names)}" if dropped_names else "")
            + (f"; adds {_listed(invented_names)}" if invented_names else "")
            + ".",
            check="names",
            raw=candidate,
        )
    return text


class Rephraser:
    """Rewords a filled-in template for the conversation, or says why it could not."""

    def __init__(
        self,
        *,
        brand: Brand,
        generator: TextGenerator,
        deadline_s: float = DEFAULT_DEADLINE_S,
        max_turns: int = DEFAULT_MAX_TURNS,
    ) -> None:
        if deadline_s <= 0:
            raise ConfigError(
                f"The rephrasing deadline is {deadline_s} s; give a positive number of seconds."
            )
        self.system_prompt = brand.fill("rephrase", SYSTEM_PROMPT)
        self.generator = generator
        self.deadline_s = deadline_s
        self.max_turns = max_turns

    def messages(self, text: str, turns: Sequence[Turn] = ()) -> list[Message]:
        """The prompt: the rules, the last turns (personal data redacted), the template.

        The transcript goes into one user message rather than as chat turns, so
        the model rewrites the message instead of answering the customer.
        """
        recent = [t for t in turns if t.text.strip()][-self.max_turns :] if self.max_turns else []
        lines = [
            f"{_SPEAKERS[t.role]}: {' '.join(redact(t.text[:MAX_TURN_CHARS]).split())}"
            for t in recent
        ]
        parts = [CONVERSATION_LABEL, *lines, ""] if lines else []
        parts += [MESSAGE_LABEL, text]
        return [Message("system", self.system_prompt), Message("user", "\n".join(parts))]

    def options(self, text: str) -> GenerationOptions:
        # ~4 characters a token; room for the allowed 2x + 20 characters, no more
        return GenerationOptions(
            max_new_tokens=min(400, (2 * len(text) + 20) // 3 + 8),
            stop=("\nCustomer:", "\nAssistant:"),
        )

    def rephrase(
        self,
        text: str,
        turns: Sequence[Turn] = (),
        *,
        keep: Sequence[str] = (),
        deadline_s: float | None = None,
    ) -> str:
        """The checked rephrasing; raises a :class:`GeneratorError` subclass otherwise."""
        raw = generate_within(
            self.generator,
            self.messages(text, turns),
            self.options(text),
            self.deadline_s if deadline_s is None else deadline_s,
            task="rephrase",
        )
        return check_rephrasing(text, raw, keep=keep, instructions=self.system_prompt)

    def rephrase_or_keep(
        self,
        text: str,
        turns: Sequence[Turn] = (),
        *,
        keep: Sequence[str] = (),
        deadline_s: float | None = None,
        response: str = "",
    ) -> Rephrasing:
        """Like :meth:`rephrase`, but every failure becomes the template plus its reason."""
        label = response or "a response"
        try:
            candidate = self.rephrase(text, turns, keep=keep, deadline_s=deadline_s)
        except GenerationTimeout as e:
            reason = f"No rephrasing within {e.deadline_s} s."
        except RephrasingRejected as e:
            log.debug("rephrase %s: template kept (%s) raw=%r", label, e, e.raw)
            return Rephrasing(text=text, rephrased=False, reason=str(e))
        except GeneratorError as e:
            reason = f"The {self.generator.name} backend failed: {e}"
        else:
            if candidate == text.strip():
                return Rephrasing(
                    text=text, rephrased=False, reason="The model returned the template."
                )
            log.debug("rephrase %s: %r -> %r", label, text, candidate)
            return Rephrasing(text=candidate, rephrased=True)
        log.debug("rephrase %s: template kept (%s)", label, reason)
        return Rephrasing(text=text, rephrased=False, reason=reason)
