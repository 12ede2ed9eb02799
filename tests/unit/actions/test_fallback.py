# ruff: noqa: RUF001  (Chinese texts, on purpose)
"""The two-stage fallback: a clarifying question first, a person after two misses."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import ActionFallbackClarify, consecutive_misses, intent_title

RANKING = [
    {"name": "nlu_fallback", "confidence": 0.41},
    {"name": "ask_store_hours", "confidence": 0.33},
    {"name": "out_of_scope", "confidence": 0.2},
    {"name": "ask_faq", "confidence": 0.12},
    {"name": "greet", "confidence": 0.05},
]


def _user(text: str, intent: str, ranking: list[dict[str, Any]] | None = None) -> dict:
    parse = {"intent": {"name": intent, "confidence": 0.5}, "intent_ranking": ranking or []}
    return {"event": "user", "text": text, "parse_data": parse}


def _bot(text: str) -> dict:
    return {"event": "bot", "text": text}


def _tracker(events: list[dict]) -> Tracker:
    latest = next(e for e in reversed(events) if e["event"] == "user")
    return Tracker(
        sender_id="c1",
        slots={},
        latest_message={"text": latest["text"], **latest["parse_data"], "entities": []},
        events=events,
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


async def _run(events: list[dict]) -> list[dict]:
    dispatcher = CollectingDispatcher()
    result = await ActionFallbackClarify().run(dispatcher, _tracker(events), {})
    assert result == []
    return dispatcher.messages


async def test_first_miss_asks_with_the_two_most_likely_intents_as_buttons() -> None:
    events = [_user("hi", "greet"), _bot("Hello!"), _user("hrs sat?", "nlu_fallback", RANKING)]

    [message] = await _run(events)

    assert message["response"] == "utter_fallback_clarify"
    assert message["buttons"] == [
        {"title": "Store opening hours", "payload": "/ask_store_hours"},
        {"title": "A question about our store", "payload": "/ask_faq"},
    ]


async def test_second_miss_in_a_row_offers_a_person() -> None:
    events = [
        _user("hrs sat?", "nlu_fallback", RANKING),
        _bot("Did you mean...?"),
        _user("blorp the zorp", "nlu_fallback", RANKING),
    ]

    [message] = await _run(events)

    assert message["response"] == "utter_fallback_offer_human"
    assert message["buttons"][0] == {"title": "Yes, a person please", "payload": "/ask_human"}


async def test_an_understood_message_resets_the_count() -> None:
    events = [
        _user("??", "nlu_fallback", RANKING),
        _user("store hours", "ask_store_hours"),
        _user("blorp", "nlu_fallback", RANKING),
    ]

    [message] = await _run(events)

    assert message["response"] == "utter_fallback_clarify"


async def test_no_guess_left_asks_to_rephrase() -> None:
    only_misses = [
        {"name": "nlu_fallback", "confidence": 0.3},
        {"name": "out_of_scope", "confidence": 0.2},
    ]

    [message] = await _run([_user("…", "nlu_fallback", only_misses)])

    assert message["response"] == "utter_fallback_rephrase"
    assert "buttons" not in message or not message["buttons"]


def test_out_of_scope_counts_as_a_miss_and_titles_fall_back_to_the_name() -> None:
    events = [_user("poem?", "out_of_scope"), _user("???", "nlu_fallback")]
    assert consecutive_misses(events) == 2
    assert intent_title("ask_delivery_status") == "Delivery status"


def test_answers_without_a_question_are_never_offered_as_guesses() -> None:
    from actions.fallback import top_guesses

    ranking = [
        {"name": "nlu_fallback", "confidence": 0.5},
        {"name": "inform", "confidence": 0.3},
        {"name": "affirm", "confidence": 0.1},
        {"name": "ask_recommendation", "confidence": 0.05},
        {"name": "stop", "confidence": 0.03},
        {"name": "ask_faq", "confidence": 0.02},
    ]
    assert top_guesses({"intent_ranking": ranking}) == ["ask_recommendation", "ask_faq"]


def test_a_rating_is_never_offered_as_a_guess() -> None:
    """ "Rate csat" out of the blue leads nowhere: there is no question to rate."""
    from actions.fallback import top_guesses

    ranking = [
        {"name": "nlu_fallback", "confidence": 0.6},
        {"name": "rate_csat", "confidence": 0.2},
        {"name": "greet", "confidence": 0.1},
        {"name": "ask_store_hours", "confidence": 0.05},
    ]
    assert top_guesses({"intent_ranking": ranking}) == ["ask_store_hours", "ask_faq"]
    assert "rate_csat" not in top_guesses({"intent_ranking": ranking}, count=5)


async def test_a_message_in_another_language_gets_the_languages_note_not_guesses() -> None:
    event = _user("Wo ist mein Paket?", "nlu_fallback", RANKING)
    event["parse_data"]["language"] = {"code": "de", "supported": False, "supported_codes": ["en"]}
    [message] = await _run([_user("???", "nlu_fallback", RANKING), event])
    assert message["text"].startswith("Entschuldigung") and "Englisch" in message["text"]
    assert "Sorry, I can only chat in English" in message["text"]
    assert not message.get("buttons") and not message.get("response")


async def test_a_chinese_conversation_gets_chinese_buttons() -> None:
    events = [_user("营业时间?", "nlu_fallback", RANKING)]
    tracker = _tracker(events)
    tracker.slots["language"] = "zh"
    dispatcher = CollectingDispatcher()
    await ActionFallbackClarify().run(dispatcher, tracker, {})
    [message] = dispatcher.messages
    assert message["response"] == "utter_fallback_clarify"  # its zh variation: domain.yml
    assert [b["title"] for b in message["buttons"]] == ["门店营业时间", "关于我们门店的问题"]

    tracker = _tracker([_user("???", "nlu_fallback", RANKING), *events])
    tracker.slots["language"] = "zh"
    dispatcher = CollectingDispatcher()
    await ActionFallbackClarify().run(dispatcher, tracker, {})
    assert [b["title"] for b in dispatcher.messages[0]["buttons"]] == [
        "好的，请转人工",
        "不用，我换个说法",
    ]


async def test_the_note_for_another_language_names_english_and_chinese_in_both() -> None:
    event = _user("Wo ist mein Paket?", "nlu_fallback", RANKING)
    event["parse_data"]["language"] = {
        "code": "de",
        "supported": False,
        "supported_codes": ["en", "zh"],
    }
    [message] = await _run([event])
    german, english, chinese = message["text"].split("\n\n")
    assert "Englisch und Chinesisch" in german
    assert english.startswith("Sorry, I can only chat in English and Chinese")
    assert "英语和中文" in chinese


def _answering() -> Any:
    from actions.answer import ActionAnswerQuestion
    from generators.answer import AnswerPipeline
    from generators.backends.extractive import ExtractiveGenerator
    from generators.embeddings import HashingEmbedder
    from generators.retrieval import KnowledgeBase, chunk_markdown
    from tests.conftest import BRAND

    kb = KnowledgeBase(
        chunk_markdown(
            "payment",
            "# Payment\n\n## Invoices and VAT\nA VAT invoice is attached to every order "
            "confirmation email.",
        ),
        embedder=HashingEmbedder(),
        threshold=0.2,
    )
    pipeline = AnswerPipeline(
        brand=BRAND, knowledge_base=kb, generator=ExtractiveGenerator(), generate=False
    )
    return ActionAnswerQuestion(pipeline)


async def test_a_missed_message_the_documents_answer_gets_the_answer() -> None:
    """NLU missed the wording, but the knowledge base answers it: no guesses needed."""
    dispatcher = CollectingDispatcher()
    tracker = _tracker([_user("need a vat invoice for my order", "nlu_fallback", RANKING)])
    events = await ActionFallbackClarify(_answering()).run(dispatcher, tracker, {})
    assert "VAT invoice is attached" in dispatcher.messages[0]["text"]
    assert not dispatcher.messages[0].get("buttons")
    assert {"event": "slot", "timestamp": None, "name": "answer_outcome", "value": "answered"} in (
        events
    )


async def test_a_missed_message_the_documents_do_not_answer_still_gets_guesses() -> None:
    dispatcher = CollectingDispatcher()
    tracker = _tracker([_user("blorp the zorp again", "nlu_fallback", RANKING)])
    assert await ActionFallbackClarify(_answering()).run(dispatcher, tracker, {}) == []
    [message] = dispatcher.messages
    assert message["response"] == "utter_fallback_clarify" and message["buttons"]


async def test_words_nobody_taught_are_not_looked_up_in_the_documents() -> None:
    """NLU says no word of the message is known (bot.nlu.classifier): retrieval would
    only find the nearest passage to noise, so the customer gets the guesses."""

    class Answering:
        calls = 0

        async def run(self, *args: Any) -> list[dict]:
            Answering.calls += 1
            return []

    event = _user("need a vat invoice for my order", "nlu_fallback", RANKING)
    event["parse_data"]["all_words_unknown"] = True
    dispatcher = CollectingDispatcher()
    action = ActionFallbackClarify(Answering())  # type: ignore[arg-type]
    assert await action.run(dispatcher, _tracker([event]), {}) == []
    assert Answering.calls == 0
    [message] = dispatcher.messages
    assert message["response"] == "utter_fallback_clarify" and message["buttons"]


def test_a_short_ranking_is_filled_with_the_commonest_requests() -> None:
    from actions.fallback import top_guesses

    social = [{"name": n, "confidence": 0.1} for n in ("greet", "thanks", "goodbye", "stop")]
    latest = {"intent_ranking": [*social, {"name": "ask_credit_check", "confidence": 0.05}]}
    assert top_guesses(latest) == ["ask_credit_check", "ask_faq"]
    latest = {"intent_ranking": [*social, {"name": "ask_faq", "confidence": 0.05}]}
    assert top_guesses(latest) == ["ask_faq", "ask_recommendation"]
    assert top_guesses({"intent_ranking": social}) == []  # nothing worth a button: rephrase
