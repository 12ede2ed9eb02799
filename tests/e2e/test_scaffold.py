"""docs/tutorial.md, step by step, with the kit installed from a wheel of this checkout.

The wheel goes into fresh venvs (tests/e2e/kit_install.py); then, in a temporary
folder and never in the checkout, ``tandem new`` writes a project, ``tandem train``
trains it, ``tandem run`` serves it, and curl holds a conversation over REST
through its custom action, whose replies must quote the project's own
knowledge files. The steps are named after the tutorial's headings.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.tutorial_run import TutorialRun
from tests.e2e.tutorial_steps import PROJECT, STEPS

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_the_tutorial_step_by_step(venvs: Path, tmp_path: Path) -> None:
    reader = TutorialRun(tmp_path, venvs=venvs, base_env=os.environ)
    try:
        for step in STEPS[1:]:  # "Install the kit" is the fixture
            reader.take(step)
    finally:
        reader.stop()
    project = tmp_path / PROJECT
    assert (project / "assistant.yml").exists()
    assert not (project / "bot").exists()  # the kit came from the wheel, not from a copy
    assert len(reader.replies) == 3
