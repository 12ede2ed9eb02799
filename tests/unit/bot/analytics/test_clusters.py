"""Clusters of unhandled messages: clustering, naming, ranking, both exports and the CLI."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
import yaml
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from bot.analytics import clusters
from bot.analytics.clusters import (
    UNCLUSTERED,
    Message,
    build_clusters,
    cluster_vectors,
    discover,
    intent_name,
    knowledge_stub,
    nlu_yaml,
    unhandled_messages,
)
from bot.analytics.models import Base, Turn
from generators.embeddings import HashingEmbedder
from generators.retrieval import chunk_markdown
from tests.conftest import PROJECT_ROOT

ENGINE_PYTHON = PROJECT_ROOT / ".venv" / "engine" / "bin" / "python"


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _blobs(sizes: list[int], *, dim: int = 32, spread: float = 0.05, seed: int = 0) -> np.ndarray:
    """Tight groups around orthogonal directions, in order."""
    rng = np.random.default_rng(seed)
    rows = [np.eye(dim)[k] + rng.normal(0, spread, (n, dim)) for k, n in enumerate(sizes)]
    return _unit(np.vstack(rows))


def _messages(texts: list[str], conversations: list[str] | None = None) -> list[Message]:
    conversations = conversations or [f"c{i}" for i in range(len(texts))]
    return [
        Message(text=t, conversation=c, ts=1000.0 + i, reason="nlu_fallback")
        for i, (t, c) in enumerate(zip(texts, conversations, strict=True))
    ]


# --- clustering --------------------------------------------------------------------


def test_separated_groups_become_one_cluster_each_and_stragglers_stay_out() -> None:
    vectors = _blobs([6, 5, 4, 1, 1])  # two single outliers on their own axes
    labels = cluster_vectors(vectors, min_size=3)
    groups = [set(labels[0:6]), set(labels[6:11]), set(labels[11:15])]
    assert all(len(g) == 1 and UNCLUSTERED not in g for g in groups)
    assert len({g.pop() for g in groups}) == 3
    assert labels[15] == UNCLUSTERED and labels[16] == UNCLUSTERED


def test_groups_under_the_minimum_size_are_left_unclustered() -> None:
    vectors = _blobs([5, 2])
    labels = cluster_vectors(vectors, min_size=3)
    assert set(labels[:5]) == {0}
    assert set(labels[5:]) == {UNCLUSTERED}
    assert set(cluster_vectors(_blobs([2]), min_size=3)) == {UNCLUSTERED}
    assert cluster_vectors(np.zeros((0, 8)), min_size=3).shape == (0,)


def test_the_number_of_clusters_follows_the_data() -> None:
    for groups in (2, 5, 8):
        labels = cluster_vectors(_blobs([4] * groups), min_size=3)
        assert len(set(labels) - {UNCLUSTERED}) == groups


# --- naming and ranking -------------------------------------------------------------


def test_a_cluster_is_named_by_the_message_closest_to_its_centroid() -> None:
    center = np.eye(8)[0]
    off = [center + 0.3 * np.eye(8)[k] for k in (1, 2, 3)]
    vectors = _unit(np.vstack([center + 0.01 * np.eye(8)[4], *off]))
    texts = ["the central one", "off one", "off two", "off three"]
    (cluster,) = build_clusters(_messages(texts), vectors, np.zeros(4, dtype=int))
    assert cluster.name == "the central one"
    assert cluster.representatives[0] == "the central one"
    assert set(cluster.representatives) == set(texts)
    assert 0.9 < cluster.cohesion <= 1.0


def test_representatives_skip_repeated_messages() -> None:
    vectors = _blobs([4])
    texts = ["Where is my refund", "where is my refund", "refund status?", "refund not here"]
    (cluster,) = build_clusters(_messages(texts), vectors, np.zeros(4, dtype=int))
    assert [t.lower() for t in cluster.representatives].count("where is my refund") == 1
    assert len(cluster.representatives) == 3


def test_clusters_are_ranked_by_distinct_conversations_then_messages() -> None:
    vectors = _blobs([5, 3, 3])
    texts = [f"a{i}" for i in range(5)] + [f"b{i}" for i in range(3)] + [f"c{i}" for i in range(3)]
    # a: 5 messages from one customer; b: 3 from 3 customers; c: 3 from 2 customers
    conversations = ["x"] * 5 + ["p", "q", "r"] + ["s", "s", "t"]
    labels = np.array([0] * 5 + [1] * 3 + [2] * 3)
    ranked = build_clusters(_messages(texts, conversations), vectors, labels)
    assert [c.name[0] for c in ranked] == ["b", "c", "a"]
    assert [c.id for c in ranked] == [1, 2, 3]
    assert [(c.conversations, c.size) for c in ranked] == [(3, 3), (2, 3), (1, 5)]
    assert ranked[0].reasons == {"nlu_fallback": 3}


def test_keywords_name_the_proposed_intent() -> None:
    texts = [
        "gift wrapping available",
        "offer gift wrapping",
        "gift wrapping cost",
        "parcel arrive when",
        "parcel arrive date",
        "parcel shipped arrive",
    ]
    embedder = HashingEmbedder()
    found = discover(_messages(texts), embedder, min_size=3, distance=0.8)
    assert len(found) == 2
    by_first = {c.messages[0].text: c for c in found}
    gift = by_first["gift wrapping available"]
    assert gift.keywords[:2] == ["gift", "wrapping"]
    assert intent_name(gift) == "new_gift_wrapping"
    assert {m.text for m in gift.messages} == set(texts[:3])


# --- reading the store --------------------------------------------------------------


def _store(rows: list[dict]) -> Session:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    session = Session(engine)
    for seq, row in enumerate(rows):
        session.add(Turn(conversation=row.get("conversation", "k1"), seq=seq, **{
            k: v for k, v in row.items() if k != "conversation"
        }))  # fmt: skip
    session.commit()
    return session


def test_only_unhandled_customer_messages_in_the_window_are_read() -> None:
    session = _store([
        {"ts": 100.0, "text": "old question", "handled": False, "unhandled_reason": "abstained"},
        {"ts": 200.0, "text": "understood", "handled": True},
        {"ts": 300.0, "text": "not understood", "handled": False,
         "unhandled_reason": "nlu_fallback"},
        {"ts": 310.0, "text": "to the agent", "handled": False, "by_agent": True},
        {"ts": 320.0, "text": "", "handled": False},
        {"ts": 330.0, "text": "handed off", "handled": False, "unhandled_reason": "handoff",
         "conversation": "k2"},
    ])  # fmt: skip
    found = unhandled_messages(session, since=150.0)
    assert [(m.text, m.reason, m.conversation) for m in found] == [
        ("not understood", "nlu_fallback", "k1"),
        ("handed off", "handoff", "k2"),
    ]
    assert [m.text for m in unhandled_messages(session, limit=1)] == ["handed off"]
    assert len(unhandled_messages(session)) == 3


# --- exports ------------------------------------------------------------------------


def _cluster_with(texts: list[str], keywords: list[str] | None = None) -> clusters.Cluster:
    vectors = _blobs([len(texts)])
    (cluster,) = build_clusters(_messages(texts), vectors, np.zeros(len(texts), dtype=int))
    if keywords is not None:
        cluster.keywords = keywords
    return cluster


PERSONAL = [
    "my card 4111 1111 1111 1111 was charged twice",
    "charged twice, mail me at jane.doe@example.com",
    "double charge on [my card](product) please call 07700 900123",
    "why was I charged twice",
    "why was I charged twice",
]


def test_the_nlu_export_is_rasa_nlu_yaml_with_redacted_unique_examples() -> None:
    cluster = _cluster_with(PERSONAL, keywords=["charged", "twice"])
    text = nlu_yaml(cluster)
    data = yaml.safe_load(text)
    assert data["version"] == "3.1"
    (entry,) = data["nlu"]
    assert entry["intent"] == "new_charged_twice"
    examples = [line[2:] for line in entry["examples"].splitlines()]
    assert all(line.startswith("- ") for line in entry["examples"].splitlines())
    assert len(examples) == 4  # the repeated message once
    joined = "\n".join(examples)
    assert "4111" not in joined and "jane.doe" not in joined and "07700" not in joined
    assert "[card]" in joined and "[email]" in joined and "[phone]" in joined
    assert "](" not in joined  # no accidental entity annotation
    # the same layout as the project's own training data
    intents = yaml.safe_load((PROJECT_ROOT / "data/nlu/intents.yml").read_text())
    assert set(entry) == set(intents["nlu"][0]) and intents["version"] == data["version"]


def test_the_nlu_export_takes_a_given_intent_name_and_refuses_a_bad_one() -> None:
    cluster = _cluster_with(PERSONAL[:3])
    assert yaml.safe_load(nlu_yaml(cluster, intent="double_charge"))["nlu"][0]["intent"] == (
        "double_charge"
    )
    with pytest.raises(clusters.ClusterError, match="letters, digits"):
        nlu_yaml(cluster, intent="double charge: yes")


@pytest.mark.skipif(not ENGINE_PYTHON.exists(), reason="the engine venv (rasa) is not built")
def test_rasa_reads_the_nlu_export(tmp_path: Path) -> None:
    path = tmp_path / "proposed.yml"
    path.write_text(nlu_yaml(_cluster_with(PERSONAL, keywords=["charged", "twice"])))
    script = (
        "import sys\n"
        "from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader\n"
        "reader = RasaYAMLReader()\n"
        "text = open(sys.argv[1]).read()\n"
        "assert reader.is_yaml_nlu_file(sys.argv[1])\n"
        "data = reader.reads(text)  # validates against Rasa's NLU schema first\n"
        "print(sorted(data.intents), len(data.intent_examples), len(data.entity_examples))\n"
    )
    done = subprocess.run(
        [str(ENGINE_PYTHON), "-c", script, str(path)],
        capture_output=True, text=True, timeout=180,
        env={"RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split("\n")[-2] == "['new_charged_twice'] 4 0"


def test_the_knowledge_stub_lists_the_questions_and_answers_nothing_until_written() -> None:
    cluster = _cluster_with(PERSONAL, keywords=["charged", "twice", "card"])
    stub = knowledge_stub(cluster)
    assert stub.startswith("# Charged twice card\n")
    assert "why was I charged twice" in stub
    assert "4111" not in stub and "jane.doe" not in stub and "[card]" in stub
    assert chunk_markdown("charged-twice", stub) == []  # empty sections are not retrieved
    written = stub.replace("## At a glance\n", "## At a glance\nWe refund double charges.\n")
    (chunk,) = chunk_markdown("charged-twice", written)
    assert (chunk.title, chunk.section) == ("Charged twice card", "At a glance")


# --- command line -------------------------------------------------------------------

WRAP = ["gift wrapping please", "do you do gift wrapping", "gift wrapping for a present"]
PARCEL = ["where is my parcel now", "my parcel is late", "parcel not arrived yet", "parcel late"]


def _db(tmp_path: Path, now: float) -> str:
    url = f"sqlite:///{tmp_path / 'analytics.db'}"
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        for seq, text in enumerate(WRAP + PARCEL):
            session.add(Turn(conversation=f"k{seq}", seq=seq, ts=now - 3600, text=text,
                             handled=False, unhandled_reason="nlu_fallback"))  # fmt: skip
        session.add(Turn(conversation="old", seq=0, ts=now - 90 * 86400, text="gift wrapping",
                         handled=False))  # fmt: skip
        session.commit()
    engine.dispose()
    return url


def test_the_command_lists_ranked_clusters_and_exports_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import time

    url = _db(tmp_path, time.time())
    args = ["--db-url", url, "--since", "7d", "--distance", "0.8"]
    assert clusters.main(args, embedder=HashingEmbedder()) == 0
    out = capsys.readouterr().out
    assert out.startswith("7 unhandled messages, 7 in 2 clusters (0 unclustered)")
    first, second = out.splitlines()[2:4]
    assert first.split()[:3] == ["1", "4", "4"] and "parcel" in first
    assert second.split()[:3] == ["2", "3", "3"] and "gift" in second

    target = tmp_path / "new_intent.yml"
    assert clusters.main([*args, "--export-nlu", "2", "--out", str(target)],
                         embedder=HashingEmbedder()) == 0  # fmt: skip
    entry = yaml.safe_load(target.read_text())["nlu"][0]
    assert entry["intent"].startswith("new_gift")
    assert {line[2:] for line in entry["examples"].splitlines()} == set(WRAP)

    assert clusters.main([*args, "--export-kb", "1"], embedder=HashingEmbedder()) == 0
    assert capsys.readouterr().out.startswith("# Parcel")

    assert clusters.main([*args, "--export-kb", "9"], embedder=HashingEmbedder()) == 2
    assert "No cluster 9" in capsys.readouterr().err


def test_the_command_says_where_it_looked_when_there_is_no_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'missing.db'}"
    assert clusters.main(["--db-url", url], embedder=HashingEmbedder()) == 2
    assert "missing.db" in capsys.readouterr().err


def test_the_command_refuses_a_bad_duration(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        clusters.main(["--db-url", "sqlite://", "--since", "lately"], embedder=HashingEmbedder())
    assert exit_info.value.code == 2


@pytest.mark.slow
def test_tandem_analytics_clusters_runs_with_the_real_encoder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import time

    from bot.cli import main as tandem

    url = _db(tmp_path, time.time())
    assert tandem(["analytics", "clusters", "--db-url", url, "--min-size", "3"]) == 0
    out = capsys.readouterr().out
    assert "7 in 2 clusters" in out, out
