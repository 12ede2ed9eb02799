"""Tandem: a Rasa dialogue engine, generative models and human agents in tandem.

This package is the framework. Its modules fall in two groups that live in two
virtual environments (see README, "Architecture"):

* tools side (Python 3.11): :mod:`bot.cli`, :mod:`bot.supervisor`,
  :mod:`bot.training`, :mod:`bot.settings` - no rasa imports;
* engine side (Python 3.10): :mod:`bot.engine`, :mod:`bot.channels` - loaded by
  Rasa, importing only what the engine venv has.
"""

__version__ = "0.1.0"
