"""What a business's action server reuses: forms, streaming, handoff, corrections, CSAT.

Runs in the actions venv (rasa-sdk). Import from here; the modules behind it
(``bot.sdk.forms``, ``bot.sdk.form_text``, ``bot.sdk.streaming``,
``bot.sdk.handoff``, ``bot.sdk.buttons``, ``bot.sdk.revise``, ``bot.sdk.csat``) may move::

    from bot.sdk import SlotSpec, TextFormValidation, number_parser

The action classes here are abstract: an assistant subclasses each with its
action name and its own values (phone number, priorities, wording), so
rasa-sdk registers only the assistant's actions.

Three modules are imported by name rather than from here: ``bot.sdk.i18n``
holds the message catalogs (text in the conversation's language), ``bot.sdk.assistant``
reads the project's ``assistant.yml``, and ``bot.sdk.runtime`` is the one
runtime of an action-server process (settings, the assistant, and the models,
each built once, off the event loop)::

    from bot.sdk.runtime import get_runtime

    pipeline = await get_runtime().answer_pipeline()
"""

from bot.sdk.buttons import MISS_INTENTS, consecutive_misses, is_bare_payload, words_behind
from bot.sdk.csat import ActionAskCsat, ActionRecordCsat, score_in
from bot.sdk.form_text import (
    NO_PRODUCT_NAMES,
    UNIT_PATTERNS,
    ProductNames,
    focus,
    is_exit,
    is_question,
    per_month,
    unit_after,
)
from bot.sdk.forms import (
    DIGRESSIONS,
    LAST_ANSWERS_SLOT,
    NOT_AN_ANSWER,
    STOPPED,
    UNKNOWN,
    ActionAbandonForm,
    Parsed,
    Quantity,
    SlotSpec,
    TextFormValidation,
    apology_for,
    choice_parser,
    find_number,
    find_quantity,
    is_dont_know,
    known,
    number_parser,
    remember,
    reset,
    unanswered,
)
from bot.sdk.handoff import (
    CONTACT_FORM,
    CONTACT_SLOT,
    REASON_SLOT,
    Accepted,
    ActionHandoff,
    ActionLeaveContact,
    HandoffClient,
    HandoffServiceError,
    Unavailable,
    handoff_reason,
    interrupted_form,
    parse_contact,
)
from bot.sdk.revise import ActionReviseAnswers
from bot.sdk.streaming import AnswerStream, WebChatStream, WebChatStreams

__all__ = [
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
]
