"""Responses rendered from their templates, some of them reworded for the conversation.

:class:`RephrasingNLG` is Rasa's templated generator (same variation choice,
same slot filling, same buttons) with one addition: when the chosen variation
carries ``metadata: {rephrase: true}`` in ``domain.yml``, its filled-in text
and the last few turns go to the action server's ``POST /rephrase``
(:mod:`bot.actionserver`), which has the text generator and checks that the
rewording keeps every fact. Only the ``text`` can change; buttons, images and
custom payloads are the template's. Responses without the mark never leave
the engine.

It is a subclass of ``TemplatedNaturalLanguageGenerator`` because Rasa hands
the domain's responses to that class when it loads a model; anything else
would render with stale or no responses. Enable it in ``endpoints.yml``::

    nlg:
      type: bot.engine.rephrase.RephrasingNLG
      url: ${TANDEM_ACTION_SERVER_URL}        # the action server; /rephrase sits next to /webhook
      timeout_s: 2                            # the whole round trip
      max_turns: 6                            # conversation the model sees

and mark a response::

    responses:
      utter_greet:
        - text: "Hi! I'm Volt, Voltline's assistant."
          metadata:
            rephrase: true

A rephrasing that is late, fails or is rejected leaves the template as it is;
the engine logs each kind of failure once at warning level (then at debug),
and the action server logs why each rewording was rejected.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import re
from typing import Any

import aiohttp
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.contract.errors import ContractError
from bot.contract.paths import REPHRASE_PATH
from bot.contract.rephrase import (
    MAX_TEXT_CHARS,
    MAX_TURNS,
    RephraseReply,
    RephraseRequest,
    RephraseTurn,
)

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 2.0
DEFAULT_MAX_TURNS = 6
MAX_TURN_CHARS = 1000  # the model sees 300 of them; the rest would only travel
MARGIN_S = 0.5
"""Of the round trip, what is left for HTTP and JSON; the rest is the model's deadline."""
_PLACEHOLDER = re.compile(r"{([^\n{}]+?)}")  # as rasa.core.nlg.interpolator finds them


def wants_rephrasing(message: dict[str, Any]) -> bool:
    """True for a rendered response with text whose variation is marked ``rephrase: true``."""
    metadata = message.get("metadata")
    text = message.get("text")
    return (
        isinstance(metadata, dict)
        and metadata.get("rephrase") is True
        and isinstance(text, str)
        and 0 < len(text.strip()) <= MAX_TEXT_CHARS
    )


def recent_turns(tracker: DialogueStateTracker, max_turns: int) -> list[dict[str, str]]:
    """The last ``max_turns`` texts of this session, oldest first.

    Button payloads (``/intent``) are left out: they are commands, not words
    the customer would recognise in a reply.
    """
    turns: list[dict[str, str]] = []
    for event in reversed(tracker.applied_events()):
        if len(turns) >= max_turns:
            break
        if isinstance(event, UserUttered) and event.text and not event.text.startswith("/"):
            turns.append({"role": "user", "text": event.text[:MAX_TURN_CHARS]})
        elif isinstance(event, BotUttered) and event.text:
            turns.append({"role": "bot", "text": event.text[:MAX_TURN_CHARS]})
    return turns[::-1]


def filled_values(template: Any, values: dict[str, Any]) -> list[str]:
    """The values the template's ``{placeholders}`` were filled with: they must survive."""
    if not isinstance(template, str):
        return []
    kept = []
    for name in dict.fromkeys(_PLACEHOLDER.findall(template)):
        value = values.get(name)
        if value is not None and not isinstance(value, (dict, list)) and str(value).strip():
            kept.append(str(value))
    return kept


class RephrasingNLG(TemplatedNaturalLanguageGenerator):
    """Templated responses, reworded by the action server where marked; see the module."""

    def __init__(self, endpoint_config: EndpointConfig, domain: Domain | None = None) -> None:
        super().__init__(domain.responses if domain else {})
        url = (endpoint_config.url or "").rstrip("/")
        if not url:
            raise ValueError(
                "RephrasingNLG needs the action server's base url in endpoints.yml, e.g. "
                "nlg: {type: bot.engine.rephrase.RephrasingNLG, url: http://127.0.0.1:5055}."
            )
        # accept action_endpoint's url too: the same server, its /webhook route
        self.url = url.removesuffix("/webhook") + REPHRASE_PATH
        kwargs = endpoint_config.kwargs
        self.timeout_s = float(kwargs.get("timeout_s", DEFAULT_TIMEOUT_S))
        if self.timeout_s <= MARGIN_S:
            raise ValueError(
                f"RephrasingNLG's timeout_s must be above {MARGIN_S} s (it covers the model's "
                f"deadline plus {MARGIN_S} s for the round trip); 2 is a good start."
            )
        self.deadline_s = round(self.timeout_s - MARGIN_S, 3)
        self.max_turns = int(kwargs.get("max_turns", DEFAULT_MAX_TURNS))
        if not 0 <= self.max_turns <= MAX_TURNS:
            raise ValueError(
                f"RephrasingNLG's max_turns must be between 0 and {MAX_TURNS}; 6 is the default."
            )
        self.headers = dict(endpoint_config.headers)
        self._warned: set[str] = set()

    async def generate(
        self,
        utter_action: str,
        tracker: DialogueStateTracker,
        output_channel: str,
        **kwargs: Any,
    ) -> dict[str, Any] | None:
        """Render the template as Rasa does, then reword its text if it is marked."""
        filled_slots = tracker.current_slot_values()
        variation = self._random_response_for(utter_action, output_channel, filled_slots)
        if variation is None:
            return None
        variation = copy.deepcopy(variation)
        template = variation.get("text")
        message: dict[str, Any] = self._fill_response(variation, filled_slots, **kwargs)
        if not wants_rephrasing(message):
            return message
        keep = filled_values(template, self._response_variables(filled_slots, kwargs))
        text = await self.rephrase(
            utter_action, message["text"], recent_turns(tracker, self.max_turns), keep
        )
        if text is not None:
            message["text"] = text
            message["metadata"] = {**message["metadata"], "rephrased": True}
        return message

    async def rephrase(
        self, response: str, text: str, turns: list[dict[str, str]], keep: list[str]
    ) -> str | None:
        """The action server's rewording of ``text``, or None to keep the template."""
        body = RephraseRequest(
            text=text,
            turns=tuple(RephraseTurn(role=t["role"], text=t["text"]) for t in turns),
            response=response,
            keep=tuple(keep),
            deadline_s=self.deadline_s,
        ).to_dict()
        try:
            async with (
                aiohttp.ClientSession(
                    headers=self.headers, timeout=aiohttp.ClientTimeout(total=self.timeout_s)
                ) as session,
                session.post(self.url, json=body) as reply,
            ):
                status = reply.status
                raw = await reply.read()
        except asyncio.TimeoutError:
            self._warn(
                "timeout",
                "no answer from %s within %.1f s; raise nlg timeout_s in endpoints.yml or "
                "use a faster text backend",
                self.url,
                self.timeout_s,
            )
            return None
        except aiohttp.ClientError as e:
            self._warn(
                "unreachable",
                "cannot reach %s (%s); is the action server running?",
                self.url,
                e,
            )
            return None
        if status == 404:
            self._warn(
                "404",
                "%s does not exist: start the action server with `python -m bot.actionserver` "
                "(rasa-sdk's own server has no /rephrase)",
                self.url,
            )
            return None
        if status != 200:
            self._warn(f"http-{status}", "%s answered HTTP %s: %s", self.url, status, raw[:200])
            return None
        return self._parse(response, text, raw)

    def _parse(self, response: str, template: str, raw: bytes) -> str | None:
        try:
            answer = RephraseReply.from_dict(json.loads(raw))
        except (ValueError, ContractError):
            self._warn(
                "garbage", "%s answered something else than a rephrasing: %r", self.url, raw[:200]
            )
            return None
        if not answer.rephrased or not answer.text.strip():
            logger.debug("%s kept as written: %s", response, answer.reason)
            return None
        logger.debug("%s rephrased: %r -> %r", response, template, answer.text)
        return answer.text

    def _warn(self, cause: str, message: str, *args: Any) -> None:
        """Once per cause at warning level: an outage must not flood the log."""
        level = logging.DEBUG if cause in self._warned else logging.WARNING
        self._warned.add(cause)
        logger.log(level, "rephrasing skipped, template used: " + message, *args)
