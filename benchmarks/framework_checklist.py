"""How many files adding a structured result type touches, by applying the checklist.

    python -m benchmarks.framework_checklist

:func:`files_touched_to_add_structured_type` copies the parts of the repository
that a structured type involves (``bot/``, ``generators/``, ``pyproject.toml``
and the contract tests) into a temporary git repository, adds a toy type
(``parcel_quote``) by following docs/howto/structured-type.md step by step, and
counts the files ``git status`` reports as changed or new, besides the
generator itself. It also runs the renderer-coverage test there, once after the
schema alone (it must fail: the channels cannot draw the type yet) and once
after the checklist (it must pass), and the schema test. Run as a module,
it records the count as ``files_touched_to_add_structured_type`` in
benchmarks/results/framework.json (other keys are kept); the target is 3 or fewer.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TOY_TYPE = "parcel_quote"
GENERATOR = Path("generators") / f"{TOY_TYPE}.py"
"""The toy generator: "the generator itself", not counted."""
COPIED = (
    "bot",
    "generators",
    "pyproject.toml",
    "tests/__init__.py",
    "tests/conftest.py",
    "tests/unit/__init__.py",
    "tests/unit/bot/__init__.py",
    "tests/unit/bot/channels/__init__.py",
    "tests/unit/bot/channels/test_renderer_coverage.py",
    "tests/unit/bot/contract",
)
RESULTS = PROJECT_ROOT / "benchmarks" / "results" / "framework.json"
COVERAGE_TEST = "tests/unit/bot/channels/test_renderer_coverage.py"
SCHEMA_TEST = "tests/unit/bot/contract/test_result_schemas.py"

GENERATOR_SOURCE = '''"""A toy structured generator: a delivery quote for a parcel."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ParcelQuote(BaseModel):
    model_config = ConfigDict(extra="forbid")

    postcode: str = Field(description="Where the parcel goes.")
    price: float = Field(ge=0, description="What delivery costs.")
    currency: str = "GBP"
    days: int = Field(ge=0, description="Working days until it arrives.")
    note: str | None = None


def quote(postcode: str, weight_kg: float) -> ParcelQuote:
    return ParcelQuote(postcode=postcode, price=round(3.5 + 0.8 * weight_kg, 2), days=2)
'''

SHARED_CARD = """

def parcel_quote_card(data: Mapping[str, Any]) -> Card:
    return Card(
        title=f"Delivery to {data['postcode']}",
        summary=f"Delivery quote: {data['price']} {data['currency']}",
        facts=(("Price", f"{data['price']} {data['currency']}"), ("Days", str(data["days"]))),
        note=data.get("note"),
    )


CARDS["parcel_quote"] = parcel_quote_card
"""

WIDGET_BRANCH = """      } else if (custom.type === "parcel_quote") {
        card.append(el("h3", { text: `Delivery to ${d.postcode}` }),
          facts([["Price", money(d.price, d.currency)], ["Days", String(d.days)]]));
"""

log = logging.getLogger(__name__)


class ChecklistFailed(RuntimeError):
    """The checklist did not leave a working repository; the message says which step."""


def _run(command: list[str], cwd: Path, *, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTHONPATH", None)
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        raise ChecklistFailed(
            f"{' '.join(command)} failed in {cwd}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return done


def _tracked(paths: tuple[str, ...]) -> list[str]:
    listed = _run(["git", "ls-files", "--", *paths], PROJECT_ROOT).stdout.splitlines()
    return [p for p in listed if (PROJECT_ROOT / p).is_file()]


def copy_tree(destination: Path) -> None:
    """The files the checklist involves, as a fresh git repository."""
    for relative in _tracked(COPIED):
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PROJECT_ROOT / relative, target)
    git = ["git", "-c", "user.name=checklist", "-c", "user.email=checklist@localhost"]
    _run(["git", "init", "-q"], destination)
    _run(["git", "add", "-A"], destination)
    _run([*git, "commit", "-q", "-m", "before"], destination)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    if text.count(old) != 1:
        raise ChecklistFailed(f"{path}: the checklist's anchor {old!r} is not there exactly once")
    path.write_text(text.replace(old, new), encoding="utf-8")


def coverage_passes(repo: Path, engine_python: Path) -> bool:
    command = [str(engine_python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "engine"]
    return _run([*command, COVERAGE_TEST], repo, check=False).returncode == 0


def apply_checklist(repo: Path, *, actions_python: Path, engine_python: Path) -> list[str]:
    """docs/howto/structured-type.md, applied to ``parcel_quote``; the files it changed."""
    (repo / GENERATOR).write_text(GENERATOR_SOURCE, encoding="utf-8")
    model = f"generators.{TOY_TYPE}:ParcelQuote"
    _run([str(actions_python), "-m", "generators.schemas", "add", TOY_TYPE, model], repo)
    if coverage_passes(repo, engine_python):
        raise ChecklistFailed("the coverage test passed for a type that no channel can draw")
    with (repo / "bot/channels/result_cards.py").open("a", encoding="utf-8") as cards:
        cards.write(SHARED_CARD)
    widget = repo / "bot/channels/web/widget.js"
    _edit(widget, "marketing_copy: 1 };", "marketing_copy: 1, parcel_quote: 1 };")
    _edit(widget, "      }\n      return card;", WIDGET_BRANCH + "      }\n      return card;")
    if not coverage_passes(repo, engine_python):
        raise ChecklistFailed("the renderer-coverage test fails after the checklist")
    schema_test = [str(actions_python), "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    _run([*schema_test, "-m", "not engine", SCHEMA_TEST], repo)
    status = _run(["git", "status", "--porcelain", "--untracked-files=all"], repo).stdout
    return sorted(line[3:] for line in status.splitlines() if line.strip())


def files_touched_to_add_structured_type(
    *, actions_python: Path | None = None, engine_python: Path | None = None
) -> int:
    """Files the structured-type checklist changes besides the generator itself."""
    actions_python = actions_python or Path(sys.executable)
    engine_python = engine_python or PROJECT_ROOT / ".venv" / "engine" / "bin" / "python"
    if not engine_python.exists():
        raise ChecklistFailed(f"{engine_python} is missing; run `make setup` first.")
    with tempfile.TemporaryDirectory(prefix="tandem-checklist-") as tmp:
        repo = Path(tmp)
        copy_tree(repo)
        changed = apply_checklist(repo, actions_python=actions_python, engine_python=engine_python)
    touched = [path for path in changed if Path(path) != GENERATOR]
    log.info("adding %s touched %d files: %s", TOY_TYPE, len(touched), ", ".join(touched))
    return len(touched)


def record(count: int, results: Path = RESULTS) -> None:
    """Set ``files_touched_to_add_structured_type`` in framework.json, keeping its other keys."""
    data = json.loads(results.read_text(encoding="utf-8")) if results.exists() else {}
    data["files_touched_to_add_structured_type"] = count
    results.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    record(files_touched_to_add_structured_type())
