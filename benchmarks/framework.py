"""Framework benchmark: the results contract of issue 22.

    python -m benchmarks.framework [--no-scaffold]

Writes benchmarks/results/framework.{json,md} (keys other scripts put there are kept):

* ``scaffold_to_first_reply_s``: from ``tandem new`` to the first REST reply, taking
  the tutorial's steps (tests/e2e/tutorial_steps.py: new, train, run, curl) with the
  kit installed from a wheel of this checkout. The fresh venvs are built first and
  not counted (tests/e2e/kit_install.py).
* ``files_touched_to_add_structured_type``: counted by benchmarks/framework_checklist.py,
  which applies the structured-type checklist to a toy type (null, with the reason, when
  that script is absent).
* ``mypy_checked_lines_engine`` / ``mypy_checked_lines_actions``: non-blank lines of the
  files each mypy run checks, read off its configuration (mypy-engine.ini for the engine
  venv, pyproject.toml's ``[tool.mypy]`` for the actions venv): the ``packages`` it
  names, minus its ``exclude`` patterns. Modules mypy reaches only by following imports
  are not counted.
"""

from __future__ import annotations

import argparse
import configparser
import json
import os
import re
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import tomllib

from benchmarks.serving import machine
from bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
ENGINE_MYPY_CONFIG = ROOT / "mypy-engine.ini"


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in re.split(r"[,\n]", value) if v.strip()]
    return [str(v) for v in value]


def checked_files(packages: Iterable[str], exclude: Iterable[str], root: Path = ROOT) -> list[Path]:
    """The ``*.py`` files of ``packages`` (dotted names) that no ``exclude`` regex matches."""
    patterns = [re.compile(p) for p in exclude]
    files: set[Path] = set()
    for package in packages:
        base = root.joinpath(*package.split("."))
        candidates = base.rglob("*.py") if base.is_dir() else [base.with_suffix(".py")]
        for path in candidates:
            relative = path.relative_to(root).as_posix()
            if path.is_file() and not any(p.search(relative) for p in patterns):
                files.add(path)
    return sorted(files)


def non_blank_lines(files: Iterable[Path]) -> int:
    return sum(
        1 for f in files for line in f.read_text(encoding="utf-8").splitlines() if line.strip()
    )


def mypy_actions(root: Path = ROOT) -> dict[str, Any]:
    config = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["mypy"]
    files = checked_files(_as_list(config.get("packages")), _as_list(config.get("exclude")), root)
    return {"lines": non_blank_lines(files), "files": len(files), "config": "pyproject.toml"}


def mypy_engine(root: Path = ROOT) -> dict[str, Any]:
    ini = root / ENGINE_MYPY_CONFIG.name
    if not ini.exists():
        return {"lines": None, "reason": f"no {ini.name}: mypy does not check the engine side"}
    parser = configparser.ConfigParser()
    parser.read(ini)
    section = parser["mypy"]
    files = checked_files(
        _as_list(section.get("packages")) + _as_list(section.get("files")),
        _as_list(section.get("exclude")),
        root,
    )
    return {"lines": non_blank_lines(files), "files": len(files), "config": ini.name}


def structured_type_files() -> dict[str, Any]:
    try:
        from benchmarks.framework_checklist import files_touched_to_add_structured_type
    except ImportError as e:
        return {"count": None, "reason": f"benchmarks/framework_checklist.py is missing ({e})"}
    settings = Settings.from_env()
    count = files_touched_to_add_structured_type(
        actions_python=settings.actions_python, engine_python=settings.engine_python
    )
    return {"count": count}


def scaffold_to_first_reply(workdir: Path) -> dict[str, Any]:
    """The tutorial from ``tandem new`` to the first curl reply, timed step by step."""
    from tests.e2e.kit_install import kit_venvs
    from tests.e2e.tutorial_run import TutorialRun
    from tests.e2e.tutorial_steps import STEPS

    settings = Settings.from_env()
    started = time.perf_counter()
    venvs = kit_venvs(
        workdir / "kit",
        engine_python=settings.engine_python,
        actions_python=settings.actions_python,
    )
    venv_s = time.perf_counter() - started
    project_parent = workdir / "projects"
    project_parent.mkdir()
    reader = TutorialRun(project_parent, venvs=venvs, base_env=os.environ)
    steps: dict[str, float] = {}
    first_reply: float | None = None
    started = time.perf_counter()

    def mark_first(reply: str) -> None:
        nonlocal first_reply
        if first_reply is None:
            first_reply = time.perf_counter() - started

    reader.on_reply = mark_first
    try:
        for step in STEPS[1:]:
            step_started = time.perf_counter()
            reader.take(step)
            steps[step.title] = round(time.perf_counter() - step_started, 1)
            if first_reply is not None:
                break
    finally:
        reader.stop()
    if first_reply is None:
        raise RuntimeError("the tutorial's steps ended without a REST reply")
    return {
        "seconds": round(first_reply, 1),
        "steps_s": steps,
        "first_reply": reader.replies[0],
        "fresh_venvs_s_excluded": round(venv_s, 1),
    }


def write_report(result: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "framework.json"
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    data.update(result)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    m = data.get("machine", {})
    details = data.get("details", {})
    lines = [
        "# Framework benchmark (issue 22)",
        "",
        f"Machine: {m.get('cpu')}, {m.get('cores')} cores, {m.get('memory_gib')} GiB. "
        "`python -m benchmarks.framework` writes this file and framework.json.",
        "",
        "| metric | value | how |",
        "|---|---|---|",
        f"| scaffold_to_first_reply_s | {data.get('scaffold_to_first_reply_s')} | "
        "`tandem new` → `tandem train` → `tandem run` → first curl reply, kit from a wheel "
        "in fresh venvs (venv build excluded) |",
        f"| files_touched_to_add_structured_type | "
        f"{data.get('files_touched_to_add_structured_type')} | "
        "benchmarks/framework_checklist.py applies the checklist to a toy type (target ≤ 3) |",
        f"| mypy_checked_lines_engine | {data.get('mypy_checked_lines_engine')} | "
        "non-blank lines of the packages in mypy-engine.ini (engine venv) |",
        f"| mypy_checked_lines_actions | {data.get('mypy_checked_lines_actions')} | "
        "non-blank lines of pyproject.toml's [tool.mypy] packages minus its excludes |",
        "",
    ]
    scaffold = details.get("scaffold")
    if scaffold:
        lines += ["## From `tandem new` to the first reply", "", "| step | seconds |", "|---|---|"]
        lines += [f"| {title} | {s} |" for title, s in scaffold["steps_s"].items()]
        lines += [
            "",
            f"Fresh venvs (not counted): {scaffold['fresh_venvs_s_excluded']} s. "
            f"First reply: {scaffold['first_reply']!r}",
            "",
        ]
    reasons = [f"* {k}: {v}" for k, v in details.get("null_reasons", {}).items()]
    if reasons:
        lines += ["## Not measured", "", *reasons, ""]
    (RESULTS / "framework.md").write_text("\n".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--no-scaffold", action="store_true", help="keep the last scaffold_to_first_reply_s"
    )
    args = parser.parse_args(argv)
    engine, actions, structured = mypy_engine(), mypy_actions(), structured_type_files()
    result: dict[str, Any] = {
        "machine": machine(),
        "mypy_checked_lines_engine": engine["lines"],
        "mypy_checked_lines_actions": actions["lines"],
        "files_touched_to_add_structured_type": structured["count"],
    }
    details: dict[str, Any] = {"mypy_engine": engine, "mypy_actions": actions}
    null_reasons = {
        key: info["reason"]
        for key, info in (
            ("mypy_checked_lines_engine", engine),
            ("files_touched_to_add_structured_type", structured),
        )
        if "reason" in info
    }
    if not args.no_scaffold:
        with tempfile.TemporaryDirectory(prefix="tandem-framework-") as tmp:
            scaffold = scaffold_to_first_reply(Path(tmp))
        result["scaffold_to_first_reply_s"] = scaffold["seconds"]
        details["scaffold"] = scaffold
    details["null_reasons"] = null_reasons
    result["details"] = details
    write_report(result)
    print(json.dumps({k: v for k, v in result.items() if k != "details"}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
