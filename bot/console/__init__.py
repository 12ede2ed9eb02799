"""The agent console of the handoff service: login, the single page, its JSON API
and live stream (:mod:`bot.console.routes`, :mod:`bot.console.auth`), and the
conversation summaries and reply suggestions (:mod:`bot.console.assist`).

Actions venv (Python 3.11), inside the handoff service.
"""
