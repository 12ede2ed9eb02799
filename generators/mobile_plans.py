"""Pick the cheapest mobile plan (plus add-ons) that covers a customer's usage.

The catalog is small (a few plans, a few add-ons per dimension), so the search
is exhaustive and exact: for every plan, the cheapest add-on mix that fills
each gap (data, minutes, roaming days) is found independently, because every
add-on covers one dimension only. The result keeps the runner-up (the best
option on a different base plan) so the customer sees the trade-off.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.errors import ConfigError
from generators.errors import ModelLoadError, ValidationFailed

Dimension = Literal["data_gb", "minutes", "roaming_days"]
DIMENSIONS: tuple[Dimension, ...] = ("data_gb", "minutes", "roaming_days")


class Plan(BaseModel):
    id: str
    name: str
    monthly_price: float = Field(ge=0)
    data_gb: float | None = Field(ge=0, description="None means unlimited.")
    minutes: float | None = Field(ge=0)
    roaming_days: float | None = Field(ge=0)


class AddOn(BaseModel):
    id: str
    name: str
    monthly_price: float = Field(ge=0)
    covers: Dimension
    amount: float | None = Field(gt=0, description="None means unlimited.")
    max_count: int = Field(ge=1, le=50)


class MobileCatalog(BaseModel):
    currency: str
    plans: list[Plan] = Field(min_length=1)
    add_ons: list[AddOn]


class MobileUsage(BaseModel):
    """A month of use as the customer describes it."""

    model_config = ConfigDict(extra="forbid")

    data_gb: float = Field(ge=0, le=2000)
    minutes: float = Field(ge=0, le=50_000)
    roaming_days: float = Field(default=0, ge=0, le=31)
    budget: float | None = Field(default=None, gt=0, le=10_000, description="Monthly budget.")


class LineItem(BaseModel):
    id: str
    name: str
    quantity: int = Field(ge=1)
    monthly_cost: float = Field(ge=0)


class PlanOption(BaseModel):
    plan_id: str
    plan_name: str
    line_items: list[LineItem] = Field(min_length=1, description="Base plan first, then add-ons.")
    monthly_total: float = Field(ge=0)
    covers: dict[str, float | None] = Field(
        description="Allowance per dimension; null = unlimited."
    )
    within_budget: bool | None = None


class MobilePlanRecommendation(BaseModel):
    """Result type ``mobile_plan``."""

    usage: MobileUsage
    currency: str
    best: PlanOption
    runner_up: PlanOption | None
    over_budget_by: float | None = Field(
        default=None, ge=0, description="How far the best option is above the budget, if it is."
    )


def load_catalog(path: Path | str) -> MobileCatalog:
    try:
        return MobileCatalog.model_validate(yaml.safe_load(Path(path).read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError) as e:
        raise ModelLoadError(
            f"Could not read the mobile plan catalog at {path}: {e}. "
            "Fix the YAML (see data/catalog/mobile_plans.yml for the format).",
            path=path,
        ) from e


def _cheapest_fill(gap: float, add_ons: list[AddOn]) -> tuple[float, dict[str, int]] | None:
    """Cheapest counts of ``add_ons`` whose allowance reaches ``gap``; None if none can."""
    if gap <= 0:
        return 0.0, {}
    best: tuple[float, dict[str, int]] | None = None
    ranges = [range(a.max_count + 1) for a in add_ons]
    for counts in itertools.product(*ranges):
        covered = sum(
            math.inf if a.amount is None and n else (a.amount or 0) * n
            for a, n in zip(add_ons, counts, strict=True)
        )
        if covered < gap:
            continue
        cost = sum(a.monthly_price * n for a, n in zip(add_ons, counts, strict=True))
        if best is None or cost < best[0] - 1e-9:
            best = cost, {a.id: n for a, n in zip(add_ons, counts, strict=True) if n}
    return best


class MobilePlanAdvisor:
    def __init__(
        self, *, catalog: MobileCatalog | None = None, catalog_path: Path | str | None = None
    ):
        if catalog is None:
            if catalog_path is None:
                raise ConfigError(
                    "MobilePlanAdvisor needs its plans: pass catalog= or catalog_path= (the "
                    "project's mobile_plans.yml, e.g. <catalog>/mobile_plans.yml)."
                )
            catalog = load_catalog(catalog_path)
        self.catalog = catalog
        self._by_dim = {d: [a for a in self.catalog.add_ons if a.covers == d] for d in DIMENSIONS}
        self._add_on = {a.id: a for a in self.catalog.add_ons}

    def options(self, usage: MobileUsage) -> list[PlanOption]:
        """Every plan that can cover ``usage``, cheapest first."""
        found = []
        for plan in self.catalog.plans:
            items = [
                LineItem(id=plan.id, name=plan.name, quantity=1, monthly_cost=plan.monthly_price)
            ]
            covers: dict[str, float | None] = {}
            for dim in DIMENSIONS:
                allowance = getattr(plan, dim)
                gap = 0.0 if allowance is None else getattr(usage, dim) - allowance
                fill = _cheapest_fill(gap, self._by_dim[dim])
                if fill is None:
                    break
                extra = [(self._add_on[i], n) for i, n in fill[1].items()]
                items += [
                    LineItem(
                        id=a.id, name=a.name, quantity=n, monthly_cost=round(a.monthly_price * n, 2)
                    )
                    for a, n in extra
                ]
                unlimited = allowance is None or any(a.amount is None for a, _ in extra)
                covers[dim] = (
                    None if unlimited else allowance + sum((a.amount or 0) * n for a, n in extra)
                )
            else:
                total = round(sum(i.monthly_cost for i in items), 2)
                within = None if usage.budget is None else total <= usage.budget + 1e-9
                found.append(
                    PlanOption(
                        plan_id=plan.id,
                        plan_name=plan.name,
                        line_items=items,
                        monthly_total=total,
                        covers=covers,
                        within_budget=within,
                    )
                )
        return sorted(found, key=lambda o: (o.monthly_total, len(o.line_items)))

    def recommend(self, usage: MobileUsage | dict[str, Any]) -> MobilePlanRecommendation:
        """The cheapest covering option and the best one on another plan."""
        try:
            usage = usage if isinstance(usage, MobileUsage) else MobileUsage.model_validate(usage)
        except ValidationError as e:
            raise ValidationFailed(
                f"The mobile usage is not valid: {e.errors(include_url=False)}", raw=usage
            ) from e
        options = self.options(usage)
        if not options:
            raise ValidationFailed(
                "No plan in the catalog covers this usage, even with add-ons; "
                "check the numbers or extend data/catalog/mobile_plans.yml.",
                raw=usage.model_dump(),
            )
        best = options[0]
        runner_up = next((o for o in options[1:] if o.plan_id != best.plan_id), None)
        over = None
        if usage.budget is not None and best.monthly_total > usage.budget:
            over = round(best.monthly_total - usage.budget, 2)
        return MobilePlanRecommendation(
            usage=usage,
            currency=self.catalog.currency,
            best=best,
            runner_up=runner_up,
            over_budget_by=over,
        )
