"""Tandem's exceptions on the action-server side (actions venv). One root::

    TandemError
     ├── ConfigError              a setting, file or credential is missing or invalid
     ├── SetupError               an interpreter or virtual environment is missing
     ├── TrainingError            ``rasa train`` failed
     ├── StoreError               a data store cannot be reached, or is in use
     ├── ServerError              a server process misbehaved (carries ``server``)
     │    ├── ServerNotReady      it did not answer its health check in time
     │    └── ServerDied          it exited while it should have been running
     ├── GeneratorError           generators.errors: a generator failed
     │    ├── ModelLoadError      a model or artifact could not be loaded (carries ``path``)
     │    ├── GenerationTimeout   a generation ran past its deadline
     │    ├── EmptyGeneration     a model returned no usable text
     │    ├── ValidationFailed    inputs or outputs broke a schema (carries ``raw``)
     │    │    └── RephrasingRejected   generators.rephrase
     │    └── OrderError          generators.orders
     ├── HandoffError             bot.handoff.errors: the handoff service's errors
     │    └── GatewayError, NotAuthenticated, Forbidden, NotFound, Conflict, InvalidInput
     ├── HandoffServiceError      the action server could not reach the handoff service
     ├── ExportError              bot.nlu.export: the NLU encoder could not be exported
     ├── NLUError                 bot.nlu.errors (EncoderNotFound, CalibrationError, ...)
     ├── BadRephraseRequest       bot.actionserver: a ``POST /rephrase`` body (also a ValueError)
     └── StoreDataError           actions.store: the stores file is malformed (also a ValueError)

Classes that callers used to catch as ``ValueError`` keep it as a second base.
The engine venv (Rasa) documents its own root in ``bot/engine``. Messages say
what to do next, not only what went wrong; a bad setting is always a
:class:`ConfigError` naming the variable and the fix.
"""

from __future__ import annotations


class TandemError(Exception):
    """Root of every error Tandem raises on purpose."""


class ConfigError(TandemError):
    """A setting, file or credential is missing or has an invalid value."""


class SetupError(TandemError):
    """The environment Tandem needs (interpreters, venvs) is not in place."""


class TrainingError(TandemError):
    """Training the Rasa model failed."""


class StoreError(TandemError):
    """A data store (tracker store, handoff database, log files) cannot be used right now."""


class ServerError(TandemError):
    """A server process misbehaved."""

    def __init__(self, message: str, *, server: str, log_tail: str = "") -> None:
        self.server = server
        self.log_tail = log_tail
        full = message
        if log_tail:
            full += f"\n--- last lines of the {server} log ---\n{log_tail}"
        super().__init__(full)


class ServerNotReady(ServerError):
    """The server did not pass its health check before the deadline."""


class ServerDied(ServerError):
    """The server exited while it was supposed to run."""

    def __init__(self, message: str, *, server: str, returncode: int, log_tail: str = "") -> None:
        self.returncode = returncode
        super().__init__(message, server=server, log_tail=log_tail)
