"""Tandem's extensions of the Rasa engine (imported only inside the engine venv).

:func:`install` applies them; ``python -m bot.engine <rasa args>`` is ``rasa``
with them installed, and is how the supervisor starts the engine.
"""

from bot.engine import resilience, server, silence


def install() -> None:
    """Resilient custom actions, a reply to every message, the HTTP server's limits and guard."""
    resilience.install()
    silence.install()
    server.install()


__all__ = ["install"]
