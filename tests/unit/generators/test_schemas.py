from __future__ import annotations

from datetime import date

import jsonschema
import pytest

from bot.contract.payloads import is_current, schema_versions
from generators.credit import Scorecard
from generators.embeddings import HashingEmbedder
from generators.errors import ValidationFailed
from generators.financing import FinancingTerms
from generators.mobile_plans import MobilePlanAdvisor
from generators.recommend import HybridRecommender
from generators.savings import SavingsPlanner
from generators.schemas import RESULT_TYPES, json_schema, payload, schema_path, schema_text


@pytest.mark.parametrize("result_type", sorted(RESULT_TYPES))
def test_committed_schema_equals_the_generated_one(result_type: str) -> None:
    assert schema_path(result_type).read_text(encoding="utf-8") == schema_text(result_type), (
        "Regenerate with `python -m generators.schemas` and commit the files."
    )


def results():
    yield "credit_score", Scorecard().score({"credit_amount": 900, "duration_months": 10})
    yield (
        "credit_score",
        Scorecard()
        .score({"credit_amount": 1200, "duration_months": 24})
        .model_copy(update={"financing": FinancingTerms.load().offer(1200, 24)}),
    )
    yield "mobile_plan", MobilePlanAdvisor().recommend({"data_gb": 12, "minutes": 300})
    yield (
        "savings_plan",
        SavingsPlanner().plan(
            {
                "goal_amount": 5000,
                "target_date": date(2030, 1, 1),
                "loss_reaction": "sell",
                "experience": "none",
                "today": date(2026, 1, 1),
            }
        ),
    )
    yield (
        "recommendations",
        HybridRecommender.from_catalog(embedder=HashingEmbedder()).recommend(
            {"seen_product_ids": ["nova-8"]}
        ),
    )


@pytest.mark.parametrize(("result_type", "result"), list(results()))
def test_payloads_validate_against_the_committed_schema(result_type: str, result) -> None:
    message = payload(result_type, result)
    assert message["type"] == result_type
    assert message["schema_version"] == schema_versions()[result_type]
    version = schema_versions()[result_type]
    assert json_schema(result_type)["$id"] == f"tandem:{result_type}:v{version}"
    jsonschema.validate(message["data"], json_schema(result_type))


def test_payload_refuses_a_mismatched_type() -> None:
    plan = MobilePlanAdvisor().recommend({"data_gb": 1, "minutes": 1})
    with pytest.raises(ValidationFailed, match="not a 'credit_score' result"):
        payload("credit_score", plan)


def test_credit_schema_carries_the_cost_and_never_a_probability() -> None:
    properties = json_schema("credit_score")["properties"]
    assert "probability_of_default" not in properties
    assert "financing" in properties


def test_credit_result_is_version_2_since_the_probability_went() -> None:
    """Removing ``probability_of_default`` broke version 1's contract, so it is 2 now."""
    result = Scorecard().score({"credit_amount": 900, "duration_months": 12})
    message = payload("credit_score", result)
    assert message["schema_version"] == 2 and is_current(message)
    assert "probability_of_default" not in message["data"]
    assert not is_current({**message, "schema_version": 1})
    assert not is_current({**message, "schema_version": True})


def test_every_result_type_has_a_version() -> None:
    assert set(schema_versions()) == set(RESULT_TYPES)
