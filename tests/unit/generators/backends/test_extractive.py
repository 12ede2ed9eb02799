from __future__ import annotations

import pytest

from generators.backends.extractive import (
    ExtractiveGenerator,
    extract_answer,
    parse_grounded_prompt,
)
from generators.errors import EmptyGeneration
from generators.text import Message

PROMPT = """Sources:
[1] (Returns > Window) You can return items within 30 days. Bring the receipt.
[2] (Shipping > Costs) Shipping is free on orders over $50.

Question: Is shipping free?"""


def test_parse_grounded_prompt_drops_labels() -> None:
    question, sources = parse_grounded_prompt(PROMPT)
    assert question == "Is shipping free?"
    assert sources == [
        "You can return items within 30 days. Bring the receipt.",
        "Shipping is free on orders over $50.",
    ]


def test_extract_answer_quotes_the_best_sentences_with_markers() -> None:
    sources = ["You can return items within 30 days. Bring the receipt.", "Shipping is free."]
    assert extract_answer("how many days to return items", sources) == (
        "You can return items within 30 days. [1]"
    )
    assert extract_answer("zzz", sources) == "You can return items within 30 days. [1]"


def test_generator_answers_grounded_prompts_only() -> None:
    gen = ExtractiveGenerator()
    assert gen.generate([Message("user", PROMPT)]) == "Shipping is free on orders over $50. [2]"
    with pytest.raises(EmptyGeneration, match="grounded prompts"):
        gen.generate([Message("user", "write a poem")])
