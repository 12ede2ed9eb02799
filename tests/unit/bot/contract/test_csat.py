"""What counts as an answer to the CSAT question, and when the question was just asked."""

from __future__ import annotations

from typing import Any

import pytest

from bot.contract.csat import (
    asked_recently,
    find_rating,
    handed_back,
    last_prompt_context,
    parse_rating,
    pending_prompt,
    prompt_context,
    prompt_metadata,
    rating_buttons,
    rating_payload,
)
from bot.contract.errors import ContractError


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("4", 4),
        (" 5 ", 5),
        ("5 stars", 5),
        ("1 star", 1),
        ("four", 4),
        ("five stars!", 5),
        ("4/5", 4),
        ("3 out of 5", 3),
        ("I'd give it a 4", 4),
        ("I would rate you 2 out of 5", 2),
        ("rating: 3", 3),
        ("★★★★", 4),
        ("great", 5),
        ("Great!", 5),
        ("it was great, thanks!", 5),
        ("very good", 5),
        ("good", 4),
        ("meh", 3),
        ("poor", 2),
        ("terrible", 1),
        ('/rate_csat{"csat_score": 4}', 4),
        ('/rate_csat{"csat_score": "2"}', 2),
    ],
)
def test_short_answers_are_ratings(text: str, score: int) -> None:
    assert parse_rating(text) == score


@pytest.mark.parametrize(
    "text",
    [
        "",
        None,
        "ok",
        "no thanks",
        "bye",
        "6",
        "0",
        "10/10",
        "great, how do I return a phone?",
        "what are your opening hours",
        "I need 4 GB of data",
        "/rate_csat",
        '/rate_csat{"csat_score": 9}',
        "/ask_store_hours",
    ],
)
def test_anything_else_is_not_a_rating(text: str | None) -> None:
    assert parse_rating(text) is None


def test_a_sentence_known_to_be_a_rating_gives_its_score() -> None:
    assert find_rating("5 stars, very helpful") == 5
    assert find_rating("1 star, not helpful at all") == 1
    assert find_rating("I give this conversation 3 out of 5") == 3
    assert find_rating("I'd like to rate you") is None


def test_buttons_send_payloads_that_parse_back() -> None:
    buttons = rating_buttons()
    assert [b["title"] for b in buttons] == ["1", "2", "3", "4", "5"]
    assert [parse_rating(b["payload"]) for b in buttons] == [1, 2, 3, 4, 5]
    assert rating_payload(4) == '/rate_csat{"csat_score": 4}'
    faces = rating_buttons(["😞", "🙁", "😐", "🙂", "😀"])
    assert [b["title"] for b in faces] == ["😞", "🙁", "😐", "🙂", "😀"]
    with pytest.raises(ValueError, match="one of"):
        rating_payload(0)
    with pytest.raises(ValueError, match="5 labels"):
        rating_buttons(["bad", "good"])


def test_the_prompt_record_is_found_at_either_depth() -> None:
    meta = prompt_metadata("handoff")
    assert meta == {"analytics": [{"kind": "csat_prompt", "context": "handoff"}]}
    assert prompt_context(meta) == "handoff"
    assert prompt_context({"metadata": prompt_metadata("conversation")}) == "conversation"
    assert prompt_context({"analytics": [{"kind": "knowledge", "outcome": "quoted"}]}) is None
    assert prompt_context(None) is None
    with pytest.raises(ContractError):
        prompt_metadata("somewhere")


def user(text: str, intent: str = "inform") -> dict[str, Any]:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent}}}


def bot(text: str, context: str | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {"event": "bot", "text": text}
    if context:
        event["metadata"] = {"metadata": prompt_metadata(context)}
    return event


def test_a_pending_prompt_is_one_in_the_bot_turn_right_before_the_message() -> None:
    asked = [user("bye", "goodbye"), bot("Goodbye!"), bot("Rate me", "conversation")]
    assert pending_prompt([*asked, user("4")]) == "conversation"
    later = [*asked, user("what time do you open"), bot("9am"), user("4")]
    assert pending_prompt(later) is None
    assert pending_prompt([user("4")]) is None
    assert last_prompt_context(later) == "conversation"
    assert last_prompt_context([user("hi")]) is None


def test_handed_back_means_a_resume_since_the_latest_message() -> None:
    assert handed_back([user("help"), {"event": "pause"}, {"event": "resume"}, bot("back")])
    assert not handed_back([{"event": "resume"}, user("hi")])


def test_not_asked_twice_in_a_row() -> None:
    asked = [user("bye", "goodbye"), bot("Rate me", "conversation")]
    assert asked_recently([*asked, user("bye again", "goodbye")])
    assert asked_recently([*asked, user("4"), bot("thanks"), user("bye", "goodbye")])
    assert not asked_recently([*asked, user("when do you open", "ask_store_hours")])
    assert not asked_recently([user("bye", "goodbye")])
