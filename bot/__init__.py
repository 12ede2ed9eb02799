"""Tandem: a Rasa dialogue engine, generative models and human agents in tandem.

This package is the framework. Its parts run in two virtual environments, because
rasa's pins and torch's cannot share one (see README, "Architecture"), and each
part says in its docstring which one:

=============================================  =========================================
engine venv (Python 3.10, imports rasa)        :mod:`bot.engine`, :mod:`bot.channels`,
                                               :mod:`bot.nlu` - loaded by Rasa
both venvs, standard library only              :mod:`bot.contract`, :mod:`bot.errors`,
                                               :mod:`bot.privacy`,
                                               :mod:`bot.settings` (its ``env_*`` readers)
actions venv (Python 3.11, no rasa)            :mod:`bot.sdk`, :mod:`bot.handoff`,
                                               :mod:`bot.console`, :mod:`bot.encoders`,
                                               :mod:`bot.scaffold`, :mod:`bot.actionserver`,
                                               :mod:`bot.cli`, :mod:`bot.supervisor`,
                                               :mod:`bot.training`, :mod:`bot.erasure`,
                                               and :mod:`generators`
=============================================  =========================================

``tests/unit/test_layout.py`` holds the table: the engine side imports nothing
that only the actions venv has, the actions side never imports rasa (also not
through a module of :mod:`bot.nlu` it borrows, such as the ONNX encoder), and the
shared modules import only the standard library.
"""

__version__ = "0.1.0"
