"""Word-level matching for retrieval: terms, query expansion and BM25.

A sentence encoder knows that "stopped working" is close to "broken", but it
also finds the hygiene-seal sentence close to any question about headphones.
Exact words keep retrieval honest about what was asked, so
:class:`generators.retrieval.KnowledgeBase` blends the encoder's cosine with
:class:`BM25`, computed here on light-stemmed terms.

Customers and policies use different words for the same thing ("my screen
cracked" vs "accidental damage"); :class:`Expansions` adds the policy's words
to a query when it contains the customer's, from a small YAML lexicon that
sits next to the documents (``data/knowledge/expansions.yml``), so a business
edits it with its documents.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from generators.errors import ModelLoadError

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "done",
        "for",
        "from",
        "get",
        "got",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "it's",
        "just",
        "me",
        "might",
        "mine",
        "more",
        "most",
        "my",
        "no",
        "not",
        "of",
        "on",
        "one",
        "or",
        "our",
        "ours",
        "out",
        "own",
        "please",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "yes",
        "you",
        "your",
        "yours",
        "voltline",
        "hi",
        "hello",
        "thanks",
        "thank",
        "ok",
        "okay",
        "hey",
    ]
)
_TOKEN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|[a-z0-9]+(?:[.'][a-z0-9]+)*")
HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
"""A Chinese (Han) character: text with these is split into character bigrams."""
ZH_STOPWORDS = [
    "可不可以",
    "能不能",
    "会不会",
    "是不是",
    "有没有",
    "要不要",
    "为什么",
    "怎么样",
    "请问",
    "可以",
    "怎么",
    "怎样",
    "如何",
    "什么",
    "哪些",
    "哪个",
    "哪里",
    "哪儿",
    "多少",
    "我们",
    "你们",
    "您们",
    "他们",
    "这个",
    "那个",
    "这些",
    "那些",
    "一下",
    "谢谢",
    "你好",
    "您好",
    "或者",
    "还是",
    "的",
    "了",
    "吗",
    "呢",
    "吧",
    "啊",
    "呀",
    "嘛",
    "么",
    "哦",
    "啦",
    "我",
    "你",
    "您",
    "他",
    "她",
    "它",
    "这",
    "那",
    "就",
    "都",
    "也",
    "还",
    "很",
    "是",
    "和",
    "与",
    "及",
    "请",
    "想",
    "要",
    "能",
    "会",
]
_ZH_STOP = re.compile("|".join(map(re.escape, sorted(ZH_STOPWORDS, key=len, reverse=True))))
_SUFFIXES = ("ies", "ing", "ed", "es", "s")


def stem(word: str) -> str:
    """A light suffix stemmer: "stopped" → "stop", "charges" → "charg", "policies" → "policy".

    It only has to map a query word and a document word to the same key, so
    consistency matters more than linguistics: a final "e" goes too, so that
    "charge", "charged" and "charging" meet.
    """
    for suffix in _SUFFIXES:
        if not word.endswith(suffix) or len(word) - len(suffix) < 3:
            continue
        if suffix == "ies":
            return word[:-3] + "y"
        if suffix == "es" and not word.endswith(("ses", "xes", "zes", "ches", "shes")):
            continue
        if suffix == "s" and word.endswith(("ss", "us")):
            break
        word = word[: -len(suffix)]
        if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":
            word = word[:-1]  # stopped → stopp → stop
        break
    return word[:-1] if len(word) > 3 and word.endswith("e") else word


def han_terms(run: str) -> list[str]:
    """Character bigrams of a run of Chinese characters, split at function words.

    Chinese has no spaces, and a word segmenter (jieba) is not in the actions
    venv; overlapping bigrams are the standard stand-in for retrieval ("运费多少"
    → "运费"), and, like :func:`stem`, they only have to be consistent between
    a question and the documents. Function words ("的", "吗", "怎么", "多少")
    are cut out first, so that no bigram spans them; a lone character left
    between two of them counts on its own.
    """
    out: list[str] = []
    for piece in _ZH_STOP.split(run):
        if len(piece) == 1:
            out.append(piece)
        out.extend(piece[i : i + 2] for i in range(len(piece) - 1))
    return out


def terms(text: str) -> list[str]:
    """Stemmed content words of ``text``, in order, duplicates kept (bigrams for Chinese)."""
    out: list[str] = []
    for token in _TOKEN.findall(text.lower().replace("\u2019", "'")):
        if HAN.match(token):
            out.extend(han_terms(token))
            continue
        word = re.sub(r"'s$", "", token)
        if word not in STOPWORDS:
            out.append(stem(word.replace("'", "")))
    return out


@dataclass(frozen=True)
class Expansion:
    when: tuple[str, ...]
    add: str
    unless: tuple[str, ...] = ()
    """Phrases that make the rule not apply: "france" means roaming, unless "ship to france"."""

    def matches(self, text: str) -> bool:
        def found(phrases: tuple[str, ...]) -> bool:
            # Chinese has no word boundaries: a phrase of Han characters matches anywhere
            return any(
                re.search(("" if HAN.match(p) else r"\b") + re.escape(p), text) for p in phrases
            )

        return found(self.when) and not found(self.unless)


class Expansions:
    """Adds the documents' words to a query that uses a customer's words for them."""

    def __init__(self, rules: Iterable[Expansion] = ()) -> None:
        self.rules = tuple(rules)

    @classmethod
    def from_file(cls, path: Path | str) -> Expansions:
        path = Path(path)
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            rules = [
                Expansion(
                    when=tuple(str(w).lower() for w in r["when"]),
                    add=str(r["add"]),
                    unless=tuple(str(w).lower() for w in r.get("unless", ())),
                )
                for r in raw.get("expansions", [])
            ]
        except (OSError, yaml.YAMLError, KeyError, TypeError) as e:
            raise ModelLoadError(
                f"Could not read the query expansions at {path}: {e}. Each entry needs "
                "'when' (a list of phrases) and 'add' (words to search for), and may have "
                "'unless' (phrases that stop it).",
                path=path,
            ) from e
        return cls(rules)

    def expand(self, query: str) -> str:
        """``query`` followed by the words of every rule it matches (or unchanged)."""
        text = " ".join(query.lower().replace("\u2019", "'").split())
        added = [r.add for r in self.rules if r.matches(text)]
        return f"{query} {' '.join(added)}" if added else query


class BM25:
    """Okapi BM25 over a small fixed corpus, with a score normalised to [0, 1].

    :meth:`scores` divides each document's BM25 by what a document of average
    length holding every query term once would score (capped at 1), so the
    number says how much of the query a document covers and can be compared
    across queries, which the abstention threshold needs. Query words the corpus
    never uses count at the highest IDF: a question about "boats" is mostly
    not covered by a knowledge base that never mentions boats.
    """

    def __init__(self, documents: Sequence[Sequence[str]], *, k1: float = 1.2, b: float = 0.6):
        self.k1, self.b = k1, b
        self._tfs = [Counter(d) for d in documents]
        self._lengths = [len(d) for d in documents]
        self._avg = (sum(self._lengths) / len(documents)) if documents else 1.0
        n = len(documents)
        df = Counter(t for d in documents for t in set(d))
        self._idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        self._unknown_idf = math.log(1 + (n + 0.5) / 0.5)

    def idf(self, term: str) -> float:
        return self._idf.get(term, self._unknown_idf)

    def scores(self, query: Sequence[str]) -> list[float]:
        counts = Counter(query)
        best = sum(self.idf(t) * c for t, c in counts.items())
        if not best:
            return [0.0] * len(self._tfs)
        out = []
        for tf, length in zip(self._tfs, self._lengths, strict=True):
            norm = self.k1 * (1 - self.b + self.b * length / self._avg)
            total = 0.0
            for term, c in counts.items():
                f = tf.get(term, 0)
                if f:
                    total += c * self.idf(term) * f * (self.k1 + 1) / (f + norm)
            out.append(min(1.0, total / best))
        return out
