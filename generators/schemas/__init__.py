"""JSON schemas of the structured results: the contract with channels.

Each result reaches a channel as a custom payload
``{"type": <result type>, "schema_version": <n>, "data": <model JSON>}``
(:class:`bot.contract.payloads.StructuredPayload`) next to a short lead-in text.
The schemas live in the contract, ``bot/contract/schemas/<type>.schema.json``,
which the channel renderers read too. Each file is the result type's one
registration: its ``$id`` carries the version, which goes up when a field is
removed or changes meaning (``credit_score`` is at 2 since
``probability_of_default`` went), and its ``x-tandem-model`` names the pydantic
model that produces it (``generators.credit:CreditScore``), from which
:data:`RESULT_TYPES` is built.

The files are generated from the models: ``python -m generators.schemas``
rewrites them all (keeping each one's version), ``python -m generators.schemas
add <type> <module>:<Model>`` writes a new one. A unit test fails when a
committed file drifts from its model, so a channel can validate payloads without
Python.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from bot.contract.payloads import (
    SCHEMA_DIR,
    StructuredPayload,
    read_schemas,
    schema_id,
    schema_versions,
)
from bot.contract.payloads import schema_path as contract_schema_path
from bot.errors import ConfigError
from generators.errors import ValidationFailed

MODEL_KEY = "x-tandem-model"
"""The schema keyword that names the model producing the result: ``<module>:<class>``."""


def model_path(model: type[BaseModel]) -> str:
    return f"{model.__module__}:{model.__qualname__}"


def load_model(path: str) -> type[BaseModel]:
    """The pydantic model a schema's ``x-tandem-model`` names."""
    module_name, _, name = path.partition(":")
    try:
        model = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError) as e:
        raise ConfigError(
            f"{path!r} names no importable model; give <module>:<Model>, e.g. "
            "generators.credit:CreditScore, and regenerate the schema."
        ) from e
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise ConfigError(f"{path!r} is not a pydantic model.")
    return model


def _result_types(directory: Path = SCHEMA_DIR) -> dict[str, type[BaseModel]]:
    types = {}
    for result_type, schema in read_schemas(directory).items():
        if MODEL_KEY not in schema:
            raise ConfigError(
                f"{contract_schema_path(result_type, directory)} has no {MODEL_KEY!r}: write it "
                f"with `python -m generators.schemas add {result_type} <module>:<Model>`."
            )
        types[result_type] = load_model(str(schema[MODEL_KEY]))
    return types


RESULT_TYPES: dict[str, type[BaseModel]] = _result_types()
"""Result type -> the pydantic model of its ``data``, from the contract's schema files."""


def json_schema(result_type: str, model: type[BaseModel] | None = None) -> dict[str, Any]:
    """The JSON schema of one result type's ``data``, with an id channels can pin."""
    model = model or RESULT_TYPES[result_type]
    schema = model.model_json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": schema_id(result_type, schema_versions().get(result_type, 1)),
        MODEL_KEY: model_path(model),
        **schema,
    }


def schema_text(result_type: str, model: type[BaseModel] | None = None) -> str:
    return json.dumps(json_schema(result_type, model), indent=2, ensure_ascii=False) + "\n"


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
    for result_type, model in RESULT_TYPES.items():
        path = schema_path(result_type, directory)
        path.write_text(schema_text(result_type, model), encoding="utf-8")
        paths.append(path)
    return paths


def add_schema(result_type: str, model: str, directory: Path = SCHEMA_DIR) -> Path:
    """Write the schema of a new result type (version 1) whose ``data`` is ``model``."""
    path = schema_path(result_type, directory)
    if path.exists():
        raise ConfigError(f"{path} exists already; `python -m generators.schemas` regenerates it.")
    path.write_text(schema_text(result_type, load_model(model)), encoding="utf-8")
    return path
