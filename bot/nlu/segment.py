"""Word segmentation for text that mixes Chinese and space-separated languages.

Chinese is written without spaces, so a whitespace tokenizer makes one "word"
of a whole Chinese sentence, and everything that works on words (CRF and regex
entities, lookup tables, the "no known word" fallback) goes blind. Here runs of
Han characters are cut by Jieba when it is installed (``jieba``, the engine
extra) and into single characters otherwise; everything else is split on
whitespace with the punctuation around words dropped, as Rasa's
``WhitespaceTokenizer`` does. No rasa import: the classifier, the benchmark and
tests use the same functions.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from functools import cache

logger = logging.getLogger(__name__)

# CJK Unified Ideographs (+ extension A and compatibility ideographs).
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN_RUN = re.compile(f"[{HAN}]+")
_HAN_CHAR = re.compile(f"[{HAN}]")
# a word of a space-separated language: letters/digits, inner ' - . @ kept ("o'clock", "5.5")
_WORD = re.compile(rf"(?:(?![{HAN}])[^\W_])+(?:['\u2019.\-@/:](?:(?![{HAN}])[^\W_])+)*")

_LETTERS = re.compile(r"[^\W\d_]+['\u2019][^\W\d_]+|[^\W\d_]{3,}")
_APOSTROPHE = re.compile("['\u2019]")

Segmenter = Callable[[str], list[tuple[str, int]]]


def has_han(text: str) -> bool:
    return bool(_HAN_CHAR.search(text))


def characters(run: str) -> list[tuple[str, int]]:
    """One token per Han character: the fallback when Jieba is not installed."""
    return [(char, i) for i, char in enumerate(run)]


@cache
def jieba_segmenter() -> Segmenter | None:
    """Jieba's default (HMM) segmentation of a Han run, or None without jieba."""
    try:
        import jieba
    except ImportError:
        logger.info("jieba is not installed; Chinese is split into single characters")
        return None
    jieba.setLogLevel(logging.WARNING)

    def cut(run: str) -> list[tuple[str, int]]:
        return [(word, start) for word, start, _ in jieba.tokenize(run)]

    return cut


def segment(text: str, *, han: Segmenter | None = None) -> list[tuple[str, int]]:
    """``(word, start offset)`` pairs in text order; Han runs through ``han``.

    ``han`` defaults to Jieba, else single characters.
    """
    cut = han or jieba_segmenter() or characters
    return sorted(_pieces(text, cut), key=lambda piece: piece[1])


def _pieces(text: str, cut: Segmenter) -> Iterator[tuple[str, int]]:
    for match in _WORD.finditer(text):
        yield match.group(), match.start()
    for run in _HAN_RUN.finditer(text):
        for word, start in cut(run.group()):
            if word.strip():
                yield word, run.start() + start


def lexical_words(text: str) -> frozenset[str]:
    """What the "no known word" check compares: lower-cased words of 3+ letters, and
    every Han character (one carries meaning; Jieba's words would tie the check to
    its dictionary). Contractions count too ("I'm" as "im"): "I'm Priya" has a word
    the training data knows even when the name is new."""
    words = {_APOSTROPHE.sub("", w).lower() for w in _LETTERS.findall(_HAN_CHAR.sub(" ", text))}
    return frozenset(words | set(_HAN_CHAR.findall(text)))
