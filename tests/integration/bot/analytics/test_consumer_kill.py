"""``kill -9`` of the real consumer process mid-stream loses nothing and stores nothing twice.

The short version of ``python -m benchmarks.analytics_pipeline``'s kill run:
the consumer (``python -m bot analytics consume``) drains an outbox the
producer keeps appending to, is killed with SIGKILL, and a ``--once`` run
finishes the job.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.analytics_pipeline import fresh_database, kill_mid_stream, postgres_up, synthetic


@pytest.mark.parametrize(
    "kind",
    [
        "sqlite",
        pytest.param(
            "postgresql",
            marks=[
                pytest.mark.postgres,
                pytest.mark.skipif(not postgres_up(), reason="PostgreSQL is not on :5432"),
            ],
        ),
    ],
)
def test_a_consumer_killed_mid_stream_loses_nothing(tmp_path: Path, kind: str) -> None:
    events = synthetic(conversations=30, turns=6)  # 810 events
    with fresh_database(kind, tmp_path) as url:
        outcome = kill_mid_stream(url, events, tmp_path, batch=40, kill_at=0.3)
    assert outcome["published"] == len(events)
    assert 0 < outcome["stored_at_kill"] < len(events)  # killed mid-stream
    assert outcome["events_lost"] == 0
    assert outcome["duplicates"] == 0
    assert outcome["left_in_outbox"] == 0
