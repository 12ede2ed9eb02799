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

    def code(*optional: str) -> list[str]:
        return [
            f.read_text() for f in files if f.name not in OPTIONAL_MODULES or f.name in optional
        ]

    assert {"cascade.py", "gloss.py", "frustration.py", "zh_numbers.py"} <= set(OPTIONAL_MODULES)
    assert _code_digest(TANDEM_MINILM_CONFIG) == _digest(always) == _digest(code())
    # TANDEM_CONFIG names the cascade, not the gloss (nor the frustration scorer or the
    # value parsers, which never change an intent)
    assert _code_digest(TANDEM_CONFIG) == _digest(code("cascade.py"))
    assert _code_digest(TANDEM_CONFIG) != _code_digest(TANDEM_MINILM_CONFIG)
    glossing = TANDEM_MINILM_CONFIG.replace(
        "bot.nlu.featurizer.SentenceEncoderFeaturizer", "bot.nlu.gloss.GlossingEncoderFeaturizer"
    )
    assert _code_digest(glossing) == _digest(code("gloss.py"))
    # a pipeline with the offline value parsers depends on them and the Chinese numbers
    parsing = TANDEM_MINILM_CONFIG + "\n  - name: bot.nlu.entities.OfflineValueExtractor\n"
    expected = _digest(code("entities.py", "parsers.py", "zh_numbers.py"))
    assert _code_digest(parsing) == expected
