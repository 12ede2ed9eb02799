"""benchmarks/framework.py: what each mypy run checks, counted off its configuration."""

from __future__ import annotations

from pathlib import Path

from benchmarks.framework import checked_files, mypy_actions, mypy_engine, non_blank_lines


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_packages_minus_excludes_and_only_non_blank_lines(tmp_path: Path) -> None:
    write(tmp_path / "bot/cli.py", "import os\n\n\nx = 1\n")
    write(tmp_path / "bot/engine/run.py", "a = 1\n")
    write(tmp_path / "bot/data.yml", "not: python\n")
    write(tmp_path / "generators/text.py", "   \nb = 2\n")
    files = checked_files(["bot", "generators"], ["bot/engine/"], tmp_path)
    assert [f.relative_to(tmp_path).as_posix() for f in files] == [
        "bot/cli.py",
        "generators/text.py",
    ]
    assert non_blank_lines(files) == 3


def test_reads_both_configurations(tmp_path: Path) -> None:
    write(
        tmp_path / "pyproject.toml",
        '[tool.mypy]\npackages = ["bot"]\nexclude = ["bot/engine/"]\n',
    )
    write(tmp_path / "mypy-engine.ini", "[mypy]\npackages = bot.engine\n")
    write(tmp_path / "bot/cli.py", "x = 1\ny = 2\n")
    write(tmp_path / "bot/engine/run.py", "a = 1\n")
    assert mypy_actions(tmp_path)["lines"] == 2
    assert mypy_engine(tmp_path)["lines"] == 1


def test_no_engine_configuration_is_a_null_with_its_reason(tmp_path: Path) -> None:
    result = mypy_engine(tmp_path)
    assert result["lines"] is None and "mypy-engine.ini" in result["reason"]
