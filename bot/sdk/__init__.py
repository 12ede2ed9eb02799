"""The action-server kit: what a business's action server reuses (actions venv).

``bot.sdk.assistant`` reads the project's ``assistant.yml``; ``bot.sdk.runtime``
is the one runtime of an action-server process (settings, the assistant and the
models, each built once).
"""
