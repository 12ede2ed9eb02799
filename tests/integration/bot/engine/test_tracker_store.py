"""The tracker store endpoints.yml names keeps no card, e-mail or phone in clear.

Built from the real endpoints.yml on a real SQLite file; the file's raw bytes
are searched afterwards, so no serialisation path (event JSON, columns) can
hide a leak.
"""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import create_tracker_store
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config

from bot.engine.tracker_store import RedactingSQLTrackerStore
from tests.conftest import PROJECT_ROOT

DOMAIN = Domain.from_yaml(
    'version: "3.1"\nslots:\n'
    "  handoff_contact:\n    type: any\n    mappings: [{type: custom}]\n"
    "  customer_email:\n    type: any\n    mappings: [{type: custom}]\n"
)
CARD, EMAIL, PHONE = "4111 1111 1111 1111", "jane.doe@example.com", "+44 20 7946 0958"
SECRETS = (CARD, "4111111111111111", "4111-1111", EMAIL, "jane.doe", PHONE, "7946 0958")
TEXT = f"my card is {CARD}, mail {EMAIL} or call {PHONE}"


def conversation(sender: str) -> DialogueStateTracker:
    parse_data: dict[str, Any] = {
        "intent": {"name": "leave_contact", "confidence": 0.9},
        "entities": [
            {"entity": "email", "value": EMAIL, "start": 31, "end": 51},
            {"entity": "phone", "value": PHONE, "start": 60, "end": 76},
        ],
        "text": TEXT,
    }
    return DialogueStateTracker.from_events(
        sender,
        [
            ActionExecuted("action_listen"),
            UserUttered(
                TEXT,
                parse_data["intent"],
                parse_data["entities"],
                parse_data,
                metadata={"note": f"card {CARD}", "nested": [{"mail": EMAIL}]},
            ),
            SlotSet("handoff_contact", EMAIL),
            BotUttered(f"Thanks, I've passed {EMAIL} to our team.", {"custom": {"to": PHONE}}),
        ],
        slots=DOMAIN.slots,
    )


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RedactingSQLTrackerStore:
    for name in (
        "TANDEM_ACTION_SERVER_URL",
        "TANDEM_HANDOFF_URL",
        "TANDEM_HANDOFF_SERVICE_TOKEN",
        "TANDEM_ANALYTICS_OUTBOX",
    ):
        monkeypatch.setenv(name, "")
    monkeypatch.setenv("TANDEM_TRACKER_DB", str(tmp_path / "state" / "tracker.db"))
    config = read_endpoint_config(str(PROJECT_ROOT / "endpoints.yml"), "tracker_store")
    old_umask = os.umask(0o022)  # a hand-started engine's usual umask
    try:
        made = create_tracker_store(config, DOMAIN)
    finally:
        os.umask(old_umask)
    assert isinstance(made, RedactingSQLTrackerStore)  # not Rasa's silent in-memory fallback
    return made


def on_disk(db: Path) -> bytes:
    """The database file and its write-ahead log (where a commit lands first)."""
    files = [db, db.with_name(db.name + "-wal")]
    return b"".join(f.read_bytes() for f in files if f.exists())


def test_no_card_email_or_phone_reaches_the_database(store: RedactingSQLTrackerStore) -> None:
    tracker = conversation("ana")
    asyncio.run(store.save(tracker))
    db = Path(store.engine.url.database)
    raw = on_disk(db)
    assert b"[card]" in raw and b"[email]" in raw and b"[phone]" in raw
    for secret in SECRETS:
        assert secret.encode() not in raw, secret
    for path in (db, db.with_name(db.name + "-wal")):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    # What Rasa holds in memory (what the NLU and the actions saw) is untouched.
    assert tracker.latest_message.text == TEXT
    assert tracker.get_slot("handoff_contact") == EMAIL


def test_the_stored_conversation_reads_back_redacted(store: RedactingSQLTrackerStore) -> None:
    asyncio.run(store.save(conversation("ana")))
    restored = asyncio.run(store.retrieve("ana"))
    assert restored is not None
    assert restored.latest_message.text == "my card is [card], mail [email] or call [phone]"
    assert [e["value"] for e in restored.latest_message.entities] == ["[email]", "[phone]"]
    assert restored.get_slot("handoff_contact") == "[email]"
    assert len(restored.events) == 4  # later saves append after these, nothing twice
    asyncio.run(store.save(conversation("ana")))
    assert len(asyncio.run(store.retrieve("ana")).events) == 4


@pytest.mark.parametrize("keep", [["handoff_contact", "customer_email"], "handoff_contact"])
def test_slots_on_the_allow_list_keep_their_value(tmp_path: Path, keep: list[str] | str) -> None:
    store = RedactingSQLTrackerStore(DOMAIN, db=str(tmp_path / "t.db"), keep_slots=keep)
    asyncio.run(store.save(conversation("ana")))
    restored = asyncio.run(store.retrieve("ana"))
    assert restored is not None and restored.get_slot("handoff_contact") == EMAIL
    assert restored.latest_message.text.startswith("my card is [card]")


def test_the_business_own_published_contacts_stay_readable(tmp_path: Path) -> None:
    """The bot quoting its support line is no personal data; a customer's number still is."""
    store = RedactingSQLTrackerStore(
        DOMAIN,
        db=str(tmp_path / "t.db"),
        public_contacts=["0800 555 0199", "Help@Voltline.example"],
    )
    tracker = DialogueStateTracker.from_events(
        "ana",
        [
            UserUttered("call me on 07700 900123 or ana@example.com"),
            BotUttered("Call us on 0800 555 0199 or write to help@voltline.example."),
        ],
    )
    asyncio.run(store.save(tracker))
    raw = on_disk(tmp_path / "t.db")
    assert b"0800 555 0199" in raw and b"help@voltline.example" in raw
    assert b"07700 900123" not in raw and b"ana@example.com" not in raw


def test_an_existing_world_readable_file_is_tightened(tmp_path: Path) -> None:
    db = tmp_path / "tracker.db"
    db.touch(mode=0o644)
    os.chmod(db, 0o644)
    RedactingSQLTrackerStore(DOMAIN, db=str(db))
    assert stat.S_IMODE(db.stat().st_mode) == 0o600


class CollectingBroker(EventBroker):
    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    def publish(self, event: dict[str, Any]) -> None:
        self.published.append(event)


def test_the_event_stream_is_redacted_too(tmp_path: Path) -> None:
    broker = CollectingBroker()
    store = RedactingSQLTrackerStore(DOMAIN, db=str(tmp_path / "t.db"), event_broker=broker)
    asyncio.run(store.save(conversation("ana")))
    assert [e["event"] for e in broker.published] == ["action", "user", "slot", "bot"]
    streamed = repr(broker.published)
    for secret in SECRETS:
        assert secret not in streamed, secret


def test_sqlite_commits_go_to_a_durable_write_ahead_log_on_kept_connections(
    store: RedactingSQLTrackerStore,
) -> None:
    """One fsync per saved turn instead of the rollback journal's several, a power cut
    loses no committed turn (synchronous=FULL), and no turn reopens the file."""
    asyncio.run(store.save(conversation("ana")))
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    opened = store.engine.pool.checkedin()
    asyncio.run(store.retrieve("ana"))
    asyncio.run(store.save(conversation("ana")))
    assert store.engine.pool.checkedin() == opened == 1
