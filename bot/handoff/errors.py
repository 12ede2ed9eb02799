"""Errors of the handoff service. One root, subclasses that carry context::

    HandoffError (TandemError)
     ├── GatewayError       Rasa could not be reached or refused a request
     │                      (carries ``conversation_id`` and ``status``)
     ├── NotAuthenticated   no valid console session or service token
     ├── Forbidden          the user may not do this (another agent's conversation...)
     ├── NotFound           the handoff, user or ticket does not exist (carries ``what``)
     ├── Conflict           the handoff is not in a state that allows the action
     │                      (carries ``status``)
     └── InvalidInput       a value broke a rule pydantic cannot express

The HTTP boundary maps each type to a status code (:data:`HTTP_STATUS`); the
messages are written for the person who reads them (an agent, an operator).
Configuration problems raise :class:`bot.errors.ConfigError`.
"""

from __future__ import annotations

from bot.errors import TandemError


class HandoffError(TandemError):
    """Root of every error the handoff service raises on purpose."""


class GatewayError(HandoffError):
    """A call to Rasa's HTTP API failed; nothing was lost, the caller may retry."""

    def __init__(self, message: str, *, conversation_id: str = "", status: int | None = None):
        self.conversation_id = conversation_id
        self.status = status
        super().__init__(message)


class NotAuthenticated(HandoffError):
    """The request carries no valid session or token."""


class Forbidden(HandoffError):
    """The user is known but may not do this."""


class NotFound(HandoffError):
    def __init__(self, message: str, *, what: str = "handoff") -> None:
        self.what = what
        super().__init__(message)


class Conflict(HandoffError):
    """The handoff's state does not allow the action (claimed by someone else, closed...)."""

    def __init__(self, message: str, *, status: str = "") -> None:
        self.status = status
        super().__init__(message)


class InvalidInput(HandoffError):
    """A value that validation at the edge could not catch (an unknown agent, a weak password)."""


class Unavailable(HandoffError):
    """Something the request needs (the analytics store) is not there yet or unreachable."""


HTTP_STATUS: dict[type[HandoffError], int] = {
    GatewayError: 502,
    NotAuthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    InvalidInput: 400,
    Unavailable: 503,
}


def http_status(error: HandoffError) -> int:
    for cls in type(error).__mro__:
        if cls in HTTP_STATUS:
            return HTTP_STATUS[cls]
    return 500
