"""How long a waiting customer will wait: one estimate, one wording, for every surface.

The bot's "I've asked a colleague" message, the web widget's banner and its
later updates all show :class:`QueueStatus` as the service computed it, so
they cannot disagree. The estimate is honest about what it knows:

* ``typical`` is the median time from request to claim of recent claims
  (the last :data:`bot.handoff.store.WAIT_HISTORY` within a day); it already
  reflects how many people usually work the queue.
* With ``n`` agents online, the customer at ``position`` ``p`` is served in
  round ``ceil(p / n)``, so the total wait is ``ceil(p / n) * typical``; what
  is shown is what remains of it after the time waited so far.
* No estimate (``expected_wait_s`` is ``None``) when nobody from the team is
  online, when there is no recent history to go by, or when the customer has
  already waited longer than the estimate: then the wording says so instead
  of a made-up figure.

The words are English (:attr:`QueueStatus.place_text`, :attr:`QueueStatus.wait_text`);
:meth:`QueueStatus.words` says them in another language from a message catalog
(keys ``handoff.place_*``, ``handoff.wait_*``), for a customer who writes it.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.sdk.i18n import Catalog

NO_AGENTS = "no_agents"
NO_HISTORY = "no_history"
OVERDUE = "overdue"


@dataclass(frozen=True)
class QueueStatus:
    """A waiting customer's place and expected wait, with the words to show them."""

    position: int
    expected_wait_s: int | None
    waited_s: int
    agents_online: int
    unknown_because: str | None = None  # NO_AGENTS | NO_HISTORY | OVERDUE

    @property
    def expected_wait_min(self) -> int | None:
        """Whole minutes, rounded up: the one figure every surface shows."""
        if self.expected_wait_s is None:
            return None
        return max(1, math.ceil(self.expected_wait_s / 60))

    @property
    def place_text(self) -> str:
        if self.position <= 1:
            return "You're next in the queue."
        return f"You're number {self.position} in the queue."

    @property
    def wait_text(self) -> str:
        minutes = self.expected_wait_min
        if minutes is not None:
            return f"The wait is about {minutes} minute{'s' if minutes != 1 else ''}."
        if self.unknown_because == NO_AGENTS:
            return (
                "I can't say how long it will take: nobody from the team is online at this moment."
            )
        if self.unknown_because == OVERDUE:
            return "It's taking longer than usual, sorry; you keep your place."
        return "I can't estimate the wait yet."

    def words(self, language: str | None = None, catalog: Catalog | None = None) -> list[str]:
        """The place and the wait in ``language``: the English above, or ``catalog``'s."""
        if catalog is None or not language or language == catalog.default:
            return [self.place_text, self.wait_text]
        if self.position <= 1:
            place = catalog.text("handoff.place_next", language)
        else:
            place = catalog.text(
                "handoff.place_number", language, position=self.position, ahead=self.position - 1
            )
        minutes = self.expected_wait_min
        if minutes is not None:
            wait = catalog.text("handoff.wait_minutes", language, minutes=minutes)
        elif self.unknown_because == NO_AGENTS:
            wait = catalog.text("handoff.wait_no_agents", language)
        elif self.unknown_because == OVERDUE:
            wait = catalog.text("handoff.wait_overdue", language)
        else:
            wait = catalog.text("handoff.wait_unknown", language)
        return [place, wait]

    def as_json(
        self, language: str | None = None, catalog: Catalog | None = None
    ) -> dict[str, Any]:
        """The contract with the engine's action and the widget (``custom`` of the message),
        its words in ``language`` (see :meth:`words`)."""
        place, wait = self.words(language, catalog)
        return {
            "position": self.position,
            "expected_wait_s": self.expected_wait_s,
            "expected_wait_min": self.expected_wait_min,
            "waited_s": self.waited_s,
            "agents_online": self.agents_online,
            "place_text": place,
            "wait_text": wait,
        }


def estimate(
    position: int, recent_waits: list[float], agents_online: int, waited_s: float = 0.0
) -> QueueStatus:
    """The status of the customer at ``position`` (1 = next) who has waited ``waited_s``."""
    waited = max(0, round(waited_s))
    if agents_online <= 0:
        return QueueStatus(position, None, waited, 0, NO_AGENTS)
    if not recent_waits:
        return QueueStatus(position, None, waited, agents_online, NO_HISTORY)
    typical = max(statistics.median(recent_waits), 1.0)
    total = math.ceil(max(position, 1) / agents_online) * typical
    remaining = round(total - waited)
    if remaining <= 0:
        return QueueStatus(position, None, waited, agents_online, OVERDUE)
    return QueueStatus(position, remaining, waited, agents_online)
