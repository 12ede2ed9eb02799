"""``tandem new PATH``: a new assistant project from the templates in ``template/``.

Every file under ``template/`` ends in ``.tmpl`` (so that neither setuptools nor
the linters take the template's Python for part of the kit); it is written to
the same relative path without the suffix, with ``{{assistant}}``,
``{{business}}``, ``{{description}}`` and ``{{slug}}`` replaced.
``gitignore.tmpl`` becomes ``.gitignore``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from bot.errors import ConfigError

SUFFIX = ".tmpl"
RENAMES = {"gitignore": ".gitignore"}
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9 .'&-]{0,39}$")


class ScaffoldError(ConfigError):
    """The new project cannot be written where or as asked."""


@dataclass(frozen=True)
class Project:
    """What a new project is called; the values the templates receive."""

    assistant: str = "Ada"
    business: str = "Acme"
    description: str = "a small shop"

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", f"{self.business} {self.assistant}".lower()).strip("-")

    def values(self) -> dict[str, str]:
        return {
            "assistant": self.assistant,
            "business": self.business,
            "description": json.dumps(self.description),  # a YAML string, whatever it holds
            "slug": self.slug,
        }


def check_name(value: str, what: str) -> str:
    if not _NAME.match(value):
        raise ScaffoldError(
            f"{what} {value!r} cannot go into the templates: use 1 to 40 letters, digits, "
            "spaces or . ' & - , starting with a letter."
        )
    return value


def render(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    return text


def template_files() -> list[tuple[str, Traversable]]:
    """``(relative output path, template)`` for every file of the template, sorted."""
    found: list[tuple[str, Traversable]] = []

    def walk(folder: Traversable, prefix: str) -> None:
        for entry in folder.iterdir():
            if entry.is_dir():
                if entry.name != "__pycache__":
                    walk(entry, f"{prefix}{entry.name}/")
            elif entry.name.endswith(SUFFIX):
                name = entry.name.removesuffix(SUFFIX)
                found.append((prefix + RENAMES.get(name, name), entry))

    walk(resources.files(__package__) / "template", "")
    return sorted(found, key=lambda item: item[0])


def create_project(path: Path, project: Project | None = None) -> list[Path]:
    """Write a new assistant project into ``path`` (absent or empty); return its files."""
    project = project or Project()
    check_name(project.assistant, "The assistant's name")
    check_name(project.business, "The business's name")
    target = Path(path)
    if target.exists() and not target.is_dir():
        raise ScaffoldError(f"{target} is a file; give `tandem new` a new or empty folder.")
    if target.is_dir() and any(target.iterdir()):
        raise ScaffoldError(
            f"{target} is not empty; `tandem new` never overwrites files. Give it a new "
            "folder, or empty this one first."
        )
    values = project.values()
    written = []
    for relative, template in template_files():
        out = target / relative
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(render(template.read_text(encoding="utf-8"), values), encoding="utf-8")
        written.append(out)
    return written
