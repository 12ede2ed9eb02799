"""Financing terms: which terms an amount allows, and what a plan costs a month.

The numbers live once, in ``artifacts/financing_terms.json``; the knowledge
text (``data/knowledge/financing.md``) is checked against them by a test, so
what the assistant answers and what the pre-check quotes cannot drift apart.

The representative APR is an annual *effective* rate (as UK consumer credit
quotes it), so the monthly rate is ``(1 + APR) ** (1 / 12) - 1`` and the
instalment is the standard annuity ``P * r / (1 - (1 + r) ** -n)``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, Field

from generators.errors import ModelLoadError

DEFAULT_TERMS = Path(__file__).parent / "artifacts" / "financing_terms.json"
_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}


@dataclass(frozen=True)
class Plan:
    term_months: int
    apr_percent: float
    amount_above: float
    """The plan is open to amounts strictly above this."""


class FinancingOffer(BaseModel):
    """What a plan costs for one amount: the part of the result a customer decides on."""

    currency: str = Field(description="ISO 4217 code, e.g. GBP.")
    amount: float = Field(gt=0)
    term_months: int = Field(ge=1)
    apr_percent: float = Field(ge=0, description="Representative APR.")
    monthly_payment: float = Field(ge=0)
    total_payable: float = Field(ge=0)
    representative_example: str


def monthly_payment(amount: float, apr_percent: float, months: int) -> float:
    """The level instalment that repays ``amount`` over ``months`` at an effective APR."""
    if months < 1:
        raise ValueError(f"A term must be at least one month, not {months}.")
    if apr_percent == 0:
        return amount / months
    rate = (1 + apr_percent / 100) ** (1 / 12) - 1
    return amount * rate / (1 - (1 + rate) ** -months)


_TERM = re.compile(
    r"\b(?:(?P<count>\d{1,2})[\s-]*(?P<unit>months?|mths?|mo|years?|yrs?)"
    r"|(?P<word>a|one|two|three)[\s-]+(?P<years>years?|yrs?))\b",
    re.I,
)
"""A term: "24 months", "2 years", "a year"; "a month" is a rate, not a term."""
_COUNT_WORDS = {"a": 1, "one": 1, "two": 2, "three": 3}
_AMOUNT = re.compile(
    r"(?P<pound>£)?\s*(?P<num>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)\s*(?P<k>k\b)?", re.I
)
_COST_CUE = re.compile(
    r"\b(?:a month|per month|monthly|each month|how much|cost|pay|payments?|instalments?|"
    r"can i (?:do|get|have|spread|choose|pick)|over|finance|spread)\b",
    re.I,
)
MIN_QUOTED_AMOUNT = 50.0
"""A smaller number next to a term is not an amount to borrow ("2 phones over 12 months")."""


def asked_term(text: str) -> tuple[int, tuple[int, int]] | None:
    """The term a message names, in months, and where: "24 months", "2 years", "a year"."""
    match = _TERM.search(text)
    if match is None:
        return None
    if match["count"]:
        number = int(match["count"])
        months = number * 12 if match["unit"].lower().startswith("y") else number
    else:
        months = _COUNT_WORDS[match["word"].lower()] * 12
    return months, match.span()


def asked_amount(text: str, *, skip: tuple[int, int] = (0, 0)) -> float | None:
    """The amount a message names outside ``skip`` (the term): "£1,200", "600 quid", "1.5k"."""
    for match in _AMOUNT.finditer(text):
        if skip[0] <= match.start("num") < skip[1]:
            continue
        value = float(match["num"].replace(",", "")) * (1000 if match["k"] else 1)
        if value >= MIN_QUOTED_AMOUNT:
            return value
    return None


class FinancingTerms:
    """The product's plans; answers "which terms for this amount" and "what does it cost"."""

    def __init__(self, plans: list[Plan], *, currency: str = "GBP") -> None:
        if not plans:
            raise ValueError("Financing terms need at least one plan.")
        self.plans = sorted(plans, key=lambda p: p.term_months)
        self.currency = currency

    @classmethod
    def load(cls, path: Path | str = DEFAULT_TERMS) -> FinancingTerms:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            plans = [
                Plan(int(p["term_months"]), float(p["apr_percent"]), float(p["amount_above"]))
                for p in data["plans"]
            ]
            return cls(plans, currency=str(data.get("currency", "GBP")))
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise ModelLoadError(
                f"Could not read the financing terms at {path}: {e}. Fix the JSON file; "
                "each plan needs term_months, apr_percent and amount_above.",
                path=Path(path),
            ) from e

    @property
    def minimum_amount(self) -> float:
        """Amounts must be strictly above this to be financed at all."""
        return min(p.amount_above for p in self.plans)

    def allowed_terms(self, amount: float) -> list[int]:
        return [p.term_months for p in self.plans if amount > p.amount_above]

    def plan(self, amount: float, months: int) -> Plan | None:
        return next(
            (p for p in self.plans if p.term_months == months and amount > p.amount_above), None
        )

    def money(self, value: float) -> str:
        symbol = _SYMBOLS.get(self.currency)
        return f"{symbol}{value:,.2f}" if symbol else f"{value:,.2f} {self.currency}"

    def offer(self, amount: float, months: int) -> FinancingOffer | None:
        """The cost of borrowing ``amount`` over ``months``; ``None`` if no plan allows it."""
        plan = self.plan(amount, months)
        if plan is None:
            return None
        monthly = round(monthly_payment(amount, plan.apr_percent, months), 2)
        # at 0% the instalments repay the amount exactly (the last absorbs the rounding)
        total = round(amount if plan.apr_percent == 0 else monthly * months, 2)
        example = (
            f"Representative example: borrowing {self.money(amount)} over {months} months at "
            f"{plan.apr_percent:g}% APR representative costs {self.money(monthly)} a month; "
            f"total amount payable {self.money(total)}"
            + (
                f", of which {self.money(total - amount)} is interest."
                if total > amount
                else ", with no interest or fees if you pay on time."
            )
        )
        return FinancingOffer(
            currency=self.currency,
            amount=amount,
            term_months=months,
            apr_percent=plan.apr_percent,
            monthly_payment=monthly,
            total_payable=total,
            representative_example=example,
        )

    def term_refusal(self, amount: float, months: int) -> str | None:
        """Why ``months`` can't be used for ``amount``, naming what can; ``None`` if it can."""
        if amount <= self.minimum_amount:
            return (
                f"Financing is available for amounts above {self.money(self.minimum_amount)}, "
                f"so {self.money(amount)} can't be financed. How much would you like to borrow?"
            )
        if self.plan(amount, months) is not None:
            return None
        allowed = self.allowed_terms(amount)
        needs = next((p for p in self.plans if p.term_months == months), None)
        why = (
            f"a {months}-month term is only available above {self.money(needs.amount_above)}"
            if needs
            else f"we don't offer a {months}-month term"
        )
        options = " or ".join(f"{t} months" for t in allowed)
        return f"Sorry, {why}. For {self.money(amount)} you can choose {options}."

    def quote(self, text: str, *, price: float | None = None) -> str | None:
        """What financing costs for the amount and term a message names, or why it can't.

        "how much a month is £1,200 over 24 months?", "can I do 36 months on a 600
        quid phone?"; ``price`` is the amount when the message names a product
        instead. ``None`` when the message names no term or no amount.
        """
        term = asked_term(text)
        if term is None or not _COST_CUE.search(text):
            return None
        months, span = term
        amount = asked_amount(text, skip=span) or price
        if amount is None:
            return None
        refusal = self.term_refusal(amount, months)
        if refusal is not None:
            refusal = refusal.removeprefix("Sorry, ").removesuffix(
                " How much would you like to borrow?"
            )
            return refusal[:1].upper() + refusal[1:]
        offer = self.offer(amount, months)
        return offer.representative_example if offer else None
