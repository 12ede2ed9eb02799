"""The TextGenerator contract, the registry and the scripted fake."""

from __future__ import annotations

import asyncio
import time

import pytest

from generators.backends.extractive import ExtractiveGenerator
from generators.errors import GenerationTimeout, GeneratorError
from generators.text import (
    BACKENDS,
    DEFAULT_OPTIONS,
    GenerationOptions,
    Message,
    ScriptedGenerator,
    TextGenerator,
    backend_class,
    build_generator,
)

HELLO = [Message("user", "hello")]


class OneShot(TextGenerator):
    def generate(self, messages, options=DEFAULT_OPTIONS):
        return f"echo: {messages[-1].content}"


def test_stream_and_async_default_to_generate() -> None:
    gen = OneShot()
    assert list(gen.stream(HELLO)) == ["echo: hello"]
    assert asyncio.run(gen.agenerate(HELLO)) == "echo: hello"

    async def collect() -> list[str]:
        return [piece async for piece in gen.astream(HELLO)]

    assert asyncio.run(collect()) == ["echo: hello"]


def test_scripted_replies_in_turn_streams_in_chunks_and_records_calls() -> None:
    gen = ScriptedGenerator(replies=["first reply", "second"], chunk_size=5)
    assert list(gen.stream(HELLO)) == ["first", " repl", "y"]
    assert gen.generate(HELLO) == "second"
    assert gen.generate(HELLO) == "second"
    assert gen.calls == [HELLO, HELLO, HELLO]


def test_scripted_raises_scripted_errors_and_computes_callable_replies() -> None:
    gen = ScriptedGenerator(replies=[RuntimeError("boom"), lambda msgs: msgs[-1].content.upper()])
    with pytest.raises(RuntimeError, match="boom"):
        gen.generate(HELLO)
    assert gen.generate(HELLO) == "HELLO"


def test_deadline_in_the_past_raises_generation_timeout() -> None:
    gen = ScriptedGenerator(replies=["late"], delay_s=0.01)
    with pytest.raises(GenerationTimeout):
        gen.generate(HELLO, GenerationOptions(deadline=time.monotonic()))


def test_registry_builds_backends_by_name_and_rejects_unknown_names() -> None:
    assert isinstance(build_generator("extractive"), ExtractiveGenerator)
    assert build_generator("scripted", replies=["hi"]).generate(HELLO) == "hi"
    with pytest.raises(GeneratorError, match="choose one of"):
        backend_class("gpt-17")


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_every_registered_backend_is_a_text_generator(name: str) -> None:
    assert issubclass(backend_class(name), TextGenerator)
