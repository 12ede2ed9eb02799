"""The NLU benchmark's cache key: which code a pipeline's cached results depend on."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.engine


def test_optional_modules_join_only_the_digest_of_pipelines_that_name_them() -> None:
    from benchmarks.nlu import (
        OPTIONAL_MODULES,
        ROOT,
        TANDEM_CONFIG,
        TANDEM_MINILM_CONFIG,
        _code_digest,
        _digest,
    )

    files = sorted((ROOT / "bot" / "nlu").glob("*.py"))
    always = [f.read_text() for f in files if f.name not in OPTIONAL_MODULES]

    assert {"cascade.py", "gloss.py"} <= set(OPTIONAL_MODULES)
    assert _code_digest(TANDEM_MINILM_CONFIG) == _digest(always)
    # TANDEM_CONFIG names the cascade, not the gloss
    with_cascade = [f.read_text() for f in files if f.name != "gloss.py"]
    assert _code_digest(TANDEM_CONFIG) == _digest(with_cascade)
    assert _code_digest(TANDEM_CONFIG) != _code_digest(TANDEM_MINILM_CONFIG)
    glossing = TANDEM_MINILM_CONFIG.replace(
        "bot.nlu.featurizer.SentenceEncoderFeaturizer", "bot.nlu.gloss.GlossingEncoderFeaturizer"
    )
    with_gloss = [f.read_text() for f in files if f.name != "cascade.py"]
    assert _code_digest(glossing) == _digest(with_gloss)
