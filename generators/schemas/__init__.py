"""JSON schemas of the structured results: the contract with channels.

Each result reaches a channel as a custom payload
``{"type": <result type>, "schema_version": <n>, "data": <model JSON>}``
(:class:`bot.contract.payloads.StructuredPayload`) next to a short lead-in text.
The schemas live in the contract, ``bot/contract/schemas/<type>.schema.json``,
which the channel renderers read too; each one's ``$id`` carries the type's
version, which goes up when a field is removed or changes meaning
(``credit_score`` is at 2 since ``probability_of_default`` went). The files are
generated from the pydantic models by ``python -m generators.schemas`` (which
keeps each file's version) and a unit test fails when they drift, so a channel
can validate payloads without Python.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from bot.contract.payloads import SCHEMA_DIR, StructuredPayload, schema_id, schema_versions
from bot.contract.payloads import schema_path as contract_schema_path
from generators.credit import CreditScore
from generators.errors import ValidationFailed
from generators.marketing import MarketingCopy
from generators.mobile_plans import MobilePlanRecommendation
from generators.recommend import Recommendations
from generators.savings import SavingsPlan

RESULT_TYPES: dict[str, type[BaseModel]] = {
    "credit_score": CreditScore,
    "mobile_plan": MobilePlanRecommendation,
    "savings_plan": SavingsPlan,
    "recommendations": Recommendations,
    "marketing_copy": MarketingCopy,
}


def json_schema(result_type: str) -> dict[str, Any]:
    """The JSON schema of one result type's ``data``, with an id channels can pin."""
    schema = RESULT_TYPES[result_type].model_json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": schema_id(result_type, schema_versions().get(result_type, 1)),
        **schema,
    }


def schema_text(result_type: str) -> str:
    return json.dumps(json_schema(result_type), indent=2, ensure_ascii=False) + "\n"


def schema_path(result_type: str, directory: Path = SCHEMA_DIR) -> Path:
    return contract_schema_path(result_type, directory)


def payload(result_type: str, result: BaseModel) -> dict[str, Any]:
    """The custom payload for ``dispatcher.utter_message(json_message=...)``."""
    expected = RESULT_TYPES.get(result_type)
    if expected is None or not isinstance(result, expected):
        raise ValidationFailed(
            f"{type(result).__name__} is not a {result_type!r} result; "
            f"known types: {sorted(RESULT_TYPES)}.",
            raw=result,
        )
    return StructuredPayload.current(result_type, result.model_dump(mode="json")).to_dict()


def write_schemas(directory: Path = SCHEMA_DIR) -> list[Path]:
    paths = []
    for result_type in RESULT_TYPES:
        path = schema_path(result_type, directory)
        path.write_text(schema_text(result_type), encoding="utf-8")
        paths.append(path)
    return paths
