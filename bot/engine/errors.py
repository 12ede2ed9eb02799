"""The root of every error the engine venv's own code raises::

    TandemError                     bot.errors (shared by both venvs)
     ├── ConfigError                bot.errors: a setting or a credentials.yml key is wrong
     └── EngineError                this module: root of the engine venv's errors
          ├── ChannelError          a channel refused a request or could not deliver
          │    ├── Rejected           bot.channels.inbound: input refused (``status``, ``code``)
          │    │    ├── TokenRefused   bot.channels.visitor_token: 401, or 403 (not yours)
          │    │    └── BadRequest     bot.channels.rest: a body the REST channel cannot take
          │    ├── RejectedRequest    bot.channels.slack_events: a Slack request refused
          │    ├── DemoPageError      bot.channels.demo_page: the catalogue lacks a figure
          │    ├── WidgetStringsError bot.channels.widget_strings: widget.js lost its markers
          │    └── BotFrameworkError  bot.channels.botframework_auth (``status``)
          │         ├── TokenRejected        401: the bearer token does not check out
          │         ├── ActivityForbidden    403: the token does not cover the activity
          │         ├── KeysUnavailable      503: Microsoft's signing keys are unreachable
          │         ├── ConnectorAuthError   the bot's app id or password was refused
          │         ├── ConnectorError       bot.channels.botframework_connector
          │         └── UnknownConversation  404: nobody by that id wrote to the bot
          ├── TrackerStoreUnavailable  bot.engine.tracker_store: the database stayed away
          └── NLUError              bot.nlu.errors
               ├── EncoderNotFound    no exported ONNX encoder where configured
               ├── CalibrationError   the data cannot support an out-of-scope threshold
               └── LexiconError       bot.nlu.frustration: a bad frustration lexicon

The engine side raises the shared :class:`~bot.errors.ConfigError` for bad
settings, so one ``except ConfigError`` covers both venvs. The channel errors that
were :class:`ValueError` before this root existed keep it as a second base (they
are bad values), so code that catches ``ValueError`` keeps working. A test checks
that every exception class defined in ``bot/engine``, ``bot/channels`` and
``bot/nlu`` descends from :class:`EngineError`.

Standard library only (no rasa): the actions venv imports the venv-neutral parts
of :mod:`bot.nlu` (the encoder, the parsers), and with them this module.
Messages say how to fix the problem, not only what went wrong.
"""

from __future__ import annotations

from bot.errors import TandemError


class EngineError(TandemError):
    """Root of the errors raised by Tandem's code in the engine venv."""


class ChannelError(EngineError):
    """A channel refused a request or could not deliver a reply."""
