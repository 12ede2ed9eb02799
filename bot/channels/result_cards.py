"""Result cards drawn once for every server-rendered channel (Slack, Teams).

A structured result type needs a card on each channel. Slack's Block Kit
(:mod:`bot.channels.blocks`) and Teams' Adaptive Cards (:mod:`bot.channels.cards`)
may each draw a type their own way (the reference types do), but a new type
only needs one function here: it turns the result's ``data`` into a
:class:`Card` (a title, facts, a list, a note), and each of those channels
translates the card into its own format. The web widget draws its cards in the
browser (``web/widget.js``). docs/howto/structured-type.md has the checklist.

Pure functions, no I/O: a renderer that raises ``KeyError``/``TypeError`` on a
payload that does not match its schema makes the channel show the JSON instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Card:
    """A channel-neutral card: each server-rendered channel draws it in its own format."""

    title: str
    summary: str
    """One line for notifications and screen readers ("3 picks for a laptop")."""
    facts: tuple[tuple[str, str], ...] = ()
    """Label and value pairs ("Monthly payment", "£42.00")."""
    items: tuple[str, ...] = ()
    """A list of entries, shown in order."""
    note: str | None = None


CardRenderer = Callable[[Mapping[str, Any]], Card]

CARDS: dict[str, CardRenderer] = {}
"""Result type -> the function that draws its card for Slack and Teams alike."""
