"""MarketingWriter: variants, fact checks and template fallbacks."""

from __future__ import annotations

import pytest

from generators.errors import ValidationFailed
from generators.marketing import MarketingWriter
from generators.text import ScriptedGenerator

BRIEF = {"product": "Pulse ANC", "audience": "commuters", "tone": "calm", "words": 30}


def test_each_variant_gets_its_own_angle_and_keeps_to_the_facts(knowledge_base) -> None:
    gen = ScriptedGenerator(replies=["Quiet trains, calm mornings: Pulse ANC shuts out the noise."])
    copy = MarketingWriter(generator=gen).write(BRIEF)
    assert [v.source for v in copy.variants] == ["model"] * 3
    assert len({call[-1].content for call in gen.calls}) == 3


def test_failures_and_invented_prices_fall_back_to_templates() -> None:
    gen = ScriptedGenerator(
        replies=[RuntimeError("down"), "Only $99 today for commuters who love silence!", "ok"]
    )
    copy = MarketingWriter(generator=gen).write(BRIEF | {"variants": 3})
    assert [v.source for v in copy.variants] == ["template", "template", "template"]
    assert copy.variants[0].text == "Pulse ANC, made for commuters."


def test_a_bad_brief_raises_validation_failed_with_the_raw_brief() -> None:
    with pytest.raises(ValidationFailed) as err:
        MarketingWriter(generator=ScriptedGenerator()).write({"product": "x", "words": 5})
    assert err.value.raw == {"product": "x", "words": 5}


def test_personal_data_in_a_brief_is_redacted() -> None:
    gen = ScriptedGenerator(replies=["Stay focused on every commute with calm, clear sound."])
    MarketingWriter(generator=gen).write(BRIEF | {"audience": "people like jo@example.com"})
    assert "jo@example.com" not in gen.calls[0][-1].content
