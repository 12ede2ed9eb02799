"""``action_write_marketing_copy``: 2-3 copy variants for staff from a brief in slots.

Reads ``copy_product``, ``copy_audience``, ``copy_tone`` and ``copy_words``,
asks :class:`generators.marketing.MarketingWriter` and utters the variants as
one numbered message (plus a JSON payload channels can render as cards).
"""

from __future__ import annotations

import asyncio
import logging
from functools import lru_cache
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.forms import apology_for
from generators.errors import GeneratorError, ValidationFailed
from generators.marketing import MarketingWriter
from generators.schemas import payload
from generators.settings import TextSettings

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def default_writer() -> MarketingWriter:
    settings = TextSettings.from_env()
    return MarketingWriter(generator=settings.build_generator(), deadline_s=settings.deadline_s)


class ActionWriteMarketingCopy(Action):
    def __init__(self, writer: MarketingWriter | None = None) -> None:
        self._writer = writer

    def name(self) -> str:
        return "action_write_marketing_copy"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        brief = {
            key: tracker.get_slot(f"copy_{key}")
            for key in ("product", "audience", "tone", "words")
            if tracker.get_slot(f"copy_{key}") not in (None, "")
        }
        if "product" not in brief:
            dispatcher.utter_message(text="Which product should the copy be about?")
            return []
        try:
            writer = self._writer
            if writer is None:
                writer = await asyncio.to_thread(default_writer)
            copy = await asyncio.to_thread(writer.write, brief)
        except ValidationFailed as e:
            dispatcher.utter_message(text=f"I can't write copy from that brief: {e}")
            return [SlotSet("copy_product", None)]
        except GeneratorError as e:
            log.error("action_write_marketing_copy: writer unavailable: %s", e)
            dispatcher.utter_message(text=apology_for(e, what="that copy"))
            return []
        numbered = "\n\n".join(f"{n}. {v.text}" for n, v in enumerate(copy.variants, start=1))
        dispatcher.utter_message(
            text=f"Here are {len(copy.variants)} versions for {copy.brief.product}:\n\n{numbered}",
            json_message=payload("marketing_copy", copy),
        )
        return []
