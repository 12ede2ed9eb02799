"""A Rasa tokenizer for assistants that speak Chinese and English.

Use it in place of ``WhitespaceTokenizer``::

    - name: bot.nlu.tokenizer.MultilingualTokenizer

English (and any space-separated language) is split as ``WhitespaceTokenizer``
splits it; Chinese is cut into words by Jieba (single characters without it),
so CRF and regex entities, lookup tables and the sparse featurizers see words
in both languages (:mod:`bot.nlu.segment`). Rasa's own ``JiebaTokenizer`` keeps
spaces as tokens and declares itself Chinese-only.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.segment import characters, jieba_segmenter, segment


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class MultilingualTokenizer(Tokenizer):
    """Whitespace words for space-separated text, Jieba words for Chinese."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # "jieba" (single characters when jieba is missing) or "characters"
            "chinese": "jieba",
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MultilingualTokenizer:
        return cls(config)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        text = message.get(attribute) or ""
        han = characters if self._config["chinese"] == "characters" else jieba_segmenter()
        tokens = [Token(word, start) for word, start in segment(text, han=han)]
        if not tokens and text.strip():
            # Only punctuation or emoji: one token, as WhitespaceTokenizer does.
            tokens = [Token(text, 0)]
        return self._apply_token_pattern(tokens)
