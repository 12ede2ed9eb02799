"""The analytics outbox file: append, read in order, acknowledge, set aside; owner-only."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from bot.contract.errors import ContractError
from bot.contract.outbox import Outbox


def envelope(seq: int, sender: str = "rest:ana") -> dict[str, object]:
    return {"sender_id": sender, "tandem_seq": seq, "event": "user", "text": f"hi {seq}"}


def test_events_come_back_in_order_until_acknowledged(tmp_path: Path) -> None:
    with Outbox(tmp_path / "outbox.db") as outbox:
        assert outbox.append([envelope(0), envelope(1)]) == 2
        assert outbox.append([envelope(2)]) == 1
        rows = outbox.read(2)
        assert [json.loads(r.body)["tandem_seq"] for r in rows] == [0, 1]
        assert outbox.read(10)[:2] == rows  # reading takes nothing away
        outbox.ack(rows)
        assert [json.loads(r.body)["tandem_seq"] for r in outbox.read(10)] == [2]
        assert outbox.pending() == 1


def test_a_second_connection_sees_what_the_first_committed(tmp_path: Path) -> None:
    """The engine writes and the consumer reads the same file from two processes."""
    path = tmp_path / "outbox.db"
    writer, reader = Outbox(path), Outbox(path)
    writer.append([envelope(0)])
    rows = reader.read(10)
    reader.ack(rows)
    writer.append([envelope(1)])
    assert [json.loads(r.body)["tandem_seq"] for r in reader.read(10)] == [1]
    assert rows[0].id < reader.read(10)[0].id  # ids never go back
    writer.close()
    reader.close()


def test_the_file_and_its_side_files_are_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "state" / "outbox.db"
    path.parent.mkdir()
    path.touch(mode=0o644)
    path.chmod(0o644)
    with Outbox(path) as outbox:
        outbox.append([envelope(0)])
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        for side in (Path(f"{path}-wal"), Path(f"{path}-shm")):  # SQLite copies the mode
            assert stat.S_IMODE(side.stat().st_mode) == 0o600, side


def test_a_dead_letter_leaves_the_queue_but_is_kept_with_its_reason(tmp_path: Path) -> None:
    with Outbox(tmp_path / "outbox.db") as outbox:
        outbox.append([envelope(0), envelope(1)])
        first = outbox.read(1)[0]
        outbox.dead_letter(first, "not JSON")
        assert outbox.pending() == 1
        assert outbox.dead_letters() == [(first.id, "not JSON")]


def test_a_failed_append_leaves_nothing_half_written(tmp_path: Path) -> None:
    with Outbox(tmp_path / "outbox.db") as outbox:
        with pytest.raises(TypeError):
            outbox.append([envelope(0), {"sender_id": "x", "tandem_seq": 1, "bad": object()}])
        assert outbox.pending() == 0


def test_a_folder_is_no_outbox(tmp_path: Path) -> None:
    with pytest.raises(ContractError, match="TANDEM_ANALYTICS_OUTBOX"):
        Outbox(tmp_path)


def test_erasure_removes_one_conversation_queued_or_set_aside(tmp_path: Path) -> None:
    with Outbox(tmp_path / "outbox.db") as outbox:
        outbox.append([envelope(0, "rest:ana"), envelope(0, "rest:bo"), envelope(1, "rest:ana")])
        outbox.dead_letter(outbox.read(1)[0], "set aside")
        assert outbox.erase("rest:ana") == 2
        assert [json.loads(r.body)["sender_id"] for r in outbox.read(10)] == ["rest:bo"]
        assert outbox.dead_letters() == []
