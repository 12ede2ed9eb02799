"""A light intent classifier on sentence-encoder features, with a calibrated fallback.

Multinomial logistic regression on frozen sentence embeddings trains in seconds,
beats DIET trained from scratch when intents have few examples (see
``docs/nlu.md``), and gives probabilities whose top value is a usable "how sure
am I" signal. A second logistic regression on character n-gram TF-IDF catches
what embeddings blur (product codes, "Apple Pay" vs "Google Pay"); the two are
combined as a weighted geometric mean (``lexical_weight``), which measured
+1 point on Banking77. Per message, that weight shrinks with the share of the
message's n-grams the model knows: a message in a script the training data never
used (Chinese to a model trained in English) has none, and the n-gram model's
answer for it would be the class prior (docs/nlu.md, MASSIVE). The fallback
threshold below which a message becomes ``nlu_fallback`` is read off
out-of-fold predictions on the training data (:mod:`bot.nlu.calibration`),
unless ``fallback_threshold`` is set to a number.

Only arrays and JSON are persisted (weights, n-gram vocabulary, intent names,
threshold): no pickle, so loading a model never runs code from it.
"""

from __future__ import annotations

import json
import logging
import warnings
from dataclasses import dataclass
from typing import Any, TypedDict

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.utils.tensorflow.constants import FEATURIZERS

from bot.nlu.calibration import RULES, choose_threshold
from bot.nlu.segment import lexical_words

logger = logging.getLogger(__name__)

WEIGHTS_FILE = "weights.npz"
META_FILE = "meta.json"


ALL_WORDS_UNKNOWN = "all_words_unknown"
"""Parse-data key, ``True`` when no word of the message is in the training data
(nor a typo of one); absent otherwise."""


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


def fit_logistic(
    features: np.ndarray, labels: np.ndarray, *, c: float, max_iter: int = 1000
) -> tuple[np.ndarray, np.ndarray]:
    """Fit multinomial logistic regression; return ``(weights, bias)`` per class.

    Two classes come back as two rows too, so prediction is always a softmax.
    """
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=max_iter)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(features, labels)
    weights, bias = model.coef_, model.intercept_
    if weights.shape[0] == 1:
        weights = np.vstack([-weights / 2.0, weights / 2.0])
        bias = np.array([-bias[0] / 2.0, bias[0] / 2.0])
    return weights.astype(np.float32), bias.astype(np.float32)


class CharNgrams:
    """Sublinear TF-IDF over character n-grams inside word boundaries.

    Persisted as its vocabulary and IDF weights (JSON + arrays), rebuilt on load.
    """

    def __init__(
        self, *, ngram_range: tuple[int, int] = (2, 4), vocabulary: dict[str, int] | None = None,
        idf: np.ndarray | None = None,
    ) -> None:  # fmt: skip
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.ngram_range = ngram_range
        self._analyze: Any = None
        self._vectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=ngram_range, sublinear_tf=True, dtype=np.float32
        )
        if vocabulary is not None and idf is not None:
            self._vectorizer.vocabulary_ = vocabulary
            self._vectorizer.idf_ = idf

    def fit(self, texts: list[str]) -> CharNgrams:
        self._vectorizer.fit(texts)
        return self

    def transform(self, texts: list[str]) -> Any:
        return self._vectorizer.transform(texts)

    def coverage(self, texts: list[str]) -> np.ndarray:
        """Per text, the share of its n-grams that are in the vocabulary (0 without any)."""
        return self.transform_with_coverage(texts)[1]

    def transform_with_coverage(self, texts: list[str]) -> tuple[Any, np.ndarray]:
        """:meth:`transform` and :meth:`coverage` from one pass of the analyser.

        The serving path: scikit-learn's ``transform`` costs more in checks and
        sparse-matrix steps than the few hundred n-grams of a message, and the
        coverage would cut the text into n-grams a second time.
        """
        from scipy.sparse import csr_matrix  # type: ignore[import-untyped]

        if self._analyze is None:
            self._analyze = self._vectorizer.build_analyzer()
        vocabulary = self._vectorizer.vocabulary_
        idf = self._vectorizer.idf_
        indptr, indices, values, shares = [0], [], [], []
        for text in texts:
            grams = self._analyze(text)
            counts: dict[int, int] = {}
            for gram in grams:
                column = vocabulary.get(gram)
                if column is not None:
                    counts[column] = counts.get(column, 0) + 1
            shares.append(sum(counts.values()) / len(grams) if grams else 0.0)
            columns = sorted(counts)
            # sublinear TF times IDF, then unit length: TfidfVectorizer's transform
            row = 1.0 + np.log(np.array([counts[c] for c in columns], dtype=np.float32))
            row *= idf[columns]
            norm = float(np.sqrt(np.dot(row, row)))
            indices += columns
            values.append(row / norm if norm > 0 else row)
            indptr.append(len(indices))
        data = np.concatenate(values).astype(np.float32) if values else np.zeros(0, np.float32)
        matrix = csr_matrix(
            (data, np.asarray(indices, dtype=np.int32), np.asarray(indptr, dtype=np.int32)),
            shape=(len(texts), len(idf)),
        )
        return matrix, np.asarray(shares, dtype=np.float32)

    @property
    def vocabulary(self) -> dict[str, int]:
        return {k: int(v) for k, v in self._vectorizer.vocabulary_.items()}

    @property
    def idf(self) -> np.ndarray:
        return np.asarray(self._vectorizer.idf_, dtype=np.float32)


class FitArgs(TypedDict):
    """The regularisation :meth:`IntentModel.fit` takes, from the component's config."""

    c: float
    lexical_weight: float
    lexical_c: float
    full_coverage: float


@dataclass
class IntentModel:
    """The fitted classifier: embedding LR, optional lexical LR, their mix."""

    weights: np.ndarray
    bias: np.ndarray
    lexical_weight: float = 0.0
    ngrams: CharNgrams | None = None
    lexical_weights: np.ndarray | None = None
    lexical_bias: np.ndarray | None = None
    # The n-gram share of a message at which the n-gram model gets its whole weight;
    # below it the weight shrinks in proportion (1.0: in proportion to the share).
    full_coverage: float = 1.0

    def __post_init__(self) -> None:
        # (n-grams x intents), contiguous: a sparse row times ``lexical_weights.T`` (a
        # transposed view) made scipy copy the whole matrix on every call, 20 ms per
        # parse for MASSIVE's 60 intents and both languages' n-grams (docs/nlu.md).
        self._lexical_columns = (
            None if self.lexical_weights is None else np.ascontiguousarray(self.lexical_weights.T)
        )

    @classmethod
    def fit(
        cls, features: np.ndarray, texts: list[str], labels: np.ndarray, *, c: float,
        lexical_weight: float, lexical_c: float, full_coverage: float = 1.0,
    ) -> IntentModel:  # fmt: skip
        weights, bias = fit_logistic(features, labels, c=c)
        if lexical_weight <= 0:
            return cls(weights, bias)
        ngrams = CharNgrams().fit(texts)
        lex_w, lex_b = fit_logistic(ngrams.transform(texts), labels, c=lexical_c, max_iter=100)
        return cls(weights, bias, lexical_weight, ngrams, lex_w, lex_b, full_coverage)

    def predict(self, features: np.ndarray, texts: list[str]) -> np.ndarray:
        logits = features @ self.weights.T + self.bias
        if self.ngrams is None or self.lexical_weights is None or self.lexical_bias is None:
            return softmax(logits)
        ngrams, coverage = self.ngrams.transform_with_coverage(texts)
        lexical = ngrams @ self._lexical_columns + self.lexical_bias
        share = np.minimum(1.0, coverage / self.full_coverage)
        weight = (self.lexical_weight * share)[:, np.newaxis]
        log_p = (1 - weight) * _log_softmax(logits)
        log_p += weight * _log_softmax(np.asarray(lexical))
        return softmax(log_p)


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def out_of_fold_probabilities(
    features: np.ndarray, texts: list[str], labels: np.ndarray, *, folds: int,
    max_examples: int = 3000, seed: int = 0, **fit_args: Any,
) -> np.ndarray:  # fmt: skip
    """Probabilities from models that did not see the examples (NaN rows: not held out).

    Up to ``max_examples`` every example is held out once (k-fold); above it
    only the first fold is, which bounds the calibration's cost at one fit.
    """
    from sklearn.model_selection import StratifiedKFold

    n_classes = int(labels.max()) + 1
    probs = np.full((len(labels), n_classes), np.nan, dtype=np.float32)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        splits = list(splitter.split(features, labels))
    if len(labels) > max_examples:
        # Large data: one held-out fold is plenty of evidence and costs one extra fit.
        splits = splits[:1]
    for train_idx, held_idx in splits:
        seen = np.unique(labels[train_idx])
        if seen.size < 2:
            continue
        remap = np.searchsorted(seen, labels[train_idx])
        model = IntentModel.fit(
            features[train_idx], [texts[i] for i in train_idx], remap, **fit_args
        )
        held = model.predict(features[held_idx], [texts[i] for i in held_idx])
        probs[held_idx] = 0.0
        probs[np.ix_(held_idx, seen)] = held
    return probs


def words_of(text: str) -> frozenset[str]:
    """The lower-cased words of three or more letters in ``text``, its contractions
    and its Han characters (:func:`bot.nlu.segment.lexical_words`)."""
    return lexical_words(text)


MIN_TYPO_LENGTH = 4
"""Words shorter than this are not read as typos: "tv" is one edit from too many words."""


def one_edit_apart(a: str, b: str) -> bool:
    """Whether ``b`` is ``a`` with one letter added, dropped, changed or two swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) < len(b):
        return a[i:] == b[i + 1 :]
    if a[i + 1 :] == b[i + 1 :]:
        return True
    return i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]


def known_or_typo(word: str, vocabulary: frozenset[str]) -> bool:
    """``word`` is in ``vocabulary``, or one typo away from a word in it ("helo", "thnaks")."""
    if word in vocabulary:
        return True
    if len(word) < MIN_TYPO_LENGTH:
        return False
    return any(
        one_edit_apart(word, known) for known in vocabulary if len(known) >= MIN_TYPO_LENGTH - 1
    )


def known_words(texts: list[str], lookup_tables: list[dict[str, Any]]) -> frozenset[str]:
    """Every word of the training examples and of the lookup tables' elements."""
    words: set[str] = set()
    for text in texts:
        words |= words_of(text)
    for table in lookup_tables or []:
        elements = table.get("elements") or []
        for element in elements if isinstance(elements, list) else []:
            words |= words_of(str(element))
    return frozenset(words)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class SentenceEmbeddingIntentClassifier(GraphComponent, IntentClassifier):
    """Logistic regression over dense sentence features with a data-chosen fallback."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [DenseFeaturizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # Inverse regularisation strength of the logistic regression.
            "C": 10.0,
            # "auto": chosen from out-of-fold predictions; a number: fixed; null: never.
            "fallback_threshold": "auto",
            "calibration_folds": 3,
            # Without out-of-scope examples: the share of correctly understood
            # messages the fallback may catch.
            "max_inscope_loss": 0.05,
            # "balanced": out-of-scope caught and in-scope kept weigh the same;
            # "inscope_loss": keep all but max_inscope_loss of the understood
            # messages, out-of-scope examples or not (bot/nlu/calibration.py).
            "calibration_rule": "balanced",
            "fallback_intent": "nlu_fallback",
            "out_of_scope_intent": "out_of_scope",
            "ranking_length": 10,
            # A message none of whose words (3+ letters) occurs in the training
            # examples or lookup tables is not understood, whatever the model's
            # confidence ("blorp fizzle wug"): with diffuse confidences a low
            # threshold alone would send gibberish to the likeliest intent.
            "unknown_words_fallback": False,
            # Share of the character n-gram model in the mix; 0 turns it off.
            "lexical_weight": 0.35,
            "lexical_C": 10.0,
            # The share of a message's character n-grams the model must know for the
            # n-gram model to get its whole weight; below it the weight shrinks in
            # proportion (a message in a script the examples never used: none). 1.0
            # scales every message by its share; 0.5 keeps the whole weight for a
            # message half of whose n-grams are known (docs/nlu.md, MASSIVE).
            "lexical_full_coverage": 1.0,
            # Names (aliases) of the dense featurizers to use; empty means all.
            FEATURIZERS: [],
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        *,
        model: IntentModel | None = None,
        intents: list[str] | None = None,
        threshold: float | None = None,
        words: frozenset[str] = frozenset(),
    ) -> None:
        self._validate(config)
        self.component_config = config
        self._model_storage = model_storage
        self._resource = resource
        self.model = model
        self.intents = intents or []
        self.threshold = threshold
        self.words = words

    @staticmethod
    def _validate(config: dict[str, Any]) -> None:
        value = config.get("fallback_threshold")
        if value not in (None, "auto") and not isinstance(value, (int, float)):
            raise InvalidConfigException(
                f"fallback_threshold must be 'auto', a number in [0, 1] or null; got {value!r}."
            )
        if int(config.get("calibration_folds", 0)) < 2:
            raise InvalidConfigException("calibration_folds must be at least 2.")
        full = config.get("lexical_full_coverage", 1.0)
        if isinstance(full, bool) or not isinstance(full, (int, float)) or not 0 < full <= 1:
            raise InvalidConfigException(
                f"lexical_full_coverage must be a number in (0, 1], e.g. 0.5; got {full!r}."
            )
        if config.get("calibration_rule", "balanced") not in RULES:
            raise InvalidConfigException(
                f"calibration_rule must be one of {', '.join(RULES)}; "
                f"got {config.get('calibration_rule')!r}."
            )

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceEmbeddingIntentClassifier:
        return cls(config, model_storage, resource)

    def _features(self, message: Message) -> np.ndarray | None:
        _, sentence = message.get_dense_features(
            TEXT, featurizers=self.component_config.get(FEATURIZERS) or None
        )
        return None if sentence is None else sentence.features[0]

    def _fit_args(self) -> FitArgs:
        return {
            "c": float(self.component_config["C"]),
            "lexical_weight": float(self.component_config["lexical_weight"]),
            "lexical_c": float(self.component_config["lexical_C"]),
            "full_coverage": float(self.component_config["lexical_full_coverage"]),
        }

    def train(self, training_data: TrainingData) -> Resource:
        examples = [
            (m.get(INTENT), m.get(TEXT), vector)
            for m in training_data.intent_examples
            if (vector := self._features(m)) is not None
        ]
        intents = sorted({intent for intent, _, _ in examples})
        if len(intents) < 2:
            logger.warning("%s needs at least 2 intents to train; skipped.", type(self).__name__)
            return self._resource
        index = {intent: i for i, intent in enumerate(intents)}
        labels = np.array([index[intent] for intent, _, _ in examples])
        texts = [text for _, text, _ in examples]
        features = np.stack([vector for _, _, vector in examples]).astype(np.float32)
        self.model = IntentModel.fit(features, texts, labels, **self._fit_args())
        self.intents = intents
        self.words = known_words(texts, training_data.lookup_tables)
        self.threshold = self._calibrate(features, texts, labels)
        self.persist()
        return self._resource

    def _calibrate(
        self, features: np.ndarray, texts: list[str], labels: np.ndarray
    ) -> float | None:
        setting = self.component_config["fallback_threshold"]
        if setting is None or isinstance(setting, (int, float)):
            return None if setting is None else float(setting)
        folds = min(int(self.component_config["calibration_folds"]), int(np.bincount(labels).max()))
        if folds < 2:
            logger.warning("Too few examples to calibrate the fallback; it stays off.")
            return None
        probs = out_of_fold_probabilities(features, texts, labels, folds=folds, **self._fit_args())
        held = ~np.isnan(probs).any(axis=1)
        probs, labels = probs[held], labels[held]
        predicted = probs.argmax(axis=1)
        confidence = probs.max(axis=1)
        oos_id = self._intent_id(self.component_config["out_of_scope_intent"])
        is_oos = labels == oos_id
        oos_conf = np.where(predicted[is_oos] == oos_id, 0.0, confidence[is_oos])
        threshold = choose_threshold(
            confidence[~is_oos],
            predicted[~is_oos] == labels[~is_oos],
            oos_conf if is_oos.any() else None,
            max_inscope_loss=float(self.component_config["max_inscope_loss"]),
            rule=str(self.component_config["calibration_rule"]),
        )
        logger.info("calibrated nlu_fallback threshold: %.3f (%d folds)", threshold, folds)
        return threshold

    def _intent_id(self, name: str) -> int:
        return self.intents.index(name) if name in self.intents else -1

    def predict(self, features: np.ndarray, texts: list[str]) -> np.ndarray:
        """Class probabilities for a ``(n, dim)`` feature matrix and its texts."""
        if self.model is None:
            raise InvalidConfigException(
                "SentenceEmbeddingIntentClassifier is not trained; run `rasa train`."
            )
        return self.model.predict(features, texts)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            vector = self._features(message)
            if self.model is None or vector is None:
                message.set(INTENT, {"name": None, "confidence": 0.0}, add_to_output=True)
                message.set("intent_ranking", [], add_to_output=True)
                continue
            probs = self.predict(vector[np.newaxis, :], [message.get(TEXT) or ""])[0]
            order = np.argsort(-probs)[: int(self.component_config["ranking_length"])]
            ranking = [{"name": self.intents[i], "confidence": float(probs[i])} for i in order]
            intent = ranking[0]
            unknown = self._all_words_unknown(message)
            if unknown:
                # In the parse data: the fallback action does not look words nobody
                # knows up in the knowledge base ("blorp fizzle wug").
                message.set(ALL_WORDS_UNKNOWN, True, add_to_output=True)
            if self.threshold is not None and (intent["confidence"] < self.threshold or unknown):
                intent = {
                    "name": self.component_config["fallback_intent"],
                    "confidence": float(self.threshold),
                }
                ranking = [intent, *ranking]
            message.set(INTENT, intent, add_to_output=True)
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages

    def _all_words_unknown(self, message: Message) -> bool:
        if not self.component_config["unknown_words_fallback"] or not self.words:
            return False
        words = words_of(message.get(TEXT) or "")
        if not words or not words.isdisjoint(self.words):
            return False
        return not any(known_or_typo(w, self.words) for w in words)

    def persist(self) -> None:
        if self.model is None:
            return
        model = self.model
        arrays = {"weights": model.weights, "bias": model.bias}
        meta: dict[str, Any] = {
            "intents": self.intents,
            "threshold": self.threshold,
            "lexical_weight": model.lexical_weight,
            "lexical_full_coverage": model.full_coverage,
            "words": sorted(self.words),
        }
        if (
            model.ngrams is not None
            and model.lexical_weights is not None
            and model.lexical_bias is not None
        ):
            arrays.update(
                lexical_weights=model.lexical_weights,
                lexical_bias=model.lexical_bias,
                idf=model.ngrams.idf,
            )
            meta["ngram_range"] = list(model.ngrams.ngram_range)
            meta["vocabulary"] = model.ngrams.vocabulary
        with self._model_storage.write_to(self._resource) as folder:
            np.savez(folder / WEIGHTS_FILE, **arrays)
            (folder / META_FILE).write_text(json.dumps(meta))

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> SentenceEmbeddingIntentClassifier:
        try:
            with model_storage.read_from(resource) as folder:
                arrays = dict(np.load(folder / WEIGHTS_FILE, allow_pickle=False))
                meta = json.loads((folder / META_FILE).read_text())
        except (ValueError, FileNotFoundError):
            logger.warning("No trained %s in the model; it will not classify.", cls.__name__)
            return cls(config, model_storage, resource)
        ngrams = None
        if "vocabulary" in meta:
            ngrams = CharNgrams(
                ngram_range=tuple(meta["ngram_range"]),
                vocabulary=meta["vocabulary"],
                idf=arrays["idf"],
            )
        model = IntentModel(
            arrays["weights"],
            arrays["bias"],
            float(meta.get("lexical_weight", 0.0)),
            ngrams,
            arrays.get("lexical_weights"),
            arrays.get("lexical_bias"),
            float(meta.get("lexical_full_coverage", 1.0)),
        )
        return cls(
            config,
            model_storage,
            resource,
            model=model,
            intents=list(meta["intents"]),
            threshold=meta["threshold"],
            words=frozenset(meta.get("words") or ()),
        )
