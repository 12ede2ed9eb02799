"""Indicative credit pre-check: a WOE scorecard on Statlog German Credit.

Scoring is pure Python over a small JSON artifact (bins, weights of evidence,
logistic-regression coefficients, scaling), so the action server needs neither
pandas nor the binning library and a score takes microseconds. Training
(``python -m generators.credit train --data ../shared/data/credit/germancredit.csv``)
uses optbinning for the binning and scikit-learn for the regression.

Protected attributes (personal status/sex, age, foreign worker) are never
inputs: :data:`PROTECTED` lists them and training refuses a feature list that
contains one. The model card (``docs/model-cards/credit.md``) has the metrics
and the fairness check across those excluded groups.

Scaling is points-to-double-odds: ``score = offset + factor * ln(odds_good)``
with ``factor = pdo / ln 2`` and ``offset = base_score - factor * ln(base_odds)``;
each feature contributes ``-(beta * woe + alpha / n) * factor + offset / n``
points, so the points add up to the score and the reason codes are the features
that lost the most points against their best bin.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from generators import credit_zh
from generators.errors import ModelLoadError, ValidationFailed
from generators.financing import FinancingOffer

logger = logging.getLogger(__name__)

DEFAULT_ARTIFACT = Path(__file__).parent / "artifacts" / "credit_scorecard.json"
TARGET = "creditability"
PROTECTED = ("personal_status_and_sex", "age_in_years", "foreign_worker")

CreditHistory = Literal["none_or_all_paid", "paid_on_time", "past_delays", "critical"]
Housing = Literal["own", "rent", "free"]
OtherInstallments = Literal["none", "bank", "stores"]
Purpose = Literal[
    "electronics",
    "appliances",
    "furniture",
    "car_new",
    "car_used",
    "repairs",
    "education",
    "business",
    "other",
]

_HISTORY = {
    "none_or_all_paid": "no credits taken/ all credits paid back duly",
    "paid_on_time": "existing credits paid back duly till now",
    "past_delays": "delay in paying off in the past",
    "critical": "critical account/ other credits existing (not at this bank)",
}
_HOUSING = {"own": "own", "rent": "rent", "free": "for free"}
_PURPOSE = {
    "electronics": "radio/television",
    "appliances": "domestic appliances",
    "furniture": "furniture/equipment",
    "car_new": "car (new)",
    "car_used": "car (used)",
    "repairs": "repairs",
    "education": "education",
    "business": "business",
    "other": "others",
}


@dataclass(frozen=True)
class Feature:
    """A scorecard input: its column in the training data and how to explain it."""

    column: str
    label: str
    reason: str
    not_a_reference: tuple[str, ...] = ()
    """Values never used as the "best" an applicant is measured against.

    The sample rewards a critical account or no current account, and 4-7 years
    in a job over 7 or more (artefacts, see the model card); telling a customer
    who always paid on time that their history cost points would be false, so
    reasons are measured against the best value a customer could sensibly aim for.
    """


FEATURES: tuple[Feature, ...] = (
    Feature(
        "status_of_existing_checking_account",
        "current account balance",
        "The balance in your current account",
        not_a_reference=("no checking account",),
    ),
    Feature("duration_in_month", "loan term", "The length of the repayment term"),
    Feature(
        "credit_history",
        "credit history",
        "Your credit history",
        not_a_reference=(_HISTORY["critical"], _HISTORY["past_delays"]),
    ),
    Feature("purpose", "what the credit is for", "What the credit is for"),
    Feature("credit_amount", "amount borrowed", "The amount you want to borrow"),
    Feature("savings_account_and_bonds", "savings", "The amount you have in savings"),
    Feature(
        "present_employment_since",
        "time in current job",
        "How long you have been in your job",
        not_a_reference=("4 <= ... < 7 years",),
    ),
    Feature(
        "installment_rate_in_percentage_of_disposable_income",
        "repayment share of income",
        "The share of your income the repayments would take",
    ),
    Feature("housing", "housing", "Your housing situation"),
    Feature(
        "other_installment_plans", "other instalment plans", "Other instalment plans you are paying"
    ),
)
CATEGORICAL = frozenset(
    {
        "status_of_existing_checking_account",
        "credit_history",
        "purpose",
        "savings_account_and_bonds",
        "present_employment_since",
        "housing",
        "other_installment_plans",
    }
)


class CreditApplication(BaseModel):
    """What the pre-check needs; ``None`` means "I don't know" (a neutral bin).

    Amounts are in the shop's currency and are compared with the training
    data's Deutsche Mark thresholds as they are: this is why the result is an
    indicative pre-check, never a lending decision.
    """

    model_config = ConfigDict(extra="forbid")

    credit_amount: float = Field(gt=0, le=1_000_000, description="Amount to borrow.")
    duration_months: int = Field(ge=1, le=120, description="Repayment term in months.")
    monthly_income: float | None = Field(default=None, gt=0, le=1_000_000)
    has_checking_account: bool = True
    checking_balance: float | None = Field(default=None, ge=-1_000_000, le=100_000_000)
    savings_balance: float | None = Field(default=None, ge=0, le=100_000_000)
    employment_years: float | None = Field(
        default=None, ge=0, le=70, description="Years in the current job; 0 = not employed."
    )
    housing: Housing | None = None
    credit_history: CreditHistory | None = None
    other_installments: OtherInstallments | None = None
    purpose: Purpose | None = None


class Decision(str, Enum):
    PRE_APPROVED = "pre_approved"
    REVIEW = "review"
    DECLINED = "declined"


class ReasonCode(BaseModel):
    feature: str
    reason: str = Field(description="The applicant's own answer that lowered the score.")
    points_lost: float = Field(gt=0, description="Points below the attribute's best value.")


class CreditScore(BaseModel):
    """Result type ``credit_score``: what a channel renders as a card."""

    score: int = Field(ge=0, le=1000)
    decision: Decision
    reasons: list[ReasonCode] = Field(max_length=4)
    points: dict[str, float] = Field(description="Points per feature; they add up to score.")
    unknown_inputs: list[str] = Field(description="Inputs answered with 'I don't know'.")
    scaling: str = Field(description="How points map to odds, e.g. '600 points at 50:1, 20 PDO'.")
    disclaimer: str
    model_version: str
    financing: FinancingOffer | None = Field(
        default=None, description="Monthly cost and representative APR for the amount and term."
    )


DISCLAIMER = (
    "This is an indicative pre-check, not a credit decision. A lender will run a full "
    "assessment, including a credit reference check, before offering finance."
)


def _band(value: float | None, edges: Sequence[float], labels: Sequence[str]) -> str | None:
    if value is None:
        return None
    for edge, label in zip(edges, labels, strict=False):
        if value < edge:
            return label
    return labels[-1]


def to_record(app: CreditApplication) -> dict[str, Any]:
    """Map customer-friendly answers to the training data's columns (``None`` = missing)."""
    checking = (
        "no checking account"
        if not app.has_checking_account
        else _band(
            app.checking_balance,
            (0, 200),
            (
                "... < 0 DM",
                "0 <= ... < 200 DM",
                "... >= 200 DM / salary assignments for at least 1 year",
            ),
        )
    )
    savings = _band(
        app.savings_balance,
        (100, 500, 1000),
        ("... < 100 DM", "100 <= ... < 500 DM", "500 <= ... < 1000 DM", "... >= 1000 DM"),
    )
    employment = (
        "unemployed"
        if app.employment_years == 0
        else _band(
            app.employment_years,
            (1, 4, 7),
            ("... < 1 year", "1 <= ... < 4 years", "4 <= ... < 7 years", "... >= 7 years"),
        )
    )
    rate = None
    if app.monthly_income is not None:
        share = app.credit_amount / app.duration_months / app.monthly_income
        rate = {0: 1, 1: 2, 2: 3, 3: 4}[len([e for e in (0.20, 0.25, 0.35) if share >= e])]
    return {
        "status_of_existing_checking_account": checking,
        "duration_in_month": app.duration_months,
        "credit_history": _HISTORY.get(app.credit_history or ""),
        "purpose": _PURPOSE.get(app.purpose or ""),
        "credit_amount": app.credit_amount,
        "savings_account_and_bonds": savings,
        "present_employment_since": employment,
        "installment_rate_in_percentage_of_disposable_income": rate,
        "housing": _HOUSING.get(app.housing or ""),
        "other_installment_plans": app.other_installments,
    }


class Scorecard:
    """Loads the JSON artifact once; :meth:`score` is pure arithmetic."""

    def __init__(
        self, *, artifact_path: Path | str = DEFAULT_ARTIFACT, artifact: dict | None = None
    ) -> None:
        path = Path(artifact_path)
        try:
            self.artifact = artifact or json.loads(path.read_text(encoding="utf-8"))
            self._bins = {b["column"]: b for b in self.artifact["bins"]}
            scaling = self.artifact["scaling"]
            self._factor = scaling["pdo"] / math.log(2)
            self._offset = scaling["base_score"] - self._factor * math.log(scaling["base_odds"])
            self._intercept = float(self.artifact["intercept"])
            self._coef = {c: float(v) for c, v in self.artifact["coefficients"].items()}
            self._thresholds = self.artifact["decision_pd"]
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise ModelLoadError(
                f"Could not read the credit scorecard at {path}: {e}. Retrain it with "
                "`python -m generators.credit train --data <germancredit.csv>`.",
                path=path,
            ) from e
        self.version = str(self.artifact.get("version", "unknown"))
        self._labels = {f.column: f for f in FEATURES}

    def woe(self, column: str, value: Any) -> float:
        spec = self._bins[column]
        if value is None:
            return float(spec["missing_woe"])
        if spec["dtype"] == "categorical":
            for group, woe in zip(spec["groups"], spec["woe"], strict=True):
                if value in group:
                    return float(woe)
            return float(spec["missing_woe"])
        index = sum(1 for split in spec["splits"] if float(value) >= split)
        return float(spec["woe"][index])

    def _points(self, column: str, woe: float) -> float:
        n = len(self._coef)
        beta = self._coef[column]
        return -(beta * woe + self._intercept / n) * self._factor + self._offset / n

    def best_points(self, column: str) -> float:
        """The most points an applicant could reach on ``column`` (see ``not_a_reference``)."""
        spec = self._bins[column]
        excluded = set(self._labels[column].not_a_reference)
        groups = spec.get("groups") or [[None]] * len(spec["woe"])
        return max(
            self._points(column, woe)
            for woe, group in zip(spec["woe"], groups, strict=True)
            if not set(group) <= excluded
        )

    def probability(self, record: dict[str, Any]) -> float:
        """Probability of default for a record in the training data's columns."""
        logit = self._intercept + sum(
            beta * self.woe(column, record.get(column)) for column, beta in self._coef.items()
        )
        return 1.0 / (1.0 + math.exp(-logit))

    def score(
        self,
        application: CreditApplication | dict[str, Any],
        *,
        offered_terms: Sequence[int] | None = None,
        language: str | None = None,
    ) -> CreditScore:
        """Score one application; raises :class:`ValidationFailed` for bad input.

        ``offered_terms`` are the terms the product allows for this amount: the
        term is then measured against the best of those, not against a term the
        customer cannot choose. ``language`` (``zh``) words the reasons and
        the disclaimer in the customer's language (:mod:`generators.credit_zh`).
        """
        app = _validate(application)
        words, disclaimer = _WORDING.get(language or "en", (describe, DISCLAIMER))
        record = to_record(app)
        points, lost = {}, []
        for column in self._coef:
            pts = self._points(column, self.woe(column, record[column]))
            points[column] = round(pts, 1)
            best = self.best_points(column)
            if column == "duration_in_month" and offered_terms:
                best = max(self._points(column, self.woe(column, t)) for t in offered_terms)
            if record[column] is not None and round(best - pts, 1) > 0:
                lost.append((round(best - pts, 1), column))
        pd_ = self.probability(record)
        lost.sort(key=lambda item: item[0], reverse=True)
        reasons = [
            ReasonCode(feature=c, reason=_capitalised(words(c, app)), points_lost=p)
            for p, c in lost[:3]
        ]
        return CreditScore(
            score=max(0, min(1000, round(sum(points.values())))),
            decision=self.decide(pd_),
            reasons=reasons,
            points=points,
            unknown_inputs=sorted(self._labels[c].label for c, v in record.items() if v is None),
            scaling=self.scaling_text(),
            disclaimer=disclaimer,
            model_version=self.version,
        )

    def points_to_score(self, probability_of_default: float) -> float:
        """The scaled score for a probability (the inverse of the scaling)."""
        odds_good = (1 - probability_of_default) / probability_of_default
        return self._offset + self._factor * math.log(odds_good)

    def decide(self, probability_of_default: float) -> Decision:
        if probability_of_default < self._thresholds["pre_approved_below"]:
            return Decision.PRE_APPROVED
        if probability_of_default >= self._thresholds["declined_from"]:
            return Decision.DECLINED
        return Decision.REVIEW

    def scaling_text(self) -> str:
        s = self.artifact["scaling"]
        return (
            f"{s['base_score']} points at {s['base_odds']}:1 good:bad odds, "
            f"{s['pdo']} points to double the odds"
        )


_HISTORY_ANSWER = {
    "none_or_all_paid": "never having borrowed, or having paid all past credit back",
    "paid_on_time": "existing credit being paid back on time so far",
    "past_delays": "late payments on credit in the past",
    "critical": "other credits you have elsewhere",
}
_HOUSING_ANSWER = {
    "own": "owning your home",
    "rent": "renting your home",
    "free": "living rent-free",
}
_OTHER_ANSWER = {
    "none": "having no other instalment plans",
    "bank": "another instalment plan with a bank",
    "stores": "another instalment plan with a store",
}
_RATE_ANSWER = {
    1: "repayments under 20% of your monthly income",
    2: "repayments of 20-25% of your monthly income",
    3: "repayments of 25-35% of your monthly income",
    4: "repayments of 35% or more of your monthly income",
}


def _years(value: float) -> str:
    if value < 1:
        months = round(value * 12)
        return f"{months} month{'s' * (months != 1)}"
    return f"{value:g} year{'s' * (value != 1)}"


def describe(column: str, app: CreditApplication) -> str:
    """A reason worded from the applicant's own answer, e.g. "3 years at your current job"."""
    if column == "status_of_existing_checking_account":
        if not app.has_checking_account:
            return "not having a current account"
        return f"a current account balance of £{app.checking_balance:,.0f}"
    if column == "duration_in_month":
        return f"a repayment term of {app.duration_months} months"
    if column == "credit_history":
        return _HISTORY_ANSWER[app.credit_history or ""]
    if column == "purpose":
        return f"borrowing for {_PURPOSE[app.purpose or ''].replace('/', ' or ')}"
    if column == "credit_amount":
        return f"borrowing £{app.credit_amount:,.0f}"
    if column == "savings_account_and_bonds":
        return f"savings of £{app.savings_balance:,.0f}"
    if column == "present_employment_since":
        if app.employment_years == 0:
            return "not being in work at the moment"
        return f"{_years(app.employment_years or 0)} at your current job"
    if column == "installment_rate_in_percentage_of_disposable_income":
        return _RATE_ANSWER[to_record(app)[column]]
    if column == "housing":
        return _HOUSING_ANSWER[app.housing or ""]
    if column == "other_installment_plans":
        return _OTHER_ANSWER[app.other_installments or ""]
    return next(f.reason for f in FEATURES if f.column == column)


_WORDING: dict[str, tuple[Callable[[str, CreditApplication], str], str]] = {
    "zh": (credit_zh.describe, credit_zh.DISCLAIMER),
}
"""The reasons' wording and the disclaimer of each language other than English."""


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _validate(application: CreditApplication | dict[str, Any]) -> CreditApplication:
    if isinstance(application, CreditApplication):
        return application
    try:
        return CreditApplication.model_validate(application)
    except ValidationError as e:
        raise ValidationFailed(
            f"The credit application is not valid: {e.errors(include_url=False)}",
            raw=application,
        ) from e


# --------------------------------------------------------------------------- training


def fit_scorecard(frame: Any, target: Any, *, columns: Sequence[str] | None = None) -> dict:
    """Fit binning + logistic regression on a pandas frame; return the artifact dict.

    ``target`` is 1 for a bad loan. Used by the training command and by the
    benchmark's cross-validation, so every fold refits its own bins.
    """
    columns = list(columns or [f.column for f in FEATURES])
    if banned := set(columns) & set(PROTECTED):
        raise ValidationFailed(f"Protected attributes cannot be scorecard inputs: {sorted(banned)}")
    from optbinning import BinningProcess
    from sklearn.linear_model import LogisticRegression

    numeric = [c for c in columns if c not in CATEGORICAL]
    process = BinningProcess(
        columns,
        categorical_variables=[c for c in columns if c in CATEGORICAL],
        binning_fit_params={
            c: {"min_prebin_size": 0.05, "monotonic_trend": "auto_asc_desc"} for c in numeric
        },
    )
    process.fit(frame[columns], target)
    woe = process.transform(frame[columns], metric="woe")
    model = LogisticRegression(C=1.0, max_iter=1000).fit(woe, target)
    bins = []
    for column in columns:
        ob = process.get_binned_variable(column)
        table = ob.binning_table.build()
        woes = [float(w) for w in table["WoE"].iloc[: len(table) - 3]]
        spec: dict[str, Any] = {"column": column, "dtype": ob.dtype, "woe": woes}
        if ob.dtype == "categorical":
            spec["groups"] = [[_plain(v) for v in group] for group in ob.splits]
        else:
            spec["splits"] = [float(s) for s in ob.splits]
        spec["missing_woe"] = float(table["WoE"].iloc[len(table) - 2])
        bins.append(spec)
    return {
        "bins": bins,
        "intercept": float(model.intercept_[0]),
        "coefficients": dict(zip(columns, map(float, model.coef_[0]), strict=True)),
    }


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def train(data: Path, out: Path, *, version: str) -> dict:
    import pandas as pd

    frame = pd.read_csv(data)
    target = (frame[TARGET] == "bad").astype(int).to_numpy()
    artifact = {
        "version": version,
        "trained_on": data.name,
        "target": "1 = bad loan (default)",
        "excluded_protected_attributes": list(PROTECTED),
        "scaling": {"base_score": 600, "base_odds": 50, "pdo": 20},
        "decision_pd": {"pre_approved_below": 0.2, "declined_from": 0.5},
        **fit_scorecard(frame, target),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(artifact, indent=1) + "\n", encoding="utf-8")
    logger.info("Wrote the credit scorecard to %s", out)
    return artifact


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m generators.credit")
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="Train the scorecard and write the JSON artifact.")
    t.add_argument("--data", type=Path, required=True, help="germancredit.csv")
    t.add_argument("--out", type=Path, default=DEFAULT_ARTIFACT)
    t.add_argument("--version", default="german-credit-woe-lr-1")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    train(args.data, args.out, version=args.version)


if __name__ == "__main__":
    main()
