"""Where a Tandem turn's time goes: the engine server, timed stage by stage.

Run by :mod:`benchmarks.turn` in place of ``python -m bot.engine`` (engine venv,
the engine's environment and arguments)::

    python -m benchmarks.turn_worker --stages-out S.jsonl [--cprofile-out P.txt] \
        run --model M --endpoints endpoints.yml ...

It is the same server (Tandem's engine extensions installed, Sanic, the REST
channel, the endpoints' tracker store, event broker and NLG) with timers around
Rasa's message handling, Tandem's tracker store and each event broker, and
around every graph node (NLU components and policies, the latter once per
predicted action). After each message it appends one JSON line to ``S.jsonl``:
each stage's seconds in that turn. What the client measured minus the
``handle_message`` total is what HTTP, Sanic and the channel cost.
``--cprofile-out`` adds cProfile's top functions over the timed turns, written
when the server stops.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextvars
import cProfile
import functools
import io
import json
import pstats
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

_turn: contextvars.ContextVar[dict[str, float] | None] = contextvars.ContextVar(
    "turn", default=None
)


TOTAL = "handle_message (total)"


def _add(stage: str, seconds: float) -> None:
    totals = _turn.get()
    if totals is not None:
        totals[stage] = totals.get(stage, 0.0) + seconds


def _timed(stage: str | Callable[..., str], fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` (sync or async) with its time added to ``stage`` of the current turn."""
    name = stage if callable(stage) else (lambda *_a, **_k: stage)

    if asyncio.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def run_async(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await fn(*args, **kwargs)
            finally:
                _add(name(*args, **kwargs), time.perf_counter() - started)

        return run_async

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            _add(name(*args, **kwargs), time.perf_counter() - started)

    return run


def _component(node_name: str) -> str:
    """``run_bot.nlu.featurizer.SentenceEncoderFeaturizer1`` -> ``SentenceEncoderFeaturizer``."""
    name = node_name.removeprefix("run_").rstrip("0123456789")
    return name.rsplit(".", 1)[-1]


def instrument() -> None:
    """Wrap the stages of Rasa's message handling and Tandem's store and brokers."""
    from rasa.core.processor import MessageProcessor
    from rasa.engine.graph import GraphNode

    import bot.engine.tracker_store as store_module
    from bot.engine.fanout import FanOutBroker

    def graph_stage(node: GraphNode, *_a: Any, **_k: Any) -> str:
        return f"graph:{_component(node._node_name)}"

    GraphNode.__call__ = _timed(graph_stage, GraphNode.__call__)  # type: ignore[method-assign]
    for method, stage in (
        ("fetch_tracker_and_update_session", "tracker: load"),
        ("parse_message", "nlu (all components)"),
        ("run_action_extract_slots", "slot extraction"),
        ("_run_prediction_loop", "dialogue (policies + actions)"),
        ("save_tracker", "tracker: save (all)"),
    ):
        setattr(MessageProcessor, method, _timed(stage, getattr(MessageProcessor, method)))
    store = store_module.RedactingSQLTrackerStore
    store.serialise_event = _timed("tracker: redact + serialise", store.serialise_event)  # type: ignore[method-assign]
    store_module.publish_all = _timed("broker (all)", store_module.publish_all)

    def per_broker(fan: FanOutBroker) -> None:
        for broker in fan.brokers:
            kind = type(broker)
            for method in ("publish_many", "publish"):
                if method in vars(kind) and not getattr(vars(kind)[method], "_timed", False):
                    wrapped = _timed(f"broker: {kind.__name__}", vars(kind)[method])
                    wrapped._timed = True  # type: ignore[attr-defined]
                    setattr(kind, method, wrapped)

    original_init = FanOutBroker.__init__

    def init(self: FanOutBroker, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        per_broker(self)

    FanOutBroker.__init__ = init  # type: ignore[method-assign]


def record_turns(stages_out: Path, profiler: cProfile.Profile | None) -> None:
    """Time every ``Agent.handle_message`` and append its stages to ``stages_out``."""
    from rasa.core.agent import Agent

    handle = Agent.handle_message
    out = stages_out.open("a", encoding="utf-8")

    @functools.wraps(handle)
    async def handle_message(self: Agent, message: Any) -> Any:
        totals: dict[str, float] = {}
        token = _turn.set(totals)
        if profiler is not None:
            profiler.enable()
        started = time.perf_counter()
        try:
            return await handle(self, message)
        finally:
            totals[TOTAL] = time.perf_counter() - started
            if profiler is not None:
                profiler.disable()
            _turn.reset(token)
            out.write(json.dumps({"sender": message.sender_id, "stages": totals}) + "\n")
            out.flush()

    Agent.handle_message = handle_message  # type: ignore[method-assign]


def write_profile(profiler: cProfile.Profile, path: Path) -> None:
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(30)
    path.write_text(text.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stages-out", type=Path, required=True, help="JSON lines, one a turn")
    parser.add_argument("--cprofile-out", type=Path, help="cProfile's top functions")
    args, rasa_args = parser.parse_known_args()

    from bot.engine import install

    install()  # what `python -m bot.engine` adds to rasa
    instrument()
    profiler = cProfile.Profile() if args.cprofile_out else None
    record_turns(args.stages_out, profiler)
    if profiler is not None:
        atexit.register(write_profile, profiler, args.cprofile_out)
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *rasa_args]
    rasa_main()


if __name__ == "__main__":
    main()
