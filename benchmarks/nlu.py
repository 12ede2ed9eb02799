"""NLU benchmark: Rasa's default pipeline against Tandem's, in one run.

Run from the repository root in the engine venv::

    make encoder-mpnet   # once: all-mpnet-base-v2 for the tandem_mpnet/_cascade columns
    PYTHONPATH=. RASA_TELEMETRY_ENABLED=false .venv/engine/bin/python -m benchmarks.nlu \
        --banking77 ../shared/data/banking77 --clinc150 ../shared/data/clinc150/data_full.json \
        --mpnet models/encoders/all-mpnet-base-v2

Any Banking77-style folder (``train.csv``/``test.csv`` with ``text,category``)
and any CLINC-style JSON (``train``/``val``/``test`` and ``oos_*`` lists of
``[text, intent]``) work. For each pipeline it measures intent accuracy and
macro-F1 on the test CSV (full training set, and ``--shots`` examples per intent,
mean of ``--draws`` draws), CLINC in-scope accuracy and out-of-scope recall on
its test split with the fallback threshold chosen on its validation split only
(rules: the most recall that keeps ``--inscope-target`` in-scope accuracy,
:func:`bot.nlu.calibration.threshold_for_inscope_accuracy`, for the lower end of
the accuracy's ``--inscope-confidence`` interval and for the point estimate on
val; the lowest threshold
reaching ``--oos-recall-target``; the component's balanced
:func:`bot.nlu.calibration.choose_threshold`), training time, parse latency
through a running ``rasa run --enable-api`` server and peak memory.

Pipelines: Rasa's default; Tandem (``tandem``): MiniLM fine-tuned to the training
intents (``fine_tune: true``; needs ``--actions-python``, the actions venv) with a
frozen all-mpnet-base-v2 asked only when the MiniLM head is unsure
(``bot.nlu.cascade``; ``--mpnet``, which ``make encoder-mpnet`` exports); the
fine-tuned MiniLM alone; Tandem with the frozen encoder (the reference
``config.yml``); DIET on the frozen encoder's features; the fine-tuned MiniLM
beside the frozen mpnet on every message.

Rasa's default pipeline trains DIET from scratch for 100 epochs (about 1 h 45 min
on Banking77 with two cores), so each task's results are cached in
``benchmarks/results/nlu_cache/`` keyed by a hash of the data, the config, the
task, the Rasa version and (for Tandem) the code of ``bot/nlu`` (the modules in
``OPTIONAL_MODULES`` only for pipelines that name them); ``--recompute``
ignores the cache, ``--pipelines`` picks what may run and ``--baseline-tasks``
which baseline tasks may. Tasks that neither ran nor were cached are reported
as ``null`` ("not computed").

Writes ``nlu.json``, ``nlu.md`` and ``nlu.png`` into ``--out``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import hashlib
import json
import logging
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bot.nlu.calibration import choose_threshold, oos_metrics, threshold_for_inscope_accuracy

logger = logging.getLogger("benchmarks.nlu")

ROOT = Path(__file__).resolve().parents[1]
OOS = "out_of_scope"
PIPELINES = (
    "rasa_default", "tandem", "tandem_minilm", "tandem_frozen", "tandem_diet", "tandem_mpnet",
)  # fmt: skip
LABELS = {
    "rasa_default": "Rasa default (`rasa init`)",
    "tandem": "Tandem (fine-tuned MiniLM, mpnet when unsure)",
    "tandem_minilm": "Tandem, fine-tuned MiniLM only",
    "tandem_frozen": "Tandem, frozen encoder",
    "tandem_diet": "Tandem frozen encoder + DIET",
    "tandem_mpnet": "Tandem fine-tuned + frozen mpnet",
}
TASKS = ("banking77_full", "banking77_10shot", "clinc150", "latency")

# What `rasa init` writes (pipeline left to the default recipe, which picks
# exactly this list for English), spelled out so the benchmark pins it.
RASA_DEFAULT_CONFIG = """recipe: default.v1
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
    epochs: 100
    constrain_similarities: true
  - name: EntitySynonymMapper
  - name: ResponseSelector
    epochs: 100
    constrain_similarities: true
  - name: FallbackClassifier
    threshold: 0.3
    ambiguity_threshold: 0.1
policies: []
"""

# A second, larger encoder beside the fine-tuned one: two dense featurizers, whose
# sentence vectors the classifier concatenates; the n-gram mix off (it did not help
# this pair on held-out training examples, docs/nlu.md). The big encoder is frozen
# and referenced, not copied into every model (embed_encoder: false).
TANDEM_MPNET_CONFIG = """recipe: default.v1
language: en
pipeline:
  - name: WhitespaceTokenizer
  - name: bot.nlu.featurizer.SentenceEncoderFeaturizer
    encoder_path: {encoder}
    num_threads: {threads}
    fine_tune: true
    fine_tune_python: {actions_python}
  - name: bot.nlu.featurizer.SentenceEncoderFeaturizer
    encoder_path: {mpnet}
    num_threads: {threads}
    embed_encoder: false
  - name: bot.nlu.classifier.SentenceEmbeddingIntentClassifier
    lexical_weight: 0
policies: []
"""

# Tandem's pipeline (the results contract's `tandem`): the encoder adapted to the
# training intents (bot/encoders/finetune.py, run by the featurizer in the actions venv),
# the logistic-regression head with its calibrated fallback, and the frozen mpnet
# asked only for the messages that head is unsure of (bot/nlu/cascade.py): the
# pair's accuracy at close to MiniLM's speed.
TANDEM_CONFIG = """recipe: default.v1
language: en
pipeline:
  - name: WhitespaceTokenizer
  - name: bot.nlu.featurizer.SentenceEncoderFeaturizer
    encoder_path: {encoder}
    num_threads: {threads}
    fine_tune: true
    fine_tune_python: {actions_python}
  - name: bot.nlu.cascade.CascadeIntentClassifier
    second_encoder_path: {mpnet}
    num_threads: {threads}
policies: []
"""

# The same without the second encoder: the fine-tuned MiniLM and its head alone.
TANDEM_MINILM_CONFIG = """recipe: default.v1
language: en
pipeline:
  - name: WhitespaceTokenizer
  - name: bot.nlu.featurizer.SentenceEncoderFeaturizer
    encoder_path: {encoder}
    num_threads: {threads}
    fine_tune: true
    fine_tune_python: {actions_python}
  - name: bot.nlu.classifier.SentenceEmbeddingIntentClassifier
policies: []
"""

# The same head on the encoder as exported, without adaptation (what the
# reference assistant's config.yml runs; see docs/nlu.md for why).
TANDEM_FROZEN_CONFIG = """recipe: default.v1
language: en
pipeline:
  - name: WhitespaceTokenizer
  - name: bot.nlu.featurizer.SentenceEncoderFeaturizer
    encoder_path: {encoder}
    num_threads: {threads}
  - name: bot.nlu.classifier.SentenceEmbeddingIntentClassifier
policies: []
"""

# The other classifier the issue names: Rasa's DIET on the same pretrained
# features (sentence and token vectors from the encoder), no sparse features.
TANDEM_DIET_CONFIG = """recipe: default.v1
language: en
pipeline:
  - name: WhitespaceTokenizer
  - name: bot.nlu.featurizer.SentenceEncoderFeaturizer
    encoder_path: {encoder}
    num_threads: {threads}
  - name: DIETClassifier
    epochs: 100
    constrain_similarities: true
    entity_recognition: false
    random_seed: 42
policies: []
"""

Examples = list[tuple[str, str]]


def read_csv(path: Path) -> Examples:
    with path.open(newline="") as f:
        return [(row["text"], row["category"]) for row in csv.DictReader(f)]


def read_clinc(path: Path) -> dict[str, Examples]:
    raw = json.loads(path.read_text())
    return {key: [(t, i) for t, i in raw[key]] for key in raw}


def sample_shots(examples: Examples, shots: int, seed: int) -> Examples:
    rng = random.Random(seed)
    by_intent: dict[str, list[str]] = {}
    for text, intent in examples:
        by_intent.setdefault(intent, []).append(text)
    return [
        (text, intent)
        for intent in sorted(by_intent)
        for text in rng.sample(by_intent[intent], min(shots, len(by_intent[intent])))
    ]


def macro_f1(true: Sequence[str], pred: Sequence[str]) -> float:
    labels = sorted(set(true))
    scores = []
    for label in labels:
        tp = sum(t == label and p == label for t, p in zip(true, pred, strict=True))
        fp = sum(t != label and p == label for t, p in zip(true, pred, strict=True))
        fn = sum(t == label and p != label for t, p in zip(true, pred, strict=True))
        denom = 2 * tp + fp + fn
        scores.append(2 * tp / denom if denom else 0.0)
    return float(np.mean(scores))


# Modules only some pipelines load (named in their config) join only those pipelines'
# code digests: adding or changing one does not invalidate the others' cached results.
OPTIONAL_MODULES = {
    "cascade.py": "bot.nlu.cascade.",
    "gloss.py": "bot.nlu.gloss.",
    "frustration.py": "bot.nlu.frustration.",  # scores messages; never changes an intent
    # the offline value parsers and the Chinese numbers they read: entities only
    "entities.py": "bot.nlu.entities.",
    "parsers.py": "bot.nlu.entities.",
    "zh_numbers.py": "bot.nlu.entities.",
}


def _code_digest(config: str) -> str:
    """Tandem's results depend on its code and encoder, not only on its config."""
    files = [
        f
        for f in sorted((ROOT / "bot" / "nlu").glob("*.py"))
        if f.name not in OPTIONAL_MODULES or OPTIONAL_MODULES[f.name] in config
    ]
    return _digest([f.read_text() for f in files])


def _digest(*parts: Any) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(json.dumps(part, sort_keys=True).encode())
    return digest.hexdigest()[:16]


class Runner:
    """Trains and evaluates one pipeline per call, each in a worker process."""

    def __init__(
        self, *, workdir: Path, encoder: Path, threads: int, nice: int, actions_python: Path,
        mpnet: Path | None = None,
    ) -> None:  # fmt: skip
        self.workdir = workdir
        where = {"encoder": encoder.resolve(), "threads": threads}
        self.configs = {
            "rasa_default": RASA_DEFAULT_CONFIG,
            "tandem_minilm": TANDEM_MINILM_CONFIG.format(**where, actions_python=actions_python),
            "tandem_frozen": TANDEM_FROZEN_CONFIG.format(**where),
            "tandem_diet": TANDEM_DIET_CONFIG.format(**where),
        }
        if mpnet is not None:
            needs_mpnet = (("tandem", TANDEM_CONFIG), ("tandem_mpnet", TANDEM_MPNET_CONFIG))
            for name, template in needs_mpnet:
                self.configs[name] = template.format(
                    **where, actions_python=actions_python, mpnet=mpnet.resolve()
                )
        self.nice = nice
        self.threads = threads

    def run(self, pipeline: str, name: str, train: Examples, texts: list[str]) -> dict[str, Any]:
        run_dir = Path(tempfile.mkdtemp(prefix=f"{pipeline}-{name}-", dir=self.workdir))
        (run_dir / "config.yml").write_text(self.configs[pipeline])
        intents = sorted({intent for _, intent in train})
        (run_dir / "domain.yml").write_text(
            'version: "3.1"\nintents:\n' + "".join(f"  - {json.dumps(i)}\n" for i in intents)
        )
        nlu = {"rasa_nlu_data": {"common_examples": [{"text": t, "intent": i} for t, i in train]}}
        (run_dir / "nlu.json").write_text(json.dumps(nlu))
        (run_dir / "texts.json").write_text(json.dumps(texts))
        env = {
            **os.environ,
            "RASA_TELEMETRY_ENABLED": "false",
            # A fresh cache per run: Rasa would otherwise reuse trained components.
            "RASA_CACHE_DIRECTORY": str(run_dir / "cache"),
            "PYTHONPATH": str(ROOT),
            "OMP_NUM_THREADS": str(self.threads),
            "TF_CPP_MIN_LOG_LEVEL": "3",
        }
        command = [
            "nice", "-n", str(self.nice), sys.executable, "-m", "benchmarks.nlu_worker",
            "--config", str(run_dir / "config.yml"), "--nlu", str(run_dir / "nlu.json"),
            "--domain", str(run_dir / "domain.yml"), "--texts", str(run_dir / "texts.json"),
            "--model-dir", str(run_dir / "models"), "--out", str(run_dir / "result.json"),
        ]  # fmt: skip
        logger.info(
            "%s/%s: training on %d examples, parsing %d", pipeline, name, len(train), len(texts)
        )
        with (run_dir / "worker.log").open("w") as log:
            subprocess.run(command, cwd=ROOT, env=env, stdout=log, stderr=log, check=True)
        result = json.loads((run_dir / "result.json").read_text())
        # The larger of the worker and its children (the encoder fine-tune).
        result["peak_rss_mb"] = max(result["peak_rss_mb"], result.get("child_peak_rss_mb") or 0)
        logger.info("%s/%s: trained in %.1f s", pipeline, name, result["train_s"])
        return result


def banking_full(runner: Runner, pipeline: str, train: Examples, test: Examples) -> dict:
    result = runner.run(pipeline, "banking77_full", train, [t for t, _ in test])
    true = [i for _, i in test]
    return {
        "banking77_full_acc": float(
            np.mean([p == t for p, t in zip(result["intents"], true, strict=True)])
        ),
        "banking77_full_macro_f1": macro_f1(true, result["intents"]),
        "banking77_full_train_s": result["train_s"],
        "banking77_full_peak_rss_mb": result["peak_rss_mb"],
        "_predictions": result["intents"],
    }


def banking_shots(
    runner: Runner, pipeline: str, train: Examples, test: Examples, *, shots: int, draws: int
) -> dict:
    accs, times, rss, models = [], [], [], []
    true = [i for _, i in test]
    for seed in range(draws):
        subset = sample_shots(train, shots, seed)
        result = runner.run(pipeline, f"banking77_{shots}shot_{seed}", subset, [t for t, _ in test])
        accs.append(float(np.mean([p == t for p, t in zip(result["intents"], true, strict=True)])))
        times.append(result["train_s"])
        rss.append(result["peak_rss_mb"])
        models.append(result["model"])
    return {
        "banking77_10shot_acc": float(np.mean(accs)),
        "banking77_10shot_draws": accs,
        "banking77_10shot_train_s": float(np.mean(times)),
        "banking77_10shot_peak_rss_mb": max(rss),
        "_model": models[0],
    }


def threshold_for_recall(oos_confidence: np.ndarray, target: float) -> float:
    """The lowest threshold that sends at least ``target`` of these messages to fallback.

    ``-inf`` marks messages already predicted out-of-scope (caught at any threshold).
    """
    ordered = np.sort(oos_confidence)
    k = int(np.ceil(target * len(ordered)))
    if k == 0:
        return 0.0
    return float(max(0.0, np.nextafter(ordered[k - 1], np.inf)))


def clinc(
    runner: Runner,
    pipeline: str,
    data: dict[str, Examples],
    *,
    recall_target: float,
    inscope_target: float,
    inscope_confidence: float | None,
) -> dict:
    train = data["train"] + [(t, OOS) for t, _ in data.get("oos_train", [])]
    val_in, val_oos = data["val"], data["oos_val"]
    test_in, test_oos = data["test"], data["oos_test"]
    texts = [t for t, _ in val_in + val_oos + test_in + test_oos]
    result = runner.run(pipeline, "clinc150", train, texts)
    pred = np.array(result["intents"], dtype=object)
    conf = np.array(result["confidences"])
    cuts = np.cumsum([len(val_in), len(val_oos), len(test_in)])
    (vi_p, vo_p, ti_p, to_p) = np.split(pred, cuts)
    (vi_c, vo_c, ti_c, to_c) = np.split(conf, cuts)
    vi_true = np.array([i for _, i in val_in], dtype=object)
    ti_true = np.array([i for _, i in test_in], dtype=object)
    # Four operating points, all read off the validation split only:
    # - the most out-of-scope recall that keeps the in-scope accuracy target on val
    #   (the "≥ 95 % in-scope with ≥ 80 % recall", read as a constraint and a
    #   goal), the target held by the lower end of the accuracy's confidence interval
    #   on val, so that a split's sampling noise does not eat the target;
    # - the same with the target held by val's point estimate;
    # - the lowest threshold that reaches the recall target on val;
    # - the balanced one the component uses when calibrating itself.
    vi_ok = vi_p == vi_true
    threshold = threshold_for_inscope_accuracy(
        vi_c, vi_ok, inscope_target, confidence_level=inscope_confidence
    )
    inscope, recall = oos_metrics(ti_p, ti_true, ti_c, to_p, to_c, threshold)
    at_point = threshold_for_inscope_accuracy(vi_c, vi_ok, inscope_target)
    p_inscope, p_recall = oos_metrics(ti_p, ti_true, ti_c, to_p, to_c, at_point)
    at_recall = threshold_for_recall(np.where(vo_p == OOS, -np.inf, vo_c), recall_target)
    r_inscope, r_recall = oos_metrics(ti_p, ti_true, ti_c, to_p, to_c, at_recall)
    balanced = choose_threshold(vi_c, vi_p == vi_true, np.where(vo_p == OOS, 0.0, vo_c))
    b_inscope, b_recall = oos_metrics(ti_p, ti_true, ti_c, to_p, to_c, balanced)
    grid = np.linspace(0.0, 1.0, 101)
    curve = [oos_metrics(vi_p, vi_true, vi_c, vo_p, vo_c, t) for t in grid]
    return {
        "clinc150_inscope_acc": inscope,
        "clinc150_oos_recall": recall,
        "clinc150_threshold": threshold,
        "clinc150_inscope_target": inscope_target,
        "clinc150_inscope_confidence": inscope_confidence,
        "clinc150_point_threshold": at_point,
        "clinc150_point_rule_inscope_acc": p_inscope,
        "clinc150_point_rule_oos_recall": p_recall,
        "clinc150_recall_target": recall_target,
        "clinc150_recall_threshold": at_recall,
        "clinc150_recall_rule_inscope_acc": r_inscope,
        "clinc150_recall_rule_oos_recall": r_recall,
        "clinc150_balanced_threshold": balanced,
        "clinc150_balanced_inscope_acc": b_inscope,
        "clinc150_balanced_oos_recall": b_recall,
        "clinc150_train_s": result["train_s"],
        "clinc150_peak_rss_mb": result["peak_rss_mb"],
        "_curve": {"threshold": grid.tolist(), "inscope": [c[0] for c in curve],
                   "recall": [c[1] for c in curve]},
    }  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve(model: str, *, threads: int) -> Iterator[tuple[str, int]]:
    """``rasa run --enable-api`` serving ``model`` on a free port: ``(url, pid)``."""
    port = _free_port()
    env = {
        **os.environ, "RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": str(ROOT),
        "OMP_NUM_THREADS": str(threads), "TF_CPP_MIN_LOG_LEVEL": "3",
    }  # fmt: skip
    run_dir = Path(model).parent
    log_path = run_dir / f"server-{Path(model).name}.log"
    log = log_path.open("w")
    # Run from the model's folder so the project's endpoints/credentials stay out of it.
    server = subprocess.Popen(
        [sys.executable, "-m", "rasa", "run", "--enable-api", "-m", model,
         "--port", str(port), "-i", "127.0.0.1"],
        cwd=run_dir, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                with urllib.request.urlopen(f"{url}/status", timeout=2) as r:
                    if json.loads(r.read()).get("model_file"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError(
                    f"rasa server for {model} did not come up:\n{log_path.read_text()[-2000:]}"
                )
            time.sleep(1)
        yield url, server.pid
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def parse_over_http(url: str, text: str) -> float:
    """Milliseconds for one ``/model/parse`` request, client-side."""
    body = json.dumps({"text": text}).encode()
    request = urllib.request.Request(
        f"{url}/model/parse", data=body, headers={"Content-Type": "application/json"}
    )
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as r:
        r.read()
    return (time.perf_counter() - start) * 1000


def latency(model: str, texts: list[str], *, threads: int, requests: int = 300) -> dict:
    """Parse latency through ``rasa run --enable-api``, client-side, sequential."""
    import psutil

    with serve(model, threads=threads) as (url, pid):
        timings = [parse_over_http(url, texts[i % len(texts)]) for i in range(requests + 10)]
        rss = psutil.Process(pid).memory_info().rss / 2**20
    timings = timings[10:]
    return {
        "parse_p50_ms": float(np.percentile(timings, 50)),
        "parse_p95_ms": float(np.percentile(timings, 95)),
        "serve_rss_mb": rss,
    }


def _summary(details: dict[str, Any]) -> dict[str, Any]:
    rss = [v for k, v in details.items() if k.endswith("peak_rss_mb") and v is not None]
    rss += [details["serve_rss_mb"]] if details.get("serve_rss_mb") else []
    return {
        "banking77_full_acc": details.get("banking77_full_acc"),
        "banking77_full_macro_f1": details.get("banking77_full_macro_f1"),
        "banking77_10shot_acc": details.get("banking77_10shot_acc"),
        "clinc150_inscope_acc": details.get("clinc150_inscope_acc"),
        "clinc150_oos_recall": details.get("clinc150_oos_recall"),
        "train_s": details.get("banking77_10shot_train_s"),
        "parse_p50_ms": details.get("parse_p50_ms"),
        "parse_p95_ms": details.get("parse_p95_ms"),
        "peak_rss_mb": max(rss) if rss else None,
    }


ROWS = [
    ("Banking77 accuracy, full train", "banking77_full_acc", "pct"),
    ("Banking77 macro-F1, full train", "banking77_full_macro_f1", "pct"),
    ("Banking77 accuracy, 10 per intent (mean of draws)", "banking77_10shot_acc", "pct"),
    ("CLINC150 in-scope accuracy (test)", "clinc150_inscope_acc", "pct"),
    ("CLINC150 out-of-scope recall (test)", "clinc150_oos_recall", "pct"),
    (
        "CLINC150 in-scope accuracy, 95 % in-scope on val (point estimate)",
        "clinc150_point_rule_inscope_acc",
        "pct",
    ),
    (
        "CLINC150 out-of-scope recall, 95 % in-scope on val (point estimate)",
        "clinc150_point_rule_oos_recall",
        "pct",
    ),
    ("CLINC150 in-scope accuracy, 80 % recall on val", "clinc150_recall_rule_inscope_acc", "pct"),
    ("CLINC150 out-of-scope recall, 80 % recall on val", "clinc150_recall_rule_oos_recall", "pct"),
    ("CLINC150 in-scope accuracy, balanced threshold", "clinc150_balanced_inscope_acc", "pct"),
    ("CLINC150 out-of-scope recall, balanced threshold", "clinc150_balanced_oos_recall", "pct"),
    ("Training time, Banking77 10 per intent", "train_s", "s"),
    ("Training time, Banking77 full", "banking77_full_train_s", "s"),
    ("Training time, CLINC150", "clinc150_train_s", "s"),
    ("Parse latency p50 (rasa run, HTTP)", "parse_p50_ms", "ms"),
    ("Parse latency p95 (rasa run, HTTP)", "parse_p95_ms", "ms"),
    ("Peak memory (RSS, train or serve)", "peak_rss_mb", "mb"),
]


def _fmt(value: Any, kind: str) -> str:
    if value is None:
        return "not computed"
    return {
        "pct": f"{value * 100:.1f} %",
        "s": f"{value:.0f} s" if value < 120 else f"{value / 60:.1f} min",
        "ms": f"{value:.1f} ms",
        "mb": f"{value:.0f} MB",
    }[kind]


def markdown(results: dict[str, Any], meta: dict[str, Any]) -> str:
    lines = [
        "# NLU benchmark: Rasa default pipeline vs Tandem",
        "",
        f"Produced by `{meta['command']}` on {meta['machine']}.",
        "",
        "| metric | " + " | ".join(LABELS[p] for p in PIPELINES) + " |",
        "|---|" + "---|" * len(PIPELINES),
    ]
    for label, key, kind in ROWS:
        cells = []
        for pipeline in PIPELINES:
            merged = {**results[pipeline]["details"], **results[pipeline]}
            cells.append(_fmt(merged.get(key), kind))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", "Notes:", ""]
    lines += [f"- {note}" for note in meta["notes"]]
    return "\n".join(lines) + "\n"


def plot(path: Path, results: dict[str, Any], confusion: dict[str, Any] | None) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(13, 5.5))
    ax = axes[0]
    for pipeline, style in zip(PIPELINES, ("--", "-", "-.", ":", "-", "--"), strict=True):
        curve = results[pipeline]["details"].get("_curve")
        if not curve:
            continue
        ax.plot(curve["threshold"], curve["inscope"], style, label=f"{pipeline}: in-scope acc")
        ax.plot(curve["threshold"], curve["recall"], style, label=f"{pipeline}: OOS recall")
        ax.axvline(results[pipeline]["details"]["clinc150_threshold"], linestyle=":", color="grey")
    ax.set(title="CLINC150 validation: fallback threshold", xlabel="threshold", ylabel="rate")
    ax.legend(loc="lower left", fontsize=8)
    ax = axes[1]
    if confusion:
        ax.imshow(confusion["matrix"], cmap="viridis")
        ax.set(
            title=f"Banking77 test confusion (Tandem, full train; {confusion['n']} intents)",
            xlabel="predicted intent",
            ylabel="true intent",
        )
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def _confusion(test: Examples, predictions: list[str]) -> dict[str, Any]:
    labels = sorted({i for _, i in test})
    index = {label: k for k, label in enumerate(labels)}
    matrix = np.zeros((len(labels), len(labels)))
    for (_, true), pred in zip(test, predictions, strict=True):
        if pred in index:
            matrix[index[true], index[pred]] += 1
    matrix /= np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    return {"matrix": matrix, "n": len(labels)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--banking77", type=Path, required=True, help="folder with train/test.csv")
    parser.add_argument("--clinc150", type=Path, required=True, help="CLINC-style JSON file")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--encoder", type=Path, default=ROOT / "models/encoders/all-minilm-l6-v2")
    parser.add_argument("--shots", type=int, default=10)
    parser.add_argument(
        "--oos-recall-target", type=float, default=0.8, help="CLINC val recall to reach"
    )
    parser.add_argument(
        "--inscope-target",
        type=float,
        default=0.95,
        help="CLINC val in-scope accuracy to keep while maximising out-of-scope recall",
    )
    parser.add_argument(
        "--inscope-confidence",
        type=float,
        default=0.95,
        help="hold --inscope-target for the lower end of this Wilson interval of the val "
        "accuracy (0: for the point estimate)",
    )
    parser.add_argument("--draws", type=int, default=3)
    parser.add_argument("--baseline-draws", type=int, default=None, help="default: --draws")
    parser.add_argument("--baseline-tasks", default=",".join(TASKS), help="comma-separated")
    parser.add_argument(
        "--diet-tasks", default="banking77_10shot", help="tasks for tandem_diet, comma-separated"
    )
    parser.add_argument(
        "--frozen-tasks",
        default="banking77_full,banking77_10shot,clinc150",
        help="tasks for tandem_frozen, comma-separated",
    )
    parser.add_argument(
        "--mpnet",
        type=lambda value: Path(value) if value else None,
        default=ROOT / "models/encoders/all-mpnet-base-v2",
        help="exported all-mpnet-base-v2 (make encoder-mpnet) for the tandem and tandem_mpnet "
        "pipelines; '' skips them",
    )
    parser.add_argument(
        "--mpnet-tasks",
        default=",".join(TASKS),
        help="tasks for tandem_mpnet, comma-separated",
    )
    parser.add_argument(
        "--actions-python",
        type=Path,
        default=ROOT / ".venv/actions/bin/python",
        help="python with torch, for the encoder fine-tune",
    )
    parser.add_argument("--recompute", action="store_true", help="ignore cached results")
    parser.add_argument("--pipelines", default=",".join(PIPELINES), help="which to run")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--nice", type=int, default=10)
    args = parser.parse_args(argv)
    if args.mpnet is not None and not (args.mpnet / "encoder.onnx").exists():
        parser.error(
            f"--mpnet {args.mpnet}: no exported encoder there; run `make encoder-mpnet`, or "
            "pass --mpnet '' to skip the pipelines that need it (tandem, tandem_mpnet)."
        )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    b_train = read_csv(args.banking77 / "train.csv")
    b_test = read_csv(args.banking77 / "test.csv")
    c_data = read_clinc(args.clinc150)
    cache_dir = args.out / "nlu_cache"
    cache_dir.mkdir(parents=True, exist_ok=True)
    baseline_tasks = set(filter(None, args.baseline_tasks.split(",")))
    diet_tasks = set(filter(None, args.diet_tasks.split(",")))
    frozen_tasks = set(filter(None, args.frozen_tasks.split(",")))
    mpnet_tasks = set(filter(None, args.mpnet_tasks.split(",")))
    selected = set(filter(None, args.pipelines.split(",")))
    import rasa

    results: dict[str, Any] = {}
    confusion = None
    with tempfile.TemporaryDirectory(prefix="tandem-nlu-bench-") as tmp:
        runner = Runner(
            workdir=Path(tmp), encoder=args.encoder, threads=args.threads, nice=args.nice,
            actions_python=args.actions_python, mpnet=args.mpnet,
        )  # fmt: skip
        for pipeline in PIPELINES:
            if pipeline not in runner.configs:  # tandem, tandem_mpnet without --mpnet
                results[pipeline] = {**_summary({}), "details": {}}
                continue
            baseline = pipeline == "rasa_default"
            draws = (args.baseline_draws or args.draws) if baseline else args.draws
            jobs = {
                "banking77_full": lambda p=pipeline: banking_full(runner, p, b_train, b_test),
                "banking77_10shot": lambda p=pipeline, d=draws: banking_shots(
                    runner, p, b_train, b_test, shots=args.shots, draws=d
                ),
                "clinc150": lambda p=pipeline: clinc(
                    runner,
                    p,
                    c_data,
                    recall_target=args.oos_recall_target,
                    inscope_target=args.inscope_target,
                    inscope_confidence=args.inscope_confidence or None,
                ),
            }
            details: dict[str, Any] = {}
            for task, job in jobs.items():
                parts: list[Any] = [runner.configs[pipeline], task, rasa.__version__]
                # shots and draws only change the few-shot task's result
                parts += [args.shots, draws] if task == "banking77_10shot" else []
                if pipeline != "rasa_default":
                    parts += [_code_digest(runner.configs[pipeline])]
                if task == "clinc150":
                    parts += [args.oos_recall_target, args.inscope_target]
                    parts += [args.inscope_confidence] if args.inscope_confidence else []
                data = (b_train, b_test) if task.startswith("banking") else (c_data,)
                key = _digest(*parts, _digest(*data))
                cached = cache_dir / f"{pipeline}-{task}-{key}.json"
                if cached.exists() and not args.recompute:
                    out = json.loads(cached.read_text())
                    logger.info("%s/%s: from cache %s", pipeline, task, cached.name)
                elif (
                    pipeline not in selected
                    or (pipeline == "rasa_default" and task not in baseline_tasks)
                    or (pipeline == "tandem_diet" and task not in diet_tasks)
                    or (pipeline == "tandem_frozen" and task not in frozen_tasks)
                    or (pipeline == "tandem_mpnet" and task not in mpnet_tasks)
                ):
                    continue
                else:
                    out = job()
                    model = out.pop("_model", None)
                    if model and (
                        pipeline in ("tandem", "tandem_minilm")
                        or (pipeline == "rasa_default" and "latency" in baseline_tasks)
                        or (pipeline == "tandem_diet" and "latency" in diet_tasks)
                        or (pipeline == "tandem_frozen" and "latency" in frozen_tasks)
                        or (pipeline == "tandem_mpnet" and "latency" in mpnet_tasks)
                    ):
                        out.update(latency(model, [t for t, _ in b_test], threads=args.threads))
                    cached.write_text(json.dumps(out))
                if pipeline == "tandem" and task == "banking77_full":
                    confusion = _confusion(b_test, out["_predictions"])
                out.pop("_predictions", None)
                details.update(out)
            results[pipeline] = {**_summary(details), "details": details}

    held = (
        f"the lower end of the {args.inscope_confidence:.0%} Wilson interval of val accuracy"
        if args.inscope_confidence
        else "the point estimate"
    )
    notes = [
        "Accuracies are fractions of the test split; `not computed` means the run was "
        "not done on this machine (see docs/nlu.md) — never an estimate.",
        f"10-per-intent: mean of {args.draws} seeded draws for Tandem, "
        f"{args.baseline_draws or args.draws} for the Rasa default.",
        "CLINC150: trained on `train` + `oos_train` (as `out_of_scope`); thresholds are "
        "chosen on `val` + `oos_val` only: the highest one that keeps "
        f"{args.inscope_target:.0%} in-scope accuracy on val (first rows: the most "
        f"out-of-scope recall at the in-scope target, held by {held}; next rows: held "
        "by the point estimate), the lowest one reaching "
        f"{args.oos_recall_target:.0%} out-of-scope recall on val, and the balanced one of "
        "bot.nlu.calibration.choose_threshold (the component's own rule).",
        "Training time is wall time of `rasa train nlu` in-process (encoder and, for Tandem, "
        "its fine-tune included); peak memory is the largest RSS of any training/serving "
        "process, the fine-tune's process included.",
    ]
    meta = {
        "command": "python -m benchmarks.nlu "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": f"{os.cpu_count()} CPU cores, {args.threads} threads per run",
        "notes": notes,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    serialisable = {
        p: {**{k: v for k, v in r.items() if k != "details"},
            "details": {k: v for k, v in r["details"].items() if not k.startswith("_")}}
        for p, r in results.items()
    }  # fmt: skip
    (args.out / "nlu.json").write_text(json.dumps(serialisable, indent=2) + "\n")
    (args.out / "nlu.md").write_text(markdown(results, meta))
    plot(args.out / "nlu.png", results, confusion)
    logger.info("wrote %s", args.out / "nlu.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
