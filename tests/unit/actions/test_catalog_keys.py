"""The reference assistant's Chinese catalog (locales/zh.yml) against the code that reads it.

The assistant's English texts live in the code, beside the key that names their
translation (``say("results.credit.score", language, "Indicative score: {score}...")``).
Read from the source with ``ast``: every key the code names with an English text
has a Chinese one and every Chinese text is read by the code; a Chinese text names
only the values its English one is given. The kit's own keys (``bot/sdk/locales``)
are checked in tests/unit/bot/sdk/test_i18n.py.
"""

from __future__ import annotations

import ast
import string
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from actions.credit import CREDIT_SLOTS
from actions.handoff import ValidateContactForm
from actions.orders import ValidateOrderStatusForm
from actions.plans import MOBILE_SLOTS, SAVINGS_SLOTS
from bot.sdk.i18n import kit_catalog, read_folder
from tests.conftest import PROJECT_ROOT

# Calls that take (key, language, english, **values) or (tracker, key, english, **values).
KEY_FIRST = {"say", "get"}
TRACKER_FIRST = {"localized"}
METHOD_TRACKER_FIRST = {"say"}  # self.say(tracker, key, english) on a form validation
# Keys built from a name at run time, and what the name ranges over.
DYNAMIC_PREFIXES = ("forms.reask.", "forms.label.", "fallback.intent.", "handoff.")
FORM_SLOTS = {
    *MOBILE_SLOTS,
    *SAVINGS_SLOTS,
    *CREDIT_SLOTS,
    *ValidateContactForm.slots,
    *ValidateOrderStatusForm.slots,
}


@dataclass(frozen=True)
class Use:
    key: str
    english: str | None
    values: frozenset[str]
    where: str


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _text(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):  # an f-string: its literal parts only
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant))
    return None


def _prefix(node: ast.JoinedStr) -> str:
    """The literal start of an f-string key: "results.credit." of f"results.credit.{x}"."""
    head = []
    for value in node.values:
        if not isinstance(value, ast.Constant):
            break
        head.append(str(value.value))
    return "".join(head)


def uses() -> Iterator[Use]:
    for path in sorted([*PROJECT_ROOT.joinpath("actions").glob("*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            method = isinstance(func, ast.Attribute) and name in METHOD_TRACKER_FIRST
            if name in TRACKER_FIRST or (method and len(node.args) >= 3):
                key_at = 1
            elif name in KEY_FIRST:
                key_at = 0
            else:
                continue
            if len(node.args) <= key_at + 1:
                continue
            key = _text(node.args[key_at])
            if isinstance(node.args[key_at], ast.JoinedStr):
                key = _prefix(node.args[key_at]) + "*"  # the rest is known at run time
            if key is None or "." not in key:
                continue
            english = node.args[key_at + 2] if len(node.args) > key_at + 2 else None
            if name in TRACKER_FIRST or method:
                english = node.args[key_at + 1]
            values = frozenset(k.arg for k in node.keywords if k.arg)
            yield Use(key, _text(english), values, f"{path.name}:{node.lineno}")


@pytest.fixture(scope="module")
def chinese() -> dict[str, str]:
    return read_folder(PROJECT_ROOT / "locales")["zh"]


def test_the_scanner_finds_the_result_texts() -> None:
    keys = {u.key for u in uses()}
    assert {"results.credit.score", "results.recommendation.details", "forms.credit.term"} <= keys


def test_every_key_the_code_names_has_a_chinese_text(chinese: dict[str, str]) -> None:
    kit = kit_catalog().messages["zh"]
    missing = sorted(
        f"{u.where} {u.key}"
        for u in uses()
        if u.key not in chinese and u.key not in kit and not u.key.endswith("*")
    )
    assert not missing


def test_every_chinese_text_is_read_by_the_code(chinese: dict[str, str]) -> None:
    named = {u.key for u in uses()}
    prefixes = tuple(k.removesuffix("*") for k in named if k.endswith("*"))
    unread = sorted(
        key
        for key in chinese
        if key not in named
        and not key.startswith(DYNAMIC_PREFIXES + prefixes)
        and key not in kit_catalog().messages["en"]
    )
    assert not unread


def test_a_chinese_text_names_only_the_values_its_english_one_is_given(
    chinese: dict[str, str],
) -> None:
    wrong = []
    for u in uses():
        if u.key not in chinese:
            continue
        given = set(u.values) | (placeholders(u.english) if u.english else set())
        extra = placeholders(chinese[u.key]) - given
        if extra:
            wrong.append(f"{u.where} {u.key}: {sorted(extra)} not given")
    assert not wrong


def test_every_form_question_has_a_chinese_reask_and_no_reask_names_another_slot(
    chinese: dict[str, str],
) -> None:
    reasks = {k.removeprefix("forms.reask.") for k in chinese if k.startswith("forms.reask.")}
    labels = {k.removeprefix("forms.label.") for k in chinese if k.startswith("forms.label.")}
    assert reasks == FORM_SLOTS
    assert labels <= FORM_SLOTS
    for slot in labels:
        assert not placeholders(chinese[f"forms.label.{slot}"])
