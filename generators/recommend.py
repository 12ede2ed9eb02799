"""Hybrid product recommendations: collaborative filtering + content similarity.

* Collaborative: implicit's ALS on the interaction log (views, carts, purchases
  weighted by intent). A customer unknown to the log but with items seen in the
  conversation is folded in with ALS's closed-form user update, no refit.
* Content: item-item cosine similarity of product texts embedded with an
  :class:`~generators.embeddings.Embedder` (all-MiniLM-L6-v2 in production, the
  hashing fake in unit tests). It serves new items (no interactions yet), new
  customers with a free-text wish, and the one-line reason per item
  ("because you looked at …": the seen item the recommendation is closest to).
* Neither history nor a wish: the most popular items.

Hard constraints (:mod:`generators.constraints`: budget, category, use) filter
before ranking and are never broken; when nothing is left, the closest items
come back marked ``fits=False`` with what they miss, and ``note`` says so.

Both signals are min-max scaled over the catalog and blended with
``cf_weight``; items with no interactions yet get their content score times
``new_item_weight``, so new products surface without crowding out proven ones.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from threadpoolctl import threadpool_limits

from generators.constraints import Constraints, headline, misses
from generators.constraints import reason as attribute_reason
from generators.embeddings import Embedder
from generators.errors import ModelLoadError, ValidationFailed

EVENT_WEIGHTS = {"view": 1.0, "cart": 3.0, "purchase": 5.0}
_REASONS = {
    "view": "Because you looked at {}",
    "cart": "Because you added {} to your basket",
    "purchase": "Because you bought {}",
}


class ProductText(BaseModel):
    """A product's name and description in another language (``translations``)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, description="None: the name as it is.")
    description: str = Field(min_length=1)


class Product(BaseModel):
    id: str
    name: str
    category: str
    price: float = Field(ge=0)
    description: str
    translations: dict[str, ProductText] = Field(
        default_factory=dict,
        description='Shown to customers of that language, e.g. {"zh": {"description": …}}; '
        "matching and ranking read the fields above.",
    )

    def in_language(self, language: str | None) -> Product:
        """The product as a customer of ``language`` reads it: its translated name and
        description where the catalogue has them, else itself."""
        text = self.translations.get(language or "")
        if text is None:
            return self
        return self.model_copy(
            update={"name": text.name or self.name, "description": text.description}
        )

    def names(self) -> list[str]:
        """Every name the product goes by: the catalogue's and its translations'."""
        return [self.name, *(t.name for t in self.translations.values() if t.name)]


class Interaction(BaseModel):
    customer_id: str
    product_id: str
    event: str = "view"
    weight: float = Field(default=1.0, gt=0)


class RecommendationRequest(BaseModel):
    """Who is asking and what they've shown interest in during this conversation."""

    model_config = ConfigDict(extra="forbid")

    customer_id: str | None = None
    seen_product_ids: list[str] = Field(default_factory=list, max_length=100)
    query: str | None = Field(default=None, max_length=500, description="A free-text wish.")
    category: str | None = None
    max_price: float | None = Field(default=None, ge=0, description="A hard cap.")
    min_price: float | None = Field(default=None, ge=0)
    uses: list[str] = Field(default_factory=list, max_length=10)
    features: list[str] = Field(
        default_factory=list, max_length=10, description='Required attributes, e.g. "OLED".'
    )
    prefer_cheap: bool = Field(default=False, description="Favours lower prices; caps nothing.")
    k: int = Field(default=3, ge=1, le=20)

    def constraints(self) -> Constraints:
        return Constraints(
            max_price=self.max_price,
            min_price=self.min_price,
            category=self.category,
            uses=tuple(self.uses),
            prefer_cheap=self.prefer_cheap,
            features=tuple(self.features),
        )


class RecommendedItem(BaseModel):
    product_id: str
    name: str
    category: str
    price: float
    score: float = Field(ge=0, le=1)
    source: Literal["hybrid", "content", "popular"]
    reason: str = Field(min_length=1, description="One line a customer can read.")
    fits: bool = Field(
        default=True, description="False: shown as the closest, outside the request."
    )
    misses: list[str] = Field(
        default_factory=list, description="How the item falls outside the request, in words."
    )


class Recommendations(BaseModel):
    """Result type ``recommendations``."""

    customer_id: str | None
    items: list[RecommendedItem]
    currency: str = "GBP"
    note: str | None = Field(
        default=None, description="Said before the items, e.g. that nothing fits the request."
    )


def load_products(path: Path | str) -> tuple[list[Product], str]:
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        return [Product.model_validate(p) for p in raw["products"]], str(raw.get("currency", ""))
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValidationError) as e:
        raise ModelLoadError(
            f"Could not read the product catalog at {path}: {e}. "
            "See data/catalog/products.yml for the format.",
            path=path,
        ) from e


def load_interactions(path: Path | str) -> list[Interaction]:
    try:
        with Path(path).open(encoding="utf-8", newline="") as f:
            return [
                Interaction(
                    customer_id=row["customer_id"],
                    product_id=row["product_id"],
                    event=row["event"],
                    weight=EVENT_WEIGHTS[row["event"]],
                )
                for row in csv.DictReader(f)
            ]
    except (OSError, KeyError, ValidationError) as e:
        raise ModelLoadError(
            f"Could not read the interaction log at {path}: {e}. Expected columns "
            f"customer_id,product_id,event,timestamp with event in {sorted(EVENT_WEIGHTS)}.",
            path=path,
        ) from e


def _minmax(x: np.ndarray) -> np.ndarray:
    lo, hi = float(np.min(x)), float(np.max(x))
    return np.zeros_like(x) if hi - lo < 1e-12 else (x - lo) / (hi - lo)


class HybridRecommender:
    def __init__(
        self,
        products: Sequence[Product],
        interactions: Sequence[Interaction],
        *,
        embedder: Embedder,
        currency: str = "GBP",
        factors: int = 32,
        regularization: float = 0.05,
        iterations: int = 15,
        cf_weight: float = 0.7,
        new_item_weight: float = 0.6,
        random_state: int = 0,
        num_threads: int = 1,
        business: str | None = None,
    ) -> None:
        from implicit.als import AlternatingLeastSquares

        if not products:
            raise ValidationFailed("The recommender needs at least one product.")
        self.products = list(products)
        self.popular_reason = f"Popular with {business or 'our'} customers"
        self.currency = currency
        self.embedder = embedder
        self.cf_weight = cf_weight
        self.new_item_weight = new_item_weight
        self.index = {p.id: n for n, p in enumerate(self.products)}
        customers = sorted({i.customer_id for i in interactions})
        self.customers = {c: n for n, c in enumerate(customers)}
        rows = [self.customers[i.customer_id] for i in interactions if i.product_id in self.index]
        cols = [self.index[i.product_id] for i in interactions if i.product_id in self.index]
        data = [i.weight for i in interactions if i.product_id in self.index]
        self.matrix = sp.csr_matrix(
            (np.asarray(data, dtype=np.float32), (rows, cols)),
            shape=(len(customers), len(self.products)),
        )
        self.matrix.sum_duplicates()
        self._events: dict[tuple[str, str], str] = {}
        for i in interactions:
            key = (i.customer_id, i.product_id)
            if EVENT_WEIGHTS.get(i.event, 0) >= EVENT_WEIGHTS.get(self._events.get(key, ""), 0):
                self._events[key] = i.event
        self.popularity = np.asarray(self.matrix.sum(axis=0)).ravel()
        self.warm = self.popularity > 0
        # implicit's ALS is slower with a multi-threaded BLAS (and warns about it).
        with threadpool_limits(1, "blas"):
            self._als = AlternatingLeastSquares(
                factors=factors,
                regularization=regularization,
                iterations=iterations,
                random_state=random_state,
                num_threads=num_threads,
            )
            if self.matrix.nnz:
                self._als.fit(self.matrix, show_progress=False)
        texts = [f"{p.name}. {p.category}. {p.description}" for p in self.products]
        self.vectors = embedder.embed(texts)
        self.content_sim = self.vectors @ self.vectors.T

    @classmethod
    def from_catalog(
        cls,
        directory: Path | str,
        *,
        embedder: Embedder,
        products_path: Path | str | None = None,
        interactions_path: Path | str | None = None,
        **options: Any,
    ) -> HybridRecommender:
        """The recommender over a catalogue folder's ``products.yml`` and ``interactions.csv``
        (either file may be given on its own); ``options`` go to the constructor."""
        folder = Path(directory)
        products, currency = load_products(products_path or folder / "products.yml")
        return cls(
            products,
            load_interactions(interactions_path or folder / "interactions.csv"),
            embedder=embedder,
            currency=currency,
            **options,
        )

    def history(self, request: RecommendationRequest) -> list[int]:
        """Catalog rows the customer has interacted with, log first, then this conversation."""
        seen: list[int] = []
        if request.customer_id in self.customers:
            seen += self.matrix[self.customers[request.customer_id]].indices.tolist()
        seen += [self.index[p] for p in request.seen_product_ids if p in self.index]
        return list(dict.fromkeys(seen))

    def collaborative_scores(
        self, request: RecommendationRequest, history: list[int]
    ) -> np.ndarray | None:
        if not self.matrix.nnz:
            return None
        if request.customer_id in self.customers and not request.seen_product_ids:
            user = self._als.user_factors[self.customers[request.customer_id]]
        else:
            warm = [h for h in history if self.warm[h]]
            if not warm:
                return None
            row = sp.csr_matrix(
                (
                    np.full(len(warm), EVENT_WEIGHTS["view"], dtype=np.float32),
                    ([0] * len(warm), warm),
                ),
                shape=(1, len(self.products)),
            )
            user = np.asarray(self._als.recalculate_user(0, row)).ravel()
        return np.asarray(self._als.item_factors @ user, dtype=np.float64)

    def score(self, request: RecommendationRequest, history: list[int]) -> tuple[np.ndarray, bool]:
        """A score in [0, 1] per catalog row (before filtering), and whether CF took part."""
        parts = []
        if history:
            parts.append(_minmax(self.content_sim[:, history].max(axis=1)))
        if request.query:
            parts.append(_minmax(self.vectors @ self.embedder.embed([request.query])[0]))
        if not parts:
            return _minmax(self.popularity.astype(np.float64)), False
        content = np.mean(parts, axis=0)
        cf = self.collaborative_scores(request, history)
        if cf is None:
            return content, False
        cf = np.where(self.warm, _minmax(np.where(self.warm, cf, cf[self.warm].min())), 0.0)
        blended = self.cf_weight * cf + (1 - self.cf_weight) * content
        return np.where(self.warm, blended, self.new_item_weight * content), True

    def recommend(self, request: RecommendationRequest | dict) -> Recommendations:
        try:
            request = (
                request
                if isinstance(request, RecommendationRequest)
                else RecommendationRequest.model_validate(request)
            )
        except ValidationError as e:
            raise ValidationFailed(
                f"The recommendation request is not valid: {e.errors(include_url=False)}",
                raw=request,
            ) from e
        history = self.history(request)
        scores, used_cf = self.score(request, history)
        allowed = np.ones(len(self.products), dtype=bool)
        allowed[history] = False
        if request.category:
            allowed &= np.array([p.category == request.category for p in self.products])
        c = request.constraints()
        missed = [self._misses(c, p) for p in self.products]
        rank = scores.copy()
        if c.prefer_cheap and allowed.any():
            prices = np.array([p.price for p in self.products], dtype=np.float64)
            rank = 0.5 * rank + 0.5 * (
                1 - _minmax(np.where(allowed, prices, prices[allowed].max()))
            )
        ranked = [int(j) for j in np.argsort(-rank, kind="stable") if allowed[j]]
        order = [j for j in ranked if not missed[j]][: request.k]
        note = None
        if not order and ranked and (c.any or c.prefer_cheap) and any(missed):
            closest = sorted(ranked, key=lambda j: self._distance(c, j, missed[j]))
            nearest = self._distance(c, closest[0], missed[closest[0]])[0]
            order = [j for j in closest if self._distance(c, j, missed[j])[0] == nearest]
            order = order[: request.k]
            note = (
                f"Nothing in our range fits {headline(c, self.currency)}. "
                f"The closest {'is' if len(order) == 1 else 'are'} below, "
                "outside what you asked for."
            )
        return Recommendations(
            customer_id=request.customer_id,
            items=[
                self._item(j, float(scores[j]), request, history, used_cf, missed[j]) for j in order
            ],
            currency=self.currency,
            note=note,
        )

    def _misses(self, c: Constraints, p: Product) -> list[str]:
        return misses(c, price=p.price, text=f"{p.name}. {p.description}", currency=self.currency)

    def _distance(self, c: Constraints, j: int, missed: list[str]) -> tuple[int, int, float]:
        """Closest first: serves the use and has the features asked for (a price is
        easier to stretch), then the fewest misses, then the smallest step outside
        the budget. Only items tied on the first are shown, so a student laptop
        never stands in for a gaming one."""
        price = self.products[j].price
        over = max(0.0, price - c.max_price) if c.max_price is not None else 0.0
        under = max(0.0, c.min_price - price) if c.min_price is not None else 0.0
        use_misses = sum(m.startswith(("not made for", "without ")) for m in missed)
        return use_misses, len(missed), over + under

    def _item(
        self,
        j: int,
        score: float,
        request: RecommendationRequest,
        history: list[int],
        used_cf: bool,
        missed: list[str],
    ) -> RecommendedItem:
        p = self.products[j]
        c = request.constraints()
        source: Literal["hybrid", "content", "popular"]
        asked = c.budget or c.uses or c.features or c.prefer_cheap
        if asked or (request.query and not history):
            reason = attribute_reason(
                c,
                price=p.price,
                text=f"{p.name}. {p.description}",
                summary=p.description,
                currency=self.currency,
            )
            source = "hybrid" if used_cf and self.warm[j] else "content"
        elif history:
            anchor = self.products[history[int(np.argmax(self.content_sim[j, history]))]]
            event = self._events.get((request.customer_id or "", anchor.id), "view")
            reason = _REASONS.get(event, _REASONS["view"]).format(anchor.name)
            source = "hybrid" if used_cf and self.warm[j] else "content"
        else:
            reason, source = self.popular_reason, "popular"
        return RecommendedItem(
            product_id=p.id,
            name=p.name,
            category=p.category,
            price=p.price,
            score=round(min(1.0, max(0.0, score)), 4),
            source=source,
            reason=reason,
            fits=not missed,
            misses=missed,
        )
