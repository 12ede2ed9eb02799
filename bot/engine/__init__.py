"""Tandem's extensions of the Rasa engine (imported only inside the engine venv).

:func:`install` applies them; ``python -m bot.engine <rasa args>`` is ``rasa``
with them installed, and is how the supervisor starts the engine.
"""

from bot.engine.resilience import install

__all__ = ["install"]
