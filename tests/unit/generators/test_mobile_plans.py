from __future__ import annotations

import functools
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generators.errors import ModelLoadError, ValidationFailed
from generators.mobile_plans import (
    DIMENSIONS,
    MobileCatalog,
    MobilePlanAdvisor,
    MobilePlanRecommendation,
    MobileUsage,
)
from tests.conftest import CATALOG_DIR


@functools.cache
def advisor() -> MobilePlanAdvisor:
    return MobilePlanAdvisor(catalog_path=CATALOG_DIR / "mobile_plans.yml")


def brute_force_cheapest(usage: MobileUsage) -> float:
    """Every plan x every add-on count vector: the reference the advisor must match."""
    cat = advisor().catalog
    best = float("inf")
    for plan in cat.plans:
        for counts in itertools.product(*(range(a.max_count + 1) for a in cat.add_ons)):
            ok = True
            for dim in DIMENSIONS:
                base = getattr(plan, dim)
                extra = [
                    (a, n)
                    for a, n in zip(cat.add_ons, counts, strict=True)
                    if a.covers == dim and n
                ]
                if base is None or any(a.amount is None for a, _ in extra):
                    continue
                ok &= base + sum(a.amount * n for a, n in extra) >= getattr(usage, dim)
            if ok:
                cost = plan.monthly_price + sum(
                    a.monthly_price * n for a, n in zip(cat.add_ons, counts, strict=True)
                )
                best = min(best, cost)
    return best


def test_light_user_gets_basic_and_sees_the_runner_up() -> None:
    result = advisor().recommend({"data_gb": 3, "minutes": 100})
    assert result.best.plan_id == "basic"
    assert result.best.monthly_total == 15.0
    assert result.runner_up is not None and result.runner_up.plan_id != "basic"
    assert result.runner_up.monthly_total >= result.best.monthly_total


def test_add_ons_can_beat_a_bigger_plan_and_the_breakdown_adds_up() -> None:
    result = advisor().recommend({"data_gb": 40, "minutes": 100})
    assert result.best.plan_id == "plus"
    assert [i.id for i in result.best.line_items] == ["plus", "data_5gb"]
    assert result.best.line_items[1].quantity == 2
    assert result.best.monthly_total == sum(i.monthly_cost for i in result.best.line_items) == 39.0
    assert result.best.covers["data_gb"] == 40


def test_over_budget_is_reported_not_hidden() -> None:
    result = advisor().recommend({"data_gb": 80, "minutes": 2000, "roaming_days": 14, "budget": 25})
    assert result.best.plan_id == "unlimited"
    assert result.best.within_budget is False
    assert result.over_budget_by == 20.0


def test_budget_correction_changes_only_the_flag() -> None:
    usage = {"data_gb": 12, "minutes": 500, "roaming_days": 3}
    low = advisor().recommend({**usage, "budget": 15})
    high = advisor().recommend({**usage, "budget": 30})
    assert low.best == high.best.model_copy(update={"within_budget": False})
    assert high.over_budget_by is None


@pytest.mark.parametrize(
    "bad",
    [
        {"data_gb": -1, "minutes": 0},
        {"data_gb": 1e12, "minutes": 0},
        {"data_gb": 1, "minutes": 1, "roaming_days": 40},
    ],
)
def test_bad_usage_raises_validation_failed(bad: dict) -> None:
    with pytest.raises(ValidationFailed) as info:
        advisor().recommend(bad)
    assert info.value.raw == bad


def test_uncoverable_usage_says_what_to_do() -> None:
    catalog = MobileCatalog.model_validate(
        {
            "currency": "GBP",
            "add_ons": [],
            "plans": [
                {
                    "id": "tiny",
                    "name": "Tiny",
                    "monthly_price": 1,
                    "data_gb": 1,
                    "minutes": 1,
                    "roaming_days": 0,
                }
            ],
        }
    )
    with pytest.raises(ValidationFailed, match="No plan in the catalog covers"):
        MobilePlanAdvisor(catalog=catalog).recommend({"data_gb": 5, "minutes": 1})


def test_broken_catalog_is_a_model_load_error(tmp_path) -> None:
    path = tmp_path / "plans.yml"
    path.write_text("plans: [{id: x}]\n")
    with pytest.raises(ModelLoadError, match="mobile plan catalog"):
        MobilePlanAdvisor(catalog_path=path)


usages = st.builds(
    MobileUsage,
    data_gb=st.floats(min_value=0, max_value=2000),
    minutes=st.floats(min_value=0, max_value=50_000),
    roaming_days=st.floats(min_value=0, max_value=31),
    budget=st.none() | st.floats(min_value=0.01, max_value=10_000),
)


@settings(max_examples=60, deadline=None)
@given(usages)
def test_every_valid_usage_gets_the_true_cheapest_schema_valid_plan(usage: MobileUsage) -> None:
    result = advisor().recommend(usage)
    assert MobilePlanRecommendation.model_validate(result.model_dump(mode="json")) == result
    for dim in DIMENSIONS:
        covered = result.best.covers[dim]
        assert covered is None or covered >= getattr(usage, dim)
    assert result.best.monthly_total == pytest.approx(brute_force_cheapest(usage))
