"""The NOTIFY payloads of console live events: cut to PostgreSQL's size, joined back whole."""

from __future__ import annotations

from bot.handoff.live import DROPPED, Hub
from bot.handoff.relay import CHUNK_CHARS, Assembler, encode


def test_a_small_event_is_one_payload_and_comes_back_equal() -> None:
    event = {"type": "queue"}
    payloads = encode("a1", 7, event)
    assert payloads == ['a1 7 0 1 {"type":"queue"}']
    assert Assembler("b2").add(payloads[0]) == event


def test_a_long_message_in_any_script_fits_the_limit_and_is_joined_in_order() -> None:
    event = {"type": "message", "message": {"text": "Grüße, 你好 🙂 " * 1500, "seq": 3}}
    payloads = encode("a1", 0, event)
    assert len(payloads) > 3
    assert all(len(p.encode()) < 8000 for p in payloads)  # PostgreSQL's limit
    assert all(p.isascii() for p in payloads)
    receiver = Assembler("b2")
    assert [receiver.add(p) for p in payloads[:-1]] == [None] * (len(payloads) - 1)
    assert receiver.add(payloads[-1]) == event


def test_own_events_are_skipped_and_broken_ones_dropped() -> None:
    receiver = Assembler("me")
    assert receiver.add(encode("me", 1, {"type": "queue"})[0]) is None
    assert receiver.add("not ours at all") is None
    first, *_, last = encode("other", 1, {"type": "note", "text": "x" * (3 * CHUNK_CHARS)})
    receiver.add(first)
    assert receiver.add(last) is None  # the middle went missing
    whole = encode("other", 2, {"type": "queue"})
    assert receiver.add(whole[0]) == {"type": "queue"}  # the next event is fine again


def test_two_senders_interleaved_still_join() -> None:
    long = {"type": "note", "text": "y" * (2 * CHUNK_CHARS)}
    one, two = encode("p", 1, long), encode("q", 1, long)
    receiver = Assembler("me")
    out = [receiver.add(x) for pair in zip(one, two, strict=True) for x in pair]
    assert out[-2:] == [long, long]


async def test_the_hub_delivers_here_and_hands_the_event_to_its_relay() -> None:
    sent: list[dict[str, str]] = []

    class Relay:
        def send(self, event: dict[str, str]) -> None:
            sent.append(event)

        async def start(self, deliver: object, reset: object) -> None:
            pass

        async def aclose(self) -> None:
            pass

    hub = Hub(relay=Relay())
    with hub.subscribe() as inbox:
        hub.publish({"type": "queue"})
        hub.deliver({"type": "from-elsewhere"})
        assert [inbox.get_nowait(), inbox.get_nowait()] == [
            {"type": "queue"},
            {"type": "from-elsewhere"},
        ]
        hub.drop_all()
        assert inbox.get_nowait() is DROPPED
    assert sent == [{"type": "queue"}]  # what came from elsewhere is not sent back
