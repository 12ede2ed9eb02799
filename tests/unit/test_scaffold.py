"""``tandem new``: the files it writes, the names it puts in, what it refuses."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from bot.cli import EXIT_CONFIG, EXIT_OK, main
from bot.scaffold import Project, ScaffoldError, create_project, template_files
from bot.settings import Settings

EXPECTED = {
    ".gitignore",
    "Makefile",
    "README.md",
    "assistant.yml",
    "config.yml",
    "credentials.yml",
    "domain.yml",
    "endpoints.yml",
    "actions/__init__.py",
    "actions/actions.py",
    "data/nlu.yml",
    "data/rules.yml",
    "data/knowledge/delivery.md",
    "data/knowledge/opening-hours.md",
    "data/knowledge/returns.md",
    "tests/conftest.py",
    "tests/test_conversation.py",
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    target = tmp_path / "shop"
    create_project(target, Project(assistant="Juno", business="Bean & Leaf", description="a café"))
    return target


def written(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_writes_every_file_of_a_project(project: Path) -> None:
    assert written(project) == EXPECTED
    assert {relative for relative, _ in template_files()} == EXPECTED


def test_names_are_substituted_everywhere(project: Path) -> None:
    for path in project.rglob("*"):
        if path.is_file():
            assert "{{" not in path.read_text(), path
    assistant = yaml.safe_load((project / "assistant.yml").read_text())
    assert assistant == {
        "assistant": "Juno",
        "business": "Bean & Leaf",
        "description": "a café",
        "knowledge": "data/knowledge",
    }
    greeting = yaml.safe_load((project / "domain.yml").read_text())["responses"]["utter_greet"]
    assert "Juno" in greeting[0]["text"] and "Bean & Leaf" in greeting[0]["text"]
    assert "Bean & Leaf is open" in (project / "data/knowledge/opening-hours.md").read_text()
    config = yaml.safe_load((project / "config.yml").read_text())
    assert config["assistant_id"] == "bean-leaf-juno"


def test_yaml_files_parse_and_python_files_compile(project: Path) -> None:
    for path in project.rglob("*.yml"):
        assert isinstance(yaml.safe_load(path.read_text()), dict), path
    for path in project.rglob("*.py"):
        compile(path.read_text(), str(path), "exec")


def test_one_custom_action_answers_from_the_knowledge_folder(project: Path) -> None:
    domain = yaml.safe_load((project / "domain.yml").read_text())
    assert domain["actions"] == ["action_answer_question"]
    assert 'return "action_answer_question"' in (project / "actions/actions.py").read_text()
    rules = yaml.safe_load((project / "data/rules.yml").read_text())["rules"]
    first_steps = {rule["steps"][0]["intent"]: rule["steps"][1]["action"] for rule in rules}
    assert first_steps["ask_question"] == "action_answer_question"
    # answer-type intents get a rule outside forms, and there is a fallback
    assert {"affirm", "deny", "inform", "nlu_fallback"} <= first_steps.keys()
    intents = set(domain["intents"])
    nlu = yaml.safe_load((project / "data/nlu.yml").read_text())["nlu"]
    assert {block["intent"] for block in nlu} == intents
    assert intents <= first_steps.keys()


def test_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ScaffoldError, match="not empty"):
        create_project(tmp_path)
    assert written(tmp_path) == {"notes.txt"}


def test_an_empty_folder_is_fine(tmp_path: Path) -> None:
    assert len(create_project(tmp_path)) == len(EXPECTED)


def test_refuses_a_file(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("")
    with pytest.raises(ScaffoldError, match="is a file"):
        create_project(tmp_path / "taken")


@pytest.mark.parametrize("name", ["", "x" * 41, 'say "hi"', "a: b", "#1"])
def test_refuses_names_the_templates_cannot_hold(tmp_path: Path, name: str) -> None:
    with pytest.raises(ScaffoldError, match="cannot go into the templates"):
        create_project(tmp_path / "p", Project(assistant=name))
    assert not (tmp_path / "p").exists()


def test_cli_writes_a_project_and_refuses_to_overwrite_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    target = tmp_path / "bank"
    assert main(["new", str(target), "--name", "Penny", "--business", "Northbank"]) == EXIT_OK
    assert yaml.safe_load((target / "assistant.yml").read_text())["assistant"] == "Penny"
    before = (target / "domain.yml").read_text()
    assert main(["new", str(target), "--name", "Other"]) == EXIT_CONFIG
    assert "never overwrites" in caplog.text
    assert (target / "domain.yml").read_text() == before


@pytest.mark.slow
def test_rasa_data_validate_is_clean(project: Path) -> None:
    engine = Settings.from_env().engine_python
    if not engine.exists():
        pytest.skip(f"no engine venv at {engine} (make setup builds it)")
    command = [
        str(engine), "-m", "rasa", "data", "validate", "--fail-on-warnings",
        "--domain", "domain.yml", "--data", "data", "--config", "config.yml",
    ]  # fmt: skip
    result = subprocess.run(
        command,
        cwd=project,
        env={**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
