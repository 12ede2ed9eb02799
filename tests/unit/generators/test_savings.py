from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generators.errors import ValidationFailed
from generators.savings import RiskProfile, SavingsPlan, SavingsPlanner, months_between

TODAY = date(2026, 11, 28)
GOAL = {
    "goal_amount": 10_000,
    "target_date": date(2031, 6, 1),
    "current_savings": 1000,
    "loss_reaction": "wait",
    "experience": "some",
    "today": TODAY,
}


def simulate(plan: SavingsPlan) -> float:
    """Month-by-month replay of the plan, independent of the closed form."""
    r = (1 + plan.expected_annual_return) ** (1 / 12) - 1
    value = plan.current_savings
    for _ in range(plan.months):
        value = value * (1 + r) + plan.monthly_contribution
    return value


def test_contribution_reaches_the_goal_by_the_date() -> None:
    plan = SavingsPlanner().plan(GOAL)
    assert plan.months == 54
    assert plan.risk_profile is RiskProfile.BALANCED
    assert sum(plan.allocation.values()) == pytest.approx(1.0)
    assert plan.expected_annual_return == pytest.approx(0.5 * 0.06 + 0.4 * 0.03 + 0.1 * 0.02)
    reached = simulate(plan)
    assert 10_000 <= reached < 10_000 + 1.0
    assert reached == pytest.approx(plan.projected_value, abs=0.01)


def test_arithmetic_and_disclaimer_are_shown() -> None:
    plan = SavingsPlanner().plan(GOAL)
    assert any(f"{plan.monthly_contribution:,.2f}" in step for step in plan.steps)
    assert any("^54" in step for step in plan.steps)
    assert "not financial advice" in plan.disclaimer
    assert any("before fees" in a for a in plan.assumptions)


def test_short_horizon_is_always_cautious() -> None:
    bold = {
        **GOAL,
        "target_date": date(2028, 1, 1),
        "loss_reaction": "buy_more",
        "experience": "experienced",
        "income_stability": "very_stable",
    }
    assert SavingsPlanner().plan(bold).risk_profile is RiskProfile.CAUTIOUS
    assert (
        SavingsPlanner().plan({**bold, "target_date": date(2040, 1, 1)}).risk_profile
        is RiskProfile.GROWTH
    )


def test_goal_already_covered_needs_no_contribution() -> None:
    plan = SavingsPlanner().plan({**GOAL, "current_savings": 20_000})
    assert plan.monthly_contribution == 0
    assert plan.projected_value > 20_000


@pytest.mark.parametrize(
    "change",
    [
        {"goal_amount": -5},
        {"goal_amount": 1e12},
        {"target_date": date(2026, 12, 1)},
        {"target_date": date(2090, 1, 1)},
        {"loss_reaction": "panic"},
    ],
)
def test_bad_goals_raise_validation_failed(change: dict) -> None:
    with pytest.raises(ValidationFailed):
        SavingsPlanner().plan({**GOAL, **change})


goals = st.fixed_dictionaries(
    {
        "goal_amount": st.floats(min_value=1, max_value=100_000_000),
        "target_date": st.dates(min_value=date(2027, 1, 1), max_value=date(2076, 10, 1)),
        "current_savings": st.floats(min_value=0, max_value=100_000_000),
        "loss_reaction": st.sampled_from(["sell", "wait", "buy_more"]),
        "experience": st.sampled_from(["none", "some", "experienced"]),
        "income_stability": st.sampled_from(["unstable", "stable", "very_stable"]),
        "today": st.just(TODAY),
    }
)


@settings(max_examples=150, deadline=None)
@given(goals)
def test_every_valid_goal_gets_a_schema_valid_plan_that_reaches_it(goal: dict) -> None:
    plan = SavingsPlanner().plan(goal)
    assert SavingsPlan.model_validate(plan.model_dump(mode="json")) == plan
    assert plan.months == months_between(TODAY, goal["target_date"])
    assert simulate(plan) >= goal["goal_amount"] * (1 - 1e-9) - 0.01
