"""Generators that Tandem's actions call (actions venv, Python 3.11).

* text generators: grounded answers, marketing copy (:mod:`generators.text`,
  :mod:`generators.answer`, :mod:`generators.marketing`);
* structured generators returning validated pydantic models: credit scores,
  mobile and savings plans, recommendations;
* :mod:`generators.embeddings`: the sentence encoder both kinds share.

Every error raised here derives from :class:`generators.errors.GeneratorError`, under
:class:`bot.errors.TandemError`. Generators know no business: the brand (:class:`Brand`),
prompts, data folders and model paths are parameters (see docs/runtime.md).
Names below are imported on first use, so ``import generators`` stays cheap and
loads no model library.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    # text
    "TextGenerator": "generators.text",
    "Message": "generators.text",
    "GenerationOptions": "generators.text",
    "ScriptedGenerator": "generators.text",
    "build_generator": "generators.text",
    "generate_within": "generators.text",
    "AnswerPipeline": "generators.answer",
    "Answer": "generators.answer",
    "KnowledgeBase": "generators.retrieval",
    "KnowledgeRetriever": "generators.retrieval",
    "MarketingWriter": "generators.marketing",
    "MarketingBrief": "generators.marketing",
    "TextSettings": "generators.settings",
    # structured
    "Scorecard": "generators.credit",
    "CreditApplication": "generators.credit",
    "CreditScore": "generators.credit",
    "MobilePlanAdvisor": "generators.mobile_plans",
    "MobileUsage": "generators.mobile_plans",
    "MobilePlanRecommendation": "generators.mobile_plans",
    "SavingsPlanner": "generators.savings",
    "SavingsGoal": "generators.savings",
    "SavingsPlan": "generators.savings",
    "HybridRecommender": "generators.recommend",
    "RecommendationRequest": "generators.recommend",
    "Recommendations": "generators.recommend",
    "payload": "generators.schemas",
    "RESULT_TYPES": "generators.schemas",
    # shared
    "Embedder": "generators.embeddings",
    "SentenceTransformerEmbedder": "generators.embeddings",
    "HashingEmbedder": "generators.embeddings",
    "GeneratorError": "generators.errors",
    "Brand": "generators.brand",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'generators' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return __all__
