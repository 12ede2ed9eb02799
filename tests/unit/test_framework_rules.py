"""Rules that keep the installed kit a kit: settings read in one place, one exception root,
no reference brand or repository paths inside ``bot/`` and ``generators/``."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

from bot.errors import TandemError
from tests.conftest import PROJECT_ROOT

ENGINE_SIDE = ("bot/engine/", "bot/channels/", "bot/nlu/")
"""The engine venv's packages: their settings live in bot/engine/settings.py."""
SETTINGS_MODULES = {
    "bot/settings.py",
    "bot/handoff/settings.py",
    "bot/analytics/settings.py",
    "generators/settings.py",
}


def actions_venv_modules() -> list[Path]:
    files = [
        *(PROJECT_ROOT / "bot").rglob("*.py"),
        *(PROJECT_ROOT / "generators").rglob("*.py"),
        *(PROJECT_ROOT / "actions").rglob("*.py"),
    ]
    return sorted(
        f
        for f in files
        if not f.relative_to(PROJECT_ROOT).as_posix().startswith(ENGINE_SIDE)
        and "migrations" not in f.parts
    )


def env_reads(tree: ast.AST) -> list[int]:
    """Lines that read ``os.environ`` or call ``getenv`` (however imported)."""
    lines = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "environb")) or (
            isinstance(node, ast.ImportFrom)
            and node.module == "os"
            and any(a.name in ("environ", "getenv", "environb") for a in node.names)
        ):
            lines.append(node.lineno)
    return sorted(lines)


def test_environment_variables_are_read_only_in_the_settings_modules() -> None:
    offenders = {}
    for path in actions_venv_modules():
        name = path.relative_to(PROJECT_ROOT).as_posix()
        if name in SETTINGS_MODULES:
            continue
        lines = env_reads(ast.parse(path.read_text(encoding="utf-8")))
        if lines:
            offenders[name] = lines
    assert offenders == {}, (
        "read settings through bot.settings.ActionSettings (get_runtime().settings), "
        f"not os.environ: {offenders}"
    )


def test_the_scan_finds_what_it_looks_for() -> None:
    code = "import os\nfrom os import getenv\nx = os.environ.get('A')\ny = os.getenv('B')\n"
    assert env_reads(ast.parse(code)) == [2, 3, 4]


def kit_modules() -> list[str]:
    names = []
    for package in ("bot", "generators"):
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
            path = info.name.replace(".", "/")
            if path.startswith(tuple(p.rstrip("/") for p in ENGINE_SIDE)):
                continue
            if info.name.endswith(("__main__", ".migrations.env")) or ".migrations." in info.name:
                continue
            names.append(info.name)
    return names


def test_every_exception_of_the_actions_venv_descends_from_tandem_error() -> None:
    strays = []
    for name in kit_modules():
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            own = cls.__module__ == name and issubclass(cls, BaseException)
            if own and not issubclass(cls, TandemError):
                strays.append(f"{name}.{cls.__name__}")
    assert strays == [], f"derive these from bot.errors.TandemError: {strays}"


def test_the_exception_tree_in_bot_errors_names_every_direct_root() -> None:
    from bot import errors

    assert errors.__doc__ is not None
    for cls in ("GeneratorError", "HandoffError", "ConfigError", "BadRephraseRequest"):
        assert re.search(rf"[├└]── {cls}\b", errors.__doc__), cls


@pytest.mark.parametrize("package", ["bot", "generators"])
def test_the_kit_holds_no_reference_brand_and_no_repository_paths(package: str) -> None:
    brand = re.compile(r"\bVolt(line)?\b")
    repo_data = re.compile(r"parents?\[?\d?\]?\s*/\s*[\"'](data|models)[\"']|parent\.parent")
    found = {}
    for path in (PROJECT_ROOT / package).rglob("*.py"):
        name = path.relative_to(PROJECT_ROOT).as_posix()
        if name.startswith(ENGINE_SIDE):
            continue
        text = path.read_text(encoding="utf-8")
        hits = [m.group() for m in (*brand.finditer(text), *repo_data.finditer(text))]
        if hits:
            found[name] = hits
    assert found == {}, "pass these in from assistant.yml / the runtime instead"
