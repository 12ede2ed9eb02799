"""The Teams channel in a real Sanic server, talking to a Bot Framework stand-in.

Activities carry real RS256 tokens signed with the stand-in's key; replies go
through the client-credentials token endpoint and the connector API of the
stand-in, and the tests assert on the exact requests it received. One server
(tests/integration/bot/channels/harness.py) serves the whole module; each test
swaps the handler that plays the bot.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa.core.channels.channel import UserMessage

from bot.channels.botframework_connector import UnknownConversation
from bot.channels.rest import EMPTY_MESSAGE_REPLY, FAILURE_REPLY
from bot.channels.teams import TeamsInput, TeamsOutput
from tests.integration.bot.channels.harness import ChannelServer, echo
from tests.standins.botframework import BotFrameworkStandIn, Received, SigningKey, claims

_ids = itertools.count(1)


class _Server(ChannelServer):
    def __init__(self, standin: BotFrameworkStandIn, db: Path) -> None:
        self.standin = standin
        self.db = db
        super().__init__(self.make_channel(), url_prefix="/webhooks/teams")

    def make_channel(self) -> TeamsInput:
        return TeamsInput(
            app_id=self.standin.app_id,
            app_password=self.standin.app_password,
            openid_metadata_url=self.standin.openid_metadata_url,
            token_url=self.standin.token_url,
            jwks_min_refetch_s=0,
            max_message_chars=1000,
            reference_db=self.db,
        )

    def post(self, body: Any, *, authorization: str | None) -> tuple[int, dict[str, Any]]:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/webhooks/teams/webhook", data=data, method="POST"
        )
        request.add_header("Content-Type", "application/json")
        if authorization is not None:
            request.add_header("Authorization", authorization)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())


@pytest.fixture(scope="module")
def standin() -> Iterator[BotFrameworkStandIn]:
    bf = BotFrameworkStandIn().start()
    yield bf
    bf.stop()


@pytest.fixture(scope="module")
def server(
    standin: BotFrameworkStandIn, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[_Server]:
    srv = _Server(standin, tmp_path_factory.mktemp("teams") / "teams_conversations.db")
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def fresh(server: _Server) -> _Server:
    server.handler = echo
    server.seen.clear()
    server.standin.failures.clear()
    return server


def activity(standin: BotFrameworkStandIn, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "message",
        "id": f"17000000{next(_ids):05d}",
        "channelId": "msteams",
        "serviceUrl": standin.service_url,
        "from": {"id": "29:user-1", "name": "Ana", "aadObjectId": "aad-1"},
        "recipient": {"id": "28:bot-1", "name": "Volt"},
        "conversation": {"id": "a:1conv", "conversationType": "personal", "tenantId": "t-1"},
        "channelData": {"tenant": {"id": "t-1"}},
        "text": "<at>Volt</at> hello",
    }
    body.update(changes)
    return body


def bearer(standin: BotFrameworkStandIn, key: SigningKey | None = None, **changes: Any) -> str:
    body = claims(app_id=standin.app_id, service_url=standin.service_url)
    body.update(changes)
    return f"Bearer {(key or standin.key).token(body)}"


def replies(standin: BotFrameworkStandIn, since: int, count: int) -> list[Received]:
    received = standin.wait_for(since + count)[since:]
    time.sleep(0.2)  # nothing beyond what was expected may follow
    assert len(standin.received) == since + count, standin.received[since + count :]
    return received


def test_a_message_is_acknowledged_then_answered_in_reply_to_it(fresh: _Server) -> None:
    bf = fresh.standin
    since = len(bf.received)
    body = activity(bf)
    status, answer = fresh.post(body, authorization=bearer(bf))
    assert (status, answer) == (202, {"status": "accepted"})
    [reply] = replies(bf, since, 1)

    assert reply.path == f"/emea/v3/conversations/a:1conv/activities/{body['id']}"
    assert reply.raw_path == f"/emea/v3/conversations/a%3A1conv/activities/{body['id']}"
    assert reply.authorization is not None and reply.authorization.startswith("Bearer connector-")
    assert reply.body == {
        "type": "message",
        "from": {"id": "28:bot-1", "name": "Volt"},
        "recipient": {"id": "29:user-1", "name": "Ana", "aadObjectId": "aad-1"},
        "conversation": {"id": "a:1conv"},
        "textFormat": "markdown",
        "text": "echo: hello",
        "channelData": {"tenant": {"id": "t-1"}},
        "replyToId": body["id"],
    }
    [message] = fresh.seen
    assert (message.sender_id, message.text, message.input_channel) == (
        "teams:a:1conv",
        "hello",
        "teams",
    )
    assert message.message_id == body["id"]
    assert message.metadata == {
        "teams": {
            "channel_id": "msteams",
            "conversation_type": "personal",
            "tenant_id": "t-1",
            "user": {"id": "29:user-1", "name": "Ana", "aadObjectId": "aad-1"},
        }
    }


def test_one_connector_token_serves_several_replies(fresh: _Server) -> None:
    bf = fresh.standin
    fresh.channel.connector.credentials.invalidate()
    tokens_before, since = bf.token_requests, len(bf.received)

    async def twice(message: UserMessage) -> None:
        await echo(message)
        await message.output_channel.send_text_message(message.sender_id, "and again")

    fresh.handler = twice
    for n in range(3):
        body = activity(bf, conversation={"id": f"a:conv-{n}"}, text=f"hi {n}")
        assert fresh.post(body, authorization=bearer(bf))[0] == 202
    received = replies(bf, since, 6)
    assert bf.token_requests - tokens_before == 1
    assert len({r.authorization for r in received}) == 1
    assert {r.path.split("/")[4] for r in received} == {"a:conv-0", "a:conv-1", "a:conv-2"}


def test_buttons_go_out_as_an_adaptive_card_and_a_tap_comes_back_as_its_payload(
    fresh: _Server,
) -> None:
    bf = fresh.standin

    async def ask(message: UserMessage) -> None:
        await message.output_channel.send_response(
            message.sender_id,
            {"text": "Shall I?", "buttons": [{"title": "Yes", "payload": "/affirm"}]},
        )

    fresh.handler = ask
    since = len(bf.received)
    assert fresh.post(activity(bf), authorization=bearer(bf))[0] == 202
    [card] = replies(bf, since, 1)
    [attachment] = card.body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert attachment["content"]["version"] == "1.5"
    assert attachment["content"]["actions"] == [
        {"type": "Action.Submit", "title": "Yes", "data": {"payload": "/affirm"}}
    ]

    fresh.handler = echo
    tap = activity(bf, text=None, value={"payload": "/affirm"})
    assert fresh.post(tap, authorization=bearer(bf))[0] == 202
    [echoed] = replies(bf, since + 1, 1)
    assert echoed.body["text"] == "echo: /affirm"
    assert fresh.seen[-1].text == "/affirm"


def _cases(bf: BotFrameworkStandIn) -> list[tuple[str, str | None, dict[str, Any], int, str]]:
    now = int(time.time())
    stranger = SigningKey(bf.key.kid)
    good = claims(app_id=bf.app_id, service_url=bf.service_url)
    return [
        ("no header", None, {}, 401, "header is missing"),
        ("basic auth", "Basic dXNlcjpwdw==", {}, 401, "Bearer <jwt>"),
        (
            "alg none",
            f"Bearer {bf.key.unsigned(good)}",
            {},
            401,
            "'none' is not accepted",
        ),
        (
            "hs256 key confusion",
            f"Bearer {bf.key.hs256_with_public_key(good)}",
            {},
            401,
            "'HS256' is not accepted",
        ),
        ("expired", bearer(bf, exp=now - 301, nbf=now - 4000, iat=now - 4000), {}, 401, "expired"),
        ("wrong audience", bearer(bf, aud="another-bot"), {}, 401, "another app id"),
        ("wrong issuer", bearer(bf, iss="https://sts.windows.net/evil/"), {}, 401, "not issued"),
        (
            "unknown kid",
            f"Bearer {SigningKey('nobody-knows').token(good)}",
            {},
            401,
            "not in the Bot Framework key set",
        ),
        ("forged signature", bearer(bf, key=stranger), {}, 401, "signature does not verify"),
        (
            "serviceurl mismatch",
            bearer(bf, serviceurl="https://evil.example/"),
            {},
            403,
            "serviceUrl does not match",
        ),
        (
            "endorsement mismatch",
            bearer(bf),
            {"channelId": "skype"},
            403,
            "not endorsed for channel 'skype'",
        ),
    ]


def test_every_bad_token_is_refused_before_the_bot_sees_anything(fresh: _Server) -> None:
    bf = fresh.standin
    since, jwks_before = len(bf.received), bf.jwks_requests
    for name, authorization, changes, status, reason in _cases(bf):
        code, answer = fresh.post(activity(bf, **changes), authorization=authorization)
        assert (code, name) == (status, name)
        assert reason in answer["error"], (name, answer)
        assert "BEGIN" not in answer["error"] and bf.key.jwk()["n"][:16] not in answer["error"]
        assert fresh.seen == [], name
    assert bf.jwks_requests > jwks_before, "an unknown kid refetches the key set"
    assert fresh.post(activity(bf, text="after all that"), authorization=bearer(bf))[0] == 202
    [reply] = replies(bf, since, 1)
    assert reply.body["text"] == "echo: after all that"
    assert [m.text for m in fresh.seen] == ["after all that"]


def test_a_token_expired_within_the_clock_skew_is_accepted(fresh: _Server) -> None:
    bf = fresh.standin
    now, since = int(time.time()), len(bf.received)
    stale = bearer(bf, exp=now - 120, nbf=now - 3720, iat=now - 3720)
    assert fresh.post(activity(bf), authorization=stale)[0] == 202
    replies(bf, since, 1)


def test_a_rotated_key_is_fetched_and_accepted(fresh: _Server) -> None:
    bf = fresh.standin
    old, new = bf.key, SigningKey(endorsements=["msteams"])
    since, jwks_before = len(bf.received), bf.jwks_requests
    bf.rotate(new)
    try:
        assert fresh.post(activity(bf), authorization=bearer(bf, key=new))[0] == 202
        replies(bf, since, 1)
        assert bf.jwks_requests == jwks_before + 1
    finally:
        bf.keys = [old, new]


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        (b"{oops", 400, "not UTF-8 JSON"),
        (b"\xff\xfe", 400, "not UTF-8 JSON"),
        (b"[]", 400, "must be a JSON object"),
        ({"conversation": None}, 400, "no 'conversation.id'"),
        ({"from": None}, 400, "no 'from.id'"),
        ({"id": None}, 400, "no 'id'"),
        ({"text": "x" * 1001}, 413, "the limit is 1000"),
    ],
)
def test_malformed_activities_get_4xx_and_never_reach_the_bot(
    fresh: _Server, body: Any, status: int, reason: str
) -> None:
    bf = fresh.standin
    if isinstance(body, dict):
        body = {k: v for k, v in activity(bf, **body).items() if v is not None}
    since = len(bf.received)
    code, answer = fresh.post(body, authorization=bearer(bf))
    assert code == status and reason in answer["error"]
    assert fresh.seen == [] and len(bf.received) == since


def test_a_malformed_body_without_a_token_is_a_401_not_a_400(fresh: _Server) -> None:
    assert fresh.post(b"{oops", authorization=None)[0] == 401


def test_conversation_update_is_acknowledged_and_ignored(fresh: _Server) -> None:
    bf = fresh.standin
    update = activity(bf, type="conversationUpdate", membersAdded=[{"id": "28:bot-1"}])
    del update["text"]
    since = len(bf.received)
    assert fresh.post(update, authorization=bearer(bf)) == (
        200,
        {"status": "ignored", "type": "conversationUpdate"},
    )
    time.sleep(0.2)
    assert fresh.seen == [] and len(bf.received) == since


def test_an_empty_message_gets_a_prompt_without_the_bot(fresh: _Server) -> None:
    bf = fresh.standin
    since = len(bf.received)
    body = activity(bf, text="<at>Volt</at>", attachments=[{"contentType": "image/png"}])
    assert fresh.post(body, authorization=bearer(bf))[0] == 202
    [reply] = replies(bf, since, 1)
    assert reply.body["text"] == EMPTY_MESSAGE_REPLY and fresh.seen == []


def test_a_crash_while_handling_becomes_an_apology(fresh: _Server) -> None:
    async def explode(_: UserMessage) -> None:
        raise RuntimeError("model crashed")

    bf = fresh.standin
    fresh.handler = explode
    since = len(bf.received)
    assert fresh.post(activity(bf), authorization=bearer(bf))[0] == 202
    [reply] = replies(bf, since, 1)
    assert reply.body["text"] == FAILURE_REPLY


def test_throttling_is_retried_once_after_retry_after(fresh: _Server) -> None:
    bf = fresh.standin
    bf.fail_next(429, retry_after="1")
    since, started = len(bf.received), time.monotonic()
    assert fresh.post(activity(bf, text="slow down"), authorization=bearer(bf))[0] == 202
    first, second = replies(bf, since, 2)
    assert time.monotonic() - started >= 1.0
    assert first.body == second.body and second.body["text"] == "echo: slow down"


def test_a_revoked_connector_token_is_replaced_once(fresh: _Server) -> None:
    bf = fresh.standin
    bf.revoke_tokens()
    since, tokens_before = len(bf.received), bf.token_requests
    assert fresh.post(activity(bf, text="still there?"), authorization=bearer(bf))[0] == 202
    [reply] = replies(bf, since, 1)
    assert reply.body["text"] == "echo: still there?"
    assert bf.token_requests == tokens_before + 1


def test_a_later_message_reaches_a_known_conversation_after_a_restart(fresh: _Server) -> None:
    bf = fresh.standin
    first = activity(bf, conversation={"id": "a:later", "tenantId": "t-9"}, channelData={})
    since = len(bf.received)
    assert fresh.post(first, authorization=bearer(bf))[0] == 202
    replies(bf, since, 1)  # the echo; the reference is stored by now
    since += 1

    restarted = fresh.make_channel()  # a new engine process: new caches, same database
    output = restarted.get_output_channel()
    assert isinstance(output, TeamsOutput)

    async def agent_says() -> None:
        try:
            await output.send_response(
                "teams:a:later",
                {"text": "Hi Ana, Ben here.", "custom": {"type": "agent_message", "agent": "Ben"}},
            )
            with pytest.raises(UnknownConversation):
                await output.send_text_message("teams:never-seen", "hello?")
        finally:
            await restarted.close()

    asyncio.run(agent_says())
    [message] = replies(bf, since, 1)
    assert message.path == "/emea/v3/conversations/a:later/activities"
    assert message.body == {
        "type": "message",
        "from": {"id": "28:bot-1", "name": "Volt"},
        "recipient": {"id": "29:user-1", "name": "Ana", "aadObjectId": "aad-1"},
        "conversation": {"id": "a:later"},
        "textFormat": "markdown",
        "text": "**Ben:** Hi Ana, Ben here.",
        "channelData": {"tenant": {"id": "t-9"}},
    }


def test_health(fresh: _Server) -> None:
    with urllib.request.urlopen(f"http://127.0.0.1:{fresh.port}/webhooks/teams/", timeout=10) as r:
        assert json.loads(r.read()) == {"status": "ok"}
