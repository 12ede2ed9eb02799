"""Card numbers, e-mails and phones typed by a customer: not in handoff.db, not in the console."""

from __future__ import annotations

import stat
from pathlib import Path

from sqlalchemy import select

from bot.handoff import HandoffSettings
from bot.handoff.models import Ticket

from .conftest import SERVICE, running

CARD = "4111 1111 1111 1111"
EMAIL = "ana.private@example.com"
PHONE = "+44 20 7946 0958"
SECRETS = (CARD, CARD.replace(" ", ""), "4111", EMAIL, "7946 0958")


def _database_bytes(settings: HandoffSettings) -> bytes:
    path = Path(settings.db_url.removeprefix("sqlite:///"))
    files = [path, path.with_name(path.name + "-wal")]
    return b"".join(f.read_bytes() for f in files if f.exists())


async def test_personal_data_stays_out_of_the_handoff_database_and_the_summary(
    settings: HandoffSettings,
) -> None:
    async with running(settings) as h:
        g = h.gateway
        g.customer_says("c1", f"my e-mail is {EMAIL} and my phone {PHONE}")
        g.set_slot("c1", "contact", EMAIL)
        queued = await h.request_handoff("c1", customer_name="Ana", reason="asked for a person")
        handoff_id = queued.json()["id"]
        g.customer_says("c1", f"the card I paid with is {CARD}, can you refund it?")
        await h.sync("c1")
        await h.user("sue@example.com", "Sue", role="supervisor")
        sue = await h.console("sue@example.com")
        note = await sue.act(handoff_id, "notes", {"text": f"card {CARD} on file"})
        assert note.status_code == 201 and note.json()["text"] == "card [card] on file"
        ticket = await h.client.post(
            "/api/tickets",
            json={"conversation_id": "c1", "contact": EMAIL, "note": f"call {PHONE}"},
            headers=SERVICE,
        )
        assert ticket.status_code == 201
        detail = (await sue.get(f"/console/api/handoffs/{handoff_id}")).json()
        shown = str(detail)
        assert all(s not in shown for s in SECRETS), shown
        assert "[card]" in detail["summary"]
        assert "[card]" in detail["messages"][-1]["text"]
        assert "[email]" in str(detail["context"]) and "[phone]" in str(detail["context"])
        # the ticket's contact is the one place the feature needs an address
        with h.runtime.store._db() as db:
            [(contact, note)] = db.execute(select(Ticket.contact, Ticket.note)).all()
        assert (contact, note) == (EMAIL, "call [phone]")
    stored = _database_bytes(settings)
    assert stored.count(EMAIL.encode()) >= 1  # the ticket's contact field
    for secret in (CARD, CARD.replace(" ", ""), PHONE, "7946 0958"):
        assert secret.encode() not in stored, secret


async def test_the_database_file_is_owner_only(settings: HandoffSettings) -> None:
    async with running(settings) as h:
        assert (await h.request_handoff("c1")).status_code == 201
    path = Path(settings.db_url.removeprefix("sqlite:///"))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if file.exists():
            assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
