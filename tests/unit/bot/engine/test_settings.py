"""bot.engine.settings: the one place the engine side reads environment variables."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.engine.settings import EngineSettings, child_env
from bot.errors import ConfigError

pytestmark = pytest.mark.engine

ROOT = Path(__file__).resolve().parents[4]
ENGINE_SIDE = ("bot/engine", "bot/channels", "bot/nlu")
SETTINGS = ROOT / "bot" / "engine" / "settings.py"


def env_reads(path: Path) -> list[str]:
    """``os.environ``, ``os.getenv``, ``os.environb`` and their ``from os import`` forms."""
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id == "os" and node.attr in {"environ", "environb", "getenv", "putenv"}:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} os.{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            names = {a.name for a in node.names} & {"environ", "environb", "getenv"}
            found += [f"{path.relative_to(ROOT)}:{node.lineno} from os import {n}" for n in names]
    return found


def test_only_the_settings_module_reads_the_environment() -> None:
    files = [p for pkg in ENGINE_SIDE for p in sorted((ROOT / pkg).rglob("*.py")) if p != SETTINGS]
    reads = [read for path in files for read in env_reads(path)]
    assert not reads, "read environment variables in bot/engine/settings.py:\n" + "\n".join(reads)
    assert env_reads(SETTINGS)  # the scan does see a read where there is one


def test_defaults_are_the_loopback_run() -> None:
    settings = EngineSettings.from_env({})
    assert settings == EngineSettings()
    assert settings.state_dir == Path(".tandem")
    assert (settings.actions_python, settings.venv_dir) == ("", "")


def test_the_environment_sets_the_channels_and_nlu_settings(tmp_path: Path) -> None:
    settings = EngineSettings.from_env(
        {
            "TANDEM_STATE_DIR": str(tmp_path),
            "TANDEM_ACTIONS_PYTHON": "/opt/actions/bin/python",
            "TANDEM_VENV_DIR": "/opt/venvs",
            "TANDEM_MAX_BODY_BYTES": "2048",
        }
    )
    assert settings.state_dir == tmp_path
    assert settings.actions_python == "/opt/actions/bin/python"
    assert settings.venv_dir == "/opt/venvs"
    assert settings.max_body_bytes == 2048


def test_a_malformed_value_says_what_to_use() -> None:
    with pytest.raises(ConfigError, match="TANDEM_ENABLE_MODEL_API"):
        EngineSettings.from_env({"TANDEM_ENABLE_MODEL_API": "maybe"})


def test_child_env_puts_the_source_first_and_applies_overrides() -> None:
    env = child_env(
        {"HF_HUB_OFFLINE": "1"},
        pythonpath=["/src"],
        env={"PYTHONPATH": "/lib", "HOME": "/home/a", "HF_HUB_OFFLINE": "0"},
    )
    assert env == {"PYTHONPATH": "/src:/lib", "HOME": "/home/a", "HF_HUB_OFFLINE": "1"}
    assert child_env({}, env={})["PYTHONPATH"] == ""


def test_inference_threads_default_to_the_model_config_and_are_checked() -> None:
    assert EngineSettings.from_env({}).inference_threads == 0
    assert EngineSettings.from_env({"TANDEM_INFERENCE_THREADS": "1"}).inference_threads == 1
    with pytest.raises(ConfigError, match="TANDEM_INFERENCE_THREADS"):
        EngineSettings.from_env({"TANDEM_INFERENCE_THREADS": "-1"})
