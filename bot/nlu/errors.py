"""Errors raised by Tandem's NLU components::

    TandemError                 (bot.errors)
     └── EngineError             (bot.engine.errors: the engine venv's root)
          └── NLUError
               ├── EncoderNotFound   no exported ONNX encoder where configured (``path``)
               ├── CalibrationError  the out-of-scope threshold cannot be chosen from the data
               └── LexiconError      (bot.nlu.frustration) a bad frustration lexicon

Messages say how to fix the problem.
"""

from __future__ import annotations

from pathlib import Path

from bot.engine.errors import EngineError


class NLUError(EngineError):
    """Root of the errors raised by :mod:`bot.nlu`."""


class EncoderNotFound(NLUError):
    def __init__(self, message: str, *, path: Path | str) -> None:
        self.path = path
        super().__init__(message)


class CalibrationError(NLUError):
    """The training data cannot support a calibrated out-of-scope threshold."""
