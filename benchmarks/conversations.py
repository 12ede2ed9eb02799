"""The customer conversation suite against the real servers, as a benchmark.

    python -m benchmarks.conversations                 # starts its own servers
    python -m benchmarks.conversations --rasa-url http://127.0.0.1:5005 --token ...

Plays every conversation of ``tests/conversations`` (held-out split included,
reported separately) over the REST channel, one fresh sender each, and writes
the results contract ``benchmarks/results/conversations.json`` with
``conversations.md`` and ``conversations.png``. Every turn with its verdict
goes to ``.tandem/test-results/conversations/`` (transcript.json,
failures.json), which is not committed. Definitions: docs/conversations.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from benchmarks.convsuite import report
from benchmarks.convsuite.judge import load_catalog
from benchmarks.convsuite.runner import ConversationResult, RestClient, play_all, transcript
from benchmarks.convsuite.schema import SUITE_DIR, Conversation, load_suite

RESULTS = Path(__file__).parent / "results"
DETAILS = Path(__file__).resolve().parent.parent / ".tandem" / "test-results" / "conversations"


def evaluate(
    client: RestClient,
    conversations: Sequence[Conversation],
    *,
    workers: int = 1,
    verbose: bool = False,
) -> tuple[dict[str, Any], list[ConversationResult]]:
    """Plays and judges ``conversations``; the contract with run metadata, and the results."""
    catalog = load_catalog()
    done = 0

    def progress(result: ConversationResult) -> None:
        nonlocal done
        done += 1
        if verbose:
            mark = "ok " if result.success else "NO "
            sys.stderr.write(f"[{done}/{len(conversations)}] {mark}{result.conversation.id}\n")

    start = time.perf_counter()
    results = play_all(conversations, client, catalog, workers=workers, progress=progress)
    contract = {
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "workers": workers,
        "duration_s": round(time.perf_counter() - start, 1),
        **report.metrics(results),
    }
    return contract, results


def write_details(results: Sequence[ConversationResult], directory: Path) -> None:
    """Every turn and every failure, for whoever debugs the assistant (never committed)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "transcript.json").write_text(
        json.dumps(transcript(results), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (directory / "failures.json").write_text(
        json.dumps(report.failures(results), indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )


@contextlib.contextmanager
def own_servers() -> Iterator[RestClient]:
    """Rasa, actions and handoff on free ports with a throw-away state directory."""
    from bot.settings import Settings
    from bot.supervisor import Supervisor, free_port
    from bot.training import ensure_model

    with tempfile.TemporaryDirectory(prefix="tandem-conversations-") as state:
        settings = Settings.from_env().with_overrides(
            state_dir=Path(state),
            rasa_port=free_port(),
            action_port=free_port(),
            handoff_port=free_port(),
        )
        supervisor = Supervisor(settings, model=ensure_model(settings))
        # Colleagues are "in" at any hour, as in tests/e2e/conftest.py: the
        # handoff turns must not depend on the time of day the suite runs at.
        supervisor.handoff.env["TANDEM_HANDOFF_OPEN_HOURS"] = "always"
        supervisor.start()
        client = RestClient(settings.rasa_url, token=settings.rasa_token)
        try:
            yield client
        finally:
            client.close()
            supervisor.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--suite", type=Path, default=SUITE_DIR, help="folder of *.yml files")
    parser.add_argument("--rasa-url", help="use running servers instead of starting them")
    parser.add_argument("--token", default=os.environ.get("TANDEM_RASA_TOKEN", ""))
    parser.add_argument("--workers", type=int, default=1, help="conversations played at once")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for the contract")
    parser.add_argument("--details", type=Path, default=DETAILS, help="folder for the turns")
    parser.add_argument("--only", help="play only conversations whose id contains this")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)

    conversations = load_suite(args.suite)
    if args.only:
        conversations = [c for c in conversations if args.only in c.id]
    if args.rasa_url:
        servers: contextlib.AbstractContextManager[RestClient] = contextlib.closing(
            RestClient(args.rasa_url, token=args.token)
        )
    else:
        servers = own_servers()
    with servers as client:
        contract, results = evaluate(
            client, conversations, workers=args.workers, verbose=args.verbose
        )
    for path in report.write(contract, args.out):
        print(f"wrote {path}")
    write_details(results, args.details)
    print(report.markdown(contract))
    print(f"turns and failures: {args.details}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
