"""assistant.yml: who the assistant is and where its data lives, checked with fixes."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.sdk.assistant import load_assistant
from generators.answer import SYSTEM_PROMPT
from tests.conftest import BRAND, CATALOG_DIR, KNOWLEDGE_DIR, PROJECT_ROOT


def project(tmp_path: Path, text: str) -> Path:
    (tmp_path / "kb").mkdir(exist_ok=True)
    (tmp_path / "assistant.yml").write_text(text, encoding="utf-8")
    return tmp_path


def test_the_reference_assistant() -> None:
    volt = load_assistant(PROJECT_ROOT)
    assert (volt.name, volt.business, volt.description) == (
        BRAND.assistant,
        BRAND.business,
        BRAND.description,
    )
    assert volt.brand == BRAND
    assert (volt.knowledge_dir, volt.catalog_dir) == (KNOWLEDGE_DIR, CATALOG_DIR)
    assert volt.support_hours == KNOWLEDGE_DIR / "support.md"
    assert volt.ignore_terms == ("Voltline",) and volt.phone == "0800 555 0199"


def test_a_minimal_project_and_its_defaults(tmp_path: Path) -> None:
    ada = load_assistant(project(tmp_path, "assistant: Ada\nbusiness: Acme Bank\nknowledge: kb\n"))
    assert ada.knowledge_dir == tmp_path / "kb" and ada.catalog_dir is None
    assert ada.ignore_terms == ("Acme Bank",) and ada.description == "a business"
    assert ada.brand.fill("answer", SYSTEM_PROMPT).startswith(
        "You are Ada, the customer assistant of Acme Bank, a business."
    )
    with pytest.raises(ConfigError, match="add `catalog: data/catalog`"):
        ada.catalog_file("products.yml")


def test_prompts_can_be_replaced_by_key(tmp_path: Path) -> None:
    ada = load_assistant(
        project(
            tmp_path,
            "assistant: Ada\nbusiness: Acme\nknowledge: kb\n"
            "prompts:\n  answer: 'You are {assistant} of {business}. Cite sources.'\n",
        )
    )
    assert ada.brand.fill("answer", SYSTEM_PROMPT) == "You are Ada of Acme. Cite sources."
    assert ada.brand.fill("rephrase", "{business}'s rules") == "Acme's rules"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a list\n", "must be a mapping"),
        ("assistant: Ada\nknowledge: kb\n", r"lacks business; add `business: \.\.\.`"),
        ("assistant: Ada\nbusiness: Acme\nknowledge: nowhere\n", "knowledge: nowhere is not a"),
        ("assistant: Ada\nbusiness: Acme\nknowledge: kb\ncolour: red\n", "unknown key.*colour"),
        (
            "assistant: Ada\nbusiness: Acme\nknowledge: kb\nprompts:\n  greeting: hi\n",
            "Unknown prompt key.*greeting.*use one of answer",
        ),
        (
            "assistant: Ada\nbusiness: Acme\nknowledge: kb\nprompts:\n  answer: 'Hi {name}'\n",
            "bad placeholder",
        ),
        (
            "assistant: Ada\nbusiness: Acme\nknowledge: kb\nretrieval:\n  ignore_terms: Acme\n",
            "ignore_terms must be a list",
        ),
        ("assistant: [Ada\n", "cannot be read as YAML"),
    ],
)
def test_a_bad_file_says_what_to_fix(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_assistant(project(tmp_path, text))


def test_a_missing_file_shows_an_example(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"(?s)No assistant.yml.*assistant: Ada"):
        load_assistant(tmp_path)
