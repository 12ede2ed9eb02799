"""The kit from a wheel of this checkout, in fresh venvs, runs the repository's assistants.

Each assistant's project files (domain, config, data, actions, assistant.yml,
credentials, endpoints) are copied into a temporary folder without ``bot/`` or
``generators/``, so everything Tandem comes from the wheel. The reference
assistant reuses the model ``make test`` trained (linked into the copy's
models folder); the second assistant is trained here. One REST message each must
be answered through a custom action of the project's own ``actions/``.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from bot.settings import Settings
from bot.training import model_path
from tests.e2e.kit_install import CHECKOUT
from tests.e2e.tutorial_run import TutorialRun

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PROJECT_FILES = (
    "assistant.yml", "domain.yml", "config.yml", "credentials.yml", "endpoints.yml",
    "data", "actions",
)  # fmt: skip


@dataclass(frozen=True)
class Assistant:
    name: str
    folder: Path
    question: str
    action: str
    knowledge: str
    """words of the project's knowledge files the answer must quote"""
    reuse_checkout_model: bool


ASSISTANTS = (
    Assistant(
        "reference",
        CHECKOUT,
        "what is your return policy?",
        "action_answer_question",
        "30 days",
        True,
    ),
    Assistant(
        "bank",
        CHECKOUT / "examples" / "bank",
        "what does the plus account cost a month?",
        "action_answer_question",
        "£4 a month",
        False,
    ),
)


def copy_project(source: Path, dest: Path) -> Path:
    dest.mkdir()
    for name in PROJECT_FILES:
        path = source / name
        if path.is_dir():
            shutil.copytree(path, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif path.exists():
            shutil.copy2(path, dest / name)
    return dest


@pytest.mark.parametrize("assistant", ASSISTANTS, ids=lambda a: a.name)
def test_the_wheel_runs_the_assistant(assistant: Assistant, venvs: Path, tmp_path: Path) -> None:
    if not (assistant.folder / "domain.yml").exists():
        pytest.skip(f"{assistant.folder} does not exist yet (the second assistant, issue 22)")
    project = copy_project(assistant.folder, tmp_path / assistant.name)
    assert not (project / "bot").exists() and not (project / "generators").exists()
    flags: tuple[str, ...] = ()
    if assistant.reuse_checkout_model:
        checkout_model = model_path(Settings.from_env().with_overrides(project_dir=CHECKOUT))
        if not checkout_model.exists():
            pytest.skip(f"no trained model {checkout_model}; `make test` trains it first")
        (project / "models").mkdir()
        (project / "models" / checkout_model.name).symlink_to(checkout_model)
        flags = ("--no-train",)  # the copy lacks bot/nlu, so its fingerprint differs
    reader = TutorialRun(project.parent, venvs=venvs, base_env=os.environ)
    reader.run(f"cd {project.name}")
    try:
        reader.start(*flags)
        reader.curl(
            "curl -s localhost:5005/webhooks/rest/webhook "
            f"""-d '{{"sender": "wheel", "message": "{assistant.question}"}}'"""
        )
        events = reader.tracker("rest:wheel")["events"]
    finally:
        reader.stop()
    assert assistant.knowledge in reader.replies[-1], reader.replies[-1]
    custom = set(yaml.safe_load((project / "domain.yml").read_text())["actions"])
    ran = [e["name"] for e in events if e.get("event") == "action" and e.get("name") in custom]
    assert assistant.action in ran, f"custom actions run: {ran}; reply: {reader.replies[-1]}"
