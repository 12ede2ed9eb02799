"""Parsers of environment values that both venvs share (standard library only).

The engine's settings (:mod:`bot.engine.settings`) and the tools' and action
server's (:mod:`bot.settings`) read their variables with these, so a bad value
fails the same way on both sides: a :class:`~bot.errors.ConfigError` naming the
variable and the fix.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.errors import ConfigError

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def env_int(
    env: Mapping[str, str], key: str, default: int, *, low: int = 1, high: int = 65535
) -> int:
    """``env[key]`` as a whole number in ``[low, high]``; ``default`` when unset or empty."""
    raw = env.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as e:
        raise ConfigError(f"{key}={raw!r} is not a whole number; unset it or give one.") from e
    if not low <= value <= high:
        raise ConfigError(f"{key}={value} is out of range; use a value between {low} and {high}.")
    return value


def env_float(
    env: Mapping[str, str], key: str, default: float, *, low: float, high: float
) -> float:
    """``env[key]`` as a number in ``[low, high]``; ``default`` when unset or empty."""
    raw = env.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError as e:
        raise ConfigError(f"{key}={raw!r} is not a number; unset it or give one.") from e
    if not low <= value <= high:
        raise ConfigError(f"{key}={value} is out of range; use a value between {low} and {high}.")
    return value


def env_bool(env: Mapping[str, str], key: str, default: bool) -> bool:
    """``env[key]`` as true/false (1/0, yes/no, on/off); ``default`` when unset or empty."""
    raw = (env.get(key) or "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{key}={raw!r} is not a boolean; use true or false.")
