# ruff: noqa: RUF001  (Chinese text, on purpose)
"""A savings plan: risk questionnaire → profile → allocation → monthly contribution.

Everything is arithmetic on stated assumptions, and the result carries the
working (``steps``) so a customer or an analyst can redo it by hand. The
assumed returns are deliberately round, nominal and before fees; they are
inputs (:class:`Assumptions`), never predictions, and the disclaimer says so.
A horizon under three years caps the profile at "cautious" whatever the
answers, because a short horizon leaves no time to recover from a fall.
"""

from __future__ import annotations

import math
from datetime import date
from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from generators.errors import ValidationFailed

LossReaction = Literal["sell", "wait", "buy_more"]
Experience = Literal["none", "some", "experienced"]
IncomeStability = Literal["unstable", "stable", "very_stable"]


class RiskProfile(str, Enum):
    CAUTIOUS = "cautious"
    BALANCED = "balanced"
    GROWTH = "growth"


class SavingsGoal(BaseModel):
    """The goal and the answers to the three risk questions."""

    model_config = ConfigDict(extra="forbid")

    goal_amount: float = Field(gt=0, le=100_000_000)
    target_date: date
    current_savings: float = Field(default=0, ge=0, le=100_000_000)
    loss_reaction: LossReaction = Field(description="If your savings fell 20% in a year, you'd…")
    experience: Experience
    income_stability: IncomeStability = "stable"
    today: date = Field(default_factory=date.today, description="Injected for reproducible plans.")

    @model_validator(mode="after")
    def _future_date(self) -> SavingsGoal:
        if months_between(self.today, self.target_date) < 1:
            raise ValueError("target_date must be at least a month after today")
        if months_between(self.today, self.target_date) > 600:
            raise ValueError("target_date must be within 50 years")
        return self


class Assumptions(BaseModel):
    """Annual nominal returns before fees, per asset class, and the allocations."""

    returns: dict[str, float] = {"stocks": 0.06, "bonds": 0.03, "cash": 0.02}
    allocations: dict[RiskProfile, dict[str, float]] = {
        RiskProfile.CAUTIOUS: {"stocks": 0.20, "bonds": 0.50, "cash": 0.30},
        RiskProfile.BALANCED: {"stocks": 0.50, "bonds": 0.40, "cash": 0.10},
        RiskProfile.GROWTH: {"stocks": 0.80, "bonds": 0.15, "cash": 0.05},
    }


class SavingsPlan(BaseModel):
    """Result type ``savings_plan``."""

    goal_amount: float
    target_date: date
    months: int = Field(ge=1)
    current_savings: float = Field(ge=0)
    risk_score: int = Field(ge=0, le=8)
    risk_profile: RiskProfile
    allocation: dict[str, float] = Field(description="Share per asset class; sums to 1.")
    expected_annual_return: float
    monthly_contribution: float = Field(ge=0)
    projected_value: float = Field(ge=0, description="Value at target_date with that contribution.")
    steps: list[str] = Field(min_length=1, description="The arithmetic, one line each.")
    assumptions: list[str]
    disclaimer: str


DISCLAIMER = (
    "This plan is an illustration, not financial advice. Returns are assumptions, not "
    "promises: investments can fall as well as rise and you may get back less than you put in."
)
WORDING: dict[str, dict[str, Any]] = {
    "en": {
        "steps": (
            "Risk score {score}/8 → {profile} profile ({mix}).",
            "Expected return = {terms} = {annual} a year = {monthly} a month.",
            "Months to {date}: {months}.",
            "Current savings grow to {current} * (1 + {monthly})^{months} = {grown}.",
            "Still needed: {goal} - {grown} = {gap}.",
            "Monthly contribution = {gap} * r / ((1 + r)^{months} - 1) = {contribution}"
            " (r = {monthly}; rounded up to the penny).",
        ),
        "return": "{asset} return {rate} a year, nominal, before fees",
        "assumptions": (
            "Contributions are paid at the end of each month; returns compound monthly.",
            "Horizons under 3 years always use the cautious profile.",
        ),
        "disclaimer": DISCLAIMER,
        "profiles": {p.value: p.value for p in RiskProfile},
        "assets": {},
        "list": ", ",
    },
    "zh": {
        "steps": (
            "风险评分 {score}/8 → {profile}型（{mix}）。",
            "预期收益 = {terms} = 每年 {annual} = 每月 {monthly}。",
            "距离 {date} 还有 {months} 个月。",
            "现有存款增长到 {current} * (1 + {monthly})^{months} = {grown}。",
            "还差：{goal} - {grown} = {gap}。",
            "每月存入 = {gap} * r / ((1 + r)^{months} - 1) = {contribution}"
            "（r = {monthly}；向上取整到便士）。",
        ),
        "return": "{asset}年收益 {rate}，名义收益，未扣除费用",
        "assumptions": (
            "每月月底存入；收益按月复利计算。",
            "期限不足 3 年时一律采用稳健型配置。",
        ),
        "disclaimer": (
            "本计划仅为示例，并非理财建议。收益只是假设，不是承诺：投资有涨有跌，"
            "您拿回的金额可能少于投入的本金。"
        ),
        "profiles": {"cautious": "稳健", "balanced": "平衡", "growth": "成长"},
        "assets": {"stocks": "股票", "bonds": "债券", "cash": "现金"},
        "list": "，",
    },
}
"""The plan's working, assumptions and caveat in each language (figures are the same)."""
_SCORES = {
    "loss_reaction": {"sell": 0, "wait": 1, "buy_more": 2},
    "experience": {"none": 0, "some": 1, "experienced": 2},
    "income_stability": {"unstable": 0, "stable": 1, "very_stable": 2},
}


def months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)


def risk_score(goal: SavingsGoal) -> int:
    """0-8: the three answers (0-2 each) plus up to 2 points for a long horizon."""
    years = months_between(goal.today, goal.target_date) / 12
    horizon = 0 if years < 3 else 1 if years < 10 else 2
    answers = sum(_SCORES[k][getattr(goal, k)] for k in _SCORES)
    return answers + horizon


def profile_for(score: int, months: int) -> RiskProfile:
    if months < 36 or score <= 2:
        return RiskProfile.CAUTIOUS
    return RiskProfile.BALANCED if score <= 5 else RiskProfile.GROWTH


class SavingsPlanner:
    def __init__(self, *, assumptions: Assumptions | None = None) -> None:
        self.assumptions = assumptions or Assumptions()

    def plan(
        self, goal: SavingsGoal | dict[str, Any], *, language: str | None = None
    ) -> SavingsPlan:
        """The plan for ``goal``; ``language`` (``zh``) words its working and caveats."""
        words = WORDING.get(language or "en", WORDING["en"])
        try:
            goal = goal if isinstance(goal, SavingsGoal) else SavingsGoal.model_validate(goal)
        except ValidationError as e:
            raise ValidationFailed(
                f"The savings goal is not valid: {e.errors(include_url=False)}", raw=goal
            ) from e
        months = months_between(goal.today, goal.target_date)
        score = risk_score(goal)
        profile = profile_for(score, months)
        allocation = self.assumptions.allocations[profile]
        annual = sum(share * self.assumptions.returns[k] for k, share in allocation.items())
        monthly = (1 + annual) ** (1 / 12) - 1
        growth = (1 + monthly) ** months
        grown_savings = goal.current_savings * growth
        gap = max(0.0, goal.goal_amount - grown_savings)
        annuity = (growth - 1) / monthly if monthly > 0 else float(months)
        contribution = math.ceil(gap / annuity * 100) / 100 if gap > 0 else 0.0
        projected = grown_savings + contribution * annuity
        names = words["assets"]
        mix = words["list"].join(
            f"{share:.0%} {names.get(k, k)}" for k, share in allocation.items()
        )
        returns = self.assumptions.returns
        terms = " + ".join(f"{share:.0%}*{returns[k]:.1%}" for k, share in allocation.items())
        values = {
            "score": score,
            "profile": words["profiles"][profile.value],
            "mix": mix,
            "terms": terms,
            "annual": f"{annual:.2%}",
            "monthly": f"{monthly:.4%}",
            "date": goal.target_date.isoformat(),
            "months": months,
            "current": f"{goal.current_savings:,.2f}",
            "grown": f"{grown_savings:,.2f}",
            "goal": f"{goal.goal_amount:,.2f}",
            "gap": f"{gap:,.2f}",
            "contribution": f"{contribution:,.2f}",
        }
        steps = [template.format(**values) for template in words["steps"]]
        return SavingsPlan(
            goal_amount=goal.goal_amount,
            target_date=goal.target_date,
            months=months,
            current_savings=goal.current_savings,
            risk_score=score,
            risk_profile=profile,
            allocation=allocation,
            expected_annual_return=round(annual, 6),
            monthly_contribution=contribution,
            projected_value=round(projected, 2),
            steps=steps,
            assumptions=[
                *(
                    words["return"].format(asset=names.get(k, k), rate=f"{r:.1%}")
                    for k, r in self.assumptions.returns.items()
                ),
                *words["assumptions"],
            ],
            disclaimer=words["disclaimer"],
        )
