"""Slack and Teams through the real stack: Rasa with the trained model, the action
server and the handoff service, talking to loopback stand-ins of Slack's Web API
and the Bot Framework services. Runs in the engine venv (the stand-ins use aiohttp).

Requests are signed (Slack) or carry RS256 tokens from the stand-in's JWKS
(Teams) exactly as the real services send them; the assertions are on what the
stand-ins received. The engine listens on all interfaces here, as a deployment
behind a proxy would; Rasa's own HTTP API takes its token or an API JWT
(``TANDEM_API_JWT_SECRET``, not the web chat's key) in the Authorization header.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from bot.channels.slack_events import signature
from bot.settings import Settings
from bot.supervisor import Supervisor, free_port
from bot.training import ensure_model
from tests.standins.botframework import BotFrameworkStandIn, claims
from tests.standins.slack_api import SlackApiStandIn

pytestmark = [pytest.mark.e2e]

SLACK_SECRET = "e2e-signing-secret"
JWT_SECRET = "e2e-jwt-secret-" + "x" * 32
RASA_TOKEN = "e2e-rasa-token-" + "y" * 32
API_JWT_SECRET = "e2e-api-jwt-secret-" + "z" * 32
API = {"Authorization": f"Bearer {RASA_TOKEN}"}
TEAM, BOT_USER = "T0E2E", "UBOT"


@dataclass
class Live:
    supervisor: Supervisor
    slack: SlackApiStandIn
    teams: BotFrameworkStandIn

    @property
    def rasa(self) -> str:
        return self.supervisor.settings.rasa_url


def _credentials(path: Path, slack: SlackApiStandIn, teams: BotFrameworkStandIn) -> Path:
    config = {
        "bot.channels.rest.RestInput": {"max_message_chars": 4000},
        "bot.channels.slack.SlackInput": {
            "slack_token": "xoxb-e2e",
            "slack_signing_secret": SLACK_SECRET,
            "slack_api_url": slack.url,
        },
        "bot.channels.teams.TeamsInput": {
            "app_id": teams.app_id,
            "app_password": teams.app_password,
            "openid_metadata_url": teams.openid_metadata_url,
            "token_url": teams.token_url,
        },
    }
    path.write_text(json.dumps(config))  # JSON is YAML
    return path


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    slack = SlackApiStandIn(token="xoxb-e2e")
    slack.start()
    teams = BotFrameworkStandIn(app_id="tandem-e2e", app_password="e2e-password").start()
    state = tmp_path_factory.mktemp("channels-state")
    settings = Settings.from_env().with_overrides(
        host="0.0.0.0",  # all interfaces: the point of this module
        jwt_secret=JWT_SECRET,
        rasa_token=RASA_TOKEN,
        api_jwt_secret=API_JWT_SECRET,
        state_dir=state,
        rasa_port=free_port(),
        action_port=free_port(),
        handoff_port=free_port(),
        credentials=_credentials(state / "credentials.yml", slack, teams),
    )
    settings.check_exposure()
    supervisor = Supervisor(settings, model=ensure_model(settings))
    supervisor.start()
    try:
        yield Live(supervisor, slack, teams)
    finally:
        supervisor.stop()
        slack.stop()
        teams.stop()


def post(url: str, body: bytes, headers: dict[str, str], *, method: str = "POST") -> int:
    request = urllib.request.Request(url, data=body or None, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return int(response.status)
    except urllib.error.HTTPError as e:
        return int(e.code)


def slack_event(live: Live, event: dict[str, Any], *, event_id: str, retry: int = 0) -> int:
    body = json.dumps(
        {
            "type": "event_callback",
            "team_id": TEAM,
            "api_app_id": "A0E2E",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
            "event": event,
        }
    ).encode()
    ts = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature(SLACK_SECRET, ts, body),
    }
    if retry:
        headers.update({"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"})
    return post(f"{live.rasa}/webhooks/slack/webhook", body, headers)


def posts_to(live: Live, channel: str, count: int, *, timeout: float = 60) -> list[Any]:
    deadline = time.monotonic() + timeout
    while True:
        calls = live.slack.calls("chat.postMessage")
        calls = [c for c in calls if c.body.get("channel") == channel]
        if len(calls) >= count or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    if len(calls) >= count:
        return calls
    raise AssertionError(f"Slack got {len(calls)} of {count} posts to {channel}")


def test_a_slack_dm_gets_the_bots_real_answer_once_despite_a_retry(live: Live) -> None:
    event = {
        "type": "message",
        "channel_type": "im",
        "channel": "D0E2E",
        "user": "U0CUSTOMER",
        "text": "when does the downtown store open?",
        "ts": "1700000000.000100",
    }
    assert slack_event(live, event, event_id="Ev0DM1") == 200
    assert slack_event(live, event, event_id="Ev0DM1", retry=1) == 200
    [reply] = posts_to(live, "D0E2E", 1)
    assert reply.token == "xoxb-e2e"
    assert reply.body["text"].startswith("Voltline Downtown (12 Market Street)")
    time.sleep(3)  # the retry must not produce a second answer
    assert len(posts_to(live, "D0E2E", 1)) == 1


def test_a_mention_is_answered_in_its_thread_and_an_agent_reaches_the_same_thread(
    live: Live,
) -> None:
    event = {
        "type": "app_mention",
        "channel": "C0E2E",
        "user": "U0STAFF",
        "text": f"<@{BOT_USER}> when does the downtown store open?",
        "ts": "1700000000.000200",
    }
    assert slack_event(live, event, event_id="Ev0MENTION1") == 200
    [reply] = posts_to(live, "C0E2E", 1)
    assert reply.body["thread_ts"] == "1700000000.000200"

    # What the handoff service does with an agent's reply: a bot event through
    # Rasa's API, delivered by the channel the conversation last used.
    sender = f"slack:{TEAM}:C0E2E:1700000000.000200"
    agent_event = [
        {
            "event": "bot",
            "text": "Hi, Grace here from the store team.",
            "data": {"custom": {"type": "agent_message", "agent": "Grace"}},
            "metadata": {"agent": "Grace"},
        }
    ]
    status = post(
        f"{live.rasa}/conversations/{quote(sender, safe='')}/tracker/events"
        "?execute_side_effects=true&output_channel=latest",
        json.dumps(agent_event).encode(),
        {"Content-Type": "application/json", **API},
    )
    assert status == 200
    _, agent_post = posts_to(live, "C0E2E", 2)
    assert agent_post.body["thread_ts"] == "1700000000.000200"
    assert "Hi, Grace here from the store team." in json.dumps(agent_post.body)
    assert "Grace" in json.dumps(agent_post.body["blocks"][0])


def test_a_forged_slack_event_never_reaches_the_bot(live: Live) -> None:
    body = json.dumps({"type": "event_callback", "event": {"type": "message"}}).encode()
    ts = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature("not-the-secret", ts, body),
    }
    assert post(f"{live.rasa}/webhooks/slack/webhook", body, headers) == 401


def teams_activity(live: Live, text: str) -> dict[str, Any]:
    return {
        "type": "message",
        "id": uuid.uuid4().hex[:12],
        "channelId": "msteams",
        "serviceUrl": live.teams.service_url,
        "from": {"id": "29:e2e-user", "name": "Ana"},
        "recipient": {"id": "28:volt", "name": "Volt"},
        "conversation": {"id": "a:e2e-conv", "conversationType": "personal", "tenantId": "t1"},
        "text": text,
    }


def test_a_teams_message_with_a_real_token_gets_the_bots_answer(live: Live) -> None:
    body = teams_activity(live, "<at>Volt</at> when does the downtown store open?")
    token = live.teams.key.token(
        claims(app_id=live.teams.app_id, service_url=live.teams.service_url)
    )
    before = len(live.teams.received)
    status = post(
        f"{live.rasa}/webhooks/teams/webhook",
        json.dumps(body).encode(),
        {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    assert status in (200, 202)
    reply = live.teams.wait_for(before + 1, timeout=60)[before]
    assert reply.path.endswith(f"/v3/conversations/a:e2e-conv/activities/{body['id']}")
    assert reply.body["text"].startswith("Voltline Downtown (12 Market Street)")
    assert reply.body["replyToId"] == body["id"]


def test_a_teams_token_signed_with_hs256_is_refused(live: Live) -> None:
    body = teams_activity(live, "hello")
    forged = live.teams.key.hs256_with_public_key(
        claims(app_id=live.teams.app_id, service_url=live.teams.service_url)
    )
    before = len(live.teams.received)
    status = post(
        f"{live.rasa}/webhooks/teams/webhook",
        json.dumps(body).encode(),
        {"Content-Type": "application/json", "Authorization": f"Bearer {forged}"},
    )
    assert status == 401
    time.sleep(1)
    assert len(live.teams.received) == before


def _jwt(payload: dict[str, Any], secret: str) -> str:
    import jwt

    return str(jwt.encode(payload, secret, algorithm="HS256"))


def test_off_loopback_rasas_api_needs_the_token_or_an_api_jwt(live: Live) -> None:
    url = f"{live.rasa}/conversations/anyone/tracker"
    assert post(url, b"", {}, method="GET") == 401
    assert post(f"{url}?token=wrong", b"", {}, method="GET") == 401
    assert post(f"{url}?token={RASA_TOKEN}", b"", {}, method="GET") == 401  # never in a URL
    forged = _jwt({"user": {"username": "anyone", "role": "admin"}}, "not-the-secret")
    assert post(url, b"", {"Authorization": f"Bearer {forged}"}, method="GET") == 401
    visitor_key = _jwt({"user": {"username": "ops", "role": "admin"}}, JWT_SECRET)
    assert post(url, b"", {"Authorization": f"Bearer {visitor_key}"}, method="GET") == 401
    assert post(url, b"", API, method="GET") == 200
    admin = _jwt({"user": {"username": "ops", "role": "admin"}}, API_JWT_SECRET)
    assert post(url, b"", {"Authorization": f"Bearer {admin}"}, method="GET") == 200
    # the channels themselves stay reachable: they authenticate their own callers
    assert post(f"{live.rasa}/webhooks/rest/", b"", {}, method="GET") == 200


# --- CSAT (issue 21): the rating question's buttons round-trip into the tracker's slots.


def tracker_slots(live: Live, sender: str, *, want: str, timeout: float = 60) -> dict[str, Any]:
    """The conversation's slots once ``want`` is set (the click is handled after the 200)."""
    url = f"{live.rasa}/conversations/{quote(sender, safe='')}/tracker"
    deadline = time.monotonic() + timeout
    while True:
        request = urllib.request.Request(url, headers=API)
        with urllib.request.urlopen(request, timeout=60) as response:
            slots = dict(json.loads(response.read())["slots"])
        if slots.get(want) is not None or time.monotonic() > deadline:
            return slots
        time.sleep(0.3)


def test_slack_a_tap_on_the_rating_after_goodbye_sets_the_csat_slots(live: Live) -> None:
    channel = "D0CSAT"
    event = {"type": "message", "channel_type": "im", "channel": channel, "user": "U0CSAT"}
    event.update(text="bye", ts="1700000000.000900")
    assert slack_event(live, event, event_id="Ev0CSAT1") == 200
    goodbye, question = posts_to(live, channel, 2)
    assert "bye" in goodbye.body["text"].lower() or "see you" in goodbye.body["text"].lower()
    buttons = [e for b in question.body["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["text"]["text"] for b in buttons] == ["1", "2", "3", "4", "5"]
    four = buttons[3]
    posted = next(m for m in live.slack.messages() if m["ts"] == question.answer["ts"])

    payload = {
        "type": "block_actions",
        "user": {"id": "U0CSAT", "team_id": TEAM},
        "team": {"id": TEAM},
        "channel": {"id": channel},
        "container": {"type": "message", "message_ts": posted["ts"], "channel_id": channel},
        "message": posted,
        "actions": [
            {
                "type": "button",
                "action_id": four["action_id"],
                "block_id": "tandem_actions_0",
                "value": four["value"],
                "text": {"type": "plain_text", "text": "4"},
                "action_ts": "1700000100.000001",
            }
        ],
        "response_url": "https://hooks.slack.invalid/actions/unused",
    }
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    ts = str(int(time.time()))
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature(SLACK_SECRET, ts, body),
    }
    assert post(f"{live.rasa}/webhooks/slack/interactive", body, headers) == 200
    thanks = posts_to(live, channel, 3)[2]
    assert "thank" in thanks.body["text"].lower()
    slots = tracker_slots(live, f"slack:{TEAM}:{channel}", want="csat_score")
    assert (slots["csat_score"], slots["csat_context"]) == (4, "conversation")


def test_teams_a_tap_on_the_rating_card_after_goodbye_sets_the_csat_slots(live: Live) -> None:
    token = live.teams.key.token(
        claims(app_id=live.teams.app_id, service_url=live.teams.service_url)
    )
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    conversation = {"id": "a:e2e-csat", "conversationType": "personal", "tenantId": "t1"}
    bye = {**teams_activity(live, "goodbye"), "conversation": conversation}
    before = len(live.teams.received)
    assert post(f"{live.rasa}/webhooks/teams/webhook", json.dumps(bye).encode(), headers) in (
        200,
        202,
    )
    _, question = live.teams.wait_for(before + 2, timeout=60)[before : before + 2]
    [card] = question.body["attachments"]
    submits = [a for a in card["content"]["actions"] if a["type"] == "Action.Submit"]
    assert [a["title"] for a in submits] == ["1", "2", "3", "4", "5"]

    tap = {**teams_activity(live, ""), "conversation": conversation, "value": submits[1]["data"]}
    tap.pop("text")
    before = len(live.teams.received)
    assert post(f"{live.rasa}/webhooks/teams/webhook", json.dumps(tap).encode(), headers) in (
        200,
        202,
    )
    thanks = live.teams.wait_for(before + 1, timeout=60)[before]
    assert "sorry" in thanks.body["text"].lower()  # a 2 gets the apology, not the cheer
    slots = tracker_slots(live, "teams:a:e2e-csat", want="csat_score")
    assert (slots["csat_score"], slots["csat_context"]) == (2, "conversation")
