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

Cards, handoff lines and the channel's own words are in the bot message's
language (``message["language"]``, which the engine sets), from
``bot/contract/locales`` (:mod:`bot.contract.labels`); English by default.

Pure functions only: no network, no Rasa, so each rule is unit-testable.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.channels import result_cards
from bot.contract.labels import Labels, labels_for, message_language
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
ENGLISH = labels_for("en")
ACTION_ID_PREFIX = "tandem_button_"

_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}
_DECISION_EMOJI = {
    "pre_approved": ":white_check_mark:",
    "review": ":mag:",
    "declined": ":x:",
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


def _covers(covers: Mapping[str, Any], labels: Labels) -> str:
    shown = []
    for key, value in covers.items():
        unit = labels.get(f"slack.mobile_plan.unit.{key}", key.replace("_", " "))
        if value is None:
            shown.append(labels("slack.mobile_plan.unlimited", unit=unit))
        else:
            shown.append(labels("slack.mobile_plan.amount", amount=f"{float(value):g}", unit=unit))
    return " · ".join(shown)


def _decision(data: Mapping[str, Any], labels: Labels) -> tuple[str, str]:
    """``(with its emoji, plain)`` wording of a credit decision."""
    decision = str(data["decision"])
    plain = labels.get(f"slack.credit_score.decision.{decision}", decision)
    emoji = _DECISION_EMOJI.get(decision)
    return (f"{emoji} {plain}" if emoji else plain), plain


def credit_score_card(
    data: Mapping[str, Any], labels: Labels = ENGLISH
) -> tuple[list[dict[str, Any]], str]:
    decision, plain = _decision(data, labels)
    blocks = [
        header(labels("common.credit_score.title")),
        fields(
            [
                (labels("slack.credit_score.score"), f"{int(data['score'])} / 1000"),
                (labels("slack.credit_score.result"), decision),
            ]
        ),
    ]
    if offer := data.get("financing"):
        currency = str(offer["currency"])
        blocks.append(
            fields(
                [
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
            )
        )
        blocks.append(section(escape(str(offer["representative_example"]))))
    if data["reasons"]:
        lines = [
            "• "
            + escape(
                labels(
                    "slack.credit_score.points_lost",
                    reason=r["reason"],
                    points=f"{float(r['points_lost']):g}",
                )
            )
            for r in data["reasons"]
        ]
        blocks.append(section(f"*{labels('common.credit_score.lowered')}*\n" + "\n".join(lines)))
    if data["unknown_inputs"]:
        unknown = ", ".join(data["unknown_inputs"])
        blocks.append(context(escape(labels("slack.credit_score.unknown", inputs=unknown))))
    blocks.append(
        context(
            escape(data["disclaimer"]),
            escape(labels("slack.credit_score.model", version=data["model_version"])),
        )
    )
    summary = labels("slack.credit_score.summary", score=int(data["score"]), decision=plain)
    return blocks, summary


def mobile_plan_card(
    data: Mapping[str, Any], labels: Labels = ENGLISH
) -> tuple[list[dict[str, Any]], str]:
    currency, best, usage = data["currency"], data["best"], data["usage"]
    total = money(best["monthly_total"], currency)
    facts = [(labels("slack.mobile_plan.monthly_total"), total)]
    if usage.get("budget") is not None:
        facts.append((labels("slack.mobile_plan.budget"), money(usage["budget"], currency)))
    if data.get("over_budget_by"):
        facts.append(
            (labels("slack.mobile_plan.over_budget_by"), money(data["over_budget_by"], currency))
        )
    items = [
        f"• {escape(i['name'])} x {int(i['quantity'])}: {money(i['monthly_cost'], currency)}"
        for i in best["line_items"]
    ]
    covers = escape(_covers(best["covers"], labels))
    blocks = [
        header(labels("slack.mobile_plan.title", name=best["plan_name"])),
        fields(facts),
        section(f"*{labels('slack.mobile_plan.each_month')}*\n" + "\n".join(items)),
        section(f"*{labels('slack.mobile_plan.covers')}* {covers}"),
    ]
    runner_up = data.get("runner_up")
    if runner_up:
        line = labels(
            "slack.mobile_plan.runner_up_line",
            name=escape(runner_up["plan_name"]),
            price=money(runner_up["monthly_total"], currency),
            covers=escape(_covers(runner_up["covers"], labels)),
        )
        blocks.append(section(f"*{labels('common.mobile_plan.runner_up')}* {line}"))
    wanted = _covers({k: usage.get(k, 0) for k in ("data_gb", "minutes", "roaming_days")}, labels)
    blocks.append(context(escape(labels("slack.mobile_plan.based_on", usage=wanted))))
    return blocks, labels("slack.mobile_plan.summary", name=best["plan_name"], total=total)


def savings_plan_card(
    data: Mapping[str, Any], labels: Labels = ENGLISH
) -> tuple[list[dict[str, Any]], str]:
    risk = str(data["risk_profile"])
    profile = labels.get(f"common.risk_profile.{risk}", risk).capitalize()
    contribution = money(data["monthly_contribution"])
    savings = "common.savings_plan"
    mix = " · ".join(
        f"{escape(labels.get(f'common.asset.{k}', k))} {float(v):.0%}"
        for k, v in data["allocation"].items()
    )
    blocks = [
        header(labels("slack.savings_plan.title", profile=profile)),
        fields(
            [
                (
                    labels(f"{savings}.goal"),
                    labels(
                        f"{savings}.goal_by",
                        amount=money(data["goal_amount"]),
                        date=data["target_date"],
                    ),
                ),
                (labels(f"{savings}.monthly_contribution"), contribution),
                (labels(f"{savings}.projected_value"), money(data["projected_value"])),
                (
                    labels(f"{savings}.expected_return"),
                    labels(
                        f"{savings}.per_year", rate=f"{float(data['expected_annual_return']):.1%}"
                    ),
                ),
                (labels("slack.savings_plan.current_savings"), money(data["current_savings"])),
                (
                    labels("slack.savings_plan.risk_score"),
                    labels(
                        "slack.savings_plan.risk_score_value",
                        score=int(data["risk_score"]),
                        months=int(data["months"]),
                    ),
                ),
            ]
        ),
        section(f"*{labels(f'{savings}.asset_mix')}* {mix}"),
        section(
            f"*{labels('slack.savings_plan.worked_out')}*\n"
            + "\n".join(f"{n}. {escape(s)}" for n, s in enumerate(data["steps"], 1))
        ),
    ]
    if data["assumptions"]:
        assumed = labels(f"{savings}.assumptions", assumptions="; ".join(data["assumptions"]))
        blocks.append(context(escape(assumed)))
    blocks.append(context(escape(data["disclaimer"])))
    shown = labels.get(f"common.risk_profile.{risk}", risk)
    return blocks, labels("slack.savings_plan.summary", profile=shown, amount=contribution)


def recommendations_card(
    data: Mapping[str, Any], labels: Labels = ENGLISH
) -> tuple[list[dict[str, Any]], str]:
    currency = data.get("currency") or "GBP"
    blocks: list[dict[str, Any]] = [header(labels("slack.recommendations.title"))]
    if data.get("note"):
        blocks.append(section(escape(data["note"])))
    for item in data["items"][:10]:
        outside = "" if item.get("fits", True) else labels("slack.recommendations.outside")
        blocks.append(
            section(
                f"*{escape(item['name'])}*{outside} · {money(item['price'], currency)}\n"
                f"{escape(item['reason'])}"
            )
        )
    if not data["items"]:
        blocks.append(section(labels("slack.recommendations.nothing")))
    names = ", ".join(str(i["name"]) for i in data["items"][:3])
    summary = (
        labels("slack.recommendations.summary", names=names)
        if names
        else labels("slack.recommendations.none")
    )
    return blocks, summary


def marketing_copy_card(
    data: Mapping[str, Any], labels: Labels = ENGLISH
) -> tuple[list[dict[str, Any]], str]:
    product = str(data["brief"]["product"])
    blocks = [header(labels("common.marketing_copy.title", product=product))]
    for number, variant in enumerate(data["variants"], start=1):
        blocks.append(section(f"*{number}.* {escape(str(variant['text']))}"))
    count = len(data["variants"])
    return blocks, labels("slack.marketing_copy.summary", count=count, product=product)


SlackCard = Callable[[Mapping[str, Any], Labels], tuple[list[dict[str, Any]], str]]
CARDS: dict[str, SlackCard] = {
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


def card_renderer(result_type: str) -> SlackCard | None:
    """This channel's own card for ``result_type``, else the shared one, else None."""
    if result_type in CARDS:
        return CARDS[result_type]
    shared = result_cards.CARDS.get(result_type)
    if shared is None:
        return None
    return lambda data, labels: from_card(shared(data))


@dataclass(frozen=True)
class _Custom:
    """How a custom payload shows: context lines above the text, a card or JSON below."""

    lead: list[dict[str, Any]]
    blocks: list[dict[str, Any]]
    is_card: bool
    label: str


def speaker(
    custom: Mapping[str, Any], *, team_label: str, labels: Labels = ENGLISH
) -> tuple[str, str] | None:
    """``(context line, plain label)`` of a handoff message; ``None`` for other payloads.

    A person's messages and their arrival name the person and the team, so the
    customer always knows whether a human or the bot is talking.
    """
    kind, state, agent = custom.get("type"), custom.get("state"), custom.get("agent")
    team = str(custom.get("team") or team_label)
    who = str(agent or labels("slack.colleague"))
    if kind == AGENT_MESSAGE or (kind == HANDOFF and state == "agent"):
        return f":bust_in_silhouette: *{escape(who)}* ({escape(team)})", f"{who} ({team})"
    if kind != HANDOFF:
        return None
    if state == "waiting":
        label = labels("slack.waiting")
        position = custom.get("position")
        if isinstance(position, int) and not isinstance(position, bool) and position > 0:
            label += labels("slack.queue_position", position=position)
        return f":hourglass_flowing_sand: {label}", label
    if state == "bot":
        back = labels("slack.back")
        return f":robot_face: {back}", back
    return None


def custom_part(
    custom: Any, *, team_label: str, text: str | None = None, labels: Labels = ENGLISH
) -> _Custom:
    if isinstance(custom, Mapping):
        spoken = speaker(custom, team_label=team_label, labels=labels)
        if spoken is not None:
            return _Custom([context(spoken[0])], [], is_card=False, label=spoken[1])
        card = card_renderer(str(custom.get("type")))
        data = custom.get("data")
        if card and is_current(custom) and isinstance(data, Mapping):
            try:
                blocks, summary = card(without_repeats(data, text), labels)
            except (KeyError, TypeError, ValueError, AttributeError) as e:
                logger.warning(
                    "a %s payload does not match its schema (%r); sent as JSON instead",
                    custom.get("type"),
                    e,
                )
            else:
                return _Custom([], blocks, is_card=True, label=summary)
    return _Custom([], [json_block(custom)], is_card=False, label=labels("slack.structured"))


def render(message: Mapping[str, Any], *, team_label: str) -> SlackMessage | None:
    """One Slack message for one Rasa bot message; ``None`` when there is nothing to show.

    ``text`` is always set: Slack shows it in notifications and to clients
    without Block Kit. The labels are in the message's language
    (:func:`bot.contract.labels.message_language`).
    """
    labels = labels_for(message_language(message))
    raw = message.get("text")
    text = "" if raw is None else str(raw)
    has_text = bool(text.strip())
    body = text_blocks(text)
    fallback = text
    if message.get("custom"):
        part = custom_part(message["custom"], team_label=team_label, text=text, labels=labels)
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
        body += text_blocks(labels("slack.attachment", attachment=message["attachment"]))
    for element in message.get("elements") or []:
        if isinstance(element, Mapping):
            body += text_blocks(f"{element.get('title', '')}: {element.get('subtitle', '')}")
            body += button_blocks(element.get("buttons") or [])
    actions = button_blocks(message.get("buttons") or message.get("quick_replies") or [])
    blocks = _fit(body, actions, shortened=labels("slack.shortened"))
    if not blocks:
        return None
    if not fallback.strip():
        fallback = labels("slack.choose") if actions else labels("slack.message")
    return SlackMessage(text=_cut(escape(fallback), MAX_FALLBACK_TEXT), blocks=blocks)


def _fit(
    content: list[dict[str, Any]],
    actions: list[dict[str, Any]],
    *,
    shortened: str = ENGLISH("slack.shortened"),
) -> list[dict[str, Any]]:
    """At most 50 blocks, the buttons kept, and ids unique across the message, as Slack wants."""
    actions = actions[: MAX_BLOCKS - 1]
    room = MAX_BLOCKS - len(actions)
    if len(content) > room:
        content = [*content[: room - 1], context(shortened)]
    blocks = content + actions
    buttons = 0
    for number, block in enumerate(b for b in blocks if b["type"] == "actions"):
        block["block_id"] = f"tandem_actions_{number}"
        for element in block["elements"]:
            element["action_id"] = f"{ACTION_ID_PREFIX}{buttons}"
            buttons += 1
    return blocks


CHOSE = "<@{user}> chose *{title}*"


def mark_chosen(
    blocks: list[dict[str, Any]],
    *,
    block_id: str | None,
    user_id: str,
    title: str,
    language: str | None = None,
) -> list[dict[str, Any]]:
    """The clicked message with its buttons replaced by who chose what, for ``chat.update``,
    in the customer's ``language`` (``channel.chose``)."""
    template = labels_for(language).get("channel.chose", CHOSE)
    chosen = context(template.format(user=user_id, title=escape(title)))
    kept = [b for b in blocks if not (b.get("type") == "actions" and b.get("block_id") == block_id)]
    if len(kept) == len(blocks):
        kept = [b for b in blocks if b.get("type") != "actions"]
    return [*kept, chosen][-MAX_BLOCKS:]
