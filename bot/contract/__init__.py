"""The wire shapes between Tandem's processes, written once for both virtual environments.

Standard library only (a test checks the imports), so the engine venv (Python
3.10, rasa) and the actions venv (Python 3.11, rasa-sdk, the models) import the
same definitions and cannot drift apart:

* :mod:`bot.contract.paths` - the URL paths each server offers to the others;
* :mod:`bot.contract.stream` - a web-chat draft (action server -> web chat channel);
* :mod:`bot.contract.rephrase` - ``POST /rephrase`` (engine -> action server);
* :mod:`bot.contract.handoff` - handoff requests, tickets and notifications
  (action server and engine -> handoff service);
* :mod:`bot.contract.payloads` - the custom payloads channels render: the
  structured result types, read from the JSON schemas in ``schemas/``, and the
  handoff messages.

Each message is a frozen dataclass with ``to_dict()`` and ``from_dict()``; a body
that breaks the contract raises :class:`ContractError` (a ``ValueError`` under
:class:`bot.errors.TandemError`) whose message says what to send instead.
"""

from bot.contract.errors import ContractError

__all__ = ["ContractError"]
