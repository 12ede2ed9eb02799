"""Who the assistant is and where its data lives: the project's ``assistant.yml``.

Every assistant project has one at its root::

    assistant: Ada                     # the assistant's name
    business: Acme Bank                # the business it speaks for
    description: a retail bank
    knowledge: data/knowledge          # Markdown the grounded answers come from
    catalog: data/catalog              # optional: product and plan data
    support_hours: data/knowledge/support.md   # optional: the page giving support hours
    phone: 0800 000 0000               # optional: the number customers can call
    retrieval:
      ignore_terms: [Acme]             # optional; default: the business's name
    prompts:                           # optional: replace a generator's prompt template
      answer: "You are {assistant}, ..."

Paths are relative to the project folder. :func:`load_assistant` checks the
file and fails with a :class:`~bot.errors.ConfigError` that says what to
write; the runtime hands the result to the generators (:attr:`Assistant.brand`
for their prompts, the folders for their data).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from bot.errors import ConfigError
from generators.brand import PROMPT_KEYS, Brand

FILENAME = "assistant.yml"
REQUIRED = ("assistant", "business", "knowledge")
OPTIONAL = ("description", "catalog", "support_hours", "phone", "retrieval", "prompts")
EXAMPLE = (
    "assistant: Ada\nbusiness: Acme Bank\ndescription: a retail bank\nknowledge: data/knowledge\n"
)


@dataclass(frozen=True)
class Assistant:
    """The project's ``assistant.yml``, checked, with its paths made absolute."""

    name: str
    business: str
    project_dir: Path
    knowledge_dir: Path
    description: str = "a business"
    catalog_dir: Path | None = None
    support_hours: Path | None = None
    phone: str | None = None
    ignore_terms: tuple[str, ...] = ()
    prompts: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def brand(self) -> Brand:
        """What the generators' prompts need: names, description, prompt overrides."""
        return Brand(
            assistant=self.name,
            business=self.business,
            description=self.description,
            prompts=self.prompts,
        )

    def catalog_file(self, name: str) -> Path:
        """``<catalog>/<name>``; a :class:`ConfigError` when the project has no catalogue."""
        if self.catalog_dir is None:
            raise ConfigError(
                f"This needs {name} from the project's catalogue, but {FILENAME} names no "
                "catalog folder; add `catalog: data/catalog` (a folder holding it)."
            )
        return self.catalog_dir / name


def load_assistant(project_dir: Path | str) -> Assistant:
    """Read and check ``<project_dir>/assistant.yml``."""
    project = Path(project_dir).resolve()
    path = project / FILENAME
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise ConfigError(
            f"No {FILENAME} in {project}. Run from the assistant's project folder (or set "
            f"TANDEM_PROJECT_DIR to it), or create {FILENAME} there, e.g.:\n{EXAMPLE}"
        ) from e
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"{path} cannot be read as YAML ({e}); fix its syntax.") from e
    return assistant_from(raw, project=project, source=path)


def assistant_from(raw: Any, *, project: Path, source: Path | str = FILENAME) -> Assistant:
    """An :class:`Assistant` from the parsed YAML ``raw``; paths relative to ``project``."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{source} must be a mapping of keys to values, e.g.:\n{EXAMPLE}")
    unknown = sorted(set(raw) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise ConfigError(
            f"{source}: unknown key(s) {', '.join(unknown)}; the keys are "
            f"{', '.join(REQUIRED + OPTIONAL)}."
        )
    missing = [key for key in REQUIRED if not _text(raw.get(key))]
    if missing:
        raise ConfigError(
            f"{source} lacks {', '.join(missing)}; add "
            + ", ".join(f"`{key}: ...`" for key in missing)
            + f" (e.g.:\n{EXAMPLE})."
        )
    for key in ("assistant", "business", "description", "phone"):
        if key in raw and raw[key] is not None and not isinstance(raw[key], str | int):
            raise ConfigError(f"{source}: {key} must be text, not {type(raw[key]).__name__}.")

    knowledge = _folder(raw, "knowledge", project, source) or project
    catalog = _folder(raw, "catalog", project, source)
    hours = _file(raw, "support_hours", project, source)
    business = str(raw["business"]).strip()
    return Assistant(
        name=str(raw["assistant"]).strip(),
        business=business,
        project_dir=project,
        knowledge_dir=knowledge,
        description=_text(raw.get("description")) or "a business",
        catalog_dir=catalog,
        support_hours=hours,
        phone=_text(raw.get("phone")) or None,
        ignore_terms=_ignore_terms(raw.get("retrieval"), business, source),
        prompts=_prompts(raw.get("prompts"), source),
    )


def _text(value: Any) -> str:
    return str(value).strip() if isinstance(value, str | int) else ""


def _folder(raw: dict[str, Any], key: str, project: Path, source: Path | str) -> Path | None:
    value = _text(raw.get(key))
    if not value:
        return None
    path = (project / value).resolve()
    if not path.is_dir():
        raise ConfigError(
            f"{source}: {key}: {value} is not a folder (looked for {path}); create it or "
            f"correct the path (relative to {project})."
        )
    return path


def _file(raw: dict[str, Any], key: str, project: Path, source: Path | str) -> Path | None:
    value = _text(raw.get(key))
    if not value:
        return None
    path = (project / value).resolve()
    if not path.is_file():
        raise ConfigError(
            f"{source}: {key}: {value} is not a file (looked for {path}); create it, correct "
            "the path, or remove the key."
        )
    return path


def _ignore_terms(raw: Any, business: str, source: Path | str) -> tuple[str, ...]:
    if raw is None:
        return (business,)
    terms = raw.get("ignore_terms") if isinstance(raw, dict) else None
    if not isinstance(raw, dict) or set(raw) - {"ignore_terms"}:
        raise ConfigError(
            f"{source}: retrieval takes one key, ignore_terms (a list of names that every "
            "document is about, e.g. [Acme])."
        )
    if terms is None:
        return (business,)
    if not isinstance(terms, list) or not all(isinstance(t, str) and t.strip() for t in terms):
        raise ConfigError(f"{source}: retrieval.ignore_terms must be a list of names.")
    return tuple(t.strip() for t in terms)


def _prompts(raw: Any, source: Path | str) -> Mapping[str, str]:
    if raw is None:
        return MappingProxyType({})
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise ConfigError(
            f"{source}: prompts must map prompt keys ({', '.join(PROMPT_KEYS)}) to templates."
        )
    prompts = MappingProxyType({str(k): v for k, v in raw.items()})
    try:
        Brand(assistant="", business="", prompts=prompts)
    except ConfigError as e:
        raise ConfigError(f"{source}: {e}") from e
    return prompts
