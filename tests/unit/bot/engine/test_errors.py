"""The engine venv's exception root: every engine-side exception class descends from it."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import bot.channels
import bot.engine
import bot.nlu
from bot.engine import errors
from bot.engine.errors import ChannelError, EngineError
from bot.errors import TandemError

pytestmark = pytest.mark.engine


def engine_exceptions() -> list[type[BaseException]]:
    found = []
    for package in (bot.engine, bot.channels, bot.nlu):
        for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
            if info.name.endswith("__main__"):
                continue
            module = importlib.import_module(info.name)
            found += [
                cls
                for _, cls in inspect.getmembers(module, inspect.isclass)
                if issubclass(cls, BaseException) and cls.__module__ == module.__name__
            ]
    return sorted(set(found), key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


def test_every_engine_side_exception_descends_from_the_root() -> None:
    found = engine_exceptions()
    assert len(found) >= 15  # the scan found the channels' and the NLU's errors
    outside = [f"{c.__module__}.{c.__qualname__}" for c in found if not issubclass(c, EngineError)]
    assert not outside, f"derive these from bot.engine.errors.EngineError: {outside}"
    assert issubclass(EngineError, TandemError)


def test_the_docstring_tree_names_every_class() -> None:
    missing = [c.__qualname__ for c in engine_exceptions() if c.__qualname__ not in errors.__doc__]
    assert not missing, f"add these to the tree in bot/engine/errors.py: {missing}"


def test_refused_input_is_a_channel_error_and_still_a_value_error() -> None:
    from bot.channels.inbound import Rejected
    from bot.channels.slack_events import RejectedRequest

    for cls in (Rejected, RejectedRequest):
        assert issubclass(cls, ChannelError) and issubclass(cls, ValueError)
