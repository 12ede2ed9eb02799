"""Each generator's result model has exactly the JSON schema the contract ships."""

from __future__ import annotations

import pytest
import tomllib

from bot.contract.payloads import read_schemas, result_types, schema
from generators.schemas import RESULT_TYPES, json_schema
from tests.conftest import PROJECT_ROOT


def test_every_contract_type_has_a_result_model_and_vice_versa() -> None:
    assert set(RESULT_TYPES) == set(result_types())


@pytest.mark.parametrize("result_type", sorted(RESULT_TYPES))
def test_the_result_model_schema_is_the_contract_schema(result_type: str) -> None:
    assert json_schema(result_type) == schema(result_type), (
        f"bot/contract/schemas/{result_type}.schema.json differs from the model's schema: "
        "regenerate with `python -m generators.schemas` and commit the file."
    )


def test_the_schemas_ship_in_the_wheel() -> None:
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    package_data = pyproject["tool"]["setuptools"]["package-data"]
    assert "schemas/*.json" in package_data["bot.contract"]
    assert set(read_schemas()) == set(result_types())
