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

from generators.brand import Brand

PROJECT_ROOT = Path(__file__).resolve().parent.parent
"""The reference assistant's project folder (its assistant.yml, data/ and models/)."""
KNOWLEDGE_DIR = PROJECT_ROOT / "data" / "knowledge"
CATALOG_DIR = PROJECT_ROOT / "data" / "catalog"
MODELS_DIR = PROJECT_ROOT / "models"
BRAND = Brand(assistant="Volt", business="Voltline", description="an electronics retailer")
"""The reference assistant's brand, as its assistant.yml gives it (a test keeps them equal)."""
TESTS = Path(__file__).resolve().parent
ENGINE_PACKAGES = ("engine", "channels", "nlu")
IN_ENGINE_VENV = importlib.util.find_spec("rasa") is not None

if IN_ENGINE_VENV:
    from sanic import Sanic

    # Sanic 21 refuses a second app in one process unless test mode is on; the
    # channel tests and the e2e channel tests each start their own.
    Sanic.test_mode = True


def is_engine_test(path: Path) -> bool:
    parts = path.resolve().relative_to(TESTS).parts
    return len(parts) >= 3 and parts[1] == "bot" and parts[2] in ENGINE_PACKAGES


def _may_hold_engine_tests(folder: Path) -> bool:
    """``tests/<tier>``, ``tests/<tier>/bot`` and the engine folders below it."""
    parts = folder.resolve().relative_to(TESTS).parts
    if len(parts) <= 1:
        tier = folder.resolve()
        return not parts or any((tier / "bot" / pkg).is_dir() for pkg in ENGINE_PACKAGES)
    return parts[1] == "bot" and (len(parts) == 2 or is_engine_test(folder))


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Each venv collects only its own tests, conftest files included."""
    if TESTS not in collection_path.resolve().parents:
        return None
    if collection_path.is_dir():
        if IN_ENGINE_VENV:
            ignore = not _may_hold_engine_tests(collection_path)
        else:
            ignore = is_engine_test(collection_path)
    elif collection_path.suffix != ".py" or collection_path.name == "conftest.py":
        return None
    else:
        ignore = is_engine_test(collection_path) != IN_ENGINE_VENV
    return True if ignore else None  # None, not False: --ignore and friends still apply


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if is_engine_test(item.path):
            item.add_marker(pytest.mark.engine)
