"""scripts/check_duplicates.py: a block repeated between two assistants fails `make check`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pylint", reason="the dev extra's pylint runs the comparison")

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "scripts" / "check_duplicates.py"

# Twelve lines of real-looking action code: a shared block by any measure.
SHARED = "\n".join(
    [
        "    amount = tracker.get_slot('amount')",
        "    months = tracker.get_slot('months')",
        "    if amount is None or months is None:",
        "        dispatcher.utter_message(response='utter_ask_amount')",
        "        return []",
        "    rate = RATES.get(tracker.get_slot('product'), 0.05)",
        "    monthly = amount * rate / 12 / (1 - (1 + rate / 12) ** -months)",
        "    total = monthly * months",
        "    dispatcher.utter_message(text=f'{monthly:.2f} a month')",
        "    dispatcher.utter_message(text=f'{total:.2f} in all')",
        "    events = [SlotSet('monthly', monthly), SlotSet('total', total)]",
        "    return events",
    ]
)


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def check(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--root", str(root)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def reference(tmp_path: Path) -> Path:
    write(tmp_path, "actions/__init__.py", "")
    write(tmp_path, "actions/loans.py", f"def quote(dispatcher, tracker):\n{SHARED}\n")
    return tmp_path


def test_a_block_repeated_in_the_second_assistant_fails(reference: Path) -> None:
    write(
        reference,
        "examples/bank/actions/credit.py",
        "import math\n\n\ndef offer(dispatcher, tracker, domain):\n"
        f"    # the same loan quote, pasted\n{SHARED}\n",
    )
    done = check(reference)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "12 similar lines:" in done.stderr
    assert "actions/loans.py:2-13" in done.stderr
    assert "examples/bank/actions/credit.py:6-17" in done.stderr
    assert "move the shared code into the kit" in done.stderr


def test_a_second_assistant_with_one_actions_file_is_compared(reference: Path) -> None:
    write(reference, "examples/telco/actions.py", f"def offer(dispatcher, tracker):\n{SHARED}\n")
    done = check(reference)
    assert done.returncode == 1
    assert "examples/telco/actions.py:2-13" in done.stderr


def test_assistants_with_their_own_code_pass(reference: Path) -> None:
    write(
        reference,
        "examples/bank/actions/credit.py",
        "def offer(dispatcher, tracker):\n"
        + "\n".join(f"    step_{n} = compute_{n}(tracker)" for n in range(15))
        + "\n",
    )
    done = check(reference)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "actions, examples/bank/actions" in done.stdout


def test_a_repeat_inside_one_assistant_is_not_between_assistants(reference: Path) -> None:
    write(reference, "actions/copy.py", f"def again(dispatcher, tracker):\n{SHARED}\n")
    write(reference, "examples/bank/actions/credit.py", "def offer():\n    return []\n")
    assert check(reference).returncode == 0


def test_without_a_second_assistant_there_is_nothing_to_compare(reference: Path) -> None:
    done = check(reference)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "actions" in done.stdout


@pytest.mark.parametrize(("lines", "returncode"), [(9, 0), (10, 1)])
def test_ten_lines_make_a_block(reference: Path, lines: int, returncode: int) -> None:
    block = "\n".join(SHARED.splitlines()[:lines])
    write(reference, "examples/bank/actions/credit.py", f"def offer(d, t):\n{block}\n")
    assert check(reference).returncode == returncode
