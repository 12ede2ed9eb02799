"""Tandem's extensions of the Rasa engine. Engine venv (Python 3.10): imports rasa.

:func:`install` applies them; ``python -m bot.engine <rasa args>`` is ``rasa``
with them installed, and is how the supervisor starts the engine. The settings
(:mod:`bot.engine.settings`, the only place the engine side reads environment
variables) and the exception root (:mod:`bot.engine.errors`) import no rasa, so
importing this package does not either; :func:`install` does.
"""


def install() -> None:
    """Resilient custom actions, a tracker store that waits out a database outage,
    a reply to every message, its language on every bot message, the HTTP
    server's limits and guard."""
    from bot.engine import language, resilience, server, silence, tracker_store

    resilience.install()
    tracker_store.install()
    silence.install()
    language.install()
    server.install()


__all__ = ["install"]
