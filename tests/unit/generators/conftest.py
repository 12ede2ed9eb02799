from __future__ import annotations

import pytest

from generators.embeddings import HashingEmbedder
from generators.retrieval import KnowledgeBase, chunk_markdown
from tests.conftest import BRAND

DOCS = {
    "returns": """# Returns and refunds

## Return window
You can return any product within 30 days of purchase with the receipt. Items must be complete.

## Refunds
Refunds go back to the original payment method within 5 working days.
""",
    "shipping": """# Shipping and delivery

## Delivery costs
Shipping is free on orders over $50. Smaller orders pay a delivery fee of $4.99.
""",
}


@pytest.fixture
def knowledge_base() -> KnowledgeBase:
    """A two-document knowledge base with the hashing fake, so word overlap decides."""
    chunks = [c for doc_id, text in DOCS.items() for c in chunk_markdown(doc_id, text)]
    return KnowledgeBase(
        chunks, embedder=HashingEmbedder(), threshold=0.3, ignore_terms=(BRAND.business,)
    )
