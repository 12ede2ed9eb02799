"""The transcript follows Rasa's tracker: complete, ordered, stored once, across restarts."""

from __future__ import annotations

import asyncio

from bot.handoff import FakeRasaGateway, HandoffSettings

from .conftest import Console, Harness, running


async def _claimed(h: Harness, conversation_id: str) -> tuple[int, Console]:
    h.gateway.customer_says(conversation_id, "I'd like to talk to a person")
    handoff_id = (await h.request_handoff(conversation_id)).json()["id"]
    await h.user("ana@example.com", "Ana")
    console = await h.console("ana@example.com")
    assert (await console.act(handoff_id, "claim")).status_code == 200
    return handoff_id, console


async def test_repeated_syncs_store_each_event_once(harness: Harness) -> None:
    g = harness.gateway
    g.customer_says("c1", "hi")
    g.bot_says("c1", "Hello! How can I help?")
    g.set_slot("c1", "customer_name", "Ana")
    await harness.request_handoff("c1")
    g.customer_says("c1", "my order never arrived")
    g.pause("c1")
    g.bot_says("c1", "A colleague will be with you shortly.")
    for _ in range(3):
        await harness.sync("c1")
    await asyncio.gather(*(harness.sync("c1") for _ in range(5)))
    [handoff] = harness.runtime.store.active()
    stored = harness.runtime.store.messages(handoff.id)
    assert [(m.seq, m.sender, m.text) for m in stored] == [
        (3, "customer", "my order never arrived"),
        (5, "bot", "A colleague will be with you shortly."),
    ]
    assert handoff.context["slots"] == {"customer_name": "Ana"}
    assert [m["text"] for m in handoff.context["messages"]] == ["hi", "Hello! How can I help?"]


async def test_two_hundred_messages_interleaved_with_replies_keep_tracker_order(
    harness: Harness,
) -> None:
    handoff_id, console = await _claimed(harness, "busy")
    g = harness.gateway
    expected = []
    for i in range(200):
        g.customer_says("busy", f"customer message {i}")
        expected.append(("customer", f"customer message {i}"))
        if i % 20 == 0:
            harness.runtime.service.syncer.schedule("busy")  # notifications arrive meanwhile
        if i % 25 == 0:
            reply = await console.act(handoff_id, "reply", {"text": f"agent reply {i}"})
            assert reply.status_code == 200
            expected.append(("agent", f"agent reply {i}"))
    await harness.runtime.service.syncer.drain()
    await harness.sync("busy")
    stored = harness.runtime.store.messages(handoff_id)
    body = [(m.sender, m.text) for m in stored if m.sender in ("customer", "agent")]
    assert body == expected
    seqs = [m.seq for m in stored]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    events = await g.tracker_events("busy")
    for m in stored:
        assert events[m.seq]["text"] == m.text


async def test_a_restart_catches_up_with_what_was_said_while_down(
    settings: HandoffSettings,
) -> None:
    gateway = FakeRasaGateway()
    async with running(settings, gateway) as first:
        gateway.customer_says("c1", "help")
        handoff_id = (await first.request_handoff("c1")).json()["id"]
        gateway.customer_says("c1", "message while up")
        await first.sync("c1")
    # the service is stopped; the customer keeps writing to Rasa
    gateway.customer_says("c1", "message while down 1")
    gateway.customer_says("c1", "message while down 2")
    async with running(settings, gateway) as second:
        for _ in range(100):  # the start-up sweep runs in the background
            texts = [m.text for m in second.runtime.store.messages(handoff_id)]
            if len(texts) == 3:
                break
            await asyncio.sleep(0.05)
        assert texts == ["message while up", "message while down 1", "message while down 2"]


async def test_rasa_down_during_a_sync_loses_nothing(harness: Harness) -> None:
    harness.gateway.customer_says("c1", "help")
    handoff_id = (await harness.request_handoff("c1")).json()["id"]
    harness.gateway.down = True
    harness.gateway.customer_says("c1", "are you there?")
    harness.runtime.service.syncer.schedule("c1")
    await harness.runtime.service.syncer.drain()  # logged, not raised
    assert harness.runtime.store.messages(handoff_id) == []
    harness.gateway.down = False
    await harness.runtime.service.syncer.sweep()
    await harness.runtime.service.syncer.drain()
    assert [m.text for m in harness.runtime.store.messages(handoff_id)] == ["are you there?"]


async def test_the_sweep_backs_off_a_quiet_handoff_and_catches_up_with_a_lost_notification(
    harness: Harness,
) -> None:
    """Each sweep sync reads the whole tracker from Rasa: a handoff with nothing new
    is read after 1, 2, 4, ... sweeps, and every sweep again once something is new."""
    from bot.handoff.sync import QUIET_MAX_SWEEPS

    syncer = harness.runtime.service.syncer
    g = harness.gateway
    g.customer_says("quiet", "help")
    handoff_id = (await harness.request_handoff("quiet")).json()["id"]
    await syncer.drain()
    reads: list[str] = []
    original = g.tracker_events

    async def counting(conversation_id: str) -> list:
        reads.append(conversation_id)
        return await original(conversation_id)

    g.tracker_events = counting  # type: ignore[method-assign]

    async def sweeps(n: int) -> int:
        before = len(reads)
        for _ in range(n):
            await syncer.sweep()
            await syncer.drain()
        return len(reads) - before

    await sweeps(1)  # whatever the start-up state, one sweep that finds nothing
    quiet_reads = await sweeps(64)
    # 64 sweeps with nothing new: gaps 2, then QUIET_MAX_SWEEPS -> far fewer than 64 reads
    assert 64 // QUIET_MAX_SWEEPS <= quiet_reads <= 64 // QUIET_MAX_SWEEPS + 3
    assert quiet_reads < 64 // 2
    # a notification that never arrived: the line is stored within the longest gap
    g.customer_says("quiet", "is anyone there?")
    found_after = None
    for i in range(1, QUIET_MAX_SWEEPS + 1):
        await sweeps(1)
        if [m.text for m in harness.runtime.store.messages(handoff_id)][-1:] == [
            "is anyone there?"
        ]:
            found_after = i
            break
    assert found_after is not None
    # something new: swept at every sweep again
    assert await sweeps(1) == 1
