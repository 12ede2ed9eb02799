"""A frustration score for every customer message: lexicon and rules, offline.

When a customer is upset, the bot should step aside before the conversation sours.
The signal has to be cheap (it runs on every message, inside the engine), need no
model download, and say *why* it fired so that an agent reading the handoff, or a
developer reading the tracker, can judge it. So it is a lexicon
(``frustration_lexicon.yml``) plus the rules that lexicons need to be usable:
negation ("not bad" is fine, "not happy" is not), intensifiers, idioms that only
look negative ("no problem"), if-clauses ("can I return it if I'm unhappy?"),
shouting in capitals and "!!!" (which an enthusiastic "GREAT, thanks!!" cancels),
repeated contact ("third time", "still not"), and sarcasm read as a positive word
over a negative situation ("Great, broken again"). Precision, recall and the
threshold are measured in ``benchmarks/results/frustration.md``.

The scoring half is plain Python (standard library and PyYAML) so the benchmark
and the action server can import it; :class:`FrustrationDetector`, the Rasa graph
component, exists only where Rasa is installed::

    pipeline:
      - name: bot.nlu.frustration.FrustrationDetector
        threshold: 0.4

It adds ``{"score": 0.72, "frustrated": true, "cues": ["anger:ridiculous",
"punctuation:!!!"]}`` under ``frustration`` in the parse data, which Rasa stores
with the ``user`` event: policies read it as
``tracker.latest_message.parse_data["frustration"]``, actions as
``tracker.latest_message["frustration"]``.
"""

from __future__ import annotations

import importlib.util
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.nlu.errors import NLUError

FRUSTRATION = "frustration"
"""Key of the result in the parse data (and in ``Message.data``)."""

DEFAULT_THRESHOLD = 0.4
"""Chosen on the dev half of the evaluation set by ``benchmarks/frustration.py``
(best F1 with at most 5% false alarms, highest of ties): see docs/handoff-triggers.md."""

LEXICON_FILE = Path(__file__).with_name("frustration_lexicon.yml")
AMPLIFIERS = frozenset({"shouting", "emphasis", "punctuation", "elongation"})
SARCASM_POSITIVE = frozenset(
    {"great", "perfect", "brilliant", "fantastic", "wonderful", "lovely", "nice", "awesome",
     "excellent", "marvellous", "splendid", "amazing", "superb", "cheers", "love"}
)  # fmt: skip
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)*|[.,;:!?]")
_CONTRACTIONS = [
    (re.compile(r"\bwon'?t\b"), "will not"),
    (re.compile(r"\bcan'?t\b|\bcannot\b"), "can not"),
    (re.compile(r"\bain't\b"), "is not"),
    (re.compile(r"n't\b"), " not"),
    (re.compile(r"\b(do|does|did|is|are|was|were|has|have|had|could|would|should)nt\b"), r"\1 not"),
    (re.compile(r"\bim\b"), "i'm"),
    (re.compile(r"\bu\b"), "you"),
    (re.compile(r"\bur\b"), "your"),
    (re.compile(r"\bpl[sz]\b"), "please"),
]
_MASKED_SWEAR = re.compile(
    r"(?<![\w*@.])[a-z]{1,2}(?:\*[*#@%&$!]*|[#@%&$]{2,}[*#@%&$!]*)[a-z]*(?![\w@])", re.I
)
_WORD = re.compile(r"[A-Za-z][A-Za-z']*")
_ELONGATED = re.compile(r"([a-z])\1{3,}")


class LexiconError(NLUError):
    """The frustration lexicon cannot be read or has an invalid entry (carries ``path``)."""

    def __init__(self, message: str, *, path: Path | str) -> None:
        self.path = path
        super().__init__(f"{path}: {message}")


@dataclass(frozen=True)
class Category:
    """One kind of cue: its weight, its compiled terms and how context changes it."""

    name: str
    weight: float
    regex: re.Pattern[str]
    negatable: bool = True
    only_negated: bool = False
    conditional: bool = True


_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def _alternation(items: list[str], *, literal: bool) -> str:
    """One regex alternative per item, longest first; a literal in Latin letters or digits
    ("sb", "12315") only where no letter or digit touches it."""
    out = []
    for item in sorted(items, key=len, reverse=True):
        text = re.escape(item.lower()) if literal else item
        if literal and re.fullmatch(r"[a-z0-9]+", item.lower()):
            text = rf"(?<![a-z0-9]){text}(?![a-z0-9])"
        out.append(text)
    return "(?:" + "|".join(out) + ")"


@dataclass(frozen=True)
class HanLexicon:
    """The lexicon's ``chinese`` section, compiled: cues found as substrings, and the
    character-level context rules (see the comments in ``frustration_lexicon.yml``)."""

    categories: tuple[Category, ...]
    neutral: re.Pattern[str] | None
    negated: re.Pattern[str]
    negator: re.Pattern[str]
    intensifier: re.Pattern[str]
    downtoner: re.Pattern[str]
    conditional: re.Pattern[str]
    clause_break: re.Pattern[str]
    politeness: re.Pattern[str]
    thanks: re.Pattern[str]
    positive: re.Pattern[str]
    problem: re.Pattern[str]

    @classmethod
    def from_dict(cls, data: Any, *, path: Path | str) -> HanLexicon:
        if not isinstance(data, dict) or not isinstance(data.get("cues"), dict):
            raise LexiconError("`chinese` needs a mapping with a `cues` section.", path=path)
        raw_sets = {k: [str(v) for v in vs] for k, vs in (data.get("sets") or {}).items()}
        needed = ("negator", "softener", "intensifier", "downtoner", "conditional",
                  "clause_break", "politeness", "thanks", "positive", "problem")  # fmt: skip
        missing = [name for name in needed if not raw_sets.get(name)]
        if missing:
            raise LexiconError(f"`chinese.sets` lacks {', '.join(missing)}.", path=path)

        def words(name: str, *, literal: bool = True) -> str:
            return _alternation(raw_sets[name], literal=literal)

        def compile_cue(name: str, terms: list[str], patterns: list[str]) -> re.Pattern[str]:
            alternatives = [_alternation([str(t)], literal=True) for t in terms]
            for pattern in patterns:
                try:
                    expanded = re.sub(
                        r"\{(\w+)\}", lambda m: words(m.group(1), literal=False), pattern
                    )
                    re.compile(expanded)
                except KeyError as e:
                    raise LexiconError(
                        f"chinese.{name}: unknown word set {e} in {pattern!r}.", path=path
                    ) from e
                except re.error as e:
                    raise LexiconError(
                        f"chinese.{name}: bad pattern {pattern!r} ({e}).", path=path
                    ) from e
                alternatives.append(expanded)
            return re.compile("|".join(alternatives))

        categories = []
        for name, spec in data["cues"].items():
            weight = spec.get("weight") if isinstance(spec, dict) else None
            if not isinstance(weight, int | float) or not 0 < weight < 1:
                raise LexiconError(
                    f"cue `chinese.{name}` needs a weight between 0 and 1.", path=path
                )
            terms, patterns = spec.get("terms") or [], spec.get("patterns") or []
            if not terms and not patterns:
                raise LexiconError(
                    f"cue `chinese.{name}` has neither terms nor patterns.", path=path
                )
            categories.append(
                Category(
                    name=name,
                    weight=float(weight),
                    regex=compile_cue(name, [str(t) for t in terms], [str(p) for p in patterns]),
                    negatable=bool(spec.get("negatable", True)),
                    only_negated=bool(spec.get("only_negated", False)),
                    conditional=bool(spec.get("conditional", True)),
                )
            )
        neutral = [str(t) for t in data.get("neutral") or []]
        negator = words("negator")
        return cls(
            categories=tuple(categories),
            neutral=re.compile(_alternation(neutral, literal=True)) if neutral else None,
            negated=re.compile(f"{negator}{words('softener')}?$"),
            negator=re.compile(negator),
            intensifier=re.compile(words("intensifier")),
            downtoner=re.compile(words("downtoner", literal=False)),
            conditional=re.compile(words("conditional")),
            clause_break=re.compile(words("clause_break")),
            politeness=re.compile(words("politeness")),
            thanks=re.compile(words("thanks")),
            positive=re.compile(words("positive")),
            problem=re.compile(words("problem")),
        )

    def cues(self, text: str) -> tuple[list[Cue], bool, bool]:
        """The cues in ``text``; whether it is polite outside them; whether it sounds
        positive (a positive word that no negator turns round)."""
        low = unicodedata.normalize("NFKC", text).lower()
        masked = self.neutral.sub(lambda m: "_" * len(m.group()), low) if self.neutral else low
        found = sorted(
            ((m.start(), m.end(), c) for c in self.categories for m in c.regex.finditer(masked)),
            key=lambda f: (f[0], f[0] - f[1]),
        )
        cues: list[Cue] = []
        spans: list[tuple[int, int]] = []
        seen: dict[str, int] = {}
        last_end = -1
        for start, end, category in found:
            if end <= last_end or end == start:  # inside a cue already found; a cue
                continue  # that runs on past one is more ("拖了半个月" + "半个月了还不")
            clause_start = max((m.end() for m in self.clause_break.finditer(masked, 0, start)),
                               default=0)  # fmt: skip
            after = self.clause_break.search(masked, end)
            clause_end = after.start() if after else len(masked)
            before = masked[clause_start:start]
            negation = self.negated.search(before)
            negated = negation is not None and not self.negator.search(before[: negation.start()])
            if category.only_negated and not negated:
                continue
            if category.negatable and not category.only_negated and negated:
                continue
            weight = category.weight
            head = before[: negation.start()] if negation else before
            if self.intensifier.search(head[-3:]):
                weight = min(0.9, weight * 1.35)
            if self.downtoner.search(before[-4:]):
                weight *= 0.6
            if category.conditional and self.conditional.search(masked[clause_start:clause_end]):
                weight *= 0.3
            weight *= 0.5 ** seen.get(category.name, 0)
            seen[category.name] = seen.get(category.name, 0) + 1
            first = clause_start + negation.start() if negated and negation else start
            cues.append(Cue(category.name, masked[first:end], weight))
            spans.append((first, end))
            last_end = end
        outside = "".join(
            "_" if any(a <= i < b for a, b in spans) else ch for i, ch in enumerate(low)
        )
        positive = any(
            not self.negated.search(low[: m.start()]) for m in self.positive.finditer(low)
        )
        if (
            positive
            and not any(c.kind == "sarcasm" for c in cues)
            and self.problem.search(masked)  # not the 错 of 不错
            and not self.thanks.search(low)
        ):
            word = next(m.group() for m in self.positive.finditer(low))
            cues.append(Cue("sarcasm", word, 0.45))
        return cues, bool(self.politeness.search(outside)), positive


@dataclass(frozen=True)
class Lexicon:
    """Word lists and weights, compiled once; see ``frustration_lexicon.yml``."""

    categories: tuple[Category, ...]
    neutral: re.Pattern[str] | None
    sets: Mapping[str, frozenset[str]]
    acronyms: frozenset[str]
    emoji: Mapping[str, tuple[float, frozenset[str]]]
    positive_emoji: frozenset[str]
    han: HanLexicon | None = None
    """The ``chinese`` section: cues for text with Han characters."""

    @classmethod
    def load(cls, path: Path | str = LEXICON_FILE) -> Lexicon:
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as e:
            raise LexiconError(
                f"cannot read the lexicon ({e}); fix or remove it.", path=path
            ) from e
        return cls.from_dict(data, path=path)

    @classmethod
    def from_dict(cls, data: Any, *, path: Path | str = "<dict>") -> Lexicon:
        if not isinstance(data, dict) or not isinstance(data.get("cues"), dict):
            raise LexiconError("expected a mapping with a `cues` section.", path=path)
        raw_sets = {k: [str(v) for v in vs] for k, vs in (data.get("sets") or {}).items()}

        def compile_terms(name: str, terms: list[str], patterns: list[str]) -> re.Pattern[str]:
            alternatives = [re.escape(str(t).lower()).replace(r"\ ", " ") for t in terms]
            for pattern in patterns:
                try:
                    expanded = re.sub(
                        r"\{(\w+)\}",
                        lambda m: "(?:" + "|".join(raw_sets[m.group(1)]) + ")",
                        pattern,
                    )
                    re.compile(expanded)
                except KeyError as e:
                    raise LexiconError(
                        f"{name}: unknown word set {e} in {pattern!r}.", path=path
                    ) from e
                except re.error as e:
                    raise LexiconError(f"{name}: bad pattern {pattern!r} ({e}).", path=path) from e
                alternatives.append(expanded)
            alternatives.sort(key=len, reverse=True)
            return re.compile(r"(?<!\S)(?:" + "|".join(alternatives) + r")(?!\S)")

        categories = []
        for name, spec in data["cues"].items():
            weight = spec.get("weight") if isinstance(spec, dict) else None
            if not isinstance(weight, int | float) or not 0 < weight < 1:
                raise LexiconError(f"cue `{name}` needs a weight between 0 and 1.", path=path)
            terms, patterns = spec.get("terms") or [], spec.get("patterns") or []
            if not terms and not patterns:
                raise LexiconError(f"cue `{name}` has neither terms nor patterns.", path=path)
            categories.append(
                Category(
                    name=name,
                    weight=float(weight),
                    regex=compile_terms(name, terms, patterns),
                    negatable=bool(spec.get("negatable", True)),
                    only_negated=bool(spec.get("only_negated", False)),
                    conditional=bool(spec.get("conditional", True)),
                )
            )
        neutral = data.get("neutral") or []
        emoji = data.get("emoji") or {}
        return cls(
            categories=tuple(categories),
            neutral=compile_terms("neutral", neutral, []) if neutral else None,
            sets={k: frozenset(v) for k, v in raw_sets.items()},
            acronyms=frozenset(str(a).upper() for a in data.get("acronyms") or []),
            emoji={
                k: (float(v["weight"]), frozenset(v["chars"]))
                for k, v in emoji.items()
                if k != "positive"
            },
            positive_emoji=frozenset((emoji.get("positive") or {}).get("chars", "")),
            han=HanLexicon.from_dict(data["chinese"], path=path) if data.get("chinese") else None,
        )

    def words(self, name: str) -> frozenset[str]:
        return self.sets.get(name, frozenset())


@lru_cache(maxsize=8)
def load_lexicon(path: str | None = None) -> Lexicon:
    """The lexicon at ``path`` (default: the packaged one), parsed once per process."""
    return Lexicon.load(path or LEXICON_FILE)


@dataclass(frozen=True)
class Cue:
    """One piece of evidence: its kind, the words that showed it, its weight."""

    kind: str
    text: str
    weight: float

    def label(self) -> str:
        return f"{self.kind}:{self.text}" if self.text else self.kind


@dataclass(frozen=True)
class Frustration:
    score: float
    frustrated: bool
    cues: tuple[Cue, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The shape stored in the parse data (JSON, small: it lands in the tracker store)."""
        return {
            "score": round(self.score, 3),
            "frustrated": self.frustrated,
            "cues": [cue.label() for cue in self.cues],
        }


def normalise(text: str) -> tuple[str, list[int]]:
    """Lower-cased tokens joined by single spaces, contractions expanded; token offsets."""
    low = unicodedata.normalize("NFKC", text).lower()
    low = low.translate(_APOSTROPHES)
    for pattern, repl in _CONTRACTIONS:
        low = pattern.sub(repl, low)
    tokens = _TOKEN.findall(low)
    starts, pos = [], 0
    for token in tokens:
        starts.append(pos)
        pos += len(token) + 1
    return " ".join(tokens), starts


class FrustrationScorer:
    """Scores a message between 0 and 1 by noisy-OR over weighted cues.

    ``politeness_factor`` scales the score of a message that also says please or
    thanks outside its cues (a polite complaint is not an angry one);
    ``conditional_factor`` scales a cue inside an if-clause.
    """

    def __init__(
        self,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        lexicon: Lexicon | None = None,
        politeness_factor: float = 0.8,
        conditional_factor: float = 0.3,
    ) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(
                f"threshold={threshold} is outside 0..1; use e.g. {DEFAULT_THRESHOLD}."
            )
        self.threshold = threshold
        self.lexicon = lexicon or load_lexicon()
        self.politeness_factor = politeness_factor
        self.conditional_factor = conditional_factor

    def __call__(self, text: str) -> Frustration:
        return self.score(text)

    def score(self, text: str) -> Frustration:
        if not text or not text.strip():
            return Frustration(0.0, False)
        norm, starts = normalise(text)
        tokens = norm.split(" ") if norm else []
        lexical, covered = self._lexical_cues(norm, starts, tokens)
        outside = {t for i, t in enumerate(tokens) if i not in covered}
        han_polite = han_positive = False
        if self.lexicon.han is not None and _HAN.search(text):
            han, han_polite, han_positive = self.lexicon.han.cues(text)
            lexical += han
        cues = lexical + self._sarcasm(tokens, lexical) + self._surface_cues(text)
        if not lexical and (han_positive or self._sounds_positive(text, tokens)):
            cues = [c for c in cues if c.kind not in AMPLIFIERS]
        score = 1.0
        for cue in cues:
            score *= 1.0 - cue.weight
        score = 1.0 - score
        loud = any(c.kind in {"profanity", "shouting"} for c in cues)
        polite = han_polite or bool(self.lexicon.words("politeness").intersection(outside))
        if score and not loud and polite:
            score *= self.politeness_factor
        score = round(score, 3)  # what is stored is what was compared
        return Frustration(score, score >= self.threshold, tuple(cues))

    def _lexical_cues(
        self, norm: str, starts: list[int], tokens: list[str]
    ) -> tuple[list[Cue], set[int]]:
        """Cues from the lexicon, in context; also the indices of the tokens they cover."""
        lex = self.lexicon
        if lex.neutral is not None:
            norm = lex.neutral.sub(lambda m: "_" * len(m.group()), norm)
        found = [
            (m.start(), m.end(), category)
            for category in lex.categories
            for m in category.regex.finditer(norm)
        ]
        found.sort(key=lambda f: (f[0], f[0] - f[1]))
        cues: list[Cue] = []
        covered: set[int] = set()
        seen: dict[str, int] = {}
        last_end = -1
        for start, end, category in found:
            if start < last_end:  # sorted by start, longest first: keep the longest
                continue
            index = bisect_right(starts, start) - 1
            before = _clause_before(tokens, index, lex.words("clause_break"))
            negator = _negator(before[-3:], lex)
            if category.only_negated and negator is None:
                continue
            if category.negatable and not category.only_negated and negator is not None:
                continue
            weight = category.weight
            if lex.words("intensifier").intersection(before[-2:]):
                weight = min(0.9, weight * 1.35)
            if lex.words("downtoner").intersection(before[-3:]):
                weight *= 0.6
            if category.conditional and lex.words("conditional").intersection(before):
                weight *= self.conditional_factor
            weight *= 0.5 ** seen.get(category.name, 0)
            seen[category.name] = seen.get(category.name, 0) + 1
            phrase = norm[start:end]
            if category.only_negated and negator is not None:
                phrase = f"{negator} {phrase}"
            last_end = end
            covered.update(range(index, bisect_right(starts, end - 1)))
            cues.append(Cue(category.name, phrase, weight))
        return cues, covered

    def _sarcasm(self, tokens: list[str], lexical: list[Cue]) -> list[Cue]:
        """A positive word over a negative situation ("Great, broken again") and no thanks."""
        lex = self.lexicon
        praise = [
            i
            for i, t in enumerate(tokens)
            if t in SARCASM_POSITIVE and _negator(tokens[max(0, i - 3) : i], lex) is None
        ]
        if not praise or {"thank", "thanks"}.intersection(tokens):
            return []
        resolved = any(
            t in lex.words("resolved") and _negator(tokens[max(0, i - 3) : i], lex) is None
            for i, t in enumerate(tokens)
        )
        situation = (
            lex.words("problem").intersection(tokens)
            or any(c.kind in {"repetition", "waiting", "abandonment"} for c in lexical)
            or re.search(r"\b(?:can|could|does|did|will|would) not\b", " ".join(tokens))
        )
        if resolved or not situation:
            return []
        return [Cue("sarcasm", tokens[praise[0]], 0.45)]

    def _surface_cues(self, text: str) -> list[Cue]:
        """Cues in the raw text: masked swearing, emoji, capitals, punctuation, elongation."""
        cues = [Cue("profanity", m.group(), 0.55) for m in _MASKED_SWEAR.finditer(text)][:2]
        for kind, (weight, chars) in self.lexicon.emoji.items():
            hit = next((ch for ch in text if ch in chars), None)
            if hit:
                cues.append(Cue(f"emoji_{kind}", hit, weight))
        words = [w.strip("'") for w in _WORD.findall(text)]
        words = [w for w in words if len(w) >= 2]
        loud = [w for w in words if w.isupper() and w.upper() not in self.lexicon.acronyms]
        if len(loud) >= 2 and len(loud) >= 0.6 * len(words):
            cues.append(Cue("shouting", " ".join(loud[:4]), 0.5))
        else:
            loud = [w for w in loud if len(w) >= 3]  # "NOT", but not "AT" in "AT&T"
            cues.extend(Cue("emphasis", w, 0.2 * 0.5**i) for i, w in enumerate(loud[:2]))
        marks = re.findall(r"[!?]{2,}", unicodedata.normalize("NFKC", text))  # full-width too
        if marks:
            worst = max(marks, key=_punctuation_weight)
            cues.append(Cue("punctuation", worst[:4], _punctuation_weight(worst)))
        stretched = _ELONGATED.search(text.lower())
        if stretched and not stretched.group().startswith("www"):
            cues.append(Cue("elongation", stretched.group(), 0.15))
        return cues

    def _sounds_positive(self, text: str, tokens: list[str]) -> bool:
        """Enthusiasm: positive words or emoji, so capitals and "!!" are not anger."""
        lex = self.lexicon
        return any(ch in lex.positive_emoji for ch in text) or any(
            t in lex.words("positive") and _negator(tokens[max(0, i - 3) : i], lex) is None
            for i, t in enumerate(tokens)
        )


def _clause_before(tokens: list[str], index: int, breaks: frozenset[str]) -> list[str]:
    """Tokens of the same clause before ``index``."""
    start = index
    while start > 0 and tokens[start - 1] not in breaks:
        start -= 1
    return tokens[start:index]


def _negator(window: list[str], lex: Lexicon) -> str | None:
    """The negator in ``window``, unless it is "never so/such/more ..." (an intensifier)."""
    negators = lex.words("negator")
    for i in range(len(window) - 1, -1, -1):
        if window[i] in negators:
            after = window[i + 1 :]
            if window[i] == "never" and {"so", "such", "more", "this"}.intersection(after):
                return None
            return window[i]
    return None


def _punctuation_weight(marks: str) -> float:
    if "?" in marks and "!" in marks:
        return 0.4
    if marks.startswith("!"):
        return 0.35 if len(marks) >= 3 else 0.25
    return 0.2


def score_text(text: str, *, threshold: float = DEFAULT_THRESHOLD) -> Frustration:
    """Score one message with the packaged lexicon (for scripts and actions)."""
    return FrustrationScorer(threshold=threshold)(text)


if importlib.util.find_spec("rasa") is not None:  # the engine venv: the Rasa component
    from rasa.engine.graph import ExecutionContext, GraphComponent
    from rasa.engine.recipes.default_recipe import DefaultV1Recipe
    from rasa.engine.storage.resource import Resource
    from rasa.engine.storage.storage import ModelStorage
    from rasa.shared.exceptions import InvalidConfigException
    from rasa.shared.nlu.constants import TEXT
    from rasa.shared.nlu.training_data.message import Message

    # Registered as an intent classifier that needs no training: Rasa then runs it
    # on each message at inference only, after the featurizers, and never over the
    # training data or in end-to-end featurization (it adds no features).
    @DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
    class FrustrationDetector(GraphComponent):
        """Adds ``frustration`` (score, flag, cues) to each message's parse data."""

        @staticmethod
        def get_default_config() -> dict[str, Any]:
            return {"threshold": DEFAULT_THRESHOLD, "lexicon": None}

        def __init__(self, config: dict[str, Any]) -> None:
            threshold = config.get("threshold", DEFAULT_THRESHOLD)
            if not isinstance(threshold, int | float) or not 0 <= threshold <= 1:
                raise InvalidConfigException(
                    f"FrustrationDetector: threshold={threshold!r} must be a number between "
                    f"0 and 1 (the measured default is {DEFAULT_THRESHOLD})."
                )
            try:
                lexicon = load_lexicon(str(config["lexicon"]) if config.get("lexicon") else None)
            except LexiconError as e:
                raise InvalidConfigException(
                    f"FrustrationDetector: {e} Point `lexicon` at a valid file or remove it "
                    "to use the packaged one."
                ) from e
            self.scorer = FrustrationScorer(threshold=float(threshold), lexicon=lexicon)

        @classmethod
        def create(
            cls,
            config: dict[str, Any],
            model_storage: ModelStorage,
            resource: Resource,
            execution_context: ExecutionContext,
        ) -> FrustrationDetector:
            return cls(config)

        def process(self, messages: list[Message]) -> list[Message]:
            for message in messages:
                result = self.scorer(message.get(TEXT) or "")
                # add_to_output: Rasa copies only output properties into parse data.
                message.set(FRUSTRATION, result.as_dict(), add_to_output=True)
            return messages
