"""Where a Tandem turn's time goes: one engine in this process, timed stage by stage.

Run by :mod:`benchmarks.turn` (engine venv, with the engine's environment, while
the action server and the handoff service of the same run are up)::

    python -m benchmarks.turn_worker --model M --endpoints endpoints.yml \
        --messages T.json --turns N --conversation-turns K --out R.json [--cprofile]

The engine is Rasa's ``Agent`` with the endpoints the server uses (tracker store,
event broker, NLG, action server); only the HTTP channel is left out, so the
REST latency minus this total is what Sanic and the channel cost. Each stage's
time is summed over a turn (the policies run once per predicted action); the
result holds each stage's median per turn. Each conversation starts with an
untimed message, so that the session start (a custom action) is not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import contextvars
import functools
import io
import json
import logging
import pstats
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

_turn: contextvars.ContextVar[dict[str, float] | None] = contextvars.ContextVar(
    "turn", default=None
)


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
    store_module.publish_all = _timed("broker (all)", store_module.publish_all)  # type: ignore[assignment]

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


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from rasa.core.agent import load_agent
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
    from rasa.core.utils import AvailableEndpoints

    from rasa.utils.log_utils import configure_structlog

    from bot.engine import install

    configure_structlog(logging.WARNING)
    install()  # as `python -m bot.engine run` does: the silence guard, resilient actions
    instrument()
    endpoints = AvailableEndpoints.read_endpoints(args.endpoints)
    agent = await load_agent(model_path=args.model, endpoints=endpoints)
    messages = json.loads(Path(args.messages).read_text())
    per_turn: list[dict[str, float]] = []
    profiler = cProfile.Profile() if args.cprofile else None
    conversation = 0
    for turn in range(args.turns + args.conversation_turns):  # the first conversation warms up
        position = turn % args.conversation_turns
        sender = f"rest:turn-profile-{conversation}"
        if position == 0:
            conversation += 1
            sender = f"rest:turn-profile-{conversation}"
            await agent.handle_message(UserMessage("hello", CollectingOutputChannel(), sender))
        text = messages[position % len(messages)]
        totals: dict[str, float] = {}
        token = _turn.set(totals)
        if profiler is not None and turn >= args.conversation_turns:
            profiler.enable()
        started = time.perf_counter()
        await agent.handle_message(UserMessage(text, CollectingOutputChannel(), sender))
        totals["total (in process)"] = time.perf_counter() - started
        if profiler is not None:
            profiler.disable()
        _turn.reset(token)
        if turn >= args.conversation_turns:
            per_turn.append(totals)
    broker = agent.tracker_store.event_broker if agent.tracker_store else None
    if broker is not None:
        await broker.close()  # waits for the notifier's pokes
    stages: dict[str, list[float]] = defaultdict(list)
    for totals in per_turn:
        for stage in {s for t in per_turn for s in t}:
            stages[stage].append(totals.get(stage, 0.0) * 1000)
    result: dict[str, Any] = {
        "turns": len(per_turn),
        "stage_p50_ms": {s: round(statistics.median(v), 2) for s, v in sorted(stages.items())},
        "stage_mean_ms": {s: round(statistics.fmean(v), 2) for s, v in sorted(stages.items())},
    }
    if profiler is not None:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(45)
        result["cprofile_cumulative"] = out.getvalue()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(30)
        result["cprofile_tottime"] = out.getvalue()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--endpoints", default="endpoints.yml")
    parser.add_argument("--messages", required=True, help="JSON list of texts")
    parser.add_argument("--turns", type=int, default=100)
    parser.add_argument("--conversation-turns", type=int, default=8)
    parser.add_argument("--cprofile", action="store_true", help="add cProfile's top functions")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    result = asyncio.run(run(args))
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
