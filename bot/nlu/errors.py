"""Errors raised by Tandem's NLU components::

    TandemError                 (bot.errors)
     └── NLUError
          ├── EncoderNotFound   no exported ONNX encoder where configured (carries ``path``)
          └── CalibrationError  the out-of-scope threshold could not be chosen from the data

Messages say how to fix the problem.
"""

from __future__ import annotations

from pathlib import Path

from bot.errors import TandemError


class NLUError(TandemError):
    """Root of the errors raised by :mod:`bot.nlu`."""


class EncoderNotFound(NLUError):
    def __init__(self, message: str, *, path: Path | str) -> None:
        self.path = path
        super().__init__(message)


class CalibrationError(NLUError):
    """The training data cannot support a calibrated out-of-scope threshold."""
