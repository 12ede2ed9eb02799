"""Generators that Tandem's actions call (actions venv, Python 3.11).

* text generators: grounded answers, marketing copy, rephrasing;
* structured generators: credit scores, plans, recommendations, returning
  validated pydantic models;
* :mod:`generators.embeddings`: the sentence encoder both kinds share.

Every error raised here derives from :class:`generators.errors.GeneratorError`.
"""
