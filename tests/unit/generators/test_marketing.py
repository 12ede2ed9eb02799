"""MarketingWriter: variants written from the product's facts, every claim checked."""

from __future__ import annotations

import pytest

from generators.claims import check_claims
from generators.errors import ValidationFailed
from generators.marketing import MarketingWriter, fact_sheet
from generators.text import ScriptedGenerator
from tests.conftest import BRAND

PULSE = fact_sheet(
    "Pulse ANC",
    [
        "The Pulse ANC costs £249 at Voltline.",
        "Over-ear wireless headphones with active noise cancelling and a 30-hour battery.",
    ],
    brand="Voltline",
    price=249,
    shop_facts=["Delivery is free on orders over £50."],
)
BRIEF = {"product": "Pulse ANC", "audience": "commuters", "tone": "calm", "words": 30}


def facts_for(product: str):
    return PULSE if product.lower() == "pulse anc" else None


def writer(gen: ScriptedGenerator) -> MarketingWriter:
    return MarketingWriter(brand=BRAND, generator=gen, facts_for=facts_for)


def test_each_variant_gets_its_own_angle_and_the_products_facts() -> None:
    gen = ScriptedGenerator(
        replies=["Quiet trains, calm mornings: Pulse ANC shuts out the noise for £249."]
    )
    copy = writer(gen).write(BRIEF)
    assert [v.source for v in copy.variants] == ["model"] * 3
    prompts = [call[-1].content for call in gen.calls]
    assert len(set(prompts)) == 3
    assert all("£249" in p and "30-hour battery" in p and "£50" in p for p in prompts)
    assert "Voltline" in gen.calls[0][0].content


def test_invented_offers_are_cut_and_the_brand_is_spelled_right() -> None:
    gen = ScriptedGenerator(
        replies=[
            "Pulse ANC from Voltine brings calm to every commute with active noise cancelling. "
            "Now 30% off in our spring sale!"
        ]
    )
    copy = writer(gen).write(BRIEF | {"variants": 2})
    for variant in copy.variants:
        assert variant.source == "model"
        assert variant.text == (
            "Pulse ANC from Voltline brings calm to every commute with active noise cancelling."
        )
        assert check_claims(variant.text, PULSE).ok


def test_failures_and_copy_made_of_invented_claims_fall_back_to_templates() -> None:
    gen = ScriptedGenerator(
        replies=[RuntimeError("down"), "Only $99 today for commuters who love silence!", "ok"]
    )
    copy = writer(gen).write(BRIEF | {"variants": 3})
    assert [v.source for v in copy.variants] == ["template", "template", "template"]
    assert (
        copy.variants[0].text
        == "Pulse ANC, made for commuters. The Pulse ANC costs £249 at Voltline."
    )
    assert (
        copy.variants[2].text == "Pulse ANC at Voltline: £249. Delivery is free on orders over £50."
    )
    for variant in copy.variants:
        assert check_claims(variant.text, PULSE).ok, variant.text


def test_a_product_without_facts_is_refused() -> None:
    gen = ScriptedGenerator()
    with pytest.raises(ValidationFailed, match="no catalogue facts"):
        writer(gen).write(BRIEF | {"product": "Hoverboard 3000"})
    assert gen.calls == []


def test_a_bad_brief_raises_validation_failed_with_the_raw_brief() -> None:
    with pytest.raises(ValidationFailed) as err:
        writer(ScriptedGenerator()).write({"product": "x", "words": 5})
    assert err.value.raw == {"product": "x", "words": 5}


def test_personal_data_in_a_brief_is_redacted() -> None:
    gen = ScriptedGenerator(replies=["Stay focused on every commute with calm, clear sound."])
    writer(gen).write(BRIEF | {"audience": "people like jo@example.com"})
    assert "jo@example.com" not in gen.calls[0][-1].content
