# ruff: noqa: RUF001  (Chinese text, on purpose)
"""The runtime builds each thing once, off the event loop, from settings read once."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.sdk.runtime import Registry, Runtime, get_runtime, set_runtime
from bot.settings import ActionSettings
from generators.embeddings import HashingEmbedder
from generators.retrieval import KnowledgeBase
from generators.text import ScriptedGenerator
from tests.conftest import CATALOG_DIR, KNOWLEDGE_DIR, PROJECT_ROOT

REFERENCE = {"TANDEM_PROJECT_DIR": str(PROJECT_ROOT)}


class CountingFactory:
    """A slow factory that records how often, and in which thread, it ran."""

    def __init__(self, delay_s: float = 0.05) -> None:
        self.delay_s = delay_s
        self.threads: list[threading.Thread] = []

    def __call__(self) -> object:
        self.threads.append(threading.current_thread())
        time.sleep(self.delay_s)  # concurrent first calls overlap here
        return object()


async def test_concurrent_first_calls_build_once_and_share_the_result() -> None:
    registry = Registry()
    factory = CountingFactory()
    registry.register("model", factory)
    built = await asyncio.gather(*(registry.get("model") for _ in range(8)))
    assert len(factory.threads) == 1
    assert all(b is built[0] for b in built)
    assert await registry.get("model") is built[0] and registry.is_built("model")


async def test_the_build_runs_off_the_event_loop() -> None:
    registry = Registry()
    factory = CountingFactory(delay_s=0.2)
    registry.register("model", factory)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while not registry.is_built("model"):
            ticks += 1
            await asyncio.sleep(0.01)

    await asyncio.gather(registry.get("model"), tick())
    assert factory.threads[0] is not threading.main_thread()
    assert ticks >= 5  # the loop kept running while the model loaded


async def test_a_failed_build_is_not_cached() -> None:
    registry = Registry()
    calls = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("disk busy")
        return "model"

    registry.register("model", flaky)
    with pytest.raises(OSError, match="disk busy"):
        await registry.get("model")
    assert await registry.get("model") == "model" and len(calls) == 2


async def test_unknown_and_duplicate_names_say_what_to_do() -> None:
    registry = Registry()
    with pytest.raises(ConfigError, match=r"runtime\.register"):
        await registry.get("nothing")
    registry.register("model", object)
    with pytest.raises(ConfigError, match=r"replace=True"):
        registry.register("model", object)
    registry.setdefault("model", lambda: "ignored")
    registry.register("model", lambda: "fake", replace=True)
    assert await registry.get("model") == "fake"


async def test_the_runtime_shares_one_text_model_and_one_embedder() -> None:
    text, embedder = CountingFactory(0.0), CountingFactory(0.0)
    scripted = ScriptedGenerator(replies=["unused"])
    hashing = HashingEmbedder()

    def text_model() -> ScriptedGenerator:
        text()
        return scripted

    def embed() -> HashingEmbedder:
        embedder()
        return hashing

    runtime = Runtime.from_env(
        {**REFERENCE, "TANDEM_ANSWER_MODE": "generate"},
        factories={"text_generator": text_model, "embedder": embed},
    )
    pipeline, rephraser, retriever, recommender = await asyncio.gather(
        runtime.answer_pipeline(),
        runtime.rephraser(),
        runtime.retriever(),
        runtime.recommender(),
    )
    assert pipeline.generator is scripted and rephraser.generator is scripted
    assert pipeline.knowledge_base is retriever and recommender.embedder is hashing
    language, chinese = pipeline.knowledge_bases.for_language("zh")
    assert language == "zh" and chinese.embedder is hashing  # a fake replaces every encoder
    assert chinese.chunks[0].citation.startswith("分期付款条款：")
    assert isinstance(retriever, KnowledgeBase)
    assert (len(text.threads), len(embedder.threads)) == (1, 1)
    assert "Voltline" in pipeline.system_prompt and "Volt," in pipeline.system_prompt
    assert rephraser.system_prompt.startswith("You rewrite the next message of Voltline's")


def test_settings_come_from_the_project_and_the_environment(tmp_path: Path) -> None:
    runtime = Runtime.from_env(
        {**REFERENCE, "TANDEM_MODELS_DIR": str(tmp_path), "TANDEM_STATE_DIR": str(tmp_path)}
    )
    settings = runtime.settings
    assert runtime.assistant.name == "Volt" and settings.project_dir == PROJECT_ROOT
    assert settings.text.knowledge_dir == KNOWLEDGE_DIR
    assert settings.text.catalog_dir == CATALOG_DIR
    assert settings.text.local_model_path.is_relative_to(tmp_path)
    assert settings.mobile_catalog == CATALOG_DIR / "mobile_plans.yml"
    assert settings.orders.seed_path == CATALOG_DIR / "orders.yml"
    assert settings.orders.db_path == tmp_path / "orders.db"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TANDEM_PROJECT_DIR": "/nonexistent/project"}, "TANDEM_PROJECT_DIR=.* is not a folder"),
        ({"TANDEM_TEXT_BACKEND": "gpt5"}, "TANDEM_TEXT_BACKEND='gpt5' is unknown; use one of"),
        ({"TANDEM_REPHRASE_DEADLINE_S": "soon"}, "TANDEM_REPHRASE_DEADLINE_S='soon' is not a"),
        ({"TANDEM_REPHRASE_DEADLINE_S": "60"}, "TANDEM_REPHRASE_DEADLINE_S=60.0 is out of range"),
        ({"TANDEM_ORDERS_MAX_ATTEMPTS": "0"}, "TANDEM_ORDERS_MAX_ATTEMPTS=0 is out of range"),
    ],
)
def test_bad_settings_are_one_kind_of_error_that_names_the_fix(
    env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        Runtime.from_env({**REFERENCE, **env})


def test_a_project_without_assistant_yml_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"No assistant.yml in .*TANDEM_PROJECT_DIR"):
        Runtime.from_env({"TANDEM_PROJECT_DIR": str(tmp_path)})


def test_get_runtime_returns_one_instance_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(PROJECT_ROOT)
    previous = set_runtime(None)
    try:
        first = get_runtime()
        assert get_runtime() is first and isinstance(first.settings, ActionSettings)
    finally:
        set_runtime(previous)
