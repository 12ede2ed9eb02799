"""The public surface of ``generators`` is deliberate: pinned here, imported lazily."""

from __future__ import annotations

import subprocess
import sys

import generators


def test_public_names_are_pinned() -> None:
    assert generators.__all__ == sorted(
        [
            "Answer", "AnswerPipeline", "Brand", "CreditApplication", "CreditScore", "Embedder",
            "GenerationOptions", "GeneratorError", "HashingEmbedder", "HybridRecommender",
            "KnowledgeBase", "KnowledgeRetriever", "MarketingBrief", "MarketingWriter", "Message",
            "MobilePlanAdvisor", "MobilePlanRecommendation", "MobileUsage", "RESULT_TYPES",
            "RecommendationRequest", "Recommendations", "SavingsGoal", "SavingsPlan",
            "SavingsPlanner", "Scorecard", "ScriptedGenerator", "SentenceTransformerEmbedder",
            "TextGenerator", "TextSettings", "build_generator", "generate_within", "payload",
        ]
    )  # fmt: skip


def test_every_public_name_resolves() -> None:
    for name in generators.__all__:
        assert getattr(generators, name) is not None


def test_importing_the_package_loads_no_model_library() -> None:
    code = "import sys, generators; print(sorted({'torch', 'transformers'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
