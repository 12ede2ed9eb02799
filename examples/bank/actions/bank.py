"""Where Harbor Savings Bank's own data lives, and how it becomes generator inputs.

Everything is read from the folders ``assistant.yml`` names (its ``catalog`` and
``knowledge``), relative to the project directory the kit resolves, so the
same actions run from a checkout or from an installed kit.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.sdk.assistant import Assistant, load_assistant
from generators.errors import ModelLoadError
from generators.financing import FinancingTerms
from generators.savings import Assumptions, RiskProfile

FUNDS_FILE = "savings_funds.yml"
LOAN_TERMS_FILE = "loan_terms.json"
POLICY_FILE = "lending_policy.yml"


@functools.cache
def assistant() -> Assistant:
    return load_assistant()


def catalog_dir() -> Path:
    folder = assistant().catalog
    if folder is None:
        raise ModelLoadError(
            "assistant.yml names no `catalog` folder; Penny's products live in data/products."
        )
    return Path(folder)


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
    path = catalog_dir() / FUNDS_FILE
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
    return FinancingTerms.load(catalog_dir() / LOAN_TERMS_FILE)


@dataclass(frozen=True)
class LendingPolicy:
    pre_approved_below: float
    declined_from: float
    max_amount: float


@functools.cache
def lending_policy() -> LendingPolicy:
    path = catalog_dir() / POLICY_FILE
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
