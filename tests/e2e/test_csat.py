"""CSAT over REST against the real servers: typed answers, ignoring the question, no re-asking."""

from __future__ import annotations

import secrets

import pytest

from bot.supervisor import Supervisor
from tests.e2e.conftest import say, send, tracker

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

QUESTION = "how did I do today?"


def asks(replies: list[str]) -> bool:
    return any(QUESTION in text for text in replies)


def test_a_typed_word_right_after_the_question_is_the_rating(assistant: Supervisor) -> None:
    sender = "e2e-csat-" + secrets.token_hex(4)
    messages = send(assistant, sender, "bye")
    question = messages[-1]
    assert QUESTION in question["text"]
    assert [b["title"] for b in question["buttons"]] == ["1", "2", "3", "4", "5"]
    assert say(assistant, sender, "great!") == ["Thanks for rating us, that helps us improve!"]
    slots = tracker(assistant, sender)["slots"]
    assert (slots["csat_score"], slots["csat_context"]) == (5, "conversation")
    assert not asks(say(assistant, sender, "bye"))  # not asked twice in a row


def test_the_customer_can_ignore_the_question(assistant: Supervisor) -> None:
    sender = "e2e-csat-" + secrets.token_hex(4)
    assert asks(say(assistant, sender, "goodbye"))
    hours = say(assistant, sender, "when does the downtown store open?")
    assert hours and hours[0].startswith("Voltline Downtown (12 Market Street)"), hours
    assert tracker(assistant, sender)["slots"]["csat_score"] is None
    # after another request, a later goodbye may ask again
    assert asks(say(assistant, sender, "bye bye"))
    declined = say(assistant, sender, "no thanks")
    assert declined and not asks(declined), declined
    assert tracker(assistant, sender)["slots"]["csat_score"] is None


def test_a_low_rating_gets_an_apology_and_the_way_to_a_person(assistant: Supervisor) -> None:
    sender = "e2e-csat-" + secrets.token_hex(4)
    say(assistant, sender, "bye")
    [reply] = say(assistant, sender, "1 star")
    assert "sorry" in reply and "person" in reply, reply
    assert tracker(assistant, sender)["slots"]["csat_score"] == 1
