"""Adaptive Cards for Tandem's replies in Teams (pure functions, no I/O).

Buttons become ``Action.Submit`` with ``data: {"payload": ...}``; Teams posts
that ``data`` back as the ``value`` of a message, and the channel turns
``value["payload"]`` into the user's text, so a tap works like typing the
payload. Structured results (``{"type", "schema_version", "data"}``, schemas in
``bot/contract/schemas/``) become cards with FactSets and ColumnSets. A payload
this module cannot render, or one that does not match its schema, becomes a
JSON code block: the customer still sees the facts and nothing crashes. The
cards' labels are in the bot message's language (:mod:`bot.contract.labels`).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.channels import result_cards
from bot.contract.labels import Labels, labels_for
from bot.contract.payloads import MESSAGE_TYPES, is_current, lead_in, without_repeats

logger = logging.getLogger(__name__)

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_VERSION = "1.5"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
MAX_CODE_BLOCK_CHARS = 3000
ENGLISH = labels_for("en")

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


def _financing_facts(offer: Mapping[str, Any] | None, labels: Labels) -> list[tuple[str, str]]:
    if not offer:
        return []
    currency = str(offer["currency"])
    return [
        (
            labels("common.credit_score.monthly_payment"),
            money(float(offer["monthly_payment"]), currency),
        ),
        (
            labels("common.credit_score.term"),
            labels("common.credit_score.term_months", months=int(offer["term_months"])),
        ),
        (labels("common.credit_score.apr"), f"{float(offer['apr_percent']):g}%"),
        (
            labels("common.credit_score.total_payable"),
            money(float(offer["total_payable"]), currency),
        ),
    ]


def credit_score_card(data: Mapping[str, Any], labels: Labels = ENGLISH) -> dict[str, Any]:
    decision = str(data["decision"])
    body: list[Element] = [
        heading(labels("common.credit_score.title")),
        fact_set(
            [
                (labels("teams.credit_score.score"), f"{int(data['score'])} / 1000"),
                (
                    labels("teams.credit_score.outcome"),
                    labels.get(f"teams.credit_score.decision.{decision}", _label(decision)),
                ),
                *_financing_facts(data.get("financing"), labels),
            ]
        ),
    ]
    if data.get("financing"):
        body.append(text_block(str(data["financing"]["representative_example"])))
    reasons = data["reasons"]
    if reasons:
        body.append(text_block(labels("common.credit_score.lowered"), weight="Bolder"))
        body.append(
            column_set(
                [
                    (
                        str(r["reason"]),
                        labels(
                            "teams.credit_score.points_lost",
                            points=f"{float(r['points_lost']):.1f}",
                        ),
                    )
                    for r in reasons
                ],
            )
        )
    if data["unknown_inputs"]:
        unknown = ", ".join(data["unknown_inputs"])
        body.append(_note(labels("teams.credit_score.unknown", inputs=unknown)))
    body.append(_note(str(data["disclaimer"])))
    body.append(
        _note(
            labels(
                "teams.credit_score.model", version=data["model_version"], scaling=data["scaling"]
            )
        )
    )
    return adaptive_card(body)


def _plan_section(
    title: str, option: Mapping[str, Any], currency: str, labels: Labels
) -> list[Element]:
    rows = [
        (
            str(item["name"]),
            f"x {int(item['quantity'])}",
            money(float(item["monthly_cost"]), currency),
        )
        for item in option["line_items"]
    ]
    rows.append(
        (labels("teams.mobile_plan.total"), "", money(float(option["monthly_total"]), currency))
    )
    covers = [
        (
            labels.get(f"teams.mobile_plan.cover.{dimension}", _label(dimension)),
            labels("teams.mobile_plan.unlimited") if amount is None else f"{float(amount):g}",
        )
        for dimension, amount in option["covers"].items()
    ]
    return [
        text_block(
            labels("teams.mobile_plan.section", title=title, name=option["plan_name"]),
            weight="Bolder",
        ),
        column_set(rows),
        fact_set(covers),
    ]


def mobile_plan_card(data: Mapping[str, Any], labels: Labels = ENGLISH) -> dict[str, Any]:
    currency = str(data["currency"])
    best = data["best"]
    price = money(float(best["monthly_total"]), currency)
    body: list[Element] = [
        heading(labels("teams.mobile_plan.title", name=best["plan_name"], price=price)),
        *_plan_section(labels("teams.mobile_plan.best_option"), best, currency, labels),
    ]
    over = data.get("over_budget_by")
    if over:
        body.append(
            text_block(
                labels("teams.mobile_plan.over_budget", amount=money(float(over), currency)),
                color="Warning",
            )
        )
    if data.get("runner_up"):
        runner_up = labels("common.mobile_plan.runner_up")
        body.extend(_plan_section(runner_up, data["runner_up"], currency, labels))
    return adaptive_card(body)


def savings_plan_card(data: Mapping[str, Any], labels: Labels = ENGLISH) -> dict[str, Any]:
    savings = "common.savings_plan"
    risk = str(data["risk_profile"])
    profile = labels.get(f"common.risk_profile.{risk}", risk).capitalize()
    body: list[Element] = [
        heading(labels("teams.savings_plan.title")),
        fact_set(
            [
                (
                    labels(f"{savings}.goal"),
                    labels(
                        f"{savings}.goal_by",
                        amount=f"{float(data['goal_amount']):,.2f}",
                        date=data["target_date"],
                    ),
                ),
                (
                    labels(f"{savings}.monthly_contribution"),
                    f"{float(data['monthly_contribution']):,.2f}",
                ),
                (labels(f"{savings}.months"), str(int(data["months"]))),
                (
                    labels("teams.savings_plan.risk_profile"),
                    labels(
                        "teams.savings_plan.risk_profile_value",
                        profile=profile,
                        score=data["risk_score"],
                    ),
                ),
                (
                    labels(f"{savings}.expected_return"),
                    labels(
                        f"{savings}.per_year",
                        rate=_percent(float(data["expected_annual_return"]), 1),
                    ),
                ),
                (labels(f"{savings}.projected_value"), f"{float(data['projected_value']):,.2f}"),
            ]
        ),
        text_block(labels(f"{savings}.asset_mix"), weight="Bolder"),
        column_set(
            [
                (labels.get(f"common.asset.{asset}", asset).capitalize(), _percent(float(share)))
                for asset, share in data["allocation"].items()
            ]
        ),
        text_block(labels("teams.savings_plan.worked_out"), weight="Bolder"),
        *(text_block(f"{i}. {step}", spacing="None") for i, step in enumerate(data["steps"], 1)),
    ]
    if data["assumptions"]:
        assumed = "; ".join(data["assumptions"])
        body.append(_note(labels(f"{savings}.assumptions", assumptions=assumed)))
    body.append(_note(str(data["disclaimer"])))
    return adaptive_card(body)


def recommendations_card(data: Mapping[str, Any], labels: Labels = ENGLISH) -> dict[str, Any]:
    currency = str(data.get("currency") or "GBP")
    items = data["items"]
    title = "teams.recommendations.title" if items else "teams.recommendations.empty"
    body: list[Element] = [heading(labels(title))]
    if data.get("note"):
        body.append(text_block(str(data["note"])))
    for item in items:
        outside = "" if item.get("fits", True) else labels("common.recommendations.outside")
        name = str(item["name"]) + outside
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


def marketing_copy_card(data: Mapping[str, Any], labels: Labels = ENGLISH) -> dict[str, Any]:
    title = labels("common.marketing_copy.title", product=data["brief"]["product"])
    body: list[Element] = [heading(title)]
    for number, variant in enumerate(data["variants"], start=1):
        body.append(text_block(f"**{number}.** {escape_markdown(str(variant['text']))}"))
    return adaptive_card(body)


TeamsCard = Callable[[Mapping[str, Any], Labels], dict[str, Any]]
CARD_RENDERERS: dict[str, TeamsCard] = {
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


def card_renderer(result_type: str) -> TeamsCard | None:
    """This channel's own card for ``result_type``, else the shared one, else None."""
    if result_type in CARD_RENDERERS:
        return CARD_RENDERERS[result_type]
    shared = result_cards.CARDS.get(result_type)
    if shared is None:
        return None
    return lambda data, labels: from_card(shared(data))


def agent_text(text: str | None, payload: Mapping[str, Any], labels: Labels = ENGLISH) -> str:
    """A human agent's words with the agent's name, so nobody mistakes them for the bot."""
    agent = payload.get("agent")
    name = escape_markdown(str(agent)) if isinstance(agent, str) and agent.strip() else None
    if text:
        return f"**{name}:** {text}" if name else text
    if name:
        return labels("teams.agent_joined", name=name)
    return labels("teams.connecting")


def code_block(payload: Any, *, text: str | None = None) -> Rendered:
    try:
        shown = json.dumps(payload, indent=2, ensure_ascii=False, default=str)
    except ValueError:  # e.g. a circular structure
        shown = repr(payload)
    if len(shown) > MAX_CODE_BLOCK_CHARS:
        shown = shown[:MAX_CODE_BLOCK_CHARS] + "\n..."
    block = f"```json\n{shown.replace('```', '` ` `')}\n```"
    return Rendered(text=f"{text}\n\n{block}" if text else block)


def render_custom(
    payload: Any, *, text: str | None = None, language: str | None = None
) -> Rendered:
    """A Rasa custom payload (and the text sent with it) as one Teams message; never raises.

    ``language`` is the bot message's (:func:`bot.contract.labels.message_language`):
    the card's labels are in it, English when it is None or has no labels.
    """
    labels = labels_for(language)
    if not isinstance(payload, Mapping):
        return code_block(payload, text=text)
    kind = payload.get("type")
    if kind in AGENT_TYPES:
        return Rendered(text=agent_text(text, payload, labels))
    renderer = card_renderer(kind) if isinstance(kind, str) else None
    if renderer is None or not is_current(payload):
        return code_block(payload, text=text)
    data = payload.get("data")
    try:
        if not isinstance(data, Mapping):
            raise TypeError("data is not an object")
        card = renderer(without_repeats(data, text), labels)
        return Rendered(text=lead_in(text), attachments=[card])
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        logger.warning("a %s payload does not match its schema (%s); sent as code", kind, e)
        return code_block(payload, text=text)
