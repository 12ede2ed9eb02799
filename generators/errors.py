"""Errors raised by generators. One root, subclasses that carry context::

    TandemError                (bot.errors, the actions venv's root)
     └── GeneratorError
          ├── ModelLoadError     a model or artifact could not be loaded (carries ``path``)
          ├── GenerationTimeout  a generation ran past its deadline (carries ``deadline_s``)
          ├── EmptyGeneration    a model returned no usable text
          └── ValidationFailed   inputs or outputs broke a schema (carries ``raw``)

Messages say how to fix the problem. Actions map each type to a reply.
"""

from __future__ import annotations

from pathlib import Path

from bot.errors import TandemError


class GeneratorError(TandemError):
    """Root of every error raised by :mod:`generators` (under :class:`bot.errors.TandemError`)."""


class ModelLoadError(GeneratorError):
    def __init__(self, message: str, *, path: Path | str | None = None) -> None:
        self.path = path
        super().__init__(message)


class GenerationTimeout(GeneratorError):
    def __init__(self, message: str, *, deadline_s: float) -> None:
        self.deadline_s = deadline_s
        super().__init__(message)


class EmptyGeneration(GeneratorError):
    """The model produced nothing usable (empty or whitespace only)."""


class ValidationFailed(GeneratorError):
    """Input or output data did not validate; ``raw`` keeps what was received."""

    def __init__(self, message: str, *, raw: object = None) -> None:
        self.raw = raw
        super().__init__(message)
