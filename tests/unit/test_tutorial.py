"""docs/tutorial.md and tests/e2e/test_scaffold.py take the same steps with the same commands."""

from __future__ import annotations

import re

import pytest

from tests.e2e.tutorial_steps import STEPS, TUTORIAL, Step

_HEADING = re.compile(r"^## (\d+)\. (.+)$", re.MULTILINE)
_BLOCK = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def sections() -> dict[str, str]:
    """Title of each ``## N. Title`` -> its text (a ``##`` inside a code block is text)."""
    found: dict[str, list[str]] = {}
    current: list[str] = []
    in_code = False
    for line in TUTORIAL.read_text(encoding="utf-8").splitlines(keepends=True):
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and line.startswith("## "):
            heading = _HEADING.match(line.rstrip("\n"))
            current = found.setdefault(heading.group(2), []) if heading else []
            continue
        current.append(line)
    return {title: "".join(lines) for title, lines in found.items()}


def blocks(section: str) -> list[tuple[str, str]]:
    return [(lang, body.strip("\n")) for lang, body in _BLOCK.findall(section)]


def test_numbered_headings_are_the_test_steps_in_order() -> None:
    headings = _HEADING.findall(TUTORIAL.read_text(encoding="utf-8"))
    assert [int(n) for n, _ in headings] == list(range(1, len(STEPS) + 1))
    assert [title for _, title in headings] == [step.title for step in STEPS]
    assert list(sections()) == [step.title for step in STEPS]


@pytest.mark.parametrize("step", STEPS, ids=lambda step: step.title)
def test_each_step_shows_the_commands_the_test_runs(step: Step) -> None:
    section = sections()[step.title]
    shell_lines = {
        line.strip()
        for lang, body in blocks(section)
        if lang == "bash"
        for line in body.splitlines()
    }
    for command in step.commands:
        assert command in shell_lines, f"{command!r} is not in the tutorial's {step.title!r}"


@pytest.mark.parametrize("step", [s for s in STEPS if s.edits], ids=lambda step: step.title)
def test_each_step_shows_the_edits_the_test_makes(step: Step) -> None:
    section = sections()[step.title]
    bodies = [body for _, body in blocks(section)]
    for edit in step.edits:
        assert edit.text.strip("\n") in bodies, f"{edit.file}: block missing in {step.title!r}"
        assert f"`{edit.file}`" in section
        if edit.after:
            assert f"`{edit.after}`" in section
