# ruff: noqa: RUF001  (Chinese messages, on purpose)
"""What agents do in the console, and what Rasa (the fake) receives for it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.contract.csat import parse_rating, prompt_context
from bot.handoff.settings import HandoffSettings

from .conftest import Console, Harness, running


async def _setup(h: Harness) -> tuple[int, Console]:
    g = h.gateway
    g.customer_says("c1", "hi, my name is Ana")
    g.set_slot("c1", "customer_name", "Ana")
    g.bot_says("c1", "Hi Ana! How can I help?")
    handoff_id = (
        await h.request_handoff("c1", customer_name="Ana", reason="asked for a person")
    ).json()["id"]
    g.customer_says("c1", "my Nova 8 does not charge, can someone help?")
    g.pause("c1")
    await h.user("ana.agent@example.com", "Marta")
    return handoff_id, await h.console("ana.agent@example.com")


async def test_claim_reply_resolve_reach_the_customer_through_rasa(harness: Harness) -> None:
    handoff_id, marta = await _setup(harness)
    claimed = await marta.act(handoff_id, "claim")
    assert claimed.status_code == 200 and claimed.json()["status"] == "assigned"
    sent = await marta.act(handoff_id, "reply", {"text": "Hi Ana, let's sort this out."})
    assert sent.status_code == 200
    assert [m["text"] for m in sent.json()["messages"]] == ["Hi Ana, let's sort this out."]
    resolved = await marta.act(handoff_id, "resolve")
    assert resolved.json()["status"] == "resolved" and resolved.json()["closed_at"]

    appended = [events for _, events in harness.gateway.appended]
    assert appended[0] == [
        {
            "event": "bot",
            "text": "Marta from our team has joined the conversation.",
            "data": {"custom": {"type": "handoff", "state": "agent", "agent": "Marta"}},
        }
    ]
    assert appended[1] == [
        {
            "event": "bot",
            "text": "Hi Ana, let's sort this out.",
            "data": {"custom": {"type": "agent_message", "agent": "Marta"}},
            "metadata": {"agent": "Marta"},
        }
    ]
    assert appended[2][0] == {"event": "resume"}
    assert appended[2][1]["data"] == {"custom": {"type": "handoff", "state": "bot"}}
    assert "Volt" in appended[2][1]["text"]

    stored = harness.runtime.store.messages(handoff_id)
    assert [(m.sender, m.agent) for m in stored] == [
        ("customer", None),
        ("system", "Marta"),
        ("agent", "Marta"),
        ("system", None),
        ("bot", None),  # the rating question
    ]
    # closed: no longer in the queue, no more actions
    assert (await marta.get("/console/api/queue")).json() == []
    assert (await marta.act(handoff_id, "reply", {"text": "hello?"})).status_code == 409


async def test_detail_has_transcript_context_summary_and_suggestions(harness: Harness) -> None:
    handoff_id, marta = await _setup(harness)
    detail = (await marta.get(f"/console/api/handoffs/{handoff_id}")).json()
    assert detail["handoff"]["customer_name"] == "Ana"
    assert [m["sender"] for m in detail["context"]["messages"]] == ["customer", "bot"]
    assert detail["context"]["slots"] == {"customer_name": "Ana"}
    assert [m["text"] for m in detail["messages"]] == [
        "my Nova 8 does not charge, can someone help?"
    ]
    assert detail["summary"].startswith(
        "Problem (in the customer's words): my Nova 8 does not charge"
    )
    assert "customer name: Ana" in detail["summary"]
    assert detail["assist_source"] == "extractive"
    assert 2 <= len(detail["suggestions"]) <= 3
    assert detail["suggestions"][0].startswith("Hi Ana, thanks for waiting.")
    assert detail["can_act"] is False
    harness.gateway.customer_says("c1", "hello?")
    await harness.sync("c1")
    fresh = (await marta.get(f"/console/api/handoffs/{handoff_id}/assist")).json()
    assert fresh["last_seq"] == 5 and fresh["source"] == "extractive"
    assert fresh["summary"].splitlines()[-1] == "Customer: hello?"
    assert len(harness.audit("view")) == 1  # the summary refresh is not another view


async def test_a_rasa_failure_is_a_502_and_nothing_is_stored_or_changed(harness: Harness) -> None:
    handoff_id, marta = await _setup(harness)
    harness.gateway.down = True
    claim = await marta.act(handoff_id, "claim")
    assert claim.status_code == 502
    assert "not reachable" in claim.json()["error"]
    assert harness.runtime.store.get(handoff_id).status == "waiting"
    harness.gateway.down = False
    assert (await marta.act(handoff_id, "claim")).status_code == 200

    harness.gateway.down = True
    reply = await marta.act(handoff_id, "reply", {"text": "This must not get lost"})
    assert reply.status_code == 502
    assert all(
        m.text != "This must not get lost" for m in harness.runtime.store.messages(handoff_id)
    )
    assert not harness.audit("reply")  # not sent, not audited as sent
    resolve = await marta.act(handoff_id, "resolve")
    assert resolve.status_code == 502
    assert harness.runtime.store.get(handoff_id).status == "assigned"
    harness.gateway.down = False
    retry = await marta.act(handoff_id, "reply", {"text": "This must not get lost"})
    assert retry.status_code == 200
    assert [m["text"] for m in retry.json()["messages"]] == ["This must not get lost"]


async def test_state_rules(harness: Harness) -> None:
    handoff_id, marta = await _setup(harness)
    early = await marta.act(handoff_id, "reply", {"text": "too early"})
    assert early.status_code == 409 and "waiting" in early.json()["error"]
    assert (await marta.act(handoff_id, "resolve")).status_code == 403  # claim first
    assert (await marta.act(handoff_id, "claim")).status_code == 200
    twice = await marta.act(handoff_id, "claim")
    assert twice.status_code == 409
    assert (await marta.act(999, "claim")).status_code == 404
    returned = await marta.act(handoff_id, "return")
    assert returned.json()["status"] == "returned"
    assert (await marta.act(handoff_id, "notes", {"text": "late note"})).status_code == 409
    # the bot has the conversation again; a new request makes a new handoff
    again = await harness.request_handoff("c1")
    assert again.status_code == 201 and again.json()["id"] != handoff_id


async def test_notes_are_internal(harness: Harness) -> None:
    handoff_id, marta = await _setup(harness)
    await marta.act(handoff_id, "claim")
    note = await marta.act(handoff_id, "notes", {"text": "Customer is a VIP <b>really</b>"})
    assert note.status_code == 201
    assert note.json()["author"] == "Marta"
    detail = (await marta.get(f"/console/api/handoffs/{handoff_id}")).json()
    assert [n["text"] for n in detail["notes"]] == ["Customer is a VIP <b>really</b>"]
    assert all("VIP" not in str(events) for _, events in harness.gateway.appended)


async def test_console_page_escapes_the_users_name(harness: Harness) -> None:
    await harness.user("x@example.com", 'Eve <script>alert("x")</script>')
    eve = await harness.console("x@example.com")
    page = await eve.get("/console/")
    assert page.status_code == 200
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;" in page.text
    assert page.headers["cache-control"] == "no-store"
    static = await eve.get("/console/static/console.js")
    assert static.status_code == 200
    assert ".innerHTML" not in static.text  # text goes in through textContent only


@pytest.mark.parametrize("action", ["resolve", "return"])
async def test_returning_or_resolving_asks_the_customer_to_rate_the_chat(
    harness: Harness, action: str
) -> None:
    """After a person helped, the customer gets the 1-5 question in the handoff context."""
    handoff_id, marta = await _setup(harness)
    assert (await marta.act(handoff_id, "claim")).status_code == 200
    assert (await marta.act(handoff_id, action)).status_code == 200
    resume = harness.gateway.appended[-1][1]
    assert [e["event"] for e in resume] == ["resume", "bot", "bot", "action"]
    question = resume[2]
    assert "rate" in question["text"]
    assert prompt_context(question["metadata"]) == "handoff"
    buttons = question["data"]["buttons"]
    assert [b["title"] for b in buttons] == ["1", "2", "3", "4", "5"]
    assert [parse_rating(b["payload"]) for b in buttons] == [1, 2, 3, 4, 5]
    assert resume[3] == {"event": "action", "name": "action_listen"}


async def test_no_rating_question_when_no_person_took_part_or_it_is_off(
    harness: Harness, settings: HandoffSettings
) -> None:
    g = harness.gateway
    g.customer_says("c2", "can I talk to someone")
    handoff_id = (await harness.request_handoff("c2")).json()["id"]
    g.customer_says("c2", "hello? anyone there?")
    g.pause("c2")
    await harness.user("sup@example.com", "Sam", role="supervisor")
    sam = await harness.console("sup@example.com")
    assert (await sam.act(handoff_id, "return")).status_code == 200
    assert [e["event"] for e in g.appended[-1][1]] == ["resume", "bot", "action"]

    async with running(replace(settings, csat=False)) as off:
        handoff_id, marta = await _setup(off)
        assert (await marta.act(handoff_id, "claim")).status_code == 200
        assert (await marta.act(handoff_id, "resolve")).status_code == 200
        assert [e["event"] for e in off.gateway.appended[-1][1]] == ["resume", "bot", "action"]


async def test_a_chinese_conversation_is_joined_and_returned_in_chinese(harness: Harness) -> None:
    """The language slot travels in the handoff's context: the console shows it, and what
    the service says to the customer is in it."""
    g = harness.gateway
    g.customer_says("c3", "你好，我想找人工客服")
    g.set_slot("c3", "language", "zh")
    handoff_id = (await harness.request_handoff("c3", reason="customer_request")).json()["id"]
    g.customer_says("c3", "我的手机充不了电")
    g.pause("c3")
    await harness.user("li.agent@example.com", "Li")
    li = await harness.console("li.agent@example.com")

    [queued] = (await li.get("/console/api/queue")).json()
    assert queued["language"] == "zh"
    assert (await li.act(handoff_id, "claim")).status_code == 200
    assert (await li.act(handoff_id, "return")).status_code == 200

    joined = g.appended[0][1][0]["text"]
    assert joined == "我们团队的Li已加入对话。"
    resume = g.appended[-1][1]
    assert resume[1]["text"].startswith("您已回到我们的助手Volt这里")
    assert resume[2]["text"].startswith("您对我们团队的服务满意吗")
    detail = (await li.get(f"/console/api/handoffs/{handoff_id}")).json()
    assert detail["handoff"]["language"] == "zh"
