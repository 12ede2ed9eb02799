"""The structured-type checklist, applied to a toy type in a copy of the repository."""

from __future__ import annotations

import pytest

from benchmarks.framework_checklist import files_touched_to_add_structured_type

pytestmark = pytest.mark.slow


def test_adding_a_structured_type_touches_at_most_three_files() -> None:
    assert files_touched_to_add_structured_type() <= 3
