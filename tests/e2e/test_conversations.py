"""The customer conversation suite (tests/conversations) on the real servers.

Failures name conversations and turns, never the messages: the held-out split
must not leak into test logs (tests/conversations/heldout/README.md).

The whole suite is played once per session; its report goes to the test
results folder (``.tandem/test-results/conversations``: contract, table,
plot, every turn and every failure) and the per-category table is printed.
Two invariants hold on every build: no customer message goes unanswered while
the bot has the conversation, and no recommendation breaks a stated
constraint. The floors below are the numbers the assistant may not fall under;
they sit a margin below what it achieves, and are raised as it improves
(docs/conversations.md). The suite runs on servers of its own, so that the
handoff requests it leaves queued never meet the other e2e tests.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from benchmarks.conversations import evaluate, own_servers, write_details
from benchmarks.convsuite import report
from benchmarks.convsuite.runner import ConversationResult
from benchmarks.convsuite.schema import load_suite
from tests.conftest import PROJECT_ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800)]

# Floors: the issue-18 fixes measured 0.919 helpful, 0.847 held out, 0.901 answers and
# 0.917 digressions (11 of 12) in one run on 2 CPUs; the floors sit a margin below, for
# run-to-run noise (store hours, the handoff queue, timing). They are floors, not the
# targets: the issue asks for 0.9 held out, which this assistant does not reach yet.
FLOOR_HELPFUL_RATE = 0.85
FLOOR_HELPFUL_RATE_HELDOUT = 0.75
FLOOR_ANSWER_ACCURACY = 0.85
FLOOR_FORM_DIGRESSION_RATE = 0.75
# Conversations played at once: 1 keeps the latencies those of a single customer.
WORKERS = int(os.environ.get("TANDEM_CONVERSATION_WORKERS", "1"))
RESULTS_DIR = (
    Path(os.environ.get("TANDEM_TEST_RESULTS", PROJECT_ROOT / ".tandem" / "test-results"))
    / "conversations"
)


@dataclass(frozen=True)
class Played:
    contract: dict[str, Any]
    results: list[ConversationResult]

    def __repr__(self) -> str:  # pytest shows fixture values: no messages in the logs
        return f"<{len(self.results)} conversations played>"


@pytest.fixture(scope="session")
def played() -> Played:
    # Servers of its own (own state directory, own handoff queue): the suite's
    # handoff conversations stay queued, and a queue they filled must not meet
    # the other e2e tests, which share the session's `assistant`.
    with own_servers() as client:
        contract, results = evaluate(client, load_suite(), workers=WORKERS)
    report.write(contract, RESULTS_DIR)
    write_details(results, RESULTS_DIR)
    return Played(contract, results)


@pytest.fixture(scope="session")
def contract(played: Played) -> dict[str, Any]:
    return played.contract


def test_report_by_category(contract: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        sys.stdout.write("\n" + report.markdown(contract) + f"\nreport: {RESULTS_DIR}\n")
    assert contract["conversations"] >= 320
    assert contract["answer_questions"] >= 110


def test_every_customer_message_gets_a_reply(played: Played) -> None:
    silent = [
        f"{r.conversation.id} turn {i + 1}"
        for r in played.results
        for i, t in enumerate(r.turns)
        if t.verdict.silent
    ]
    assert played.contract["silent_turns"] == 0, silent


def test_no_recommendation_breaks_a_stated_constraint(played: Played) -> None:
    shown = [
        f"{r.conversation.id} turn {i + 1}: {list(t.verdict.violations)}"
        for r in played.results
        for i, t in enumerate(r.turns)
        if t.verdict.violations
    ]
    assert played.contract["constraint_violations"] == 0, shown


def test_success_rates_stay_above_their_floors(contract: dict[str, Any]) -> None:
    assert contract["helpful_rate"] >= FLOOR_HELPFUL_RATE
    assert contract["helpful_rate_heldout"] >= FLOOR_HELPFUL_RATE_HELDOUT
    assert contract["answer_accuracy"] >= FLOOR_ANSWER_ACCURACY
    assert contract["form_digression_rate"] >= FLOOR_FORM_DIGRESSION_RATE
