"""Contextual rephrasing: the prompt, the fact checks and the fallback, with the scripted fake."""

from __future__ import annotations

import time

import pytest

from bot.errors import ConfigError
from generators.errors import EmptyGeneration, GeneratorError, ValidationFailed
from generators.rephrase import (
    SYSTEM_PROMPT,
    Facts,
    Rephraser,
    RephrasingRejected,
    Turn,
    check_rephrasing,
)
from generators.text import ScriptedGenerator
from tests.conftest import BRAND

GREET = (
    "Hi! I'm Volt, Voltline's assistant. I can help with store hours, products, mobile plans "
    "and financing."
)
HOURS = "The Downtown store opens at 9:00 am on Monday and closes at 17:30."
PRICE = "The Nova 8 costs $1,299.00, or £54.13 a month over 24 months at 0% interest."
CONTACT = "Write to help@voltline.example or see https://voltline.example/returns for the form."
TURNS = [
    Turn(role="user", text="hi there"),
    Turn(role="bot", text="Hello! How can I help?"),
    Turn(role="user", text="when does downtown open? I'm ana@example.com"),
]


def rephraser(*replies: str | BaseException, **kwargs: float) -> Rephraser:
    return Rephraser(brand=BRAND, generator=ScriptedGenerator(replies=replies), **kwargs)  # type: ignore[arg-type]


# --- prompt ----------------------------------------------------------------------------


def test_the_prompt_holds_the_rules_the_recent_turns_and_the_template_last() -> None:
    [system, user] = Rephraser(brand=BRAND, generator=ScriptedGenerator(), max_turns=2).messages(
        HOURS, TURNS
    )
    assert system.role == "system" and system.content == BRAND.fill("rephrase", SYSTEM_PROMPT)
    assert "Voltline's chat assistant" in system.content
    for fact in ("numbers", "prices", "times", "names", "links", "e-mail"):
        assert fact in system.content
    assert user.role == "user"
    assert user.content.splitlines() == [
        "Conversation so far:",
        "Assistant: Hello! How can I help?",
        "Customer: when does downtown open? I'm [EMAIL]",
        "",
        "Message to rewrite:",
        HOURS,
    ]


def test_a_first_message_has_no_transcript_and_blank_or_long_turns_are_tidied() -> None:
    r = Rephraser(brand=BRAND, generator=ScriptedGenerator())
    assert r.messages(GREET)[1].content == f"Message to rewrite:\n{GREET}"
    turns = [Turn(role="user", text="   "), Turn(role="user", text="x" * 1000)]
    [line] = [
        ln for ln in r.messages(GREET, turns)[1].content.splitlines() if ln[:9] == "Customer:"
    ]
    assert line == "Customer: " + "x" * 300


def test_room_to_answer_grows_with_the_template_and_is_capped() -> None:
    r = Rephraser(brand=BRAND, generator=ScriptedGenerator())
    assert r.options("Hi!").max_new_tokens < r.options(GREET).max_new_tokens <= 400
    assert r.options("x" * 5000).max_new_tokens == 400


# --- validation: faithful paraphrases pass ----------------------------------------------


@pytest.mark.parametrize(
    ("original", "candidate", "expected"),
    [
        (
            GREET,
            "Welcome back! I'm Volt, Voltline's assistant, and I can help with store hours, "
            "products, mobile plans and financing.",
            None,
        ),
        (HOURS, "On Monday the Downtown store opens at 9am and closes at 17:30.", None),
        (PRICE, "At 0% interest, the Nova 8 is $1299 or £54.13 a month over 24 months.", None),
        (
            CONTACT,
            "You can find the form at https://voltline.example/returns, or write to "
            "help@voltline.example.",
            None,
        ),
        (
            "Four quick questions and we're done.",
            "Just 4 quick questions and we're done!",
            None,
        ),
        (GREET, f'"{GREET}"', GREET),
        (HOURS, f"Assistant: {HOURS}", HOURS),
        (
            GREET,
            "Hi! I\u2019m Volt, Voltline\u2019s assistant: I can help with store hours, products, "
            "mobile plans and financing.",
            None,
        ),
    ],
)
def test_faithful_rephrasings_are_accepted(
    original: str, candidate: str, expected: str | None
) -> None:
    assert check_rephrasing(original, candidate) == (expected or candidate)


# --- validation: anything that changes a fact is rejected -------------------------------


REJECTED = [
    (HOURS, "The Downtown store opens on Monday and closes at 17:30.", "numbers", "drops 9am"),
    (HOURS, "The Downtown store opens at 10 am on Monday, closing at 17:30.", "numbers", "10am"),
    (HOURS, "The Downtown store opens at 9 pm on Monday and closes at 17:30.", "numbers", "9pm"),
    (PRICE, PRICE.replace("$1,299.00", "€1,299"), "numbers", "adds €1299"),
    (PRICE, PRICE.replace("1,299", "1,199"), "numbers", "adds $1199"),
    (HOURS, "Our Uptown and Downtown stores open at 9am on Monday and close at 17:30.", "names",
     "adds uptown"),
    (HOURS, "The store opens at 9am on Monday and closes at 17:30, see you there.", "names",
     "drops downtown"),
    (CONTACT, CONTACT.replace("/returns", "/help"), "links", "drops https://voltline.example/returns"),
    (CONTACT, "See https://voltline.example/returns for the form, or just write to us.", "links",
     "drops help@voltline.example"),
    (GREET, "", "empty", ""),
    (GREET, '  ""  ', "empty", ""),
    (GREET, GREET * 3, "length", "allowed"),
    (GREET, "Hi! I'm Volt.", "length", "allowed"),
    (GREET, f"Customer: hi\n{GREET}", "prompt", "Customer:"),
    (GREET, f"{GREET} Keep every fact exactly as written.", "prompt", "keep every fact"),
    (GREET, f"Here is the rewritten message: {GREET}", "prompt", "comment"),
]  # fmt: skip


@pytest.mark.parametrize(("original", "candidate", "check", "detail"), REJECTED)
def test_rephrasings_that_change_facts_are_rejected_with_the_raw_output(
    original: str, candidate: str, check: str, detail: str
) -> None:
    with pytest.raises(RephrasingRejected) as caught:
        check_rephrasing(original, candidate)
    assert caught.value.check == check
    assert detail in str(caught.value)
    assert caught.value.raw == candidate
    assert isinstance(caught.value, ValidationFailed)


def test_filled_in_slot_values_must_survive() -> None:
    original = "Thanks, Ana. We'll e-mail you at the address you gave, usually within a day."
    reworded = "Thanks, Ana! We usually e-mail you within a day, at the address you gave."
    assert check_rephrasing(original, reworded, keep=["Ana"]) == reworded
    with pytest.raises(RephrasingRejected, match="filled-in value") as caught:
        check_rephrasing(
            original, "Thanks! We'll e-mail you at your address within a day.", keep=["Ana"]
        )
    assert caught.value.check == "slots"


def test_prompt_words_that_the_template_itself_uses_are_no_leak() -> None:
    original = "Customer: Ana. Assistant: Volt. Please keep this reference."
    assert check_rephrasing(original, original) == original


def test_facts_found_in_a_text() -> None:
    facts = Facts.of(
        "Hello! Voltline's Nova 8 is £4.90 from 9:30 a.m. to 5pm, at 17:30 and 20 % off. "
        "Mail a@b.example."
    )
    assert facts.numbers == {"8", "£4.9", "9:30am", "5pm", "17:30", "20%"}
    assert facts.names == {"voltline", "nova"}
    assert facts.links == {"a@b.example"}
    assert Facts.of("Let's go. It's here. That's Voltline's.").names == {"voltline"}


# --- the whole rephraser -----------------------------------------------------------------


def test_a_faithful_rephrasing_reaches_the_customer() -> None:
    reply = "On Monday the Downtown store opens at 9am and closes at 17:30."
    r = rephraser(reply)
    result = r.rephrase_or_keep(HOURS, TURNS, response="utter_hours")
    assert result.model_dump() == {"text": reply, "rephrased": True, "reason": None}
    [call] = r.generator.calls  # type: ignore[attr-defined]
    assert call[-1].content.endswith(f"Message to rewrite:\n{HOURS}")


def test_an_unfaithful_rephrasing_falls_back_to_the_template_with_the_reason() -> None:
    result = rephraser("The Downtown store opens at 8am on Monday and closes at 17:30.")
    outcome = result.rephrase_or_keep(HOURS, TURNS)
    assert outcome.text == HOURS and outcome.rephrased is False
    assert outcome.reason is not None and "8am" in outcome.reason


def test_rephrase_raises_so_callers_can_see_the_raw_output() -> None:
    raw = "Come by any time, we're always open!"
    with pytest.raises(RephrasingRejected) as caught:
        rephraser(raw).rephrase(HOURS)
    assert caught.value.raw == raw and isinstance(caught.value, GeneratorError)


def test_a_model_past_its_deadline_costs_the_deadline_and_no_more() -> None:
    slow = Rephraser(
        brand=BRAND, generator=ScriptedGenerator(replies=[HOURS], delay_s=1.0), deadline_s=0.1
    )
    started = time.monotonic()
    outcome = slow.rephrase_or_keep(HOURS)
    assert time.monotonic() - started < 0.6
    assert outcome.text == HOURS and outcome.rephrased is False
    assert outcome.reason == "No rephrasing within 0.1 s."


def test_a_failing_backend_gives_the_template() -> None:
    outcome = rephraser(EmptyGeneration("nothing to say")).rephrase_or_keep(GREET)
    assert (outcome.text, outcome.rephrased) == (GREET, False)
    assert outcome.reason == "The scripted backend failed: nothing to say"


def test_the_template_given_back_unchanged_is_not_called_a_rephrasing() -> None:
    outcome = rephraser(f" {GREET} ").rephrase_or_keep(GREET)
    assert (outcome.text, outcome.rephrased) == (GREET, False)
    assert outcome.reason == "The model returned the template."


def test_a_deadline_per_call_overrides_the_default() -> None:
    r = Rephraser(
        brand=BRAND, generator=ScriptedGenerator(replies=[GREET], delay_s=0.5), deadline_s=0.05
    )
    assert r.rephrase_or_keep(GREET, deadline_s=2.0).reason == "The model returned the template."


def test_a_deadline_must_be_positive() -> None:
    with pytest.raises(ConfigError, match="deadline is 0 s"):
        Rephraser(brand=BRAND, generator=ScriptedGenerator(), deadline_s=0)
