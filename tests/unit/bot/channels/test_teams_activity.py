"""Activity parsing, conversation references and the Teams output, without sockets."""

from __future__ import annotations

import asyncio
import json
import time
from email.utils import formatdate
from pathlib import Path
from typing import Any

import pytest

from bot.channels.botframework_connector import (
    ConversationReference,
    ConversationReferenceStore,
    UnknownConversation,
    retry_after,
)
from bot.channels.rest import BadRequest
from bot.channels.teams import TeamsInput, TeamsOutput, message_text, parse_activity
from bot.errors import ConfigError

SERVICE_URL = "https://smba.trafficmanager.net/emea/"


def activity(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "type": "message",
        "id": "1700000000001",
        "channelId": "msteams",
        "serviceUrl": SERVICE_URL,
        "from": {"id": "29:user-1", "name": "Ana", "aadObjectId": "aad-1"},
        "recipient": {"id": "28:bot-1", "name": "Volt"},
        "conversation": {"id": "a:1conv", "conversationType": "personal", "tenantId": "t-1"},
        "channelData": {"tenant": {"id": "t-1"}},
        "text": "hello",
    }
    base.update(changes)
    return base


def raw(body: Any) -> bytes:
    return json.dumps(body).encode()


def test_a_message_is_parsed_with_its_text() -> None:
    parsed, text = parse_activity(raw(activity()), max_message_chars=100)
    assert parsed["id"] == "1700000000001" and text == "hello"


def test_other_activity_types_need_no_text_or_accounts() -> None:
    body = activity(type="conversationUpdate", membersAdded=[{"id": "28:bot-1"}])
    del body["id"], body["text"]
    assert parse_activity(raw(body), max_message_chars=100)[1] is None


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (b"{oops", "not UTF-8 JSON"),
        (b"\xff\xfe", "not UTF-8 JSON"),
        (b"[1]", "must be a JSON object"),
        (raw(activity(type=None)), "no 'type'"),
        (raw(activity(channelId="")), "no 'channelId'"),
        (raw(activity(conversation={})), "no 'conversation.id'"),
        (raw(activity(conversation="a:1")), "no 'conversation.id'"),
        (raw(activity(serviceUrl="ftp://x/")), "must be an http"),
        (raw(activity(id=7)), "no 'id'"),
        (raw(activity(**{"from": {}})), "no 'from.id'"),
        (raw(activity(recipient=None)), "no 'recipient.id'"),
        (raw(activity(text=["x"])), "'text' must be a string"),
    ],
)
def test_malformed_activities_are_a_400_that_says_what_is_missing(body: bytes, match: str) -> None:
    with pytest.raises(BadRequest, match=match) as e:
        parse_activity(body, max_message_chars=100)
    assert e.value.status == 400


def test_oversized_text_is_a_413() -> None:
    with pytest.raises(BadRequest, match="limit is 10") as e:
        parse_activity(raw(activity(text="x" * 11)), max_message_chars=10)
    assert e.value.status == 413


@pytest.mark.parametrize(
    ("changes", "text"),
    [
        ({"text": "<at>Volt</at> what are your hours?"}, "what are your hours?"),
        (
            {
                "text": "<at>Volt Bot</at> ask <at>Ben</at>",
                "entities": [
                    {
                        "type": "mention",
                        "text": "<at>Volt Bot</at>",
                        "mentioned": {"id": "28:bot-1"},
                    },
                    {"type": "mention", "text": "<at>Ben</at>", "mentioned": {"id": "29:ben"}},
                ],
            },
            "ask Ben",
        ),
        ({"text": "line one\nline two"}, "line one\nline two"),
        (
            {"text": "<at>Volt</at> odd", "entities": [1, {"mentioned": "x"}, {"type": "mention"}]},
            "odd",
        ),
        ({"text": "odd too", "entities": 7}, "odd too"),
        ({"text": None, "value": {"payload": "/affirm"}}, "/affirm"),
        ({"text": "ignored", "value": {"payload": " /deny "}}, "/deny"),
        ({"text": "typed", "value": {"other": 1}}, "typed"),
        ({"text": None}, ""),
    ],
)
def test_message_text(changes: dict[str, Any], text: str) -> None:
    assert message_text(activity(**changes)) == text


def test_references_survive_a_new_store_on_the_same_file(tmp_path: Path) -> None:
    reference = ConversationReference.from_activity(activity())
    assert reference is not None
    assert reference.sender_id == "teams:a:1conv"
    assert reference.tenant_id == "t-1"
    ConversationReferenceStore(tmp_path / "state" / "refs.db").save(reference)
    again = ConversationReferenceStore(tmp_path / "state" / "refs.db")
    assert again.load("teams:a:1conv") == reference
    assert again.load("teams:unknown") is None


class FakeConnector:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any], str | None]] = []

    async def send(self, reference: Any, activity: dict[str, Any], reply_to: str | None) -> dict:
        self.sent.append((reference.conversation_id, activity, reply_to))
        return {"id": "r1"}


def output(tmp_path: Path, *, replying: bool) -> tuple[TeamsOutput, FakeConnector]:
    store = ConversationReferenceStore(tmp_path / "refs.db")
    reference = ConversationReference.from_activity(activity())
    assert reference is not None
    store.save(reference)
    connector = FakeConnector()
    out = TeamsOutput(
        connector=connector,  # type: ignore[arg-type]
        references=store,
        reference=reference if replying else None,
        reply_to_id="1700000000001" if replying else None,
    )
    return out, connector


def test_a_reply_goes_to_the_user_as_markdown_in_reply_to_their_message(tmp_path: Path) -> None:
    out, connector = output(tmp_path, replying=True)
    asyncio.run(out.send_response("teams:a:1conv", {"text": "Hi **Ana**"}))
    [(conversation, sent, reply_to)] = connector.sent
    assert (conversation, reply_to) == ("a:1conv", "1700000000001")
    assert sent == {
        "type": "message",
        "from": {"id": "28:bot-1", "name": "Volt"},
        "recipient": {"id": "29:user-1", "name": "Ana", "aadObjectId": "aad-1"},
        "conversation": {"id": "a:1conv"},
        "textFormat": "markdown",
        "text": "Hi **Ana**",
        "channelData": {"tenant": {"id": "t-1"}},
        "replyToId": "1700000000001",
    }


def test_buttons_and_a_card_with_its_summary(tmp_path: Path) -> None:
    out, connector = output(tmp_path, replying=True)
    buttons = [{"title": "Yes", "payload": "/affirm"}]
    asyncio.run(out.send_response("teams:a:1conv", {"text": "Sure?", "buttons": buttons}))
    plan = {
        "type": "recommendations",
        "schema_version": 1,
        "data": {"items": [], "customer_id": None},
    }
    asyncio.run(out.send_response("teams:a:1conv", {"text": "Here you go", "custom": plan}))
    first, second = (sent for _, sent, _ in connector.sent)
    assert first["text"] == ""
    assert first["attachments"][0]["content"]["actions"][0]["data"] == {"payload": "/affirm"}
    assert second["text"] == "Here you go"
    assert second["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"


def test_an_agent_message_is_one_activity_with_the_name(tmp_path: Path) -> None:
    out, connector = output(tmp_path, replying=False)
    asyncio.run(
        out.send_response(
            "teams:a:1conv",
            {"text": "Hello, Ben here.", "custom": {"type": "agent_message", "agent": "Ben"}},
        )
    )
    [(_, sent, reply_to)] = connector.sent
    assert sent["text"] == "**Ben:** Hello, Ben here." and reply_to is None
    assert "replyToId" not in sent


def test_a_proactive_message_for_an_unknown_conversation_fails_clearly(tmp_path: Path) -> None:
    out, connector = output(tmp_path, replying=False)
    with pytest.raises(UnknownConversation, match="has to write to the bot first") as e:
        asyncio.run(out.send_text_message("teams:nobody", "hi"))
    assert e.value.status == 404 and connector.sent == []


CREDENTIALS = {"app_id": "app-1", "app_password": "pw"}


@pytest.mark.parametrize("missing", ["app_id", "app_password"])
def test_a_missing_credential_is_named(missing: str) -> None:
    credentials = {k: v for k, v in CREDENTIALS.items() if k != missing}
    with pytest.raises(ConfigError, match=f"lacks `{missing}`"):
        TeamsInput.from_credentials(credentials)
    with pytest.raises(ConfigError, match="lacks `app_id`"):
        TeamsInput.from_credentials(None)


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        ({"token_url": "http://login.example/token"}, "token_url must be an https URL"),
        ({"openid_metadata_url": "ftp://x"}, "openid_metadata_url must be an https URL"),
        ({"clock_skew_s": "soon"}, "`clock_skew_s` must be a number"),
        ({"clock_skew_s": 7200}, "between 0 and 3600"),
        ({"max_message_chars": 0}, "max_message_chars positive"),
        ({"app_secret": "typo"}, "unknown credentials \\['app_secret'\\]"),
    ],
)
def test_bad_settings_fail_when_the_channel_is_built(extra: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        TeamsInput.from_credentials({**CREDENTIALS, **extra})


def test_from_credentials_keeps_references_under_the_state_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TANDEM_STATE_DIR", str(tmp_path))
    channel = TeamsInput.from_credentials(
        {**CREDENTIALS, "token_url": "http://127.0.0.1:9/token", "clock_skew_s": "60"}
    )
    assert isinstance(channel, TeamsInput)
    assert channel.references.path == tmp_path / "teams_conversations.db"
    assert channel.validator.clock_skew_s == 60
    assert "pw" not in repr(channel.connector.credentials)
    assert channel.name() == "teams" and channel.url_prefix() == "teams"


def test_rasa_builds_the_channel_from_credentials_yml_with_the_secret_from_the_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rasa.core.run import create_http_input_channels

    monkeypatch.setenv("TEAMS_APP_ID", "app-from-env")
    monkeypatch.setenv("TEAMS_APP_PASSWORD", "secret-from-env")
    monkeypatch.setenv("TANDEM_STATE_DIR", str(tmp_path))
    credentials = tmp_path / "credentials.yml"
    credentials.write_text(
        "bot.channels.teams.TeamsInput:\n"
        "  app_id: ${TEAMS_APP_ID}\n"
        "  app_password: ${TEAMS_APP_PASSWORD}\n"
        "  max_message_chars: 2000\n"
    )
    [channel] = create_http_input_channels(None, str(credentials))
    assert isinstance(channel, TeamsInput)
    assert channel.app_id == "app-from-env" and channel.max_message_chars == 2000


def test_rasas_output_channel_latest_picks_the_teams_output(tmp_path: Path) -> None:
    """What ``POST /conversations/<id>/tracker/events?output_channel=latest`` does."""
    from types import SimpleNamespace

    from rasa.server import _get_output_channel
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    channel = TeamsInput(app_id="a", app_password="p", reference_db=tmp_path / "refs.db")
    request = SimpleNamespace(
        args={"output_channel": "latest"},
        app=SimpleNamespace(ctx=SimpleNamespace(input_channels=[channel])),
    )
    tracker = DialogueStateTracker.from_events(
        "teams:a:1conv", [UserUttered("hi", input_channel="teams")]
    )
    assert isinstance(_get_output_channel(request, tracker), TeamsOutput)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [(None, 1.0), ("2", 2.0), ("0", 0.0), ("-5", 0.0), ("3600", 10.0), ("nan", 1.0), ("soon", 1.0)],
)
def test_retry_after_is_honoured_within_bounds(header: str | None, seconds: float) -> None:
    assert retry_after(header) == seconds


def test_retry_after_as_an_http_date() -> None:
    assert 2.0 <= retry_after(formatdate(time.time() + 4, usegmt=True)) <= 4.0
