"""The hidden-intent clustering benchmark: its scores, its results file, and a short real run."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import yaml

from benchmarks import analytics_clusters as bench
from bot.analytics.clusters import UNCLUSTERED
from tests.conftest import PROJECT_ROOT

ENGINE_PYTHON = PROJECT_ROOT / ".venv" / "engine" / "bin" / "python"
_CANDIDATES = [
    Path(os.environ.get("TANDEM_BANKING77", "/nonexistent")),
    PROJECT_ROOT.parent / "shared" / "data" / "banking77",
    PROJECT_ROOT.parents[1] / "shared" / "data" / "banking77",
]
BANKING77 = next((p for p in _CANDIDATES if (p / "test.csv").exists()), None)
needs_banking77 = pytest.mark.skipif(BANKING77 is None, reason="Banking77 is not in shared/data")


def test_a_perfect_clustering_scores_one_everywhere() -> None:
    truth = ["a", "a", "b", "b", "known", "known"]
    scores = bench.score(np.array([0, 0, 1, 1, 2, 2]), truth, {"a", "b"})
    assert (scores.ari, scores.purity, scores.recovered) == (1.0, 1.0, 1.0)
    assert scores.recovered_intents == ["a", "b"] and scores.clusters == 3


def test_unclustered_messages_count_as_singletons_and_outside_purity() -> None:
    truth = ["a", "a", "a", "b", "b", "b"]
    labels = np.array([0, 0, UNCLUSTERED, 1, 1, UNCLUSTERED])
    scores = bench.score(labels, truth, {"a", "b"})
    assert 0 < scores.ari < 1
    assert scores.purity == 1.0
    assert scores.clustered_share == pytest.approx(4 / 6)


def test_an_intent_only_in_the_minority_of_clusters_is_not_recovered() -> None:
    truth = ["a", "a", "b", "known", "known", "known"]
    labels = np.array([0, 0, 1, 1, 1, 1])  # b sits in a cluster of known-intent messages
    scores = bench.score(labels, truth, {"a", "b"})
    assert scores.recovered_intents == ["a"] and scores.recovered == 0.5
    assert scores.purity == pytest.approx(5 / 6)


def test_results_are_merged_into_the_shared_file(tmp_path: Path) -> None:
    path = tmp_path / "analytics.json"
    path.write_text(json.dumps({"events_lost": 0, "cluster_ari": 0.1}))
    bench.merge_results(path, {"cluster_ari": 0.5, "kmeans_ari": 0.4})
    assert json.loads(path.read_text()) == {"events_lost": 0, "cluster_ari": 0.5, "kmeans_ari": 0.4}


def test_the_reference_nlu_is_the_intent_part_of_config_yml(tmp_path: Path) -> None:
    config = yaml.safe_load(bench.reference_config(tmp_path / "encoder"))
    names = [c["name"] for c in config["pipeline"]]
    assert names == list(bench.REFERENCE_COMPONENTS)
    classifier = config["pipeline"][2]
    project = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text())
    assert classifier == next(c for c in project["pipeline"] if c["name"] == names[2])
    assert config["pipeline"][1]["encoder_path"] == str((tmp_path / "encoder").resolve())


@pytest.mark.slow
@needs_banking77
def test_clusters_recover_clearly_separated_intents_with_the_real_encoder() -> None:
    from generators.embeddings import SentenceTransformerEmbedder

    assert BANKING77 is not None
    hidden = {"exchange_rate", "age_limit", "lost_or_stolen_phone"}
    test = bench.subset(bench.read_csv(BANKING77 / "test.csv"), hidden, 12, seed=0)
    texts, truth = [t for t, _ in test], [i for _, i in test]
    vectors = SentenceTransformerEmbedder().embed(texts)
    result = bench.evaluate(texts, truth, hidden, vectors)
    ours = result["ours"]
    # Every intent gets a cluster and no cluster mixes two of them; the distance cut
    # may split an intent in two (a reviewer merges them), which costs ARI, not purity.
    assert ours.recovered == 1.0
    assert ours.purity == 1.0
    assert 3 <= ours.clusters <= 6
    assert ours.ari > 0.4
    assert result["kmeans"].clusters == 3


@pytest.mark.slow
@needs_banking77
@pytest.mark.skipif(not ENGINE_PYTHON.exists(), reason="the engine venv (rasa) is not built")
def test_the_short_benchmark_trains_the_nlu_and_clusters_what_it_does_not_handle(
    tmp_path: Path,
) -> None:
    args = [
        "--banking77", str(BANKING77), "--out", str(tmp_path), "--cache", str(tmp_path / "cache"),
        "--intents", "12", "--hidden", "3", "--train-per-intent", "25", "--test-per-intent", "20",
        "--no-plot",
    ]  # fmt: skip
    assert bench.main(args) == 0
    results = json.loads((tmp_path / "analytics.json").read_text())
    details = results["analytics_clusters"]
    assert len(details["hidden_intents"]) == 3 and details["known_intents"] == 9
    # The NLU sends what it was never taught to fallback far more than what it knows.
    assert details["hidden_fallback_rate"] > 0.5 > details["known_fallback_rate"] + 0.2
    assert results["hidden_intents_recovered"] >= 2 / 3
    assert results["cluster_purity"] > 0.6
    for key in ("cluster_ari", "kmeans_ari"):
        assert -1.0 <= results[key] <= 1.0
    assert "| Adjusted Rand index" in (tmp_path / "analytics_clusters.md").read_text()
    assert list((tmp_path / "cache").glob("analytics-clusters-*.json"))
