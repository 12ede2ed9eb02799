"""The one error of :mod:`bot.contract`."""

from __future__ import annotations

from bot.errors import TandemError


class ContractError(TandemError, ValueError):
    """A message does not have the shape its contract gives it.

    ``code`` is a short machine-readable name (``bad_stream_id``) that an HTTP
    boundary can answer with; the message says what a valid body looks like.
    """

    def __init__(self, message: str, *, code: str = "bad_message") -> None:
        super().__init__(message)
        self.code = code
