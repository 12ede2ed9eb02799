"""The text generator interface, its registry, and the scripted fake.

A :class:`TextGenerator` turns chat messages into text. Backends implement one
method, :meth:`TextGenerator.generate`; :meth:`~TextGenerator.stream`,
:meth:`~TextGenerator.agenerate` and :meth:`~TextGenerator.astream` default to
it (as langchain-core's ``Runnable`` does), so a backend that can stream
overrides ``stream`` and gets the rest for free.

Backends are picked by name from :data:`BACKENDS`, so configuration never
imports a model library it does not use. :class:`ScriptedGenerator` ships here
so tests of anything built on generators run without a model.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import queue
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from generators.errors import GenerationTimeout, GeneratorError

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True)
class GenerationOptions:
    """Decoding settings every backend understands.

    Greedy decoding (``temperature=0``) is the default because answers must be
    reproducible; the repetition penalty keeps small models from looping.
    ``deadline`` is a ``time.monotonic()`` instant: backends that decode token
    by token stop there with :class:`GenerationTimeout` instead of running on
    after the caller has given up.
    """

    max_new_tokens: int = 160
    temperature: float = 0.0
    top_p: float = 1.0
    repetition_penalty: float = 1.15
    no_repeat_ngram_size: int = 0
    stop: tuple[str, ...] = ()
    deadline: float | None = None

    def check_deadline(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise GenerationTimeout(
                "Generation ran past its deadline; raise TANDEM_TEXT_DEADLINE_S or use a "
                "faster backend.",
                deadline_s=self.deadline,
            )


DEFAULT_OPTIONS = GenerationOptions()


class TextGenerator(ABC):
    """Turns a conversation into the assistant's next message."""

    name: str = "text-generator"

    @abstractmethod
    def generate(
        self, messages: Sequence[Message], options: GenerationOptions = DEFAULT_OPTIONS
    ) -> str:
        """Return the whole reply. Raise a :class:`GeneratorError` subclass on failure."""

    def stream(
        self, messages: Sequence[Message], options: GenerationOptions = DEFAULT_OPTIONS
    ) -> Iterator[str]:
        """Yield the reply in pieces; by default in one piece."""
        yield self.generate(messages, options)

    async def agenerate(
        self, messages: Sequence[Message], options: GenerationOptions = DEFAULT_OPTIONS
    ) -> str:
        """Generate in a worker thread so the action server's event loop keeps serving."""
        return await asyncio.to_thread(self.generate, messages, options)

    async def astream(
        self, messages: Sequence[Message], options: GenerationOptions = DEFAULT_OPTIONS
    ) -> AsyncIterator[str]:
        """Async stream; by default the whole reply from :meth:`agenerate` as one piece."""
        yield await self.agenerate(messages, options)


@dataclass(frozen=True)
class GenerationCall:
    """One finished :func:`generate_within` call, as its observers see it."""

    backend: str
    task: str
    latency_s: float
    deadline_hit: bool
    failed: bool


CallObserver = Callable[[GenerationCall], None]
_observers: dict[str, CallObserver] = {}


def add_call_observer(observer: CallObserver, *, key: str) -> None:
    """Call ``observer`` after every generator call of this process (metrics, analytics).

    It runs in the calling thread (with the caller's context variables) and must
    not raise; one observer per ``key``, so adding it again replaces it.
    """
    _observers[key] = observer


def remove_call_observer(key: str) -> None:
    _observers.pop(key, None)


def _notify(call: GenerationCall) -> None:
    for observer in list(_observers.values()):
        try:
            observer(call)
        except Exception:  # an observer's bug must not cost the customer the answer
            logging.getLogger(__name__).exception("a generator call observer failed")


def generate_within(
    generator: TextGenerator,
    messages: Sequence[Message],
    options: GenerationOptions,
    deadline_s: float,
    *,
    on_chunk: Callable[[str], None] | None = None,
    task: str = "text",
) -> str:
    """Stream ``generator``'s reply, giving up after ``deadline_s`` seconds.

    The model runs in a daemon thread, so a backend that hangs (a stuck
    server, a wedged runtime) cannot hold the reply; backends that decode
    token by token also see the deadline in ``options`` and stop themselves.
    Any exception from the backend comes back as a :class:`GeneratorError`.
    Each call is reported to the observers (:func:`add_call_observer`) with
    ``task`` (what the text is for: ``answer``, ``rephrase``, ...).
    """
    started = time.monotonic()
    deadline_hit = failed = True
    try:
        text = _generate_within(generator, messages, options, deadline_s, on_chunk=on_chunk)
        deadline_hit = failed = False
        return text
    except GenerationTimeout:
        raise
    except BaseException:
        deadline_hit = False
        raise
    finally:
        _notify(
            GenerationCall(
                backend=generator.name,
                task=task,
                latency_s=time.monotonic() - started,
                deadline_hit=deadline_hit,
                failed=failed,
            )
        )


def _generate_within(
    generator: TextGenerator,
    messages: Sequence[Message],
    options: GenerationOptions,
    deadline_s: float,
    *,
    on_chunk: Callable[[str], None] | None = None,
) -> str:
    deadline = time.monotonic() + deadline_s
    options = replace(options, deadline=deadline)
    pieces: queue.Queue[tuple[str, object]] = queue.Queue()

    def run() -> None:
        try:
            for piece in generator.stream(messages, options):
                pieces.put(("chunk", piece))
            pieces.put(("done", None))
        except BaseException as e:  # handed to the waiting thread, which raises it
            pieces.put(("error", e))

    threading.Thread(target=run, name=f"{generator.name}-generation", daemon=True).start()
    parts: list[str] = []
    while True:
        try:
            kind, value = pieces.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty as e:
            raise GenerationTimeout(
                f"{generator.name} gave no answer within {deadline_s} s.", deadline_s=deadline_s
            ) from e
        if kind == "done":
            return "".join(parts)
        if kind == "error":
            if isinstance(value, GeneratorError):
                raise value
            raise GeneratorError(f"{generator.name} raised {value!r}") from (
                value if isinstance(value, BaseException) else None
            )
        parts.append(str(value))
        if on_chunk is not None:
            on_chunk(str(value))


Script = Callable[[Sequence[Message]], str]


@dataclass
class ScriptedGenerator(TextGenerator):
    """A fake that replies from a script, for tests and demos without a model.

    ``replies`` are returned in turn (the last one repeats); a reply that is an
    exception instance is raised instead; ``delay_s`` simulates a slow model.
    Every call's messages are kept in ``calls`` so tests can check what a model
    would have been shown (for instance that personal data was redacted).
    """

    replies: Sequence[str | BaseException | Script] = ("OK",)
    delay_s: float = 0.0
    chunk_size: int = 8
    calls: list[list[Message]] = field(default_factory=list)
    name: str = "scripted"

    def generate(
        self, messages: Sequence[Message], options: GenerationOptions = DEFAULT_OPTIONS
    ) -> str:
        return "".join(self.stream(messages, options))

    def stream(
        self, messages: Sequence[Message], options: GenerationOptions = DEFAULT_OPTIONS
    ) -> Iterator[str]:
        self.calls.append(list(messages))
        reply = self.replies[min(len(self.calls), len(self.replies)) - 1]
        if self.delay_s:
            time.sleep(self.delay_s)
        options.check_deadline()
        if isinstance(reply, BaseException):
            raise reply
        text = reply if isinstance(reply, str) else reply(messages)
        for start in range(0, len(text), self.chunk_size):
            yield text[start : start + self.chunk_size]


BACKENDS: dict[str, str] = {
    "scripted": "generators.text:ScriptedGenerator",
    "extractive": "generators.backends.extractive:ExtractiveGenerator",
    "transformers": "generators.backends.transformers_local:TransformersGenerator",
    "ortgenai": "generators.backends.ortgenai:OrtGenAIGenerator",
    "openai": "generators.backends.openai_compat:OpenAICompatGenerator",
}
"""Config name → ``module:Class``; imported only when chosen."""


def backend_class(name: str) -> type[TextGenerator]:
    try:
        target = BACKENDS[name]
    except KeyError as e:
        raise GeneratorError(
            f"Unknown text backend {name!r}; choose one of {', '.join(sorted(BACKENDS))}."
        ) from e
    module_name, _, class_name = target.partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    if not (isinstance(cls, type) and issubclass(cls, TextGenerator)):
        raise GeneratorError(f"{target} is registered as a text backend but is no TextGenerator.")
    return cls


def build_generator(name: str, **kwargs: Any) -> TextGenerator:
    """Build the backend registered as ``name`` with its keyword-only settings."""
    return backend_class(name)(**kwargs)
