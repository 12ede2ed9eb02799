"""Adaptive Cards for Tandem's replies in Teams (pure functions, no I/O).

Buttons become ``Action.Submit`` with ``data: {"payload": ...}``; Teams posts
that ``data`` back as the ``value`` of a message, and the channel turns
``value["payload"]`` into the user's text, so a tap works like typing the
payload. Structured results (``{"type", "schema_version", "data"}``, schemas in
``bot/contract/schemas/``) become cards with FactSets and ColumnSets. A payload
this module cannot render, or one that does not match its schema, becomes a
JSON code block: the customer still sees the facts and nothing crashes.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.channels import result_cards
from bot.contract.payloads import MESSAGE_TYPES, is_current, lead_in, without_repeats

logger = logging.getLogger(__name__)

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_VERSION = "1.5"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
MAX_CODE_BLOCK_CHARS = 3000

Element = dict[str, Any]
_CURRENCY_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~])")


@dataclass(frozen=True)
class Rendered:
    """What one Teams message activity carries: markdown text and/or attachments.

    A structured result's one-line lead-in travels in the same activity as its
    card, so Teams shows the bot's words above the details as one message; a
    multi-line summary is the card's plain-text twin and is left out
    (:func:`bot.contract.payloads.lead_in`), so nothing is said twice.
    """

    text: str = ""
    attachments: list[dict[str, Any]] = field(default_factory=list)


def escape_markdown(text: str) -> str:
    """Escape Teams markdown so that names such as ``Ana_B`` render as written."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def adaptive_card(body: list[Element], actions: list[Element] | None = None) -> dict[str, Any]:
    """A message attachment holding one Adaptive Card 1.5."""
    content: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": CARD_SCHEMA,
        "version": CARD_VERSION,
        "body": body,
    }
    if actions:
        content["actions"] = actions
    return {"contentType": CARD_CONTENT_TYPE, "content": content}


def text_block(text: str, **style: Any) -> Element:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def heading(text: str) -> Element:
    return text_block(text, weight="Bolder", size="Medium")


def fact_set(facts: Iterable[tuple[str, str]]) -> Element:
    return {"type": "FactSet", "facts": [{"title": t, "value": v} for t, v in facts]}


def column_set(rows: Iterable[Iterable[str]], *, header: Iterable[str] | None = None) -> Element:
    """A table as a ColumnSet per row (Teams renders Adaptive ``Table`` poorly on mobile)."""

    def row(cells: Iterable[str], *, bold: bool = False) -> Element:
        columns = []
        for i, cell in enumerate(cells):
            block = text_block(cell, weight="Bolder") if bold else text_block(cell)
            if i > 0:
                block["horizontalAlignment"] = "Right"
            columns.append(
                {"type": "Column", "width": "stretch" if i == 0 else "auto", "items": [block]}
            )
        return {"type": "ColumnSet", "columns": columns}

    items = [row(header, bold=True)] if header is not None else []
    items.extend(row(cells) for cells in rows)
    return {"type": "Container", "items": items}


def buttons_card(text: str, buttons: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Rasa buttons or quick replies: ``{"title", "payload"}`` or ``{"title", "url"}``."""
    actions: list[Element] = []
    for button in buttons:
        title = str(button.get("title") or button.get("payload") or "")
        if button.get("url"):
            actions.append({"type": "Action.OpenUrl", "title": title, "url": str(button["url"])})
        else:
            payload = str(button.get("payload") or title)
            actions.append({"type": "Action.Submit", "title": title, "data": {"payload": payload}})
    return adaptive_card([text_block(text)] if text else [], actions)


def image_card(url: str, text: str = "") -> dict[str, Any]:
    body: list[Element] = [text_block(text)] if text else []
    body.append({"type": "Image", "url": url, "size": "Stretch"})
    return adaptive_card(body)


def money(amount: float, currency: str) -> str:
    symbol = _CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{amount:,.2f}" if symbol else f"{amount:,.2f} {currency}"


def _percent(share: float, digits: int = 0) -> str:
    return f"{share * 100:.{digits}f}%"


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _note(text: str) -> Element:
    return text_block(text, isSubtle=True, size="Small")


def _financing_facts(offer: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    if not offer:
        return []
    return [
        ("Monthly payment", money(float(offer["monthly_payment"]), str(offer["currency"]))),
        ("Term", f"{int(offer['term_months'])} months"),
        ("Representative APR", f"{float(offer['apr_percent']):g}%"),
        ("Total payable", money(float(offer["total_payable"]), str(offer["currency"]))),
    ]


def credit_score_card(data: Mapping[str, Any]) -> dict[str, Any]:
    decision = str(data["decision"])
    body: list[Element] = [
        heading("Credit pre-check"),
        fact_set(
            [
                ("Score", f"{int(data['score'])} / 1000"),
                ("Outcome", _label(decision)),
                *_financing_facts(data.get("financing")),
            ]
        ),
    ]
    if data.get("financing"):
        body.append(text_block(str(data["financing"]["representative_example"])))
    reasons = data["reasons"]
    if reasons:
        body.append(text_block("What lowered the score", weight="Bolder"))
        body.append(
            column_set(
                [(str(r["reason"]), f"-{float(r['points_lost']):.1f} pts") for r in reasons],
            )
        )
    if data["unknown_inputs"]:
        body.append(
            _note("Not answered (counted as neutral): " + ", ".join(data["unknown_inputs"]))
        )
    body.append(_note(str(data["disclaimer"])))
    body.append(_note(f"Model {data['model_version']}; {data['scaling']}"))
    return adaptive_card(body)


def _plan_section(title: str, option: Mapping[str, Any], currency: str) -> list[Element]:
    rows = [
        (
            str(item["name"]),
            f"x {int(item['quantity'])}",
            money(float(item["monthly_cost"]), currency),
        )
        for item in option["line_items"]
    ]
    rows.append(("Total per month", "", money(float(option["monthly_total"]), currency)))
    covers = [
        (_label(dimension), "unlimited" if amount is None else f"{float(amount):g}")
        for dimension, amount in option["covers"].items()
    ]
    return [
        text_block(f"{title}: {option['plan_name']}", weight="Bolder"),
        column_set(rows),
        fact_set(covers),
    ]


def mobile_plan_card(data: Mapping[str, Any]) -> dict[str, Any]:
    currency = str(data["currency"])
    best = data["best"]
    body: list[Element] = [
        heading(f"Your plan: {best['plan_name']}, {money(float(best['monthly_total']), currency)}"),
        *_plan_section("Best option", best, currency),
    ]
    over = data.get("over_budget_by")
    if over:
        body.append(
            text_block(f"{money(float(over), currency)} over your budget.", color="Warning")
        )
    if data.get("runner_up"):
        body.extend(_plan_section("Runner-up", data["runner_up"], currency))
    return adaptive_card(body)


def savings_plan_card(data: Mapping[str, Any]) -> dict[str, Any]:
    body: list[Element] = [
        heading("Your savings plan"),
        fact_set(
            [
                ("Goal", f"{float(data['goal_amount']):,.2f} by {data['target_date']}"),
                ("Monthly contribution", f"{float(data['monthly_contribution']):,.2f}"),
                ("Months", str(int(data["months"]))),
                ("Risk profile", f"{_label(str(data['risk_profile']))} ({data['risk_score']}/8)"),
                ("Expected return", f"{_percent(float(data['expected_annual_return']), 1)} a year"),
                ("Projected value", f"{float(data['projected_value']):,.2f}"),
            ]
        ),
        text_block("Asset mix", weight="Bolder"),
        column_set(
            [(_label(asset), _percent(float(share))) for asset, share in data["allocation"].items()]
        ),
        text_block("How it adds up", weight="Bolder"),
        *(text_block(f"{i}. {step}", spacing="None") for i, step in enumerate(data["steps"], 1)),
    ]
    if data["assumptions"]:
        body.append(_note("Assumptions: " + "; ".join(data["assumptions"])))
    body.append(_note(str(data["disclaimer"])))
    return adaptive_card(body)


def recommendations_card(data: Mapping[str, Any]) -> dict[str, Any]:
    currency = str(data.get("currency") or "GBP")
    items = data["items"]
    body: list[Element] = [heading("Picked for you" if items else "No recommendations yet")]
    if data.get("note"):
        body.append(text_block(str(data["note"])))
    for item in items:
        name = str(item["name"]) + ("" if item.get("fits", True) else " (outside your request)")
        body.append(
            {
                "type": "ColumnSet",
                "separator": True,
                "columns": [
                    {
                        "type": "Column",
                        "width": "stretch",
                        "items": [
                            text_block(name, weight="Bolder"),
                            text_block(str(item["reason"]), isSubtle=True, spacing="None"),
                        ],
                    },
                    {
                        "type": "Column",
                        "width": "auto",
                        "items": [text_block(money(float(item["price"]), currency))],
                    },
                ],
            }
        )
    return adaptive_card(body)


def marketing_copy_card(data: Mapping[str, Any]) -> dict[str, Any]:
    body: list[Element] = [heading(f"Copy for {data['brief']['product']}")]
    for number, variant in enumerate(data["variants"], start=1):
        body.append(text_block(f"**{number}.** {escape_markdown(str(variant['text']))}"))
    return adaptive_card(body)


CARD_RENDERERS: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    "credit_score": credit_score_card,
    "mobile_plan": mobile_plan_card,
    "savings_plan": savings_plan_card,
    "recommendations": recommendations_card,
    "marketing_copy": marketing_copy_card,
}
AGENT_TYPES = frozenset(MESSAGE_TYPES)


def from_card(card: result_cards.Card) -> dict[str, Any]:
    """An Adaptive Card for a channel-neutral card (:mod:`bot.channels.result_cards`)."""
    body: list[Element] = [heading(card.title)]
    if card.note:
        body.append(_note(card.note))
    if card.facts:
        body.append(fact_set(card.facts))
    body.extend(text_block(f"- {escape_markdown(item)}") for item in card.items)
    return adaptive_card(body)


def card_renderer(result_type: str) -> Callable[[Mapping[str, Any]], dict[str, Any]] | None:
    """This channel's own card for ``result_type``, else the shared one, else None."""
    if result_type in CARD_RENDERERS:
        return CARD_RENDERERS[result_type]
    shared = result_cards.CARDS.get(result_type)
    if shared is None:
        return None
    return lambda data: from_card(shared(data))


def agent_text(text: str | None, payload: Mapping[str, Any]) -> str:
    """A human agent's words with the agent's name, so nobody mistakes them for the bot."""
    agent = payload.get("agent")
    name = escape_markdown(str(agent)) if isinstance(agent, str) and agent.strip() else None
    if text:
        return f"**{name}:** {text}" if name else text
    if name:
        return f"{name} from our team has joined the conversation."
    return "You are being connected with a member of our team."


def code_block(payload: Any, *, text: str | None = None) -> Rendered:
    try:
        shown = json.dumps(payload, indent=2, ensure_ascii=False, default=str)
    except ValueError:  # e.g. a circular structure
        shown = repr(payload)
    if len(shown) > MAX_CODE_BLOCK_CHARS:
        shown = shown[:MAX_CODE_BLOCK_CHARS] + "\n..."
    block = f"```json\n{shown.replace('```', '` ` `')}\n```"
    return Rendered(text=f"{text}\n\n{block}" if text else block)


def render_custom(payload: Any, *, text: str | None = None) -> Rendered:
    """A Rasa custom payload (and the text sent with it) as one Teams message; never raises."""
    if not isinstance(payload, Mapping):
        return code_block(payload, text=text)
    kind = payload.get("type")
    if kind in AGENT_TYPES:
        return Rendered(text=agent_text(text, payload))
    renderer = card_renderer(kind) if isinstance(kind, str) else None
    if renderer is None or not is_current(payload):
        return code_block(payload, text=text)
    data = payload.get("data")
    try:
        if not isinstance(data, Mapping):
            raise TypeError("data is not an object")
        return Rendered(text=lead_in(text), attachments=[renderer(without_repeats(data, text))])
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        logger.warning("a %s payload does not match its schema (%s); sent as code", kind, e)
        return code_block(payload, text=text)
