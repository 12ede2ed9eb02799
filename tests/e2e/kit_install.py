"""The kit as a user gets it: a wheel built from the checkout, in fresh venvs.

The venvs are new (``python -m venv``) but download nothing: after the wheel is
installed with ``--no-deps --no-index``, a ``.pth`` file puts the site-packages
of the checkout's venv behind their own. The ``.pth`` files inside that folder
are not processed, so the checkout's editable install stays invisible and
``import bot`` resolves into the fresh venv (:func:`check_isolated` says so).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]
KIT_FILES = ("pyproject.toml", "README.md", "LICENSE")
KIT_PACKAGES = ("bot", "generators")
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc")


def build_wheel(out_dir: Path, *, checkout: Path = CHECKOUT) -> Path:
    """``pip wheel`` of a clean copy of the kit's sources (no stale ``build/`` files)."""
    source = out_dir / "source"
    source.mkdir(parents=True)
    for name in KIT_FILES:
        if (checkout / name).exists():
            shutil.copy2(checkout / name, source / name)
    for package in KIT_PACKAGES:
        shutil.copytree(checkout / package, source / package, ignore=IGNORED)
    wheels = out_dir / "wheels"
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "-q", "-w", str(wheels), str(source)])  # fmt: skip
    (wheel,) = wheels.glob("tandem-*.whl")
    return wheel


@dataclass(frozen=True)
class Venv:
    path: Path

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"

    @property
    def bin(self) -> Path:
        return self.path / "bin"

    def site_packages(self) -> Path:
        purelib = "import sysconfig; print(sysconfig.get_path('purelib'))"
        return Path(run([str(self.python), "-c", purelib]))


def site_packages_of(python: Path) -> Path:
    return Venv(python.parent.parent).site_packages()


def base_python(python: Path) -> Path:
    """The interpreter a venv was made from (same version, same ABI)."""
    return Path(run([str(python), "-c", "import sys; print(sys._base_executable)"]))


def fresh_venv(dest: Path, *, like: Path, wheel: Path) -> Venv:
    """A new venv at ``dest`` holding ``wheel``, borrowing the dependencies of ``like``'s venv."""
    run([str(base_python(like)), "-m", "venv", str(dest)])
    venv = Venv(dest)
    # Installed before the .pth exists: pip then sees no other tandem to replace.
    run([str(venv.python), "-m", "pip", "install", "-q", "--no-deps", "--no-index",
         "--disable-pip-version-check", str(wheel)])  # fmt: skip
    (venv.site_packages() / "_tandem_borrowed_deps.pth").write_text(f"{site_packages_of(like)}\n")
    check_isolated(venv)
    return venv


def check_isolated(venv: Venv) -> None:
    """``bot`` and ``generators`` come from the venv's own site-packages, not the checkout."""
    where = run([str(venv.python), "-c",
                 "import bot, generators; print(bot.__file__); print(generators.__file__)"],
                cwd=venv.path)  # fmt: skip
    own = venv.site_packages()
    for line in where.splitlines():
        if own not in Path(line).parents:
            raise AssertionError(f"{line} is not inside {own}: the fresh venv sees the checkout")


def kit_venvs(root: Path, *, engine_python: Path, actions_python: Path) -> Path:
    """``root/engine`` and ``root/actions`` with the wheel: what ``TANDEM_VENV_DIR`` names."""
    wheel = build_wheel(root / "build")
    fresh_venv(root / "venvs" / "engine", like=engine_python, wheel=wheel)
    fresh_venv(root / "venvs" / "actions", like=actions_python, wheel=wheel)
    return root / "venvs"


def run(command: list[str], *, cwd: Path | None = None) -> str:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        output = result.stdout[-2000:] + result.stderr[-3000:]
        raise RuntimeError(f"{' '.join(command)} failed:\n{output}")
    return result.stdout.strip()
