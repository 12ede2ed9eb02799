"""Shared test helpers and the split of the suite over the two venvs.

Tests of code that Rasa loads (``bot/engine``, ``bot/channels``, ``bot/nlu``)
live in the matching ``tests/<tier>/bot/<package>`` folders: they are collected
only in the Python 3.10 engine venv (where ``rasa`` is importable) and carry the
``engine`` marker. Every other test is collected only in the actions venv.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent
ENGINE_PACKAGES = ("engine", "channels", "nlu")
IN_ENGINE_VENV = importlib.util.find_spec("rasa") is not None


def is_engine_test(path: Path) -> bool:
    parts = path.resolve().relative_to(TESTS).parts
    return len(parts) >= 3 and parts[1] == "bot" and parts[2] in ENGINE_PACKAGES


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if collection_path.is_dir() or collection_path.suffix != ".py":
        return None
    if collection_path.name == "conftest.py":
        return None
    return is_engine_test(collection_path) != IN_ENGINE_VENV


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if is_engine_test(item.path):
            item.add_marker(pytest.mark.engine)
