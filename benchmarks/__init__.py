"""Benchmarks of the reference assistant: they read its data from this repository."""

from pathlib import Path

from generators.brand import Brand

PROJECT_ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE_DIR = PROJECT_ROOT / "data" / "knowledge"
CATALOG_DIR = PROJECT_ROOT / "data" / "catalog"
MODELS_DIR = PROJECT_ROOT / "models"
IGNORE_TERMS = ("Voltline",)
"""What assistant.yml's retrieval.ignore_terms says: every document is about Voltline."""
BRAND = Brand(assistant="Volt", business="Voltline", description="an electronics retailer")
