"""No block of code repeated between two assistants (part of ``make check``).

The reference assistant's ``actions/`` and every ``examples/<name>/actions/`` (or
``actions.py``) are built on the kit; a block of ``--min-lines`` (10) or more lines
that appears in two of them belongs in the kit instead. The comparison is pylint's duplicate-code
checker (``symilar``) with pylint's defaults: comments, docstrings, imports and
signatures do not count. Each assistant's files are joined into one stream, so
only blocks shared *between* assistants are compared, never repeats inside one.

    python scripts/check_duplicates.py [--root .] [--min-lines 10]

Exit status 0: nothing repeated, or no second assistant yet; 1: repeated blocks,
listed with their files and lines; 2: pylint is not installed.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MIN_LINES = 10
_HEAD = re.compile(r"^\d+ similar lines in \d+ files$")
_PLACE = re.compile(r"^==(?P<stream>.+):\[(?P<start>\d+):(?P<end>\d+)\]$")


@dataclass(frozen=True)
class Part:
    """One file inside an assistant's joined stream, from ``first`` (0-based) on."""

    path: Path
    first: int


@dataclass(frozen=True)
class Stream:
    """An assistant's files joined into one, as symilar reads it."""

    parts: tuple[Part, ...]

    def locate(self, start: int, end: int) -> str:
        """``path:first-last`` (1-based) of the joined lines ``[start, end)``."""
        part = max((p for p in self.parts if p.first <= start), key=lambda p: p.first)
        return f"{part.path}:{start - part.first + 1}-{end - part.first}"


def _action_code(project: Path) -> list[Path]:
    """A project's ``actions/`` package, or its single ``actions.py``."""
    if (project / "actions").is_dir():
        return sorted(p for p in (project / "actions").rglob("*.py") if p.is_file())
    return [project / "actions.py"] if (project / "actions.py").is_file() else []


def assistants(root: Path) -> dict[str, list[Path]]:
    """Each assistant's action code: the reference one's and each ``examples/*``'s."""
    found = {"actions": _action_code(root)}
    for project in sorted(p for p in root.glob("examples/*") if p.is_dir()):
        found[str(project.relative_to(root) / "actions")] = _action_code(project)
    return {name: files for name, files in found.items() if files}


def join(files: list[Path], root: Path, out: Path) -> Stream:
    """Write ``files`` one after the other into ``out``; a line found nowhere else
    between them keeps a block from running across two files."""
    lines: list[str] = []
    parts = []
    for n, path in enumerate(files):
        lines.append(f"_tandem_boundary_{out.stem}_{n} = {n}")
        parts.append(Part(path.relative_to(root), len(lines)))
        lines += path.read_text(encoding="utf-8").splitlines()
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Stream(tuple(parts))


def repeated_blocks(root: Path, min_lines: int = DEFAULT_MIN_LINES) -> list[str]:
    """A report of each block of ``min_lines`` or more shared by two assistants."""
    code = assistants(root)
    if len(code) < 2:
        return []
    with tempfile.TemporaryDirectory(prefix="tandem-duplicates-") as tmp:
        streams = {
            str(Path(tmp) / f"{n}.py"): join(files, root, Path(tmp) / f"{n}.py")
            for n, files in enumerate(code.values())
        }
        done = subprocess.run(
            [
                # symilar reports blocks *longer* than --duplicates lines
                sys.executable, "-m", "pylint.checkers.symilar", "--duplicates", str(min_lines - 1),
                "--ignore-comments", "--ignore-docstrings", "--ignore-imports",
                "--ignore-signatures", *streams,
            ],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"symilar failed (exit {done.returncode}):\n{done.stderr}")
    reports: list[list[str]] = []
    for line in done.stdout.splitlines():
        if _HEAD.match(line):
            reports.append([line.split(" in ")[0] + ":"])
        elif line.startswith("TOTAL lines="):
            break
        elif reports and (place := _PLACE.match(line)):
            stream = streams[place["stream"]]
            reports[-1].append(stream.locate(int(place["start"]), int(place["end"])))
        elif reports and line.strip():
            reports[-1].append(line)
    return ["\n".join(report) for report in reports]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the project folder")
    parser.add_argument("--min-lines", type=int, default=DEFAULT_MIN_LINES)
    args = parser.parse_args(argv)
    if importlib.util.find_spec("pylint") is None:
        sys.stderr.write("pylint is missing: install the dev extra (`pip install -e .[dev]`).\n")
        return 2
    root = args.root.resolve()
    reports = repeated_blocks(root, args.min_lines)
    for report in reports:
        sys.stderr.write(report + "\n\n")
    if reports:
        sys.stderr.write(
            f"{len(reports)} block(s) of {args.min_lines}+ lines repeated between assistants: "
            "move the shared code into the kit (bot.sdk, generators) and import it.\n"
        )
        return 1
    compared = ", ".join(assistants(root)) or "no assistant"
    sys.stdout.write(f"no block of {args.min_lines}+ lines repeated between: {compared}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
