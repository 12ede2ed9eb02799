"""The reference assistant's intent classifier per language, by cross-validation.

Run from the repository root in the engine venv, after `make setup` (which writes
the encoder folders)::

    PYTHONPATH=. .venv/engine/bin/python -m benchmarks.nlu_languages

Reads every intent example of ``data/nlu/*.yml`` (a text with a Han character is
Chinese, every other one English) and scores ``SentenceEmbeddingIntentClassifier``'s
model (:class:`bot.nlu.classifier.IntentModel`: logistic regression on the
sentence embedding mixed with character n-grams, the classifier's defaults) on
four feature sets: all-MiniLM-L6-v2 alone (the English pipeline), multilingual-
e5-small alone, the two embeddings side by side (what two
``SentenceEncoderFeaturizer`` components give the classifier), and the two side by
side with MiniLM's half zero for text with Han characters (its ``skip_han: true``:
MiniLM cannot read Chinese). For each language,
stratified k-fold: each fold of that language is held out, and the model is
trained on the rest of it plus all of the other language, as ``rasa train``
trains on all of ``data/``. ``en_to_zh`` trains on English only and tests on
every Chinese example. The conversation suite (``python -m
benchmarks.conversations``) is the measure of the English assistant as a whole;
this one is the measure of the Chinese examples, which it cannot play yet.

Writes ``nlu_languages.json`` and ``nlu_languages.md`` into ``--out``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.nlu import macro_f1

logger = logging.getLogger("benchmarks.nlu_languages")

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).parent / "results"
ENCODERS = {
    "minilm": "models/encoders/all-minilm-l6-v2",
    "e5": "models/encoders/multilingual-e5-small",
}
# (encoders, encoders whose features are zero for text with Han characters)
VARIANTS = {
    "minilm": (("minilm",), ()),
    "e5": (("e5",), ()),
    "minilm+e5": (("minilm", "e5"), ()),
    "minilm+e5, MiniLM skips Chinese": (("minilm", "e5"), ("minilm",)),
}


def load_examples(folder: Path) -> list[tuple[str, str]]:
    """``(text, intent)`` for every intent example in the NLU files of ``folder``."""
    from rasa.shared.nlu.training_data.loading import load_data

    examples = []
    for path in sorted(folder.glob("*.yml")):
        data = load_data(str(path))
        examples += [(m.get("text"), m.get("intent")) for m in data.intent_examples]
    return examples


def cross_validate(
    features: np.ndarray, texts: list[str], labels: np.ndarray, languages: np.ndarray,
    *, test_language: str, folds: int, seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Held-out predictions for every example of ``test_language`` (index, predicted label)."""
    from sklearn.model_selection import StratifiedKFold

    from bot.nlu.classifier import IntentModel

    tested = np.flatnonzero(languages == test_language)
    others = np.flatnonzero(languages != test_language)
    # Intents with fewer examples than folds go into every training fold (and are
    # tested in none) rather than break the stratification.
    counts = np.bincount(labels[tested], minlength=int(labels.max()) + 1)
    splittable = tested[counts[labels[tested]] >= folds]
    always = tested[counts[labels[tested]] < folds]
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    indices, predicted = [], []
    for train_part, test_part in splitter.split(splittable, labels[splittable]):
        train = np.concatenate([others, always, splittable[train_part]])
        test = splittable[test_part]
        seen = np.unique(labels[train])
        model = IntentModel.fit(
            features[train], [texts[i] for i in train], np.searchsorted(seen, labels[train]),
            c=10.0, lexical_weight=0.35, lexical_c=10.0,
        )  # fmt: skip
        probs = model.predict(features[test], [texts[i] for i in test])
        indices.append(test)
        predicted.append(seen[probs.argmax(axis=1)])
    return np.concatenate(indices), np.concatenate(predicted)


def transfer(
    features: np.ndarray, texts: list[str], labels: np.ndarray, languages: np.ndarray,
    *, source: str, target: str,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Trained on ``source`` only, predictions for every ``target`` example."""
    from bot.nlu.classifier import IntentModel

    train = np.flatnonzero(languages == source)
    test = np.flatnonzero(languages == target)
    seen = np.unique(labels[train])
    model = IntentModel.fit(
        features[train], [texts[i] for i in train], np.searchsorted(seen, labels[train]),
        c=10.0, lexical_weight=0.35, lexical_c=10.0,
    )  # fmt: skip
    probs = model.predict(features[test], [texts[i] for i in test])
    return test, seen[probs.argmax(axis=1)]


def score(intents: list[str], labels: np.ndarray, index: np.ndarray, predicted: np.ndarray):
    true = [intents[i] for i in labels[index]]
    pred = [intents[i] for i in predicted]
    accuracy = float(np.mean([t == p for t, p in zip(true, pred, strict=True)]))
    return {"accuracy": round(accuracy, 4), "macro_f1": round(macro_f1(true, pred), 4)}


def run(data: Path, *, folds: int, threads: int) -> dict[str, Any]:
    from bot.nlu.encoder import OnnxSentenceEncoder
    from bot.nlu.segment import has_han

    examples = load_examples(data)
    texts = [text for text, _ in examples]
    intents = sorted({intent for _, intent in examples})
    labels = np.array([intents.index(intent) for _, intent in examples])
    languages = np.array(["zh" if has_han(text) else "en" for text in texts])
    embeddings, encode_s = {}, {}
    for name, folder in ENCODERS.items():
        encoder = OnnxSentenceEncoder(ROOT / folder, num_threads=threads)
        start = time.perf_counter()
        embeddings[name] = encoder.embed(texts)
        encode_s[name] = round(time.perf_counter() - start, 1)
    results: dict[str, Any] = {}
    han = np.array([has_han(text) for text in texts])
    for variant, (parts, skip_han) in VARIANTS.items():
        # what SentenceEncoderFeaturizer's `skip_han: true` gives the classifier
        blocks = [
            np.where(han[:, None], 0.0, embeddings[p]) if p in skip_han else embeddings[p]
            for p in parts
        ]
        features = np.hstack(blocks).astype(np.float32)
        start = time.perf_counter()
        row = {}
        for language in ("zh", "en"):
            index, predicted = cross_validate(
                features, texts, labels, languages, test_language=language, folds=folds
            )
            row[language] = score(intents, labels, index, predicted)
        index, predicted = transfer(features, texts, labels, languages, source="en", target="zh")
        row["en_to_zh"] = score(intents, labels, index, predicted)
        row["cv_s"] = round(time.perf_counter() - start, 1)
        results[variant] = row
    return {
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "examples": {"zh": int((languages == "zh").sum()), "en": int((languages == "en").sum())},
        "intents": len(intents),
        "folds": folds,
        "encode_s": encode_s,
        "variants": results,
    }


def markdown(report: dict[str, Any]) -> str:
    lines = [
        "# The reference assistant's intents per language (cross-validation)",
        "",
        f"{report['examples']['zh']} Chinese and {report['examples']['en']} English examples, "
        f"{report['intents']} intents, {report['folds']} folds; {report['date']}, "
        f"{report['machine']}. `python -m benchmarks.nlu_languages`.",
        "",
        "| features | zh accuracy | zh macro-F1 | en accuracy | en macro-F1 | en → zh accuracy |",
        "|---|---|---|---|---|---|",
    ]
    for variant, row in report["variants"].items():
        lines.append(
            f"| {variant} | {row['zh']['accuracy']:.1%} | {row['zh']['macro_f1']:.1%} "
            f"| {row['en']['accuracy']:.1%} | {row['en']['macro_f1']:.1%} "
            f"| {row['en_to_zh']['accuracy']:.1%} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "nlu")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2, help="ONNX Runtime threads")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    report = run(args.data, folds=args.folds, threads=args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "nlu_languages.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / "nlu_languages.md").write_text(markdown(report))
    sys.stdout.write(markdown(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
