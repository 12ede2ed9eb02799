"""The one runtime of an action-server process: settings, the assistant, the models.

An action server builds its expensive things (the text model, the sentence
embedder, the recommender, the credit scorecard, the plan catalogues, the
knowledge base) here and nowhere else, so one process holds one copy of each::

    runtime = get_runtime()
    pipeline = await runtime.answer_pipeline()
    recommender = await runtime.recommender()

:class:`Registry` builds each named thing once, on first use, in a worker
thread (``asyncio.to_thread``) so the event loop keeps serving other actions
meanwhile; concurrent first calls wait for the one build. A build that fails
is not cached: the next call tries again. An assistant registers its own
things (``runtime.register("marketing_writer", factory)``) and tests replace
any of them with fakes (``Runtime(..., factories={"embedder": HashingEmbedder})``).

Settings are read once, by :meth:`Runtime.from_env` through
:class:`bot.settings.ActionSettings`; the assistant comes from the project's
``assistant.yml`` (:func:`bot.sdk.assistant.load_assistant`).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from bot.errors import ConfigError
from bot.sdk.assistant import Assistant, load_assistant
from bot.settings import ActionSettings, project_dir_from, read_environment

if TYPE_CHECKING:
    from generators.answer import AnswerPipeline
    from generators.credit import Scorecard
    from generators.embeddings import Embedder
    from generators.financing import FinancingTerms
    from generators.languages import KnowledgeBases
    from generators.mobile_plans import MobilePlanAdvisor
    from generators.orders import OrderSystem
    from generators.products import ProductCatalog
    from generators.recommend import HybridRecommender, Product
    from generators.rephrase import Rephraser
    from generators.retrieval import KnowledgeBase
    from generators.savings import SavingsPlanner
    from generators.text import TextGenerator

log = logging.getLogger(__name__)

T = TypeVar("T")
Factory = Callable[[], Any]


class Registry:
    """Named factories, each built at most once (thread-safe), the result kept."""

    def __init__(self) -> None:
        self._factories: dict[str, Factory] = {}
        self._built: dict[str, Any] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def register(self, name: str, factory: Factory, *, replace: bool = False) -> None:
        """Add ``factory`` under ``name``; ``replace`` drops an earlier one and its result."""
        with self._guard:
            if name in self._factories and not replace:
                raise ConfigError(
                    f"{name!r} is already registered with the runtime; pass replace=True to "
                    "swap it (e.g. for a fake in tests)."
                )
            self._factories[name] = factory
            self._built.pop(name, None)
            self._locks.setdefault(name, threading.Lock())

    def setdefault(self, name: str, factory: Factory) -> None:
        """Register ``factory`` unless something is registered as ``name`` already."""
        with self._guard:
            if name not in self._factories:
                self._factories[name] = factory
                self._locks[name] = threading.Lock()

    def __contains__(self, name: object) -> bool:
        return name in self._factories

    def is_built(self, name: str) -> bool:
        return name in self._built

    def build(self, name: str) -> Any:
        """The thing registered as ``name``, built now in this thread if nobody has."""
        try:
            return self._built[name]
        except KeyError:
            pass
        try:
            lock, factory = self._locks[name], self._factories[name]
        except KeyError:
            known = ", ".join(sorted(self._factories)) or "nothing"
            raise ConfigError(
                f"Nothing is registered with the runtime as {name!r} (registered: {known}); "
                "call runtime.register(name, factory) first."
            ) from None
        with lock:
            if name not in self._built:
                log.info("runtime: building %s", name)
                self._built[name] = factory()
            return self._built[name]

    async def get(self, name: str) -> Any:
        """:meth:`build` in a worker thread, so a model load never blocks the event loop."""
        if name in self._built:
            return self._built[name]
        return await asyncio.to_thread(self.build, name)


class Runtime:
    """One per action-server process: ``settings``, ``assistant`` and the model registry."""

    def __init__(
        self,
        *,
        settings: ActionSettings,
        assistant: Assistant,
        factories: Mapping[str, Factory] | None = None,
    ) -> None:
        self.settings = settings
        self.assistant = assistant
        self.registry = Registry()
        for name, factory in self._defaults().items():
            self.registry.register(name, factory)
        for name, factory in (factories or {}).items():
            self.registry.register(name, factory, replace=True)

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, factories: Mapping[str, Factory] | None = None
    ) -> Runtime:
        """The runtime of the project in ``TANDEM_PROJECT_DIR`` (else the current folder)."""
        env = read_environment() if env is None else env
        assistant = load_assistant(project_dir_from(env))
        settings = ActionSettings.from_env(env, assistant=assistant)
        return cls(settings=settings, assistant=assistant, factories=factories)

    # --- the registry --------------------------------------------------------------

    def register(self, name: str, factory: Factory, *, replace: bool = False) -> None:
        """Add the assistant's own lazily built thing (e.g. a writer with its facts)."""
        self.registry.register(name, factory, replace=replace)

    def setdefault(self, name: str, factory: Factory) -> None:
        """Register ``factory`` unless ``name`` is registered (e.g. a fake installed first)."""
        self.registry.setdefault(name, factory)

    async def get(self, name: str) -> Any:
        """The thing registered as ``name``, built once off the event loop."""
        return await self.registry.get(name)

    def get_sync(self, name: str) -> Any:
        """The same, for code already running in a worker thread (never on the loop)."""
        return self.registry.build(name)

    async def text_generator(self) -> TextGenerator:
        """The configured text model (or the extractive backend where it cannot load)."""
        return cast("TextGenerator", await self.get("text_generator"))

    async def embedder(self) -> Embedder:
        """The sentence embedder shared by retrieval and recommendations."""
        return cast("Embedder", await self.get("embedder"))

    async def retriever(self) -> KnowledgeBase:
        """The knowledge base over the project's ``knowledge`` folder."""
        return cast("KnowledgeBase", await self.get("retriever"))

    async def product_catalog(self) -> ProductCatalog:
        return cast("ProductCatalog", await self.get("product_catalog"))

    async def products(self) -> tuple[list[Product], str]:
        """The catalogue's products and their currency (no model)."""
        return cast("tuple[list[Product], str]", await self.get("products"))

    async def answer_pipeline(self) -> AnswerPipeline:
        return cast("AnswerPipeline", await self.get("answer_pipeline"))

    async def recommender(self) -> HybridRecommender:
        return cast("HybridRecommender", await self.get("recommender"))

    async def scorecard(self) -> Scorecard:
        return cast("Scorecard", await self.get("scorecard"))

    async def financing_terms(self) -> FinancingTerms:
        return cast("FinancingTerms", await self.get("financing_terms"))

    async def mobile_plans(self) -> MobilePlanAdvisor:
        return cast("MobilePlanAdvisor", await self.get("mobile_plans"))

    async def savings_planner(self) -> SavingsPlanner:
        return cast("SavingsPlanner", await self.get("savings_planner"))

    async def rephraser(self) -> Rephraser:
        return cast("Rephraser", await self.get("rephraser"))

    async def orders(self) -> OrderSystem:
        return cast("OrderSystem", await self.get("orders"))

    # --- the default factories -------------------------------------------------------

    def _defaults(self) -> dict[str, Factory]:
        return {
            "text_generator": self._build_text_generator,
            "embedder": self._build_embedder,
            "retriever": self._build_retriever,
            "knowledge_bases": self._build_knowledge_bases,
            "product_catalog": self._build_product_catalog,
            "products": self._build_products,
            "answer_pipeline": self._build_answer_pipeline,
            "recommender": self._build_recommender,
            "scorecard": self._build_scorecard,
            "financing_terms": self._build_financing_terms,
            "mobile_plans": self._build_mobile_plans,
            "savings_planner": self._build_savings_planner,
            "rephraser": self._build_rephraser,
            "orders": self._build_orders,
        }

    def _build_text_generator(self) -> TextGenerator:
        return self.settings.text.build_generator()

    def _build_embedder(self) -> Embedder:
        from generators.embeddings import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(model_path=self.settings.text.embedder_path)

    def _build_retriever(self) -> KnowledgeBase:
        from generators.retrieval import KnowledgeBase

        text = self.settings.text
        return KnowledgeBase.from_directory(
            text.knowledge_dir or self.assistant.knowledge_dir,
            embedder=self.get_sync("embedder"),
            threshold=text.retrieval_threshold,
            ignore_terms=self.assistant.ignore_terms,
        )

    def _build_knowledge_bases(self) -> KnowledgeBases:
        """The default knowledge base and one per language subfolder (``data/knowledge/zh``).

        A language's knowledge base is built on its first question, with its
        configured encoder (multilingual-e5-small by default), loaded once and
        shared by the languages that name the same folder; an ``embedder``
        replaced by a fake replaces those too.
        """
        from generators.embeddings import SentenceTransformerEmbedder
        from generators.languages import KnowledgeBases, language_folders

        text = self.settings.text
        shared = self.get_sync("embedder")
        embedders: dict[Path | None, Embedder] = {None: shared}
        lock = threading.Lock()

        def embedder_for(code: str) -> Embedder:
            path = text.language_embedder_path(code)
            if not isinstance(shared, SentenceTransformerEmbedder):
                path = None
            elif path is None:
                log.warning(
                    "knowledge in %r is searched with the default embedder, which may not "
                    "read it: build the multilingual encoder (`make setup`) or set "
                    "TANDEM_EMBEDDER_PATH_%s",
                    code,
                    code.upper().replace("-", "_"),
                )
            with lock:
                if path not in embedders:
                    embedders[path] = SentenceTransformerEmbedder(model_path=path)
                return embedders[path]

        def factory(code: str, folder: Path) -> Callable[[], KnowledgeBase]:
            from generators.retrieval import KnowledgeBase

            return lambda: KnowledgeBase.from_directory(
                folder,
                embedder=embedder_for(code),
                threshold=text.language_threshold(code),
                ignore_terms=self.assistant.ignore_terms,
            )

        folders = language_folders(text.knowledge_dir or self.assistant.knowledge_dir)
        return KnowledgeBases(
            self.get_sync("retriever"),
            {code: factory(code, folder) for code, folder in folders.items()},
        )

    def _catalog_dir(self) -> Any:
        catalog = self.settings.text.catalog_dir or self.assistant.catalog_dir
        if catalog is None:
            raise ConfigError(
                "This needs the project's product catalogue, but assistant.yml names no "
                "catalog folder; add `catalog: data/catalog` or set TANDEM_CATALOG_DIR."
            )
        return catalog

    def _build_product_catalog(self) -> ProductCatalog:
        from generators.products import ProductCatalog

        return ProductCatalog.from_directory(self._catalog_dir(), business=self.assistant.business)

    def _build_products(self) -> tuple[list[Product], str]:
        from generators.recommend import load_products

        return load_products(self._catalog_dir() / "products.yml")

    def _build_answer_pipeline(self) -> AnswerPipeline:
        from generators.answer import AnswerPipeline
        from generators.backends.extractive import ExtractiveGenerator

        text = self.settings.text
        has_catalog = (text.catalog_dir or self.assistant.catalog_dir) is not None
        return AnswerPipeline(
            brand=self.assistant.brand,
            knowledge_base=self.get_sync("retriever"),
            knowledge_bases=self.get_sync("knowledge_bases"),
            generator=(
                self.get_sync("text_generator") if text.generates_answers else ExtractiveGenerator()
            ),
            generate=text.generates_answers,
            catalog=self.get_sync("product_catalog") if has_catalog else None,
            financing=self.get_sync("financing_terms"),
            deadline_s=text.deadline_s,
        )

    def _build_recommender(self) -> HybridRecommender:
        from generators.recommend import HybridRecommender

        return HybridRecommender.from_catalog(
            self._catalog_dir(),
            embedder=self.get_sync("embedder"),
            business=self.assistant.business,
        )

    def _build_scorecard(self) -> Scorecard:
        from generators.credit import DEFAULT_ARTIFACT, Scorecard

        return Scorecard(artifact_path=self.settings.credit_artifact or DEFAULT_ARTIFACT)

    def _build_financing_terms(self) -> FinancingTerms:
        from generators.financing import DEFAULT_TERMS, FinancingTerms

        return FinancingTerms.load(self.settings.financing_terms or DEFAULT_TERMS)

    def _build_mobile_plans(self) -> MobilePlanAdvisor:
        from generators.mobile_plans import MobilePlanAdvisor

        path = self.settings.mobile_catalog
        if path is None:
            path = self.assistant.catalog_file("mobile_plans.yml")
        return MobilePlanAdvisor(catalog_path=path)

    def _build_savings_planner(self) -> SavingsPlanner:
        from generators.savings import SavingsPlanner

        return SavingsPlanner()

    def _build_rephraser(self) -> Rephraser:
        from generators.rephrase import Rephraser

        return Rephraser(
            brand=self.assistant.brand,
            generator=self.get_sync("text_generator"),
            deadline_s=self.settings.rephrase_deadline_s,
        )

    def _build_orders(self) -> OrderSystem:
        return self.settings.orders.build()


_runtime: Runtime | None = None
_runtime_lock = threading.Lock()


def get_runtime() -> Runtime:
    """This process's runtime, made from the environment on first use."""
    global _runtime
    with _runtime_lock:
        if _runtime is None:
            _runtime = Runtime.from_env()
        return _runtime


def set_runtime(runtime: Runtime | None) -> Runtime | None:
    """Install ``runtime`` as this process's (``None``: the next call reads the environment
    again); returns the one it replaces. For tests and servers that build their own."""
    global _runtime
    with _runtime_lock:
        previous, _runtime = _runtime, runtime
        return previous
