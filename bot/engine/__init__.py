"""Tandem's extensions of the Rasa engine (imported only inside the engine venv).

:func:`install` applies them; ``python -m bot.engine <rasa args>`` is ``rasa``
with them installed, and is how the supervisor starts the engine.
"""

from bot.engine import resilience, server


def install() -> None:
    """Resilient custom actions, and the HTTP server's limits and API guard."""
    resilience.install()
    server.install()


__all__ = ["install"]
