from __future__ import annotations

import functools
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generators.credit import (
    DEFAULT_ARTIFACT,
    FEATURES,
    PROTECTED,
    CreditApplication,
    CreditScore,
    Decision,
    Scorecard,
    to_record,
)
from generators.errors import ModelLoadError, ValidationFailed


@functools.cache
def _shared_card() -> Scorecard:
    return Scorecard()


@pytest.fixture
def card() -> Scorecard:
    return _shared_card()


STRONG = {
    "credit_amount": 1200,
    "duration_months": 6,
    "has_checking_account": False,
    "savings_balance": 2000,
    "employment_years": 5,
    "housing": "own",
    "credit_history": "critical",
    "other_installments": "none",
    "monthly_income": 3000,
    "purpose": "electronics",
}
WEAK = {
    "credit_amount": 9000,
    "duration_months": 48,
    "checking_balance": -50,
    "savings_balance": 20,
    "employment_years": 0.5,
    "housing": "rent",
    "credit_history": "past_delays",
    "other_installments": "bank",
    "monthly_income": 800,
    "purpose": "education",
}


def test_artifact_excludes_protected_attributes() -> None:
    artifact = json.loads(DEFAULT_ARTIFACT.read_text())
    columns = {b["column"] for b in artifact["bins"]} | set(artifact["coefficients"])
    assert not columns & set(PROTECTED)
    assert columns == {f.column for f in FEATURES}


def test_points_add_up_to_the_score_and_match_the_probability(card: Scorecard) -> None:
    result = card.score(WEAK)
    assert abs(sum(result.points.values()) - result.score) <= 1
    scaling = card.artifact["scaling"]
    factor = scaling["pdo"] / math.log(2)
    pd_ = card.probability(to_record(CreditApplication.model_validate(WEAK)))
    odds_good = (1 - pd_) / pd_
    expected = (
        scaling["base_score"]
        - factor * math.log(scaling["base_odds"])
        + factor * math.log(odds_good)
    )
    assert abs(expected - result.score) <= 1.5


def test_strong_applicant_scores_higher_and_is_pre_approved(card: Scorecard) -> None:
    strong, weak = card.score(STRONG), card.score(WEAK)
    assert strong.score > weak.score + 100
    assert strong.decision is Decision.PRE_APPROVED
    assert weak.decision is Decision.DECLINED


def test_declined_applicant_gets_plain_language_reasons(card: Scorecard) -> None:
    result = card.score(WEAK)
    assert 1 <= len(result.reasons) <= 3
    assert result.reasons[0].points_lost >= result.reasons[-1].points_lost > 0
    reasons = {r.feature for r in result.reasons}
    assert "duration_in_month" in reasons or "status_of_existing_checking_account" in reasons
    assert all(r.reason[0].isupper() and "_" not in r.reason for r in result.reasons)


def test_unknown_answers_are_neutral_and_listed(card: Scorecard) -> None:
    result = card.score({"credit_amount": 1500, "duration_months": 12})
    assert "savings" in result.unknown_inputs
    assert result.points["savings_account_and_bonds"] == result.points["housing"]
    assert all(r.feature in {"duration_in_month", "credit_amount"} for r in result.reasons)


def test_longer_term_never_raises_the_score(card: Scorecard) -> None:
    scores = [card.score({**STRONG, "duration_months": m}).score for m in (6, 12, 24, 36, 60)]
    assert scores == sorted(scores, reverse=True)


def test_income_becomes_the_repayment_share_band() -> None:
    app = CreditApplication(credit_amount=1200, duration_months=12, monthly_income=1000)
    assert to_record(app)["installment_rate_in_percentage_of_disposable_income"] == 1
    app = CreditApplication(credit_amount=4800, duration_months=12, monthly_income=1000)
    assert to_record(app)["installment_rate_in_percentage_of_disposable_income"] == 4


@pytest.mark.parametrize(
    "bad",
    [
        {"credit_amount": -5, "duration_months": 12},
        {"credit_amount": 1e12, "duration_months": 12},
        {"credit_amount": 1000, "duration_months": 0},
        {"credit_amount": 1000, "duration_months": 12, "housing": "castle"},
        {"credit_amount": 1000, "duration_months": 12, "shoe_size": 9},
    ],
)
def test_bad_input_raises_a_typed_error_that_keeps_the_input(card: Scorecard, bad: dict) -> None:
    with pytest.raises(ValidationFailed) as info:
        card.score(bad)
    assert info.value.raw == bad


def test_missing_artifact_says_how_to_retrain(tmp_path) -> None:
    with pytest.raises(ModelLoadError, match=r"python -m generators\.credit train"):
        Scorecard(artifact_path=tmp_path / "nope.json")


def test_training_refuses_protected_attributes() -> None:
    from generators.credit import fit_scorecard

    with pytest.raises(ValidationFailed, match="Protected"):
        fit_scorecard(None, None, columns=["duration_in_month", "age_in_years"])


applications = st.fixed_dictionaries(
    {
        "credit_amount": st.floats(min_value=1, max_value=1_000_000),
        "duration_months": st.integers(min_value=1, max_value=120),
    },
    optional={
        "monthly_income": st.floats(min_value=1, max_value=1_000_000),
        "has_checking_account": st.booleans(),
        "checking_balance": st.floats(min_value=-1_000_000, max_value=100_000_000),
        "savings_balance": st.floats(min_value=0, max_value=100_000_000),
        "employment_years": st.floats(min_value=0, max_value=70),
        "housing": st.sampled_from(["own", "rent", "free"]),
        "credit_history": st.sampled_from(
            ["none_or_all_paid", "paid_on_time", "past_delays", "critical"]
        ),
        "other_installments": st.sampled_from(["none", "bank", "stores"]),
        "purpose": st.sampled_from(["electronics", "appliances", "furniture", "car_new", "other"]),
    },
)


@settings(max_examples=200, deadline=None)
@given(applications)
def test_every_valid_application_gets_a_schema_valid_score(app: dict) -> None:
    result = _shared_card().score(app)
    again = CreditScore.model_validate(result.model_dump(mode="json"))
    assert again == result
    assert "probability_of_default" not in result.model_dump()


def _best_value_columns(card: Scorecard, app: CreditApplication) -> set[str]:
    record = to_record(app)
    best = set()
    for column in card.artifact["coefficients"]:
        if record[column] is None:
            continue
        mine = card._points(column, card.woe(column, record[column]))
        if mine >= card.best_points(column) - 1e-9:
            best.add(column)
    return best


@settings(max_examples=200, deadline=None)
@given(applications)
def test_an_attribute_at_its_best_value_is_never_a_reason(app: dict) -> None:
    card = _shared_card()
    result = card.score(app)
    best = _best_value_columns(card, CreditApplication.model_validate(app))
    assert not best & {r.feature for r in result.reasons}
    lost = [r.points_lost for r in result.reasons]
    assert lost == sorted(lost, reverse=True) and all(p > 0 for p in lost)


def test_reasons_follow_points_lost_and_are_worded_from_the_answers(card: Scorecard) -> None:
    app = CreditApplication.model_validate(WEAK)
    result = card.score(app)
    record = to_record(app)
    expected = []
    for column in card.artifact["coefficients"]:
        if record[column] is None:
            continue
        mine = card._points(column, card.woe(column, record[column]))
        best = card.best_points(column)
        if round(best - mine, 1) > 0:
            expected.append((round(best - mine, 1), column))
    expected.sort(key=lambda item: item[0], reverse=True)
    assert [r.feature for r in result.reasons] == [c for _, c in expected[:3]]
    worded = " ".join(r.reason for r in result.reasons)
    if "duration_in_month" in {r.feature for r in result.reasons}:
        assert f"{WEAK['duration_months']} months" in worded


def test_employment_reason_names_the_applicants_years(card: Scorecard) -> None:
    app = {**WEAK, "employment_years": 3}
    result = card.score(app)
    reasons = {r.feature: r.reason for r in result.reasons}
    if "present_employment_since" in reasons:
        assert reasons["present_employment_since"] == "3 years at your current job"
    from generators.credit import describe

    assert describe("present_employment_since", CreditApplication.model_validate(app)) == (
        "3 years at your current job"
    )


@pytest.mark.parametrize("history", ["paid_on_time", "none_or_all_paid"])
def test_paying_on_time_is_never_a_reason(card: Scorecard, history: str) -> None:
    """The sample scores "critical account" best; a customer is never measured against it."""
    result = card.score({**WEAK, "credit_history": history})
    assert "credit_history" not in {r.feature for r in result.reasons}
    late = card.score({**WEAK, "credit_history": "critical"})
    # Only the reasons change; the score keeps the sample's ordering.
    assert late.points["credit_history"] > result.points["credit_history"]


def test_best_points_skip_values_that_are_not_a_reference(card: Scorecard) -> None:
    everything = max(card._points("credit_history", w) for w in card._bins["credit_history"]["woe"])
    assert card.best_points("credit_history") < everything
    assert card.best_points("housing") == max(
        card._points("housing", w) for w in card._bins["housing"]["woe"]
    )


def test_a_term_is_measured_against_the_terms_on_offer(card: Scorecard) -> None:
    """12 months is the shortest term the shop offers, so it is never a reason then."""
    app = {"credit_amount": 1500, "duration_months": 12}
    assert "duration_in_month" in {r.feature for r in card.score(app).reasons}
    offered = card.score(app, offered_terms=[12, 24, 36])
    assert "duration_in_month" not in {r.feature for r in offered.reasons}
    assert offered.score == card.score(app).score
    longer = card.score({**app, "duration_months": 36}, offered_terms=[12, 24, 36])
    assert "duration_in_month" in {r.feature for r in longer.reasons}


def test_seven_years_in_a_job_is_never_a_reason(card: Scorecard) -> None:
    result = card.score({**WEAK, "employment_years": 10})
    assert "present_employment_since" not in {r.feature for r in result.reasons}


def test_chinese_wording_changes_the_words_not_the_score(card: Scorecard) -> None:
    from generators import credit_zh
    from generators.credit import FEATURES, CreditApplication

    english, chinese = card.score(WEAK), card.score(WEAK, language="zh")
    assert (chinese.score, chinese.decision) == (english.score, english.decision)
    assert [r.feature for r in chinese.reasons] == [r.feature for r in english.reasons]
    assert all(not r.reason.isascii() for r in chinese.reasons)
    assert chinese.disclaimer == credit_zh.DISCLAIMER
    app = CreditApplication.model_validate(WEAK)
    for feature in FEATURES:  # every feature has a Chinese wording
        assert not credit_zh.describe(feature.column, app).isascii()
