"""A Rasa entity extractor for money, durations, counts, dates, e-mails and phones.

It wraps :mod:`bot.nlu.parsers`, so the values a Duckling server would give
come from the engine process itself, offline::

    - name: bot.nlu.entities.OfflineValueExtractor
      dimensions: [money, duration, count, date, email, phone]

Each entity carries a normalised ``value`` (a number for money, seconds for
durations, ISO dates, lower-case e-mails, digits-only phones) and the details in
``additional_info`` (currency, unit), the same shape Duckling entities have.
Values inside an entity an earlier extractor found ("14" in "AeroBook 14") are
skipped, so put this extractor after the others.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.parsers import PARSERS, find_all


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class OfflineValueExtractor(GraphComponent, EntityExtractorMixin):
    """Extracts structured values with rule-based parsers (no server, no model)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"dimensions": list(PARSERS)}

    def __init__(self, config: dict[str, Any]) -> None:
        unknown = sorted(set(config["dimensions"]) - set(PARSERS))
        if unknown:
            raise InvalidConfigException(
                f"OfflineValueExtractor does not know the dimensions {unknown}; "
                f"choose from {sorted(PARSERS)}."
            )
        self.dimensions = list(config["dimensions"])

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> OfflineValueExtractor:
        return cls(config)

    def process(self, messages: list[Message], *, today: date | None = None) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            existing = message.get(ENTITIES, [])
            found = [
                {
                    "entity": item.entity,
                    "start": item.start,
                    "end": item.end,
                    "value": item.value,
                    "confidence": 1.0,
                    "additional_info": {"text": item.text, **item.extra},
                }
                for item in find_all(text, today=today, dimensions=self.dimensions)
                if not _overlaps(item.start, item.end, existing)
            ]
            if found:
                entities = existing + self.add_extractor_name(found)
                message.set(ENTITIES, entities, add_to_output=True)
        return messages


def _overlaps(start: int, end: int, entities: list[dict[str, Any]]) -> bool:
    return any(start < e.get("end", -1) and end > e.get("start", -1) for e in entities)
