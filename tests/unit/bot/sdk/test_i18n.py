# ruff: noqa: RUF001  (Chinese texts, on purpose)
"""Message catalogs: texts by language and key, English when a language lacks one."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from rasa_sdk import Tracker

from bot.sdk.i18n import (
    Catalog,
    CatalogError,
    catalog_for,
    kit_catalog,
    language_of,
    project_catalog,
)
from bot.sdk.runtime import Runtime, set_runtime
from tests.conftest import PROJECT_ROOT


def _folder(tmp_path: Path, **files: str) -> Path:
    for language, text in files.items():
        (tmp_path / f"{language}.yml").write_text(text, encoding="utf-8")
    return tmp_path


def test_texts_by_language_with_english_for_what_is_missing(tmp_path: Path) -> None:
    catalog = Catalog.load(
        _folder(
            tmp_path,
            en="greeting:\n  hello: Hello, {name}!\n  bye: Bye!\n",
            zh="greeting:\n  hello: 你好，{name}！\n",
        )
    )
    assert catalog.languages == ("en", "zh")
    assert catalog.text("greeting.hello", "zh", name="Ana") == "你好，Ana！"
    assert catalog.text("greeting.bye", "zh") == "Bye!"  # not translated yet
    assert catalog.text("greeting.hello", None, name="Ana") == "Hello, Ana!"
    assert catalog.text("greeting.hello", "fr", name="Ana") == "Hello, Ana!"
    assert catalog.get("greeting.wave", "zh", "Wave, {name}", name="Ana") == "Wave, Ana"


def test_a_later_folder_replaces_an_earlier_ones_texts(tmp_path: Path) -> None:
    kit, own = tmp_path / "kit", tmp_path / "own"
    kit.mkdir()
    own.mkdir()
    (kit / "en.yml").write_text("a: kit\nb: kit\n", encoding="utf-8")
    (own / "en.yml").write_text("b: own\n", encoding="utf-8")
    catalog = Catalog.load(kit, own)
    assert (catalog.text("a"), catalog.text("b")) == ("kit", "own")


def test_mistakes_say_how_to_fix_them(tmp_path: Path) -> None:
    catalog = Catalog.load(_folder(tmp_path, en="hello: Hello, {name}!\n"))
    with pytest.raises(CatalogError, match=re.escape("add `missing.key: ...` to en.yml")):
        catalog.text("missing.key", "zh")
    with pytest.raises(CatalogError, match="names 'name'"):
        catalog.text("hello", "en")
    (tmp_path / "zh.yml").write_text("- not a mapping\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="must map keys to texts"):
        Catalog.load(tmp_path)
    (tmp_path / "zh.yml").write_text("count: 3\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="must be text or a mapping"):
        Catalog.load(tmp_path)


def test_the_kit_speaks_english_and_chinese_with_the_same_keys() -> None:
    kit = kit_catalog()
    assert {"en", "zh"} <= set(kit.languages)
    english, chinese = set(kit.messages["en"]), set(kit.messages["zh"])
    assert english <= chinese, sorted(english - chinese)
    # the handoff service words "unavailable" in English itself (with its opening times)
    service_words = {key for key in chinese if key.startswith("handoff.unavailable.")}
    assert chinese - service_words <= english, sorted(chinese - service_words - english)
    for key in english:  # every Chinese text takes the values its English one takes
        wanted = placeholders(kit.messages["en"][key])
        if key == "handoff.place_number":  # the Chinese says how many are ahead, too
            wanted |= {"ahead"}
        assert placeholders(kit.messages["zh"][key]) <= wanted, key
        kit.text(key, "zh", **dict.fromkeys(wanted, "x"))


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_the_reference_assistant_adds_its_own_chinese_texts() -> None:
    catalog = catalog_for(PROJECT_ROOT)
    assert catalog.text("handoff.apology.complaint", "zh").startswith("对此我们深表歉意")
    assert catalog.text("handoff.joined", "zh", agent="Li") == "我们团队的Li已加入对话。"


def test_the_conversations_language_comes_from_its_slot() -> None:
    def tracker(language: object) -> Tracker:
        return Tracker("c", {"language": language}, {}, [], False, None, {}, "action_listen")

    assert language_of(tracker("zh")) == "zh"
    assert language_of(tracker("ZH")) == "zh"
    assert language_of(tracker(None)) == "en"
    assert language_of(tracker(3)) == "en"
    runtime = Runtime.from_env({"TANDEM_PROJECT_DIR": str(PROJECT_ROOT)})
    previous = set_runtime(runtime)
    try:
        assert project_catalog().text("fallback.offer_yes", "zh") == "好的，请转人工"
    finally:
        set_runtime(previous)
