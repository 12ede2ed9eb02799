"""Penny's custom actions: thin wrappers around the Tandem kit (``bot.sdk``, ``generators``).

Loaded by the action server as the ``actions`` package of this project
(``python -m bot.actionserver --actions actions`` with this folder as the
working directory); every class here is registered by its ``name()``.
"""
