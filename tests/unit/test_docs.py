"""The docs point at things that exist: files, headings, make targets, modules.

Checked in every Markdown file a builder reads (README.md, CONTRIBUTING.md,
CHANGELOG.md, docs/, benchmarks/NOTES.md):

* a relative link (``[text](path)``, ``[text](path#heading)``, ``[text](#heading)``)
  names a file or folder of the repository, and a ``#heading`` names a heading of
  the Markdown file it points to (GitHub's anchors);
* ``make <target>`` in code names a target of the Makefile;
* ``python -m <module>`` in code names a module that exists: first-party modules
  (``bot``, ``generators``, ``benchmarks``, ``actions``) by their file, so no
  package of the engine venv is imported here, with a ``__main__.py`` when the
  module is a package; anything else through :func:`importlib.util.find_spec`.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted(
    [
        ROOT / "README.md",
        ROOT / "CONTRIBUTING.md",
        ROOT / "CHANGELOG.md",
        ROOT / "benchmarks" / "NOTES.md",
        *(ROOT / "docs").rglob("*.md"),
    ]
)
FIRST_PARTY = ("bot", "generators", "benchmarks", "actions", "tests")

PENDING: dict[str, str] = {}
"""Pages other helpers of issue 22 write on their own branches, linked from the
index before they land. A link to one of them is accepted only while the file is
missing; delete the entry once that branch is merged."""

ENGINE_VENV_ONLY = frozenset({"rasa"})
"""Third-party modules that only the engine venv has (this test runs in the
actions venv); the docs run them as ``.venv/engine/bin/python -m rasa ...``."""

_FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
_INLINE_CODE = re.compile(r"`[^`\n]+`")
_LINK = re.compile(r"!?\[(?:[^\]\n]|\][^(\n])*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)
_MAKE = re.compile(r"(?:^|[\s;&|(])make[ \t]+((?:[a-z][\w-]*[ \t]*)+)(?=$|[#;&|)\n])", re.M)
_PYTHON_M = re.compile(r"python[\d.]*\s+-m\s+([A-Za-z_]\w*(?:\.\w+)*)(?![\w.<])")
"""``python -m module``; a placeholder such as ``benchmarks.<name>`` is not a module."""


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def prose(text: str) -> str:
    """``text`` without code: links and headings in code are not links."""
    return _INLINE_CODE.sub("", _FENCE.sub("", text))


def code(text: str) -> list[str]:
    """The fenced blocks and inline code spans of ``text``."""
    blocks = [m.group(0) for m in _FENCE.finditer(text)]
    spans = [m.group(0).strip("`") for m in _INLINE_CODE.finditer(_FENCE.sub("", text))]
    return blocks + spans


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    found = set()
    for heading in _HEADING.findall(_FENCE.sub("", path.read_text(encoding="utf-8"))):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(path: Path) -> list[str]:
    targets = _LINK.findall(prose(path.read_text(encoding="utf-8")))
    return [t for t in targets if not re.match(r"^[a-z][a-z0-9+.-]*:", t, re.I)]


def broken_link(source: Path, target: str) -> str | None:
    """Why ``target`` (as written in ``source``) does not resolve, or None."""
    file_part, _, anchor = target.partition("#")
    resolved = (source.parent / file_part).resolve() if file_part else source
    if not resolved.is_relative_to(ROOT):
        return f"{target}: points outside the repository"
    if not resolved.exists():
        if relative(resolved) in PENDING:
            return None
        return f"{target}: no such file {relative(resolved)}"
    if anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
        return f"{target}: no heading #{anchor} in {relative(resolved)}"
    return None


def make_targets() -> set[str]:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([A-Za-z0-9][\w.-]*)\s*:(?!=)", makefile, re.M))


def module_missing(module: str) -> str | None:
    top = module.split(".")[0]
    if top in FIRST_PARTY:
        base = ROOT.joinpath(*module.split("."))
        if base.with_suffix(".py").is_file():
            return None
        if (base / "__init__.py").is_file():
            if (base / "__main__.py").is_file():
                return None
            return f"{module} is a package without __main__.py, so `python -m` cannot run it"
        return f"no module {module} ({relative(base)}.py or {relative(base)}/)"
    if top in ENGINE_VENV_ONLY:
        return None
    try:
        found = importlib.util.find_spec(module)
    except ModuleNotFoundError:
        found = None
    return None if found is not None else f"no module {module} in this venv"


def doc_id(path: Path) -> str:
    return relative(path)


@pytest.mark.parametrize("path", DOCS, ids=doc_id)
def test_relative_links_resolve(path: Path) -> None:
    broken = [why for target in links(path) if (why := broken_link(path, target))]
    assert not broken, f"{relative(path)}: " + "; ".join(broken)


@pytest.mark.parametrize("path", DOCS, ids=doc_id)
def test_make_targets_exist(path: Path) -> None:
    targets = make_targets()
    named = {
        word
        for snippet in code(path.read_text(encoding="utf-8"))
        for group in _MAKE.findall(snippet)
        for word in group.split()
    }
    missing = sorted(named - targets)
    assert not missing, f"{relative(path)} names make targets the Makefile lacks: {missing}"


@pytest.mark.parametrize("path", DOCS, ids=doc_id)
def test_python_modules_exist(path: Path) -> None:
    modules = {
        m for snippet in code(path.read_text(encoding="utf-8")) for m in _PYTHON_M.findall(snippet)
    }
    missing = [why for module in sorted(modules) if (why := module_missing(module))]
    assert not missing, f"{relative(path)}: " + "; ".join(missing)


def test_the_checks_catch_what_they_are_for() -> None:
    """The rules above fail on a bad link, anchor, target and module."""
    page = ROOT / "docs" / "README.md"
    assert broken_link(page, "nowhere.md")
    assert broken_link(page, "nlu.md#no-such-heading")
    assert broken_link(page, "../../outside.md")
    assert broken_link(page, "nlu.md#the-classifier-and-the-calibrated-fallback") is None
    assert "no-such-target" not in make_targets() and "test" in make_targets()
    assert module_missing("bot.no_such_module")
    assert module_missing("generators")  # a package without __main__.py
    assert module_missing("benchmarks.nlu") is None
    assert module_missing("no_such_third_party_module")
    assert slug("Adapting the encoder to the bot's intents (`fine_tune: true`)") == (
        "adapting-the-encoder-to-the-bots-intents-fine_tune-true"
    )
