"""The Slack channel's pure parts: signatures, event parsing, ids, dedup, Block Kit."""

from __future__ import annotations

import copy
import json
import urllib.parse
from typing import Any

import pytest

from bot.channels.blocks import (
    ACTION_ID_PREFIX,
    MAX_BLOCKS,
    button_blocks,
    escape,
    mark_chosen,
    render,
    text_blocks,
)
from bot.channels.slack import SlackInput
from bot.channels.slack_events import (
    Click,
    EventDeduplicator,
    Ignored,
    Incoming,
    RejectedRequest,
    SlackAddress,
    clean_text,
    parse_event,
    parse_interaction,
    parse_json,
    signature,
    verify_request,
)
from bot.errors import ConfigError
from tests.standins.slack_api import block_problems

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEAM = "Voltline team"

# --- signatures ------------------------------------------------------------

# The worked example of https://api.slack.com/authentication/verifying-requests-from-slack
SLACK_DOC_BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id="
    b"G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook"
    b"-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F39770"
    b"0885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d"
    b"2c447fce8b6703c"
)
SLACK_DOC_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


def headers(body: bytes, *, ts: int = 1531420618, secret: str = SECRET) -> dict[str, str]:
    return {
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": signature(secret, str(ts), body),
    }


def test_signature_matches_slacks_documented_example() -> None:
    assert signature(SECRET, "1531420618", SLACK_DOC_BODY) == SLACK_DOC_SIGNATURE
    verify_request(
        SECRET,
        {"X-Slack-Request-Timestamp": "1531420618", "X-Slack-Signature": SLACK_DOC_SIGNATURE},
        SLACK_DOC_BODY,
        now=1531420618 + 299,
        window_s=300,
    )


@pytest.mark.parametrize(
    ("hdrs", "body", "now", "message"),
    [
        ({}, b"{}", 1000, "are required"),
        ({"X-Slack-Request-Timestamp": "1000"}, b"{}", 1000, "are required"),
        ({**headers(b"{}", ts=1000), "X-Slack-Request-Timestamp": "1e3"}, b"{}", 1000, "Unix"),
        (headers(b"{}", ts=1000), b"{}", 1000 + 301, "replay"),
        (headers(b"{}", ts=1000 + 301), b"{}", 1000, "replay"),
        (headers(b"{}", ts=1000, secret="wrong-secret"), b"{}", 1000, "does not match"),
        (headers(b'{"a":1}', ts=1000), b'{"a":2}', 1000, "does not match"),
        ({**headers(b"{}", ts=1000), "X-Slack-Signature": "v0=" + "0" * 64}, b"{}", 1000, "match"),
    ],
    ids=["none", "no-signature", "odd-ts", "stale", "future", "wrong-secret", "tampered", "forged"],
)
def test_unsigned_stale_or_forged_requests_are_401(
    hdrs: dict[str, str], body: bytes, now: int, message: str
) -> None:
    with pytest.raises(RejectedRequest, match=message) as caught:
        verify_request(SECRET, hdrs, body, now=now, window_s=300)
    assert caught.value.status == 401


# --- events ----------------------------------------------------------------


def envelope(event: dict[str, Any], **outer: Any) -> dict[str, Any]:
    return {
        "type": "event_callback",
        "team_id": "T0001",
        "event_id": "Ev001",
        "authorizations": [{"user_id": "UBOT", "is_bot": True}],
        "event": event,
        **outer,
    }


def dm(text: str = "hi", **extra: Any) -> dict[str, Any]:
    return {
        "type": "message",
        "channel_type": "im",
        "channel": "D0001",
        "user": "U0001",
        "text": text,
        "ts": "1700000000.000100",
        **extra,
    }


def mention(text: str = "<@UBOT> hi", **extra: Any) -> dict[str, Any]:
    return {
        "type": "app_mention",
        "channel": "C0001",
        "user": "U0001",
        "text": text,
        "ts": "1700000000.000200",
        **extra,
    }


def test_a_dm_is_one_conversation_with_user_team_and_channel_in_metadata() -> None:
    incoming = parse_event(envelope(dm("hi &amp; bye")))
    assert isinstance(incoming, Incoming)
    assert incoming.address.conversation_id == "slack:T0001:D0001"
    assert incoming.text == "hi & bye"
    assert incoming.event_id == "Ev001"
    assert incoming.metadata["user_id"] == "U0001"
    assert incoming.metadata["team_id"] == "T0001"
    assert incoming.metadata["channel_id"] == "D0001"


def test_a_dm_in_a_thread_is_answered_in_that_thread() -> None:
    incoming = parse_event(envelope(dm(thread_ts="1699999999.000001")))
    assert isinstance(incoming, Incoming)
    assert incoming.address == SlackAddress("T0001", "D0001", "1699999999.000001")


def test_a_mention_starts_a_conversation_per_thread_without_the_mention_text() -> None:
    top = parse_event(envelope(mention("<@UBOT> when does the downtown store open?")))
    reply = parse_event(envelope(mention("<@UBOT|volt> and Sunday?", thread_ts="1.000001")))
    assert isinstance(top, Incoming) and isinstance(reply, Incoming)
    assert top.address.conversation_id == "slack:T0001:C0001:1700000000.000200"
    assert top.text == "when does the downtown store open?"
    assert reply.address.conversation_id == "slack:T0001:C0001:1.000001"
    assert reply.text == "and Sunday?"


def test_the_leading_mention_is_stripped_even_without_authorizations() -> None:
    body = envelope(mention("<@U0BOT99> hello <@U0002>"))
    del body["authorizations"]
    incoming = parse_event(body)
    assert isinstance(incoming, Incoming)
    assert incoming.text == "hello @U0002"


@pytest.mark.parametrize(
    "event",
    [
        dm(bot_id="B0001"),
        dm(subtype="bot_message"),
        dm(subtype="message_changed"),
        dm(subtype="message_deleted"),
        dm(subtype="channel_join"),
        dm(user="UBOT"),
        {**dm(), "channel_type": "channel", "channel": "C0001"},
        mention(channel="D0001"),
        {"type": "reaction_added", "user": "U0001"},
    ],
    ids=[
        "bot_id",
        "bot_message",
        "edited",
        "deleted",
        "join",
        "own-user",
        "channel-without-mention",
        "mention-in-dm",
        "reaction",
    ],
)
def test_bots_edits_and_unrelated_events_never_reach_the_bot(event: dict[str, Any]) -> None:
    assert isinstance(parse_event(envelope(event)), Ignored)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"type": "event_callback", "team_id": "T1", "event_id": "E1"}, '"event" object'),
        (envelope(dm(), event_id=None), "event_id"),
        (envelope({k: v for k, v in dm().items() if k != "channel"}), "channel"),
        (envelope({k: v for k, v in dm().items() if k != "user"}), "user"),
        (envelope(dm(text=42)), "text"),
        (envelope(dm(channel="../D1")), "no valid Slack conversation"),
        (envelope(dm(thread_ts="tomorrow")), "no valid Slack conversation"),
    ],
    ids=["no-event", "no-event-id", "no-channel", "no-user", "text-not-string", "odd-id", "odd-ts"],
)
def test_malformed_events_are_400(body: dict[str, Any], message: str) -> None:
    with pytest.raises(RejectedRequest, match=message) as caught:
        parse_event(body)
    assert caught.value.status == 400


@pytest.mark.parametrize("raw", [b"{oops", b"\xff", b"[]", b'{"no": "type"}'])
def test_bodies_that_are_not_json_objects_with_a_type_are_400(raw: bytes) -> None:
    with pytest.raises(RejectedRequest):
        parse_json(raw)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("<@UBOT> hi", "hi"),
        ("see <https://voltline.example/returns|the policy>", "see the policy"),
        ("<https://voltline.example>", "https://voltline.example"),
        ("mail <mailto:ana@example.com|ana@example.com>", "mail ana@example.com"),
        ("ask <@U0002|bob> in <#C0009|sales> <!here>", "ask @bob in #sales @here"),
        ("1 &lt; 2 &amp;&amp; 3 &gt; 2", "1 < 2 && 3 > 2"),
        ("a   <@UBOT>   b", "a b"),
    ],
)
def test_slack_markup_becomes_what_the_user_typed(raw: str, clean: str) -> None:
    assert clean_text(raw, frozenset({"UBOT"})) == clean


# --- conversation ids ------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [SlackAddress("T0001", "D0001"), SlackAddress("T0001", "C0001", "1700000000.000200")],
)
def test_conversation_ids_round_trip(address: SlackAddress) -> None:
    assert SlackAddress.parse(address.conversation_id) == address


@pytest.mark.parametrize(
    "bad", ["u1", "slack:T1", "slack:T1:C1:notats", "slack:t1:c1", "slack:T1:C1:1.2:x"]
)
def test_ids_of_other_channels_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="not a Slack conversation id"):
        SlackAddress.parse(bad)


# --- dedup -----------------------------------------------------------------


def test_dedup_remembers_an_event_until_its_ttl_runs_out() -> None:
    now = [0.0]
    dedup = EventDeduplicator(ttl_s=60, clock=lambda: now[0])
    assert dedup.seen_before("Ev1") is False
    now[0] = 59
    assert dedup.seen_before("Ev1") is True
    now[0] = 121
    assert dedup.seen_before("Ev1") is False


def test_dedup_is_bounded_and_forgets_the_oldest_first() -> None:
    dedup = EventDeduplicator(ttl_s=3600, max_entries=3, clock=lambda: 0.0)
    for i in range(5):
        assert dedup.seen_before(f"Ev{i}") is False
    assert len(dedup) == 3
    assert dedup.seen_before("Ev4") is True
    assert dedup.seen_before("Ev0") is False


# --- interactivity ---------------------------------------------------------


def click_payload(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": "U0001", "team_id": "T0001"},
        "team": {"id": "T0001"},
        "channel": {"id": "C0001"},
        "container": {"type": "message", "message_ts": "1700000001.000001", "channel_id": "C0001"},
        "message": {
            "ts": "1700000001.000001",
            "thread_ts": "1700000000.000200",
            "text": "Shall I get a colleague?",
            "blocks": [],
        },
        "actions": [
            {
                "type": "button",
                "action_id": "tandem_button_0",
                "block_id": "tandem_actions_0",
                "value": "/ask_human",
                "text": {"type": "plain_text", "text": "Yes, a person please"},
            }
        ],
    }
    payload.update(changes)
    return payload


def form(payload: Any) -> bytes:
    return urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()


def test_a_button_click_becomes_its_payload_in_the_same_thread() -> None:
    click = parse_interaction(form(click_payload()))
    assert isinstance(click, Click)
    assert click.text == "/ask_human"
    assert click.address.conversation_id == "slack:T0001:C0001:1700000000.000200"
    assert click.title == "Yes, a person please"
    assert click.message_ts == "1700000001.000001"


def test_a_click_in_a_dm_goes_to_the_dm_conversation() -> None:
    payload = click_payload(
        channel={"id": "D0001"},
        message={"ts": "1700000001.000001", "text": "?"},
        container={"message_ts": "1700000001.000001", "channel_id": "D0001"},
    )
    click = parse_interaction(form(payload))
    assert isinstance(click, Click)
    assert click.address.conversation_id == "slack:T0001:D0001"


def test_link_buttons_and_other_interactions_are_acknowledged_not_answered() -> None:
    link = click_payload(actions=[{"type": "button", "action_id": "x", "url": "https://a.b"}])
    assert isinstance(parse_interaction(form(link)), Ignored)
    assert isinstance(parse_interaction(form({"type": "view_submission"})), Ignored)


@pytest.mark.parametrize(
    "raw",
    [
        b"payload=%7Boops",
        b"nothing=here",
        b"\xff",
        form([1, 2]),
        form(click_payload(actions=[])),
        form(click_payload(user={})),
        form(click_payload(team="T0001", user={"id": "U0001"})),
        form(click_payload(channel=None, container={})),
    ],
    ids=[
        "bad-json",
        "no-payload",
        "not-utf8",
        "not-object",
        "no-actions",
        "no-user",
        "team-not-object",
        "no-channel",
    ],
)
def test_malformed_interactions_are_400(raw: bytes) -> None:
    with pytest.raises(RejectedRequest) as caught:
        parse_interaction(raw)
    assert caught.value.status == 400


# --- credentials -----------------------------------------------------------


@pytest.mark.parametrize("missing", ["slack_token", "slack_signing_secret"])
def test_a_missing_secret_fails_when_the_channel_is_built_and_names_the_key(missing: str) -> None:
    credentials = {"slack_token": "xoxb-1", "slack_signing_secret": "s"}
    credentials[missing] = ""
    with pytest.raises(ConfigError, match=missing) as caught:
        SlackInput.from_credentials(credentials)
    assert "export" in str(caught.value)
    with pytest.raises(ConfigError, match="slack_token"):
        SlackInput.from_credentials(None)


def test_credentials_fill_the_keyword_only_options() -> None:
    channel = SlackInput.from_credentials(
        {
            "slack_token": "xoxb-1",
            "slack_signing_secret": "s",
            "slack_api_url": "http://127.0.0.1:9/api/",
            "replay_window_s": "60",
            "max_message_chars": 100,
        }
    )
    assert isinstance(channel, SlackInput)
    assert channel.name() == "slack"
    assert (channel.replay_window_s, channel.max_message_chars) == (60.0, 100)
    assert channel.client.api_url == "http://127.0.0.1:9/api"
    with pytest.raises(ConfigError, match="must be a number"):
        SlackInput.from_credentials(
            {"slack_token": "x", "slack_signing_secret": "s", "replay_window_s": "soon"}
        )


# --- Block Kit -------------------------------------------------------------

# Real generator output (actions venv: generators.schemas.payload of each result).
CREDIT = {
    "type": "credit_score",
    "schema_version": 2,
    "data": {
        "score": 466,
        "decision": "declined",
        "reasons": [
            {
                "feature": "duration_in_month",
                "reason": "The length of the repayment term",
                "points_lost": 50.1,
            },
            {
                "feature": "credit_amount",
                "reason": "The amount you want to borrow",
                "points_lost": 28.5,
            },
        ],
        "points": {"duration_in_month": 27.6, "credit_amount": 29.1, "housing": 51.2},
        "unknown_inputs": ["credit history", "housing", "savings"],
        "scaling": "600 points at 50:1 good:bad odds, 20 points to double the odds",
        "disclaimer": "This is an indicative pre-check, not a credit decision. A lender will "
        "run a full assessment, including a credit reference check, before offering finance.",
        "model_version": "german-credit-woe-lr-1",
        "financing": {
            "currency": "GBP",
            "amount": 1200.0,
            "term_months": 24,
            "apr_percent": 9.9,
            "monthly_payment": 55.08,
            "total_payable": 1321.92,
            "representative_example": "Representative example: borrowing £1,200.00 over 24 "
            "months at 9.9% APR representative costs £55.08 a month; total amount payable "
            "£1,321.92, of which £121.92 is interest.",
        },
    },
}
MOBILE = {
    "type": "mobile_plan",
    "schema_version": 1,
    "data": {
        "usage": {"data_gb": 12.0, "minutes": 300.0, "roaming_days": 0.0, "budget": 10.0},
        "currency": "GBP",
        "best": {
            "plan_id": "basic",
            "plan_name": "Basic",
            "line_items": [
                {"id": "basic", "name": "Basic", "quantity": 1, "monthly_cost": 15.0},
                {"id": "data_5gb", "name": "Data Boost 5 GB", "quantity": 2, "monthly_cost": 10.0},
            ],
            "monthly_total": 25.0,
            "covers": {"data_gb": 15.0, "minutes": None, "roaming_days": 0.0},
            "within_budget": False,
        },
        "runner_up": {
            "plan_id": "plus",
            "plan_name": "Plus",
            "line_items": [{"id": "plus", "name": "Plus", "quantity": 1, "monthly_cost": 29.0}],
            "monthly_total": 29.0,
            "covers": {"data_gb": 30.0, "minutes": None, "roaming_days": None},
            "within_budget": False,
        },
        "over_budget_by": 15.0,
    },
}
SAVINGS = {
    "type": "savings_plan",
    "schema_version": 1,
    "data": {
        "goal_amount": 5000.0,
        "target_date": "2030-01-01",
        "months": 48,
        "current_savings": 0.0,
        "risk_score": 2,
        "risk_profile": "cautious",
        "allocation": {"stocks": 0.2, "bonds": 0.5, "cash": 0.3},
        "expected_annual_return": 0.033,
        "monthly_contribution": 97.69,
        "projected_value": 5000.45,
        "steps": [
            "Risk score 2/8 → cautious profile (20% stocks, 50% bonds, 30% cash).",
            "Expected return = 20%*6.0% + 50%*3.0% + 30%*2.0% = 3.30% a year = 0.2709% a month.",
            "Months to 2030-01-01: 48.",
            "Still needed: 5,000.00 - 0.00 = 5,000.00.",
            "Monthly contribution = 5,000.00 * r / ((1 + r)^48 - 1) = 97.69 (r = 0.2709%).",
        ],
        "assumptions": [
            "stocks return 6.0% a year, nominal, before fees",
            "Contributions are paid at the end of each month; returns compound monthly.",
        ],
        "disclaimer": "This plan is an illustration, not financial advice.",
    },
}
RECOMMENDATIONS = {
    "type": "recommendations",
    "schema_version": 1,
    "data": {
        "customer_id": None,
        "items": [
            {
                "product_id": "wireless-pad",
                "name": "Wireless Charging Pad",
                "category": "accessories",
                "price": 35.0,
                "score": 0.5193,
                "source": "hybrid",
                "reason": "Because you looked at Nova 8",
            },
            {
                "product_id": "pulse-buds",
                "name": "Pulse Buds",
                "category": "headphones",
                "price": 149.0,
                "score": 0.3116,
                "source": "hybrid",
                "reason": "Because you looked at Nova 8",
            },
        ],
        "currency": "GBP",
    },
}


def all_text(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def test_plain_text_is_an_escaped_mrkdwn_section_and_the_fallback_text() -> None:
    message = render({"text": "Tom & Jerry <3 prices > £5"}, team_label=TEAM)
    assert message is not None
    assert message.text == "Tom &amp; Jerry &lt;3 prices &gt; £5"
    assert message.blocks == [{"type": "section", "text": {"type": "mrkdwn", "text": message.text}}]


def test_long_text_is_split_into_sections_within_slacks_limit() -> None:
    text = "\n".join(["&" * 599] * 20)
    blocks = text_blocks(text)
    assert len(blocks) > 1
    assert block_problems(blocks) == []
    joined = "\n".join(b["text"]["text"] for b in blocks)
    assert joined == escape(text)


def test_buttons_become_actions_with_the_payload_as_value() -> None:
    buttons = [
        {"title": "Yes, a person please", "payload": "/ask_human"},
        {"title": "Inform", "payload": '/inform{"x":1}'},
    ]
    message = render({"text": "Shall I get a colleague?", "buttons": buttons}, team_label=TEAM)
    assert message is not None
    section, actions = message.blocks
    assert section["type"] == "section"
    assert actions["type"] == "actions"
    assert [e["value"] for e in actions["elements"]] == ["/ask_human", '/inform{"x":1}']
    assert [e["action_id"] for e in actions["elements"]] == [
        f"{ACTION_ID_PREFIX}0",
        f"{ACTION_ID_PREFIX}1",
    ]
    assert block_problems(message.blocks) == []


def test_many_long_buttons_respect_the_25_per_block_and_75_char_limits() -> None:
    buttons = [{"title": "t" * 100, "payload": f'/choose{{"n":{i}}}'} for i in range(30)]
    buttons.append({"title": "too big", "payload": "/x" + "y" * 2500})
    blocks = button_blocks(buttons)
    assert [len(b["elements"]) for b in blocks] == [25, 5]
    assert all(len(e["text"]["text"]) == 75 for b in blocks for e in b["elements"])
    assert block_problems(blocks) == []


def test_quick_replies_render_like_buttons() -> None:
    message = render(
        {"text": "Pick", "quick_replies": [{"title": "A", "payload": "/a"}]}, team_label=TEAM
    )
    assert message is not None
    assert message.blocks[-1]["elements"][0]["value"] == "/a"


@pytest.mark.parametrize(
    ("payload", "header_text", "must_contain"),
    [
        (
            CREDIT,
            "Credit pre-check",
            ["466 / 1000", "Not approved", "£55.08", "9.9%", "£1,321.92", "repayment term"],
        ),
        (MOBILE, "Mobile plan: Basic", ["£25.00", "Data Boost 5 GB x 2", "Over budget by", "Plus"]),
        (SAVINGS, "Savings plan: Cautious", ["97.69", "stocks 20%", "2030-01-01", "illustration"]),
        (RECOMMENDATIONS, "Recommended for you", ["Wireless Charging Pad", "£149.00", "Nova 8"]),
    ],
    ids=["credit", "mobile", "savings", "recommendations"],
)
def test_structured_results_become_valid_cards(
    payload: dict[str, Any], header_text: str, must_contain: list[str]
) -> None:
    summary = "A text summary\nfor channels without cards."
    message = render({"text": summary, "custom": copy.deepcopy(payload)}, team_label=TEAM)
    assert message is not None
    assert block_problems(message.blocks) == []
    assert message.blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": header_text, "emoji": True},
    }
    kinds = {b["type"] for b in message.blocks}
    assert {"header", "section"} <= kinds
    assert "context" in kinds or payload is RECOMMENDATIONS
    assert message.text == summary, "the summary stays the notification text"
    assert "for channels without cards" not in all_text(message.blocks), "the card replaces it"
    for fragment in must_contain:
        assert fragment in all_text(message.blocks)


def test_a_card_without_text_gets_a_summary_as_fallback() -> None:
    message = render({"custom": copy.deepcopy(MOBILE)}, team_label=TEAM)
    assert message is not None
    assert message.text == "Mobile plan: Basic, £25.00 a month"


def test_an_agent_message_carries_a_speaker_line_above_the_text() -> None:
    message = render(
        {
            "text": "Hi, I'm Alice. Let me look.",
            "custom": {"type": "agent_message", "agent": "Alice"},
        },
        team_label=TEAM,
    )
    assert message is not None
    assert message.blocks[0]["type"] == "context"
    assert "*Alice* (Voltline team)" in message.blocks[0]["elements"][0]["text"]
    assert message.blocks[1]["text"]["text"] == "Hi, I'm Alice. Let me look."
    assert message.text == "Alice (Voltline team): Hi, I'm Alice. Let me look."


@pytest.mark.parametrize(
    ("custom", "expected"),
    [
        ({"type": "handoff", "state": "waiting", "position": 2}, "number 2 in the queue"),
        (
            {"type": "handoff", "state": "agent", "agent": "Bo <3"},
            "*Bo &lt;3* (Voltline team)",
        ),
        ({"type": "handoff", "state": "bot"}, "back with the assistant"),
    ],
)
def test_handoff_states_render_as_a_context_line(custom: dict[str, Any], expected: str) -> None:
    message = render({"text": "One moment.", "custom": custom}, team_label=TEAM)
    assert message is not None
    assert expected in message.blocks[0]["elements"][0]["text"]
    assert message.blocks[1]["text"]["text"] == message.text == "One moment."
    assert block_problems(message.blocks) == []


@pytest.mark.parametrize(
    "custom",
    [
        {"type": "weather", "data": {"t": "<b>"}},
        {"type": "credit_score", "schema_version": 2, "data": {"score": "n/a"}},
        {"type": "mobile_plan", "schema_version": 2, "data": MOBILE["data"]},
        {"type": "credit_score", "schema_version": 1, "data": CREDIT["data"]},
        {"type": "handoff", "state": "teleported"},
        ["not", "a", "dict"],
    ],
    ids=[
        "unknown-type",
        "broken-card",
        "future-version",
        "old-credit-version",
        "unknown-state",
        "list",
    ],
)
def test_unknown_or_broken_payloads_become_a_code_block_never_a_crash(custom: Any) -> None:
    message = render({"custom": custom}, team_label=TEAM)
    assert message is not None
    last = message.blocks[-1]["text"]["text"]
    assert last.startswith("```") and last.endswith("```")
    assert "<b>" not in last
    assert message.text
    assert block_problems(message.blocks) == []


def test_an_image_becomes_an_image_block() -> None:
    message = render({"image": "https://voltline.example/nova8.png"}, team_label=TEAM)
    assert message is not None
    assert message.blocks == [
        {
            "type": "image",
            "image_url": "https://voltline.example/nova8.png",
            "alt_text": "https://voltline.example/nova8.png",
        }
    ]
    assert message.text == "https://voltline.example/nova8.png"


def test_ids_stay_unique_when_several_elements_carry_buttons() -> None:
    element = {
        "title": "Nova 8",
        "subtitle": "£699",
        "buttons": [{"title": "Buy", "payload": "/b"}],
    }
    message = render(
        {"elements": [element, element], "buttons": [{"title": "More", "payload": "/m"}]},
        team_label=TEAM,
    )
    assert message is not None
    assert [b["type"] for b in message.blocks] == ["section", "actions"] * 2 + ["actions"]
    assert block_problems(message.blocks) == []


def test_an_empty_message_renders_nothing() -> None:
    assert render({"text": "", "custom": None}, team_label=TEAM) is None


def test_a_huge_message_is_shortened_to_50_blocks_and_keeps_its_buttons() -> None:
    text = "\n".join("x" * 2999 for _ in range(80))
    message = render(
        {"text": text, "buttons": [{"title": "More", "payload": "/more"}]}, team_label=TEAM
    )
    assert message is not None
    assert len(message.blocks) == MAX_BLOCKS
    assert message.blocks[-1]["type"] == "actions"
    assert "shortened" in message.blocks[-2]["elements"][0]["text"]
    assert block_problems(message.blocks) == []


def test_a_clicked_message_shows_the_choice_instead_of_the_buttons() -> None:
    original = render(
        {"text": "Shall I?", "buttons": [{"title": "Yes", "payload": "/affirm"}]},
        team_label=TEAM,
    )
    assert original is not None
    updated = mark_chosen(
        original.blocks, block_id="tandem_actions_0", user_id="U0001", title="Yes"
    )
    assert [b["type"] for b in updated] == ["section", "context"]
    assert updated[1]["elements"][0]["text"] == "<@U0001> chose *Yes*"


def test_the_choice_line_is_in_the_customers_language() -> None:
    original = render(
        {"text": "要转人工吗", "buttons": [{"title": "是 <好>", "payload": "/affirm"}]},
        team_label=TEAM,
    )
    assert original is not None
    updated = mark_chosen(
        original.blocks, block_id="tandem_actions_0", user_id="U0001", title="是 <好>",
        language="zh",
    )  # fmt: skip
    assert updated[-1]["elements"][0]["text"] == "<@U0001> 选择了 *是 &lt;好&gt;*"


def test_marketing_copy_becomes_a_header_and_one_section_per_variant() -> None:
    from bot.channels.blocks import render

    custom = {
        "type": "marketing_copy",
        "schema_version": 1,
        "data": {
            "brief": {"product": "Nova 8", "audience": "students", "tone": "playful"},
            "variants": [{"text": "Small phone <big> days.", "source": "model"},
                         {"text": "Charge once, study all week.", "source": "template"}],
        },
    }  # fmt: skip
    message = render({"text": "Here are 2 versions", "custom": custom}, team_label="Voltline team")
    assert message is not None
    kinds = [b["type"] for b in message.blocks]
    assert kinds.count("section") >= 2 and "header" in kinds
    assert "*1.* Small phone &lt;big&gt; days." in json.dumps(message.blocks)
    assert block_problems(message.blocks) == []


def test_recommendations_outside_the_request_are_labelled() -> None:
    outside = copy.deepcopy(RECOMMENDATIONS)
    outside["data"]["note"] = "Nothing in our range fits laptops for gaming under £1,000."
    outside["data"]["items"][0].update(fits=False, misses=["£299 over your £1,000 budget"])
    message = render({"text": "summary", "custom": outside}, team_label=TEAM)
    assert message is not None and block_problems(message.blocks) == []
    text = all_text(message.blocks)
    assert "Nothing in our range fits laptops for gaming under £1,000." in text
    assert "*Wireless Charging Pad* _(outside your request)_" in text
