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

    assert "cascade.py" in OPTIONAL_MODULES
    assert _code_digest(TANDEM_MINILM_CONFIG) == _digest(always)
    assert _code_digest(TANDEM_CONFIG) == _digest([f.read_text() for f in files])
    assert _code_digest(TANDEM_CONFIG) != _code_digest(TANDEM_MINILM_CONFIG)
