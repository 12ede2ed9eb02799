"""The widget's words come from bot/contract/locales, the files Slack's and Teams' cards read."""

from __future__ import annotations

import json
import re

import pytest

from bot.channels.widget_strings import (
    WIDGET_FILE,
    WidgetStringsError,
    block,
    widget_locales,
    written,
)
from bot.contract.labels import read_locales

pytestmark = pytest.mark.engine

SOURCE = WIDGET_FILE.read_text(encoding="utf-8")


def shipped_block() -> dict[str, dict[str, str]]:
    match = re.search(r"const LOCALES = (\{.*?\n  \});", SOURCE, re.S)
    assert match is not None, "widget.js lost its LOCALES block"
    return dict(json.loads(match.group(1)))


def test_the_committed_widget_has_the_current_words() -> None:
    assert written(SOURCE, read_locales()) == SOURCE, (
        "Regenerate with `python -m bot.channels.widget_strings` and commit "
        "bot/channels/web/widget.js."
    )
    assert shipped_block() == widget_locales(read_locales())


def test_the_widget_gets_every_language_and_only_its_own_labels() -> None:
    words = shipped_block()
    assert set(words) == set(read_locales()) >= {"en", "zh"}
    for texts in words.values():
        assert texts and all(key.startswith(("widget.", "common.")) for key in texts)


def test_every_word_the_widget_asks_for_exists_in_english() -> None:
    asked = set(re.findall(r'\bt\("([\w.]+)"', SOURCE))
    asked |= set(re.findall(r'"(widget\.[\w.]+)"', SOURCE))  # status keys, unit keys
    assert len(asked) > 40
    assert sorted(asked - set(shipped_block()["en"])) == []
    prefixes = set(re.findall(r"`([\w.]+)\.\$\{", SOURCE))  # t(`common.unit.${…}`), keys
    prefixes |= set(re.findall(r'named\("([\w.]+)"', SOURCE))
    for prefix in prefixes:
        assert any(key.startswith(prefix + ".") for key in shipped_block()["en"]), prefix


def test_the_interface_says_nothing_in_english_outside_the_catalog() -> None:
    """No English sentence is left in the widget's code, outside LOCALES and comments."""
    code = re.sub(r"// BEGIN LOCALES.*?// END LOCALES", "", SOURCE, flags=re.S)
    code = re.sub(r"/\*.*?\*/|//[^\n]*", "", code, flags=re.S)
    literals = re.findall(r'"([^"\n]*)"|`([^`\n]*)`', code)
    sentences = [a or b for a, b in literals if re.search(r"[A-Z][a-z]+ [a-z]+", a or b)]
    assert sentences == []


def test_a_widget_without_the_markers_is_refused_with_what_to_do() -> None:
    with pytest.raises(WidgetStringsError, match="BEGIN LOCALES"):
        written("(function () {})();", read_locales())
    assert "const LOCALES = {" in block(read_locales())
