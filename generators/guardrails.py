"""Checks on what goes into a model and what goes into the logs.

* personal data (emails, phone numbers, card numbers, IBANs and account
  numbers) is replaced by placeholders before any prompt is built, and
  :class:`RedactingFilter` does the same to log records;
* user input is capped in length, since a prompt has a token budget and long
  inputs are a common carrier of injected instructions;
* prompt-injection attempts (overriding instructions, asking for the system
  prompt or for other customers' data) are recognised so the caller answers
  with a fixed, safe reply instead of asking a model.

Patterns favour recall: a redacted order number costs less than a leaked card.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from bot.privacy import Redactor
from generators.brand import Brand

_PROMPT = Redactor(card="[CARD]", email="[EMAIL]", phone="[PHONE]")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){3,7}(?:[ ]?[A-Z0-9]{1,3})?\b")
_ACCOUNT = re.compile(
    r"\b(?:account|acct|a/c|customer|sort code)(?:\s+(?:no\.?|number|id|#))?[:\s#]*([\d-]{6,})",
    re.IGNORECASE,
)

_INJECTION = [
    (re.compile(p, re.IGNORECASE), reason)
    for p, reason in (
        (
            r"\b(ignore|disregard|forget|override)\b.{0,40}\b(previous|prior|above|earlier|"
            r"all|your|system)\b.{0,20}\b(instructions?|prompts?|rules?|guidelines?)",
            "override",
        ),
        (
            r"\b(system|hidden|initial|original)\s+(prompt|instructions?|message)",
            "system-prompt",
        ),
        (
            r"\b(reveal|show|print|repeat|output|tell me|give me|what (is|are))\b.{0,30}"
            r"\b(your (prompt|instructions|rules|guidelines)|the (prompt|instructions) (you|that))",
            "system-prompt",
        ),
        (r"\byou are now\b|\bact as\b.{0,30}\b(developer|admin|dan|jailbr)", "role-play"),
        (r"\b(developer|debug|god|jailbreak)\s+mode\b", "role-play"),
        (
            r"\b(other|another|all|every)\s+(customers?|users?|clients?)('s|')?\b.{0,40}"
            r"\b(data|details|orders?|emails?|addresses|phone|accounts?|information|info)",
            "other-customers-data",
        ),
        (
            r"\b(data|details|orders?|emails?|addresses|phone|accounts?|information|info)\b"
            r".{0,30}\b(of|for|about)\s+(other|another|all)\s+(customers?|users?|clients?)",
            "other-customers-data",
        ),
    )
]

MAX_INPUT_CHARS = 600

SAFE_INJECTION_REPLY = (  # a template: see injection_reply()
    "I can only help with questions about {business}'s products, stores, plans and services, "
    "and I can't share my instructions or anyone else's information. What can I help you with?"
)


def injection_reply(brand: Brand) -> str:
    """The fixed reply to a prompt-injection attempt, in ``brand``'s name."""
    return brand.fill("refusal", SAFE_INJECTION_REPLY)


def redact(text: str) -> str:
    """Replace personal data with ``[EMAIL]``, ``[CARD]``, ``[IBAN]``, ``[ACCOUNT]``, ``[PHONE]``.

    Cards, e-mails and phones are found by :mod:`bot.privacy`, as everywhere
    else; prompts also lose IBANs and account numbers, and keep the capital
    placeholders they always had. Order matters: IBANs before cards, and both
    with account numbers before phones, which would match their digits.
    """
    text = _PROMPT.emails(text)
    text = _IBAN.sub("[IBAN]", text)
    text = _PROMPT.cards(text)
    text = _ACCOUNT.sub(lambda m: m.group().replace(m.group(1), "[ACCOUNT]"), text)
    return _PROMPT.phones(text)


def injection_reason(text: str) -> str | None:
    """The kind of injection attempt ``text`` looks like, or ``None``."""
    for pattern, reason in _INJECTION:
        if pattern.search(text):
            return reason
    return None


@dataclass(frozen=True)
class CheckedInput:
    """User input made safe to put in a prompt, with what the checks found."""

    text: str
    truncated: bool
    injection: str | None

    @property
    def allowed(self) -> bool:
        return self.injection is None


def check_input(text: str, *, max_chars: int = MAX_INPUT_CHARS) -> CheckedInput:
    """Redact, cap and screen one user message (in that order, so caps never split PII)."""
    clean = " ".join(redact(text).split())
    truncated = len(clean) > max_chars
    if truncated:
        clean = clean[:max_chars].rsplit(" ", 1)[0]
    return CheckedInput(text=clean, truncated=truncated, injection=injection_reason(text))


class RedactingFilter(logging.Filter):
    """Redacts personal data from log records; attach it to handlers that leave the process."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True
