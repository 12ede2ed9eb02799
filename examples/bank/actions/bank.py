"""Harbor Savings Bank's products, and how they become the kit's generator inputs.

The files live in ``data/products`` of the project the kit's runtime serves
(``TANDEM_PROJECT_DIR``, else the working directory), so the same actions run
from a checkout or from an installed kit. Each is read once per process.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from bot.contract.payloads import StructuredPayload
from bot.sdk.runtime import get_runtime
from generators.errors import ModelLoadError
from generators.financing import FinancingTerms
from generators.savings import Assumptions, RiskProfile

PRODUCTS = Path("data") / "products"
FUNDS_FILE = "savings_funds.yml"
LOAN_TERMS_FILE = "loan_terms.json"
POLICY_FILE = "lending_policy.yml"


def card(result_type: str, result: BaseModel) -> dict[str, Any]:
    """A structured result as the custom payload every channel renders (the kit's envelope)."""
    return StructuredPayload.current(result_type, result.model_dump(mode="json")).to_dict()


def products_dir() -> Path:
    return get_runtime().assistant.project_dir / PRODUCTS


def _yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise ModelLoadError(f"Cannot read {path}: {e}. Fix or restore the file.", path=path) from e
    if not isinstance(data, dict):
        raise ModelLoadError(f"{path} must hold a mapping at the top level.", path=path)
    return data


@dataclass(frozen=True)
class SavingsProducts:
    """The bank's funds as the planner's assumptions, with the bank's names for the bands."""

    assumptions: Assumptions
    band_names: dict[RiskProfile, str]


@functools.cache
def savings_products() -> SavingsProducts:
    path = products_dir() / FUNDS_FILE
    data = _yaml(path)
    try:
        bands = {RiskProfile(key): band for key, band in data["risk_bands"].items()}
        assumptions = Assumptions(
            returns={str(fund): float(rate) for fund, rate in data["funds"].items()},
            allocations={profile: band["mix"] for profile, band in bands.items()},
        )
        names = {profile: str(band["name"]) for profile, band in bands.items()}
    except (KeyError, TypeError, ValueError) as e:
        raise ModelLoadError(
            f"{path} needs `funds` (name: assumed yearly return) and `risk_bands` "
            f"(cautious/balanced/growth, each with a name and a mix): {e}",
            path=path,
        ) from e
    return SavingsProducts(assumptions=assumptions, band_names=names)


@functools.cache
def loan_terms() -> FinancingTerms:
    return FinancingTerms.load(products_dir() / LOAN_TERMS_FILE)


@dataclass(frozen=True)
class LendingPolicy:
    pre_approved_below: float
    declined_from: float
    max_amount: float


@functools.cache
def lending_policy() -> LendingPolicy:
    path = products_dir() / POLICY_FILE
    data = _yaml(path)
    try:
        cutoffs = data["decision_pd"]
        return LendingPolicy(
            pre_approved_below=float(cutoffs["pre_approved_below"]),
            declined_from=float(cutoffs["declined_from"]),
            max_amount=float(data["max_amount"]),
        )
    except (KeyError, TypeError, ValueError) as e:
        raise ModelLoadError(
            f"{path} needs decision_pd.pre_approved_below, decision_pd.declined_from and "
            f"max_amount: {e}",
            path=path,
        ) from e
