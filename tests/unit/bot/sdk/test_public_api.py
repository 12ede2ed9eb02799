"""bot.sdk's public names are pinned: a change to them is a change to every assistant."""

from __future__ import annotations

import inspect

from rasa_sdk import Action
from rasa_sdk.executor import ActionExecutor

import bot.sdk

PUBLIC = {
    "CONTACT_FORM",
    "CONTACT_SLOT",
    "DIGRESSIONS",
    "LAST_ANSWERS_SLOT",
    "MISS_INTENTS",
    "NOT_AN_ANSWER",
    "NO_PRODUCT_NAMES",
    "REASON_SLOT",
    "STOPPED",
    "UNIT_PATTERNS",
    "UNKNOWN",
    "Accepted",
    "ActionAbandonForm",
    "ActionAskCsat",
    "ActionHandoff",
    "ActionLeaveContact",
    "ActionRecordCsat",
    "ActionReviseAnswers",
    "AnswerStream",
    "HandoffClient",
    "HandoffServiceError",
    "Parsed",
    "ProductNames",
    "Quantity",
    "SlotSpec",
    "TextFormValidation",
    "Unavailable",
    "WebChatStream",
    "WebChatStreams",
    "apology_for",
    "choice_parser",
    "consecutive_misses",
    "find_number",
    "find_quantity",
    "focus",
    "handoff_reason",
    "interrupted_form",
    "is_bare_payload",
    "is_dont_know",
    "is_exit",
    "is_question",
    "known",
    "number_parser",
    "parse_contact",
    "per_month",
    "remember",
    "reset",
    "score_in",
    "unanswered",
    "unit_after",
    "words_behind",
}


def test_all_is_pinned() -> None:
    assert set(bot.sdk.__all__) == PUBLIC
    assert sorted(bot.sdk.__all__, key=lambda n: (not n.isupper(), n[0].islower(), n)) == list(
        bot.sdk.__all__
    )


def test_every_public_name_resolves() -> None:
    assert all(getattr(bot.sdk, name, None) is not None for name in bot.sdk.__all__)


def test_the_kit_actions_are_bases_that_rasa_sdk_does_not_register() -> None:
    """An assistant that does not subclass them gets no stray actions in its server."""
    bases = [getattr(bot.sdk, n) for n in bot.sdk.__all__]
    actions = [b for b in bases if inspect.isclass(b) and issubclass(b, Action)]
    assert {a.__name__ for a in actions} >= {
        "ActionAbandonForm",
        "ActionHandoff",
        "ActionLeaveContact",
        "ActionReviseAnswers",
        "TextFormValidation",
    }
    assert all(inspect.isabstract(a) for a in actions)
    executor = ActionExecutor()
    executor.register_package("bot.sdk")
    registered = {run.__self__.__class__.__module__ for run in executor.actions.values()}
    assert not any(module.startswith("bot.sdk") for module in registered)


def test_the_handoff_error_is_under_the_tandem_root() -> None:
    from bot.errors import TandemError

    assert issubclass(bot.sdk.HandoffServiceError, TandemError)
