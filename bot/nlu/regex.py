"""Rasa's ``RegexEntityExtractor`` with lookups that also match inside Chinese text.

Use it in place of ``RegexEntityExtractor``::

    - name: bot.nlu.regex.MultilingualRegexEntityExtractor
      use_lookup_tables: true
      use_regexes: true
      use_word_boundaries: true

Rasa wraps every lookup element in ``\\b``, and in Python's regular expressions
a Han character is a word character: "我想买Nova 8" has no boundary between
"买" and "Nova", so the product is missed, and a Chinese element ("手机") next to
other Chinese text never matches at all. Here a boundary is required only at
an element's edge that is a letter or digit of a space-separated script, and
there only against another such character: "Nova 8" matches in "我想买Nova 8吗"
but not in "Nova 80", and "手机" matches anywhere. Elements are tried longest
first, so "笔记本电脑" is one entity rather than "笔记本" followed by "电脑".
The patterns of ``regex:`` entries are used as written.
"""

from __future__ import annotations

import re
from typing import Any

import rasa.shared.utils.io
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.extractors.regex_entity_extractor import RegexEntityExtractor
from rasa.nlu.utils import pattern_utils
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.segment import HAN

# "not preceded / followed by a word character that is not Han"
_BEFORE = rf"(?<![^\W{HAN}])"
_AFTER = rf"(?![^\W{HAN}])"
_SPACED_WORD_CHAR = re.compile(rf"[^\W{HAN}]")


def element_pattern(element: str, *, word_boundaries: bool = True) -> str:
    """One lookup element as a regex, with script-aware boundaries at its edges."""
    pattern = re.escape(element)
    if not word_boundaries or not element:
        return pattern
    if _SPACED_WORD_CHAR.match(element[0]):
        pattern = _BEFORE + pattern
    if _SPACED_WORD_CHAR.match(element[-1]):
        pattern += _AFTER
    return pattern


def lookup_pattern(elements: list[str], *, word_boundaries: bool = True) -> str:
    """Every element of a lookup table as one alternation, longest elements first."""
    unique = sorted({e.strip() for e in elements if e.strip()}, key=lambda e: (-len(e), e))
    alternatives = (element_pattern(e, word_boundaries=word_boundaries) for e in unique)
    return "(" + "|".join(alternatives) + ")"


def extract_patterns(
    training_data: TrainingData, *, use_lookup_tables: bool, use_regexes: bool,
    use_word_boundaries: bool,
) -> list[dict[str, str]]:  # fmt: skip
    """The patterns for the entities annotated in the training data, as Rasa names them."""
    patterns: list[dict[str, str]] = []
    if use_regexes:
        patterns.extend(
            pattern_utils._collect_regex_features(training_data, use_only_entities=True)
        )
    if use_lookup_tables:
        for table in training_data.lookup_tables:
            if table["name"] not in training_data.entities:
                continue
            elements = table["elements"]
            if not isinstance(elements, list):
                elements = pattern_utils.read_lookup_table_file(elements)
            patterns.append(
                {
                    "name": table["name"],
                    "pattern": lookup_pattern(elements, word_boundaries=use_word_boundaries),
                }
            )
    for pattern in patterns:
        try:
            re.compile(pattern["pattern"])
        except re.error as e:
            raise InvalidConfigException(
                f"The {pattern['name']!r} pattern {pattern['pattern']!r} is not a valid "
                f"regular expression ({e}); fix it in the training data."
            ) from e
    return patterns


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class MultilingualRegexEntityExtractor(RegexEntityExtractor):
    """Lookups and regexes for text that mixes Chinese and space-separated languages."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return RegexEntityExtractor.get_default_config()

    def train(self, training_data: TrainingData) -> Resource:
        self.patterns = extract_patterns(
            training_data,
            use_lookup_tables=self._config["use_lookup_tables"],
            use_regexes=self._config["use_regexes"],
            use_word_boundaries=self._config["use_word_boundaries"],
        )
        if not self.patterns:
            rasa.shared.utils.io.raise_warning(
                "MultilingualRegexEntityExtractor found no lookup table or regex named like "
                "an annotated entity: annotate the entity in at least one example, or "
                "remove the component."
            )
        self.persist()
        return self._resource
