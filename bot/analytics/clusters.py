"""Unanswered questions, grouped into topics to teach the assistant next.

The messages the bot did not handle (``turns.handled`` false: NLU fallbacks,
knowledge questions it abstained on, handoffs for ``nlu_fallback``) are
embedded with the project's sentence encoder and clustered by average-linkage
agglomerative clustering on cosine distance, cut at a distance threshold: the
number of topics comes from the data, not from a guess. Groups smaller than
``min_size`` stay unclustered. Each cluster is named by the messages closest
to its centroid, ranked by volume (distinct conversations, then messages), and
can be exported as a proposed Rasa NLU intent or a knowledge-base stub.

    python -m bot analytics clusters [--since 30d] [--min-size N]
    python -m bot analytics clusters --export-nlu ID --out data/nlu/new_intent.yml
    python -m bot analytics clusters --export-kb ID --out data/knowledge/new-topic.md

The pure steps (:func:`cluster_vectors`, :func:`build_clusters`,
:func:`nlu_yaml`, :func:`knowledge_stub`) need no database and no model;
:func:`discover` runs them on :func:`unhandled_messages` with an
:class:`~generators.embeddings.Embedder`. Cluster ids are ranks, so they are
stable for the same data and options (export with the options you listed with).
"""

from __future__ import annotations

import argparse
import logging
import math
import re
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.analytics.models import Turn
from bot.analytics.settings import AnalyticsSettings
from bot.errors import TandemError
from bot.privacy import redact

if TYPE_CHECKING:
    from generators.embeddings import Embedder

__all__ = [
    "Cluster",
    "Message",
    "build_clusters",
    "cluster_vectors",
    "discover",
    "intent_name",
    "knowledge_stub",
    "main",
    "nlu_yaml",
    "unhandled_messages",
]

logger = logging.getLogger(__name__)

# Chosen on Banking77's *training* split (15 intents held out, 20 messages each,
# among 200 messages of the other intents): the cut with the best adjusted Rand
# index that still gave every held-out intent its own cluster
# (benchmarks/analytics_clusters.py measures it on the test split).
DEFAULT_DISTANCE = 0.45
DEFAULT_MIN_SIZE = 3
# Average linkage holds an n x n distance matrix: 10,000 messages take 400 MB.
DEFAULT_MAX_MESSAGES = 10_000
UNCLUSTERED = -1

_STOPWORDS = frozenset(
    """a about above after again all am an and any are as at be because been before being
    below between both but by can could did do does doing don down during each few for from
    further get got had has have having he her here hers him his how i if in into is it its
    just let me more most my myself no nor not now of off on once only or other our ours out
    over own please same she should so some such than that the their them then there these
    they this those through to too under until up very want was we were what when where which
    while who whom why will with would you your yours yourself hi hello hey thanks thank ok
    okay im ive id dont doesnt cant wont isnt whats hasnt havent didnt need know tell one also
    still yet really much many way""".split()  # noqa: SIM905
)
_WORD = re.compile(r"[a-z][a-z']+")
# Rasa reads "[text](entity)" in an example as an entity annotation.
_ANNOTATION = re.compile(r"\[([^\]]*)\]\(([^)]*)\)")


class ClusterError(TandemError):
    """A cluster that does not exist, or nothing to cluster; the message says what to do."""


@dataclass(frozen=True)
class Message:
    """One unhandled customer message, as stored (already redacted)."""

    text: str
    conversation: str
    ts: float
    reason: str | None = None


@dataclass
class Cluster:
    """A group of similar unhandled messages; ``id`` is its rank by volume (1 = largest)."""

    id: int
    messages: list[Message]
    representatives: list[str]  # closest to the centroid first
    keywords: list[str]
    cohesion: float  # mean cosine of the members to their centroid
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.messages)

    @property
    def conversations(self) -> int:
        return len({m.conversation for m in self.messages})

    @property
    def name(self) -> str:
        """The most representative message: what the customers in it asked."""
        return self.representatives[0] if self.representatives else ""

    @property
    def first_ts(self) -> float:
        return min(m.ts for m in self.messages)

    @property
    def last_ts(self) -> float:
        return max(m.ts for m in self.messages)


def unhandled_messages(
    session: Session,
    *,
    since: float | None = None,
    until: float | None = None,
    limit: int = DEFAULT_MAX_MESSAGES,
) -> list[Message]:
    """The newest ``limit`` unhandled customer messages (not those sent while an agent had it)."""
    query = select(Turn.text, Turn.conversation, Turn.ts, Turn.unhandled_reason).where(
        Turn.handled.is_(False), Turn.by_agent.is_(False), Turn.text != ""
    )
    if since is not None:
        query = query.where(Turn.ts >= since)
    if until is not None:
        query = query.where(Turn.ts < until)
    rows = session.execute(query.order_by(Turn.ts.desc(), Turn.id.desc()).limit(limit)).all()
    return [
        Message(text=text, conversation=conversation, ts=ts, reason=reason)
        for text, conversation, ts, reason in reversed(rows)
        if text and text.strip()
    ]


def cluster_vectors(
    vectors: np.ndarray,
    *,
    min_size: int = DEFAULT_MIN_SIZE,
    distance: float = DEFAULT_DISTANCE,
) -> np.ndarray:
    """A cluster label per row of unit vectors, :data:`UNCLUSTERED` for groups under ``min_size``.

    Average linkage cut at cosine distance ``distance``: two groups merge while
    their members are, on average, at least ``1 - distance`` similar.
    """
    from sklearn.cluster import AgglomerativeClustering

    n = len(vectors)
    if n < max(2, min_size):
        return np.full(n, UNCLUSTERED, dtype=int)
    raw = AgglomerativeClustering(
        n_clusters=None, distance_threshold=distance, metric="cosine", linkage="average"
    ).fit_predict(vectors)
    counts = Counter(int(label) for label in raw)
    big = sorted((label for label, count in counts.items() if count >= min_size))
    renumber = {label: k for k, label in enumerate(big)}
    return np.array([renumber.get(int(label), UNCLUSTERED) for label in raw], dtype=int)


def _words(text: str) -> list[str]:
    return [w.strip("'") for w in _WORD.findall(text.lower()) if w.strip("'") not in _STOPWORDS]


def _keywords(members: Sequence[str], document_frequency: Counter[str], groups: int) -> list[str]:
    """Words frequent in this cluster and rare in the others (a class-based TF-IDF)."""
    counts = Counter(w for text in members for w in set(_words(text)) if len(w) > 2)
    scored = {
        w: c * math.log(1 + groups / document_frequency[w]) for w, c in counts.items() if c >= 2
    }
    return [w for w, _ in sorted(scored.items(), key=lambda kv: (-kv[1], kv[0]))[:5]]


def build_clusters(
    messages: Sequence[Message],
    vectors: np.ndarray,
    labels: np.ndarray,
    *,
    representatives: int = 5,
) -> list[Cluster]:
    """Clusters from labels, named by their most central messages, ranked by volume."""
    groups: dict[int, list[int]] = {}
    for row, label in enumerate(labels):
        if label != UNCLUSTERED:
            groups.setdefault(int(label), []).append(row)
    texts_of = {label: [messages[i].text for i in rows] for label, rows in groups.items()}
    document_frequency: Counter[str] = Counter(
        w for texts in texts_of.values() for w in {w for t in texts for w in _words(t)}
    )
    clusters = []
    for label, rows in groups.items():
        members = vectors[rows]
        centroid = members.mean(axis=0)
        centroid /= np.linalg.norm(centroid) or 1.0
        similarity = members @ centroid
        central: list[str] = []
        seen: set[str] = set()
        for i in np.argsort(-similarity, kind="stable"):
            text = messages[rows[int(i)]].text
            if text.lower() not in seen:
                seen.add(text.lower())
                central.append(text)
            if len(central) == representatives:
                break
        clusters.append(
            Cluster(
                id=0,
                messages=[messages[i] for i in rows],
                representatives=central,
                keywords=_keywords(texts_of[label], document_frequency, len(groups)),
                cohesion=float(similarity.mean()),
                reasons=dict(Counter(messages[i].reason or "unknown" for i in rows)),
            )
        )
    clusters.sort(key=lambda c: (-c.conversations, -c.size, -c.last_ts, c.name))
    for rank, cluster in enumerate(clusters, start=1):
        cluster.id = rank
    return clusters


def discover(
    messages: Sequence[Message],
    embedder: Embedder,
    *,
    min_size: int = DEFAULT_MIN_SIZE,
    distance: float = DEFAULT_DISTANCE,
) -> list[Cluster]:
    """Embed, cluster, name and rank ``messages``."""
    if not messages:
        return []
    vectors = embedder.embed([m.text for m in messages])
    labels = cluster_vectors(vectors, min_size=min_size, distance=distance)
    return build_clusters(messages, vectors, labels)


def intent_name(cluster: Cluster, *, prefix: str = "new_") -> str:
    """A proposed intent name from the cluster's keywords, e.g. ``new_card_arrive``."""
    words = [re.sub(r"[^a-z0-9]", "", w) for w in cluster.keywords[:3]]
    words = [w for w in words if w]
    return prefix + ("_".join(words) if words else f"topic_{cluster.id}")


def _example(text: str) -> str:
    """One line of an NLU example: redacted, on one line, no entity annotation syntax."""
    text = _ANNOTATION.sub(r"\1 \2", redact(text))
    return " ".join(text.split())


def _unique_examples(cluster: Cluster, limit: int) -> list[str]:
    """Central messages first, then the rest, each once (case-insensitively)."""
    ordered = list(cluster.representatives) + [m.text for m in cluster.messages]
    out: list[str] = []
    seen: set[str] = set()
    for text in ordered:
        line = _example(text)
        if line and line.lower() not in seen:
            seen.add(line.lower())
            out.append(line)
        if len(out) == limit:
            break
    return out


def nlu_yaml(cluster: Cluster, *, intent: str | None = None, limit: int = 50) -> str:
    """The cluster as a proposed intent in Rasa's NLU YAML (``rasa data validate`` reads it).

    Review before training: the examples are customers' words, redacted again
    here (:func:`bot.privacy.redact`) even though the store holds them redacted.
    """
    import yaml

    name = intent or intent_name(cluster)
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise ClusterError(f"Intent name {name!r}: use letters, digits and underscores only.")
    examples = "".join(f"- {line}\n" for line in _unique_examples(cluster, limit))

    class _Literal(str):
        pass

    class _Dumper(yaml.SafeDumper):
        pass

    _Dumper.add_representer(
        _Literal, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", v, style="|")
    )
    header = (
        f"# Proposed by `python -m bot analytics clusters` from {cluster.size} unhandled "
        f"messages in {cluster.conversations} conversations.\n"
        f"# Review the examples, rename the intent, add it to domain.yml and a rule or story.\n"
    )
    body = yaml.dump(
        {"version": "3.1", "nlu": [{"intent": name, "examples": _Literal(examples)}]},
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=10_000,
    )
    return header + body


def knowledge_stub(cluster: Cluster, *, limit: int = 10) -> str:
    """A document for ``data/knowledge/`` with the questions asked and empty sections.

    Retrieval reads only ``##`` sections with text (:func:`generators.retrieval.chunk_markdown`),
    so the stub answers nothing until someone writes the answers under its headings.
    """
    title = " ".join(cluster.keywords[:3]).capitalize() or f"Topic {cluster.id}"
    questions = "".join(f"- {line}\n" for line in _unique_examples(cluster, limit))
    return (
        f"# {title}\n\n"
        f"Proposed by `python -m bot analytics clusters` from {cluster.size} unanswered "
        f"questions in {cluster.conversations} conversations. Customers asked, for example:\n\n"
        f"{questions}\n"
        "Write the answer under each heading below, rename the headings to what customers "
        "ask, and delete this paragraph; a heading with no text under it is not retrieved.\n\n"
        "## At a glance\n\n"
        f"## {_example(cluster.name).rstrip('?.!') or title}\n"
    )


# --- command line -----------------------------------------------------------------

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhdw])$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_since(value: str, *, now: float | None = None) -> float:
    """``30d``, ``12h``, ``2w`` before now, as epoch seconds."""
    match = _DURATION.match(value.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"{value!r}: write a duration such as 30d, 12h or 2w")
    return (time.time() if now is None else now) - float(match[1]) * _UNIT_S[match[2]]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tandem analytics clusters", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--since", default="30d", help="how far back (default 30d)")
    parser.add_argument("--min-size", type=int, default=DEFAULT_MIN_SIZE, help="smallest cluster")
    parser.add_argument(
        "--distance", type=float, default=DEFAULT_DISTANCE, help="cosine distance cut (0.45)"
    )
    parser.add_argument("--limit", type=int, default=DEFAULT_MAX_MESSAGES, help="newest N messages")
    parser.add_argument("--top", type=int, default=20, help="clusters to list")
    parser.add_argument("--db-url", help="analytics store (default TANDEM_ANALYTICS_DB_URL)")
    parser.add_argument(
        "--embedder", type=Path, help="sentence-transformers folder (default TANDEM_EMBEDDER_PATH)"
    )
    export = parser.add_mutually_exclusive_group()
    export.add_argument("--export-nlu", type=int, metavar="ID", help="write cluster ID as NLU YAML")
    export.add_argument("--export-kb", type=int, metavar="ID", help="write a knowledge stub")
    parser.add_argument("--intent", help="intent name for --export-nlu (default from keywords)")
    parser.add_argument("--out", type=Path, help="file for the export (default: stdout)")
    return parser


def _listing(clusters: Sequence[Cluster], total: int, top: int) -> str:
    clustered = sum(c.size for c in clusters)
    lines = [
        f"{total} unhandled messages, {clustered} in {len(clusters)} clusters "
        f"({total - clustered} unclustered)",
        f"{'id':>4} {'conv':>5} {'msgs':>5}  {'keywords':<32} most representative",
    ]
    for c in clusters[:top]:
        lines.append(
            f"{c.id:>4} {c.conversations:>5} {c.size:>5}  {', '.join(c.keywords[:3]):<32} "
            f"{_example(c.name)[:90]}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None, *, embedder: Embedder | None = None) -> int:
    """``python -m bot analytics clusters``; 0 on success, 2 on a usage error."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        since = parse_since(args.since)
    except argparse.ArgumentTypeError as e:
        parser.error(str(e))
    from sqlalchemy import create_engine
    from sqlalchemy.exc import SQLAlchemyError

    url = args.db_url or AnalyticsSettings.from_env(create_key=False).db_url
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            messages = unhandled_messages(session, since=since, limit=args.limit)
    except SQLAlchemyError as e:
        sys.stderr.write(
            f"Cannot read the analytics store at {engine.url!r} ({type(e).__name__}); set "
            "TANDEM_ANALYTICS_DB_URL or --db-url to the store the analytics consumer fills.\n"
        )
        return 2
    finally:
        engine.dispose()
    if embedder is None and messages:
        from bot.settings import read_environment
        from generators.embeddings import SentenceTransformerEmbedder
        from generators.settings import embedder_path_from

        path = args.embedder or embedder_path_from(read_environment())
        embedder = SentenceTransformerEmbedder(model_path=path)
    clusters = (
        discover(messages, embedder, min_size=args.min_size, distance=args.distance)
        if (embedder is not None)
        else []
    )
    export_id = args.export_nlu if args.export_nlu is not None else args.export_kb
    if export_id is None:
        sys.stdout.write(_listing(clusters, len(messages), args.top) + "\n")
        return 0
    by_id = {c.id: c for c in clusters}
    if export_id not in by_id:
        sys.stderr.write(
            f"No cluster {export_id}: there are {len(clusters)} with --since {args.since} "
            f"--min-size {args.min_size}; list them with the same options first.\n"
        )
        return 2
    cluster = by_id[export_id]
    try:
        text = (
            nlu_yaml(cluster, intent=args.intent)
            if args.export_nlu is not None
            else knowledge_stub(cluster)
        )
    except ClusterError as e:
        sys.stderr.write(f"{e}\n")
        return 2
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        sys.stderr.write(f"wrote cluster {export_id} ({cluster.size} messages) to {args.out}\n")
    else:
        sys.stdout.write(text)
    return 0
