"""Fixtures for the NLU tests: the exported encoder and a tiny Rasa project.

The encoder is the real all-MiniLM-L6-v2 export (``make setup`` writes it to
models/encoders/all-minilm-l6-v2); when it is missing the fixture exports it
with the actions venv, as set-up would, rather than skipping the tests.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.encoders.export import is_current
from bot.nlu.encoder import DEFAULT_ENCODER_DIR, ENCODER_FILES

ROOT = Path(__file__).resolve().parents[4]
ACTIONS_PYTHON = ROOT / ".venv" / "actions" / "bin" / "python"

TINY_NLU = """version: "3.1"
nlu:
  - intent: greet
    examples: |
      - hi
      - hello there
      - good morning
      - hey, how are you
      - hello bot
      - hiya
  - intent: goodbye
    examples: |
      - bye
      - see you later
      - goodbye for now
      - talk to you soon
      - have a nice day
      - catch you later
  - intent: ask_store_hours
    examples: |
      - when are you open
      - what are your opening hours
      - is the shop open on sunday
      - until what time is the store open today
      - what time do you close
      - opening times please
  - intent: out_of_scope
    examples: |
      - what is the capital of peru
      - can you write me a poem about cats
      - who won the football match last night
      - how do I bake sourdough bread
      - what is the meaning of life
      - tell me about black holes
"""

TINY_CONFIG = """recipe: default.v1
language: en
assistant_id: tandem-nlu-test
pipeline:
  - name: WhitespaceTokenizer
  - name: bot.nlu.featurizer.SentenceEncoderFeaturizer
    encoder_path: {encoder}
    num_threads: 1
  - name: bot.nlu.classifier.SentenceEmbeddingIntentClassifier
    calibration_folds: 3
policies: []
"""


@pytest.fixture(scope="session")
def encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    default = ROOT / DEFAULT_ENCODER_DIR
    if all((default / name).exists() for name in ENCODER_FILES) and is_current(default):
        return default
    out = tmp_path_factory.mktemp("encoder")
    subprocess.run(
        [str(ACTIONS_PYTHON), "-m", "bot.encoders.export", "--out", str(out), "--force"],
        cwd=ROOT,
        check=True,
        env={"PYTHONPATH": str(ROOT), "PATH": str(Path(sys.executable).parent)},
    )
    return out


@pytest.fixture
def tiny_project(tmp_path: Path, encoder_dir: Path) -> Path:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "nlu.yml").write_text(TINY_NLU)
    (tmp_path / "config.yml").write_text(TINY_CONFIG.format(encoder=encoder_dir))
    (tmp_path / "domain.yml").write_text(
        'version: "3.1"\nintents: [greet, goodbye, ask_store_hours, out_of_scope]\n'
    )
    return tmp_path
