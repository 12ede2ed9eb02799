"""Errors of preparing the sentence encoder::

    TandemError                 (bot.errors)
     └── EncoderError
          ├── ExportError       the model folder cannot be exported to ONNX
          └── FineTuneError     the examples cannot drive a fine-tune, or it failed

Messages say what to change.
"""

from __future__ import annotations

from bot.errors import TandemError


class EncoderError(TandemError):
    """Root of the errors raised by :mod:`bot.encoders`."""


class ExportError(EncoderError):
    """The encoder could not be exported; the message says what to change."""


class FineTuneError(EncoderError):
    """The training data cannot drive a fine-tune, or the fine-tune itself failed."""
