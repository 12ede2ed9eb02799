"""Clusters of unhandled messages against intents the NLU was never taught.

Run from the repository root in the actions venv (it trains the NLU in the
engine venv, ``--engine-python``)::

    PYTHONPATH=. .venv/actions/bin/python -m benchmarks.analytics_clusters \
        --banking77 ../shared/data/banking77

1. Hide ``--hidden`` (15) of Banking77's 77 intents, drawn with ``--seed``.
2. Train the reference NLU (the intent part of ``config.yml``: the frozen MiniLM
   featurizer, the logistic-regression head with its automatic fallback
   threshold, the language check) on the training split of the other intents,
   through :mod:`benchmarks.nlu_worker`.
3. Parse every test message; those the NLU sends to ``nlu_fallback`` are the
   unhandled messages an assistant would have logged.
4. Cluster them with :mod:`bot.analytics.clusters` (MiniLM embeddings, average
   linkage cut at a cosine distance, small groups left unclustered), and with
   k-means (k = the number of hidden intents) on the same embeddings and messages.
5. Score both against the hidden intents: adjusted Rand index over the unhandled
   messages of hidden intents (an unclustered message is a cluster of its own),
   purity over every clustered message, and the share of hidden intents that are
   the majority label of at least one cluster.

The NLU's parses are cached in ``--cache`` keyed by the data, the hidden
intents, the config and ``bot/nlu``'s code. Merges its keys into
``analytics.json`` and writes ``analytics_clusters.md`` and
``analytics_clusters.png`` in ``--out``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import logging
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from bot.analytics.clusters import DEFAULT_DISTANCE, DEFAULT_MIN_SIZE, UNCLUSTERED, cluster_vectors

logger = logging.getLogger("benchmarks.analytics_clusters")

ROOT = Path(__file__).resolve().parents[1]
# The intent-classification part of config.yml (entity extractors and the
# frustration score do not decide whether a message is understood).
REFERENCE_COMPONENTS = (
    "bot.nlu.tokenizer.MultilingualTokenizer",
    "bot.nlu.featurizer.SentenceEncoderFeaturizer",
    "bot.nlu.classifier.SentenceEmbeddingIntentClassifier",
    "bot.nlu.language.LanguageDetector",
)

Examples = list[tuple[str, str]]


def read_csv(path: Path) -> Examples:
    with path.open(newline="") as f:
        return [(row["text"], row["category"]) for row in csv.DictReader(f)]


def subset(examples: Examples, intents: set[str], per_intent: int | None, seed: int) -> Examples:
    """The examples of ``intents``, at most ``per_intent`` of each (a seeded draw)."""
    rng = random.Random(seed)
    by_intent: dict[str, list[str]] = {}
    for text, intent in examples:
        if intent in intents:
            by_intent.setdefault(intent, []).append(text)
    out = []
    for intent in sorted(by_intent):
        texts = by_intent[intent]
        if per_intent is not None and len(texts) > per_intent:
            texts = rng.sample(texts, per_intent)
        out += [(t, intent) for t in texts]
    return out


def reference_config(encoder: Path) -> str:
    config = yaml.safe_load((ROOT / "config.yml").read_text())
    # The first of each (the English encoder, MiniLM; Banking77 is English, and the
    # Chinese encoder beside it would read the same text again).
    pipeline: list[dict[str, Any]] = []
    for c in config["pipeline"]:
        if c["name"] in REFERENCE_COMPONENTS and c["name"] not in {p["name"] for p in pipeline}:
            pipeline.append(c)
    for component in pipeline:
        if "encoder_path" in component:
            component["encoder_path"] = str(encoder.resolve())
    return yaml.safe_dump(
        {"recipe": "default.v1", "language": "en", "pipeline": pipeline, "policies": []},
        sort_keys=False,
    )


def _digest(*parts: Any) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(json.dumps(part, sort_keys=True).encode())
    return digest.hexdigest()[:16]


def run_nlu(
    config: str, train: Examples, texts: list[str], *, engine_python: Path, cache: Path | None
) -> dict[str, Any]:
    """Train the NLU in the engine venv and parse ``texts``: intents and fallbacks."""
    code = [f.read_text() for f in sorted((ROOT / "bot" / "nlu").glob("*.py"))]
    key = _digest(config, train, texts, _digest(code))
    cached = cache / f"analytics-clusters-{key}.json" if cache else None
    if cached and cached.exists():
        logger.info("NLU parses from cache %s", cached.name)
        result: dict[str, Any] = json.loads(cached.read_text())
        return result
    with tempfile.TemporaryDirectory(prefix="tandem-clusters-bench-") as tmp:
        run = Path(tmp)
        (run / "config.yml").write_text(config)
        intents = sorted({i for _, i in train})
        (run / "domain.yml").write_text(
            'version: "3.1"\nintents:\n' + "".join(f"  - {json.dumps(i)}\n" for i in intents)
        )
        nlu = {"rasa_nlu_data": {"common_examples": [{"text": t, "intent": i} for t, i in train]}}
        (run / "nlu.json").write_text(json.dumps(nlu))
        (run / "texts.json").write_text(json.dumps(texts))
        env = {
            **os.environ,
            "RASA_TELEMETRY_ENABLED": "false",
            "RASA_CACHE_DIRECTORY": str(run / "cache"),
            "PYTHONPATH": str(ROOT),
            "TF_CPP_MIN_LOG_LEVEL": "3",
        }
        command = [
            str(engine_python), "-m", "benchmarks.nlu_worker", "--config", str(run / "config.yml"),
            "--nlu", str(run / "nlu.json"), "--domain", str(run / "domain.yml"),
            "--texts", str(run / "texts.json"), "--model-dir", str(run / "models"),
            "--out", str(run / "result.json"),
        ]  # fmt: skip
        logger.info("NLU: training on %d examples, parsing %d", len(train), len(texts))
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"the NLU worker failed:\n{done.stderr[-3000:]}")
        raw = json.loads((run / "result.json").read_text())
    result = {k: raw[k] for k in ("intents", "fallbacks", "train_s")}
    if cached:
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_text(json.dumps(result))
    return result


@dataclass(frozen=True)
class Scores:
    ari: float  # over the hidden intents' unhandled messages; unclustered = singletons
    purity: float  # over every clustered message
    recovered: float  # share of hidden intents that are some cluster's majority label
    recovered_intents: list[str]
    clusters: int
    clustered_share: float  # of the hidden intents' unhandled messages


def score(labels: np.ndarray, truth: Sequence[str], hidden: set[str]) -> Scores:
    """How well cluster ``labels`` (``UNCLUSTERED`` = none) recover the ``hidden`` intents."""
    from sklearn.metrics import adjusted_rand_score

    truth_arr = np.array(truth, dtype=object)
    is_hidden = np.array([t in hidden for t in truth])
    singles = labels.copy()
    next_label = int(labels.max(initial=-1)) + 1
    for i in np.where(labels == UNCLUSTERED)[0]:
        singles[i] = next_label
        next_label += 1
    ari = (
        float(adjusted_rand_score(truth_arr[is_hidden], singles[is_hidden]))
        if is_hidden.any()
        else 0.0
    )
    majority: dict[int, str] = {}
    pure = 0
    for label in sorted(set(labels.tolist()) - {UNCLUSTERED}):
        top, count = Counter(truth_arr[labels == label].tolist()).most_common(1)[0]
        majority[label] = top
        pure += count
    clustered = int((labels != UNCLUSTERED).sum())
    recovered = sorted(set(majority.values()) & hidden)
    return Scores(
        ari=ari,
        purity=pure / clustered if clustered else 0.0,
        recovered=len(recovered) / len(hidden) if hidden else 0.0,
        recovered_intents=recovered,
        clusters=len(majority),
        clustered_share=float((labels[is_hidden] != UNCLUSTERED).mean())
        if is_hidden.any()
        else 0.0,
    )


def evaluate(
    texts: Sequence[str],
    truth: Sequence[str],
    hidden: set[str],
    vectors: np.ndarray,
    *,
    min_size: int = DEFAULT_MIN_SIZE,
    distance: float = DEFAULT_DISTANCE,
    k: int | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Both clusterings of the same unhandled messages, scored against the hidden intents."""
    from sklearn.cluster import KMeans

    ours = cluster_vectors(vectors, min_size=min_size, distance=distance)
    k = min(k or len(hidden), len(texts))
    kmeans = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(vectors)
    return {
        "ours": score(ours, truth, hidden),
        "kmeans": score(np.asarray(kmeans, dtype=int), truth, hidden),
        "labels": ours,
        "kmeans_labels": kmeans,
    }


def _per_intent(truth: Sequence[str], labels: np.ndarray, hidden: set[str]) -> dict[str, Any]:
    """Per hidden intent: unhandled messages, and the share in its largest own cluster."""
    out = {}
    for intent in sorted(hidden):
        rows = [i for i, t in enumerate(truth) if t == intent]
        best = 0
        for label in set(labels[rows].tolist()) - {UNCLUSTERED}:
            members = [truth[i] for i in np.where(labels == label)[0]]
            if Counter(members).most_common(1)[0][0] == intent:
                best = max(best, members.count(intent))
        out[intent] = {"unhandled": len(rows), "in_own_cluster": best}
    return out


def markdown(results: dict[str, Any], meta: dict[str, Any]) -> str:
    d = results["analytics_clusters"]
    pct = lambda v: f"{v * 100:.1f} %"  # noqa: E731
    rows = [
        ("Adjusted Rand index (hidden intents' unhandled messages)", "ari", "{:.3f}"),
        ("Purity (clustered unhandled messages)", "purity", "pct"),
        ("Hidden intents with their own cluster", "recovered", "pct"),
        ("Clusters", "clusters", "{}"),
        ("Hidden intents' unhandled messages in a cluster", "clustered_share", "pct"),
    ]
    lines = [
        "# Unhandled-message clusters against hidden intents (Banking77)",
        "",
        f"Produced by `{meta['command']}` on {meta['machine']}.",
        "",
        f"| metric | Tandem (agglomerative, cosine ≤ {d['distance']}, min {d['min_size']}) "
        f"| k-means (k = {d['k']}) |",
        "|---|---|---|",
    ]
    for label, key, fmt in rows:
        cells = [
            pct(d[m][key]) if fmt == "pct" else fmt.format(d[m][key]) for m in ("ours", "kmeans")
        ]
        lines.append(f"| {label} | {cells[0]} | {cells[1]} |")
    lines += [
        "",
        f"- Hidden intents (seed {d['seed']}): {', '.join(d['hidden_intents'])}.",
        f"- NLU: the intent part of config.yml trained on {d['train_examples']} examples of "
        f"{d['known_intents']} intents in {d['nlu_train_s']:.0f} s; of {d['test_messages']} test "
        f"messages it sent {d['unhandled']} to nlu_fallback: {pct(d['hidden_fallback_rate'])} of "
        f"the hidden intents' ({d['hidden_unhandled']}) and {pct(d['known_fallback_rate'])} of "
        "the others'.",
        "- Both methods cluster the same unhandled messages (hidden and known intents) with "
        "the same MiniLM embeddings. ARI is over the hidden intents' unhandled messages, an "
        "unclustered one counting as a cluster of its own; purity over all clustered messages "
        "(k-means clusters them all); an intent is recovered when it is the majority label of a "
        "cluster.",
        "- Hidden intents with fewer unhandled messages than the minimum cluster size cannot "
        "get a cluster: "
        + (
            ", ".join(
                f"{name} ({v['unhandled']})"
                for name, v in d["per_intent"].items()
                if v["unhandled"] < d["min_size"]
            )
            or "none"
        )
        + ".",
        f"- The distance cut ({d['distance']}) was chosen on Banking77's training split, not "
        "on the test messages scored here; k-means is told the number of hidden intents, which "
        "a business does not know.",
    ]
    return "\n".join(lines) + "\n"


def plot(path: Path, details: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(13, 5))
    ax = axes[0]
    keys = ("ari", "purity", "recovered")
    x = np.arange(len(keys))
    for offset, method, label in ((-0.2, "ours", "Tandem"), (0.2, "kmeans", "k-means")):
        ax.bar(x + offset, [details[method][k] for k in keys], width=0.4, label=label)
    ax.set_xticks(x, ["adjusted Rand", "purity", "hidden intents recovered"])
    ax.set(ylim=(0, 1), title="Clusters of unhandled messages vs hidden intents")
    ax.legend()
    ax = axes[1]
    per = details["per_intent"]
    names = list(per)
    ax.barh(names, [per[n]["unhandled"] for n in names], label="unhandled messages")
    ax.barh(names, [per[n]["in_own_cluster"] for n in names], label="in its own cluster")
    ax.set(title="Per hidden intent (Tandem)", xlabel="test messages")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def merge_results(path: Path, keys: dict[str, Any]) -> None:
    """Update ``keys`` in the shared results file, keeping every other key."""
    current = json.loads(path.read_text()) if path.exists() else {}
    current.update(keys)
    path.write_text(json.dumps(current, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--banking77", type=Path, required=True, help="train.csv/test.csv folder")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--cache", type=Path, default=ROOT / "benchmarks/results/nlu_cache")
    parser.add_argument("--encoder", type=Path, default=ROOT / "models/encoders/all-minilm-l6-v2")
    parser.add_argument("--embedder", type=Path, help="sentence-transformers folder (MiniLM)")
    parser.add_argument("--engine-python", type=Path, default=ROOT / ".venv/engine/bin/python")
    parser.add_argument("--hidden", type=int, default=15, help="intents removed from training")
    parser.add_argument("--intents", type=int, default=None, help="use only N intents (tests)")
    parser.add_argument("--train-per-intent", type=int, default=None)
    parser.add_argument("--test-per-intent", type=int, default=None)
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--min-size", type=int, default=DEFAULT_MIN_SIZE)
    parser.add_argument("--distance", type=float, default=DEFAULT_DISTANCE)
    parser.add_argument("--no-plot", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    train_all = read_csv(args.banking77 / "train.csv")
    test_all = read_csv(args.banking77 / "test.csv")
    rng = random.Random(args.seed)
    intents = sorted({i for _, i in train_all})
    if args.intents:
        intents = sorted(rng.sample(intents, args.intents))
    hidden = set(rng.sample(intents, args.hidden))
    known = set(intents) - hidden
    train = subset(train_all, known, args.train_per_intent, args.seed)
    test = subset(test_all, set(intents), args.test_per_intent, args.seed)

    nlu = run_nlu(
        reference_config(args.encoder),
        train,
        [t for t, _ in test],
        engine_python=args.engine_python,
        cache=args.cache,
    )
    pool = [(t, i) for (t, i), fell in zip(test, nlu["fallbacks"], strict=True) if fell]
    texts, truth = [t for t, _ in pool], [i for _, i in pool]
    from generators.embeddings import SentenceTransformerEmbedder

    start = time.perf_counter()
    vectors = SentenceTransformerEmbedder(model_path=args.embedder).embed(texts)
    result = evaluate(
        texts, truth, hidden, vectors, min_size=args.min_size, distance=args.distance,
        seed=args.seed,
    )  # fmt: skip
    cluster_s = time.perf_counter() - start
    ours, kmeans = result["ours"], result["kmeans"]
    hidden_test = sum(i in hidden for _, i in test)
    hidden_pool = sum(i in hidden for i in truth)
    details = {
        "seed": args.seed,
        "hidden_intents": sorted(hidden),
        "known_intents": len(known),
        "train_examples": len(train),
        "test_messages": len(test),
        "unhandled": len(pool),
        "hidden_unhandled": hidden_pool,
        "hidden_fallback_rate": hidden_pool / hidden_test if hidden_test else 0.0,
        "known_fallback_rate": (len(pool) - hidden_pool) / max(1, len(test) - hidden_test),
        "nlu_train_s": nlu["train_s"],
        "embed_and_cluster_s": cluster_s,
        "min_size": args.min_size,
        "distance": args.distance,
        "k": len(hidden),
        "ours": ours.__dict__,
        "kmeans": kmeans.__dict__,
        "per_intent": _per_intent(truth, result["labels"], hidden),
    }
    keys = {
        "cluster_ari": ours.ari,
        "cluster_purity": ours.purity,
        "hidden_intents_recovered": ours.recovered,
        "kmeans_ari": kmeans.ari,
        "kmeans_purity": kmeans.purity,
        "kmeans_hidden_intents_recovered": kmeans.recovered,
        "analytics_clusters": details,
    }
    meta = {
        "command": "python -m benchmarks.analytics_clusters "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": f"{os.cpu_count()} CPU cores",
    }
    args.out.mkdir(parents=True, exist_ok=True)
    merge_results(args.out / "analytics.json", keys)
    (args.out / "analytics_clusters.md").write_text(markdown(keys, meta))
    if not args.no_plot:
        plot(args.out / "analytics_clusters.png", details)
    logger.info(
        "ARI %.3f (k-means %.3f), purity %.3f, hidden intents recovered %.0f %%",
        ours.ari, kmeans.ari, ours.purity, ours.recovered * 100,
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
