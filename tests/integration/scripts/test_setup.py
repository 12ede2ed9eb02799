"""scripts/setup.sh finds its interpreters or says in one sentence what to do."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
TOOLS = ("bash", "sha256sum", "cut", "cat", "grep", "sort", "tail", "dirname")


def bare_path(tmp_path: Path) -> Path:
    """A PATH with the shell tools the script needs and no Python, pyenv or uv."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for tool in TOOLS:
        target = next(Path(d) / tool for d in ("/usr/bin", "/bin") if (Path(d) / tool).exists())
        os.symlink(target, folder / tool)
    return folder


def fake_python(path: Path, version: str) -> Path:
    """A stand-in interpreter that answers the script's version probe as ``version``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ok = "0" if version == "3.10" else "1"
    path.write_text(f"#!/bin/sh\nexec {sys.executable} -c 'import sys; sys.exit({ok})'\n")
    path.chmod(0o755)
    return path


def run_setup(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(ROOT / "scripts" / "setup.sh")],
        env={
            "PATH": str(bare_path(tmp_path)),
            "HOME": str(tmp_path),
            "TANDEM_VENV_DIR": str(tmp_path / "venvs"),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_missing_python_310_fails_with_one_clear_sentence(tmp_path: Path) -> None:
    result = run_setup(tmp_path)
    assert result.returncode == 1
    assert "Python 3.10 is required for the Rasa engine" in result.stderr
    assert "TANDEM_PYTHON310" in result.stderr
    assert not (tmp_path / "venvs").exists()  # nothing half-built


def test_an_explicit_interpreter_of_the_wrong_version_is_not_taken(tmp_path: Path) -> None:
    wrong = fake_python(tmp_path / "elsewhere" / "python", "3.9")
    result = run_setup(tmp_path, TANDEM_PYTHON310=str(wrong))
    assert result.returncode == 1
    assert "Python 3.10 is required" in result.stderr
