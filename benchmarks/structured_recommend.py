"""Recommendation part of the structured benchmark, on MovieLens 100k.

Protocol: every rating is an implicit interaction; per user, the latest one is
the test item and the one before it the validation item; the model ranks *all*
items the user has not interacted with in training (full ranking, no sampled
negatives); HR@10 and NDCG@10 over the 943 users. Hyper-parameters of every
model (neighbourhood size, ALS factors and regularisation, the hybrid's CF
weight) are chosen on the validation item, then refitted and scored once on
the test item. The hybrid is :class:`generators.recommend.HybridRecommender`
itself, with movie titles and genres as the product text.

MovieLens is research-use only: it is read from its folder, never copied.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from generators.embeddings import Embedder
from generators.recommend import HybridRecommender, Interaction, Product, RecommendationRequest


class CachedEmbedder(Embedder):
    """Embeds each text once across the many refits of a grid search."""

    def __init__(self, inner: Embedder) -> None:
        self.inner, self.dim, self._cache = inner, inner.dim, {}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            self._cache.update(zip(missing, self.inner.embed(missing), strict=True))
        return np.stack([self._cache[t] for t in texts]) if texts else np.zeros((0, self.dim))


def load_movielens(folder: Path) -> tuple[list[Product], np.ndarray]:
    genres = [line.split("|")[0] for line in (folder / "u.genre").read_text().splitlines() if line]
    products = []
    for line in (folder / "u.item").read_text(encoding="latin-1").splitlines():
        fields = line.split("|")
        tags = [g for g, flag in zip(genres, fields[5:], strict=False) if flag == "1"]
        products.append(
            Product(
                id=fields[0],
                name=fields[1],
                category=tags[0] if tags else "unknown",
                price=0,
                description=f"A {', '.join(tags)} film.",
            )
        )
    ratings = np.loadtxt(folder / "u.data", dtype=np.int64)
    return products, ratings


def split(ratings: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(train rows, validation rows, test rows): the latest two per user held out."""
    order = np.lexsort((ratings[:, 3], ratings[:, 0]))
    r = ratings[order]
    last = np.r_[r[1:, 0] != r[:-1, 0], True]
    second = np.r_[last[1:], False] & ~last
    return r[~last & ~second], r[second], r[last]


def matrix(rows: np.ndarray, n_users: int, n_items: int) -> sp.csr_matrix:
    return sp.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows[:, 0] - 1, rows[:, 1] - 1)),
        shape=(n_users, n_items),
    )


def evaluate(
    scores: np.ndarray, seen: sp.csr_matrix, held_out: np.ndarray, k: int = 10
) -> dict[str, float]:
    scores = np.array(scores, dtype=np.float64)
    scores[seen.nonzero()] = -np.inf
    users, items = held_out[:, 0] - 1, held_out[:, 1] - 1
    target = scores[users, items]
    rank = (scores[users] > target[:, None]).sum(axis=1)
    hit = rank < k
    return {"hr_at_10": float(hit.mean()), "ndcg_at_10": float((hit / np.log2(rank + 2)).mean())}


def item_knn_scores(train: sp.csr_matrix, k: int) -> np.ndarray:
    norm = train.multiply(1 / np.sqrt(np.maximum(np.asarray(train.sum(axis=0)), 1))).tocsc()
    sim = (norm.T @ norm).toarray()
    np.fill_diagonal(sim, 0)
    drop = np.argsort(-sim, axis=0)[k:]
    np.put_along_axis(sim, drop, 0, axis=0)
    return np.asarray(train @ sim)


def hybrid_scores(rec: HybridRecommender, n_users: int) -> np.ndarray:
    out = np.zeros((n_users, len(rec.products)))
    for user in range(n_users):
        request = RecommendationRequest(customer_id=str(user + 1))
        out[user] = rec.score(request, rec.history(request))[0]
    return out


def fit_hybrid(products, rows, embedder, **options) -> HybridRecommender:
    log = [Interaction(customer_id=str(u), product_id=str(i)) for u, i in rows[:, :2]]
    return HybridRecommender(products, log, embedder=embedder, **options)


def run(folder: Path, embedder: Embedder) -> dict[str, Any]:
    products, ratings = load_movielens(folder)
    n_users, n_items = int(ratings[:, 0].max()), len(products)
    train, valid, test = split(ratings)
    full = np.concatenate([train, valid])
    embedder = CachedEmbedder(embedder)
    m_train, m_full = matrix(train, n_users, n_items), matrix(full, n_users, n_items)

    results: dict[str, Any] = {"protocol": "leave-last-out, full ranking, 943 users", "chosen": {}}
    pop = lambda m: np.tile(np.asarray(m.sum(axis=0)).ravel(), (n_users, 1))  # noqa: E731
    results["most_popular"] = evaluate(pop(m_full), m_full, test)

    knn_k = max(
        (25, 50, 100, 200),
        key=lambda k: evaluate(item_knn_scores(m_train, k), m_train, valid)["ndcg_at_10"],
    )
    results["chosen"]["item_knn_k"] = knn_k
    results["item_knn"] = evaluate(item_knn_scores(m_full, knn_k), m_full, test)

    grid = [(f, r) for f in (32, 64) for r in (0.05, 0.1)]
    als_valid = {}
    for factors, reg in grid:
        rec = fit_hybrid(
            products,
            train,
            embedder,
            factors=factors,
            regularization=reg,
            cf_weight=1.0,
            new_item_weight=0.0,
        )
        als_valid[(factors, reg)] = rec
    best = max(
        grid,
        key=lambda g: evaluate(hybrid_scores(als_valid[g], n_users), m_train, valid)["ndcg_at_10"],
    )
    blends = [(w, n) for w in (0.9, 0.8, 0.6) for n in (0.0, 0.5)]
    hybrid = als_valid[best]
    valid_ndcg = {}
    for w, n in blends:
        hybrid.cf_weight, hybrid.new_item_weight = w, n
        valid_ndcg[(w, n)] = evaluate(hybrid_scores(hybrid, n_users), m_train, valid)["ndcg_at_10"]
    weight, new_weight = max(valid_ndcg, key=valid_ndcg.__getitem__)
    results["chosen"].update(
        {
            "als_factors": best[0],
            "als_regularization": best[1],
            "hybrid_cf_weight": weight,
            "hybrid_new_item_weight": new_weight,
        }
    )
    rec = fit_hybrid(
        products,
        full,
        embedder,
        factors=best[0],
        regularization=best[1],
        cf_weight=1.0,
        new_item_weight=0.0,
    )
    results["als"] = evaluate(hybrid_scores(rec, n_users), m_full, test)
    rec.cf_weight, rec.new_item_weight = weight, new_weight
    results["hybrid"] = evaluate(hybrid_scores(rec, n_users), m_full, test)
    return results
