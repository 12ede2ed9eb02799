"""Render Rasa bot messages as Slack Block Kit.

A Rasa message (``text``, ``buttons``/``quick_replies``, ``image``, ``custom``)
becomes one Slack message: a ``text`` fallback that notifications and screen
readers use, plus ``blocks``. Structured results (the ``{"type",
"schema_version", "data"}`` envelope of :mod:`bot.contract.payloads`) become
cards; a card comes with its one-line lead-in, and a multi-line summary is
dropped because the card carries the same facts (:func:`bot.contract.payloads.lead_in`).
Messages of the human handoff get a context line naming who speaks. Anything
unknown is shown as a JSON code block rather than dropped, and every Block Kit
limit is respected here so that Slack never refuses a reply with
``invalid_blocks``.

Pure functions only: no network, no Rasa, so each rule is unit-testable.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.channels import result_cards
from bot.contract.payloads import AGENT_MESSAGE, HANDOFF, is_current, lead_in, without_repeats

logger = logging.getLogger(__name__)

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTIONS_ELEMENTS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_FALLBACK_TEXT = 4000
ACTION_ID_PREFIX = "tandem_button_"

_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}
_DECISIONS = {
    "pre_approved": ":white_check_mark: Pre-approved",
    "review": ":mag: Needs a closer look",
    "declined": ":x: Not approved this time",
}


@dataclass(frozen=True)
class SlackMessage:
    """What ``chat.postMessage`` receives besides the channel."""

    text: str
    blocks: list[dict[str, Any]]


def escape(text: str) -> str:
    """Slack's three control characters; everything else is shown as written."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _mrkdwn(_cut(text, MAX_SECTION_TEXT))}


def context(*texts: str) -> dict[str, Any]:
    return {
        "type": "context",
        "elements": [_mrkdwn(_cut(t, MAX_SECTION_TEXT)) for t in texts[:MAX_CONTEXT_ELEMENTS]],
    }


def header(text: str) -> dict[str, Any]:
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": _cut(text, MAX_HEADER_TEXT), "emoji": True},
    }


def fields(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    return {
        "type": "section",
        "fields": [
            _mrkdwn(_cut(f"*{escape(k)}*\n{escape(v)}", MAX_FIELD_TEXT))
            for k, v in list(pairs)[:MAX_FIELDS]
        ],
    }


def text_blocks(text: str) -> list[dict[str, Any]]:
    """Escaped mrkdwn sections, split at line ends so none exceeds Slack's 3,000 chars."""
    pieces: list[str] = []
    for line in text.split("\n"):
        # 600 raw characters escape to at most 3,000 ("&" -> "&amp;")
        pieces += [line[i : i + 600] for i in range(0, len(line), 600)] or [""]
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current}\n{escape(piece)}" if current else escape(piece)
        if len(candidate) > MAX_SECTION_TEXT:
            chunks.append(current)
            candidate = escape(piece)
        current = candidate
    chunks.append(current)
    return [section(chunk) for chunk in chunks if chunk.strip()]


def button_blocks(buttons: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``actions`` blocks of at most 25 buttons; ``value`` is the Rasa payload."""
    elements: list[dict[str, Any]] = []
    for button in buttons:
        title = str(button.get("title") or button.get("payload") or "")
        index = len(elements)
        element: dict[str, Any] = {
            "type": "button",
            "text": {"type": "plain_text", "text": _cut(title, MAX_BUTTON_TEXT), "emoji": True},
            "action_id": f"{ACTION_ID_PREFIX}{index}",
        }
        if button.get("url"):
            element["url"] = str(button["url"])
        else:
            value = str(button.get("payload") or title)
            if not title or len(value) > MAX_BUTTON_VALUE:
                logger.warning(
                    "dropped a button Slack cannot carry (empty title or a payload over %d "
                    "characters): %.80r",
                    MAX_BUTTON_VALUE,
                    value,
                )
                continue
            element["value"] = value
        elements.append(element)
    return [
        {
            "type": "actions",
            "block_id": f"tandem_actions_{i // MAX_ACTIONS_ELEMENTS}",
            "elements": elements[i : i + MAX_ACTIONS_ELEMENTS],
        }
        for i in range(0, len(elements), MAX_ACTIONS_ELEMENTS)
    ]


def json_block(value: Any) -> dict[str, Any]:
    """Any JSON as a code block: the last resort that never loses a message."""
    dumped = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return section(f"```{_cut(escape(dumped), MAX_SECTION_TEXT - 6)}```")


def money(amount: float, currency: str | None = None) -> str:
    number = f"{float(amount):,.2f}"
    if currency is None:
        return number
    symbol = _SYMBOLS.get(currency)
    return f"{symbol}{number}" if symbol else f"{number} {currency}"


def _amount(value: Any, unit: str) -> str:
    if value is None:
        return f"unlimited {unit}"
    return f"{float(value):g} {unit}"


def _covers(covers: Mapping[str, Any]) -> str:
    units = {"data_gb": "GB data", "minutes": "minutes", "roaming_days": "roaming days"}
    return " · ".join(_amount(v, units.get(k, k.replace("_", " "))) for k, v in covers.items())


def credit_score_card(data: Mapping[str, Any]) -> tuple[list[dict[str, Any]], str]:
    decision = _DECISIONS.get(data["decision"], str(data["decision"]))
    blocks = [
        header("Credit pre-check"),
        fields(
            [
                ("Indicative score", f"{int(data['score'])} / 1000"),
                ("Result", decision),
            ]
        ),
    ]
    if offer := data.get("financing"):
        blocks.append(
            fields(
                [
                    (
                        "Monthly payment",
                        money(float(offer["monthly_payment"]), str(offer["currency"])),
                    ),
                    ("Term", f"{int(offer['term_months'])} months"),
                    ("Representative APR", f"{float(offer['apr_percent']):g}%"),
                    ("Total payable", money(float(offer["total_payable"]), str(offer["currency"]))),
                ]
            )
        )
        blocks.append(section(escape(str(offer["representative_example"]))))
    if data["reasons"]:
        lines = [
            f"• {escape(r['reason'])} (-{float(r['points_lost']):g} points)"
            for r in data["reasons"]
        ]
        blocks.append(section("*What lowered the score*\n" + "\n".join(lines)))
    if data["unknown_inputs"]:
        unknown = ", ".join(data["unknown_inputs"])
        blocks.append(context(escape(f"Answered with “I don't know”: {unknown}.")))
    blocks.append(context(escape(data["disclaimer"]), escape(f"Model {data['model_version']}")))
    summary = f"Credit pre-check: score {int(data['score'])} / 1000, {decision.split(' ', 1)[1]}"
    return blocks, summary


def mobile_plan_card(data: Mapping[str, Any]) -> tuple[list[dict[str, Any]], str]:
    currency, best, usage = data["currency"], data["best"], data["usage"]
    total = money(best["monthly_total"], currency)
    facts = [("Monthly total", total)]
    if usage.get("budget") is not None:
        facts.append(("Your budget", money(usage["budget"], currency)))
    if data.get("over_budget_by"):
        facts.append(("Over budget by", money(data["over_budget_by"], currency)))
    items = [
        f"• {escape(i['name'])} x {int(i['quantity'])}: {money(i['monthly_cost'], currency)}"
        for i in best["line_items"]
    ]
    blocks = [
        header(f"Mobile plan: {best['plan_name']}"),
        fields(facts),
        section("*What you pay each month*\n" + "\n".join(items)),
        section(f"*Covers* {escape(_covers(best['covers']))}"),
    ]
    runner_up = data.get("runner_up")
    if runner_up:
        blocks.append(
            section(
                f"*Runner-up* {escape(runner_up['plan_name'])}: "
                f"{money(runner_up['monthly_total'], currency)} a month "
                f"({escape(_covers(runner_up['covers']))})"
            )
        )
    wanted = _covers({k: usage.get(k, 0) for k in ("data_gb", "minutes", "roaming_days")})
    blocks.append(context(escape(f"Based on {wanted} a month.")))
    return blocks, f"Mobile plan: {best['plan_name']}, {total} a month"


def savings_plan_card(data: Mapping[str, Any]) -> tuple[list[dict[str, Any]], str]:
    profile = str(data["risk_profile"]).capitalize()
    contribution = money(data["monthly_contribution"])
    blocks = [
        header(f"Savings plan: {profile}"),
        fields(
            [
                ("Goal", f"{money(data['goal_amount'])} by {data['target_date']}"),
                ("Monthly contribution", contribution),
                ("Projected value", money(data["projected_value"])),
                ("Expected return", f"{float(data['expected_annual_return']):.1%} a year"),
                ("Current savings", money(data["current_savings"])),
                ("Risk score", f"{int(data['risk_score'])} / 8 over {int(data['months'])} months"),
            ]
        ),
        section(
            "*Asset mix* "
            + " · ".join(f"{escape(k)} {float(v):.0%}" for k, v in data["allocation"].items())
        ),
        section(
            "*How it is worked out*\n"
            + "\n".join(f"{n}. {escape(s)}" for n, s in enumerate(data["steps"], 1))
        ),
    ]
    if data["assumptions"]:
        blocks.append(context(escape("Assumptions: " + "; ".join(data["assumptions"]))))
    blocks.append(context(escape(data["disclaimer"])))
    return blocks, f"Savings plan ({data['risk_profile']}): {contribution} a month"


def recommendations_card(data: Mapping[str, Any]) -> tuple[list[dict[str, Any]], str]:
    currency = data.get("currency") or "GBP"
    blocks: list[dict[str, Any]] = [header("Recommended for you")]
    if data.get("note"):
        blocks.append(section(escape(data["note"])))
    for item in data["items"][:10]:
        outside = "" if item.get("fits", True) else " _(outside your request)_"
        blocks.append(
            section(
                f"*{escape(item['name'])}*{outside} · {money(item['price'], currency)}\n"
                f"{escape(item['reason'])}"
            )
        )
    if not data["items"]:
        blocks.append(section("Nothing to recommend right now."))
    names = ", ".join(str(i["name"]) for i in data["items"][:3])
    return blocks, f"Recommended for you: {names}" if names else "No recommendations"


def marketing_copy_card(data: Mapping[str, Any]) -> tuple[list[dict[str, Any]], str]:
    product = str(data["brief"]["product"])
    blocks = [header(f"Copy for {product}")]
    for number, variant in enumerate(data["variants"], start=1):
        blocks.append(section(f"*{number}.* {escape(str(variant['text']))}"))
    return blocks, f"{len(data['variants'])} versions of copy for {product}"


CARDS: dict[str, Callable[[Mapping[str, Any]], tuple[list[dict[str, Any]], str]]] = {
    "credit_score": credit_score_card,
    "mobile_plan": mobile_plan_card,
    "savings_plan": savings_plan_card,
    "recommendations": recommendations_card,
    "marketing_copy": marketing_copy_card,
}


def from_card(card: result_cards.Card) -> tuple[list[dict[str, Any]], str]:
    """Block Kit for a channel-neutral card (:mod:`bot.channels.result_cards`)."""
    blocks = [header(card.title)]
    if card.note:
        blocks.append(section(escape(card.note)))
    if card.facts:
        blocks.append(fields(card.facts))
    blocks.extend(section(f"• {escape(item)}") for item in card.items)
    return blocks, card.summary


def card_renderer(
    result_type: str,
) -> Callable[[Mapping[str, Any]], tuple[list[dict[str, Any]], str]] | None:
    """This channel's own card for ``result_type``, else the shared one, else None."""
    if result_type in CARDS:
        return CARDS[result_type]
    shared = result_cards.CARDS.get(result_type)
    if shared is None:
        return None
    return lambda data: from_card(shared(data))


@dataclass(frozen=True)
class _Custom:
    """How a custom payload shows: context lines above the text, a card or JSON below."""

    lead: list[dict[str, Any]]
    blocks: list[dict[str, Any]]
    is_card: bool
    label: str


def speaker(custom: Mapping[str, Any], *, team_label: str) -> tuple[str, str] | None:
    """``(context line, plain label)`` of a handoff message; ``None`` for other payloads.

    A person's messages and their arrival name the person and the team, so the
    customer always knows whether a human or the bot is talking.
    """
    kind, state, agent = custom.get("type"), custom.get("state"), custom.get("agent")
    team = str(custom.get("team") or team_label)
    who = str(agent or "A colleague")
    if kind == AGENT_MESSAGE or (kind == HANDOFF and state == "agent"):
        return f":bust_in_silhouette: *{escape(who)}* ({escape(team)})", f"{who} ({team})"
    if kind != HANDOFF:
        return None
    if state == "waiting":
        label = "Waiting for a colleague"
        position = custom.get("position")
        if isinstance(position, int) and not isinstance(position, bool) and position > 0:
            label += f" (you are number {position} in the queue)"
        return f":hourglass_flowing_sand: {label}", label
    if state == "bot":
        return ":robot_face: You are back with the assistant", "You are back with the assistant"
    return None


def custom_part(custom: Any, *, team_label: str, text: str | None = None) -> _Custom:
    if isinstance(custom, Mapping):
        spoken = speaker(custom, team_label=team_label)
        if spoken is not None:
            return _Custom([context(spoken[0])], [], is_card=False, label=spoken[1])
        card = card_renderer(str(custom.get("type")))
        data = custom.get("data")
        if card and is_current(custom) and isinstance(data, Mapping):
            try:
                blocks, summary = card(without_repeats(data, text))
            except (KeyError, TypeError, ValueError, AttributeError) as e:
                logger.warning(
                    "a %s payload does not match its schema (%r); sent as JSON instead",
                    custom.get("type"),
                    e,
                )
            else:
                return _Custom([], blocks, is_card=True, label=summary)
    return _Custom([], [json_block(custom)], is_card=False, label="(structured message)")


def render(message: Mapping[str, Any], *, team_label: str) -> SlackMessage | None:
    """One Slack message for one Rasa bot message; ``None`` when there is nothing to show.

    ``text`` is always set: Slack shows it in notifications and to clients
    without Block Kit.
    """
    raw = message.get("text")
    text = "" if raw is None else str(raw)
    has_text = bool(text.strip())
    body = text_blocks(text)
    fallback = text
    if message.get("custom"):
        part = custom_part(message["custom"], team_label=team_label, text=text)
        shown = text_blocks(lead_in(text)) if part.is_card else body
        body = part.lead + shown + part.blocks
        if part.lead:
            speaks = message["custom"].get("type") == AGENT_MESSAGE
            fallback = (f"{part.label}: {text}" if speaks else text) if has_text else part.label
        elif not has_text:
            fallback = part.label
    image = message.get("image")
    if image:
        body.append({"type": "image", "image_url": str(image), "alt_text": str(image)[:2000]})
        fallback = fallback if fallback.strip() else str(image)
    if message.get("attachment"):
        body += text_blocks(f"Attachment: {message['attachment']}")
    for element in message.get("elements") or []:
        if isinstance(element, Mapping):
            body += text_blocks(f"{element.get('title', '')}: {element.get('subtitle', '')}")
            body += button_blocks(element.get("buttons") or [])
    actions = button_blocks(message.get("buttons") or message.get("quick_replies") or [])
    blocks = _fit(body, actions)
    if not blocks:
        return None
    if not fallback.strip():
        fallback = "(choose an option)" if actions else "(message)"
    return SlackMessage(text=_cut(escape(fallback), MAX_FALLBACK_TEXT), blocks=blocks)


def _fit(content: list[dict[str, Any]], actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """At most 50 blocks, the buttons kept, and ids unique across the message, as Slack wants."""
    actions = actions[: MAX_BLOCKS - 1]
    room = MAX_BLOCKS - len(actions)
    if len(content) > room:
        content = [*content[: room - 1], context("_(shortened: the full message was too long)_")]
    blocks = content + actions
    buttons = 0
    for number, block in enumerate(b for b in blocks if b["type"] == "actions"):
        block["block_id"] = f"tandem_actions_{number}"
        for element in block["elements"]:
            element["action_id"] = f"{ACTION_ID_PREFIX}{buttons}"
            buttons += 1
    return blocks


def mark_chosen(
    blocks: list[dict[str, Any]], *, block_id: str | None, user_id: str, title: str
) -> list[dict[str, Any]]:
    """The clicked message with its buttons replaced by who chose what, for ``chat.update``."""
    chosen = context(f"<@{user_id}> chose *{escape(title)}*")
    kept = [b for b in blocks if not (b.get("type") == "actions" and b.get("block_id") == block_id)]
    if len(kept) == len(blocks):
        kept = [b for b in blocks if b.get("type") != "actions"]
    return [*kept, chosen][-MAX_BLOCKS:]
