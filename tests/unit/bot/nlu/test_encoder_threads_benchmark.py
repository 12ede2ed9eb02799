"""benchmarks/encoder_threads.py on a tiny CSV with the real encoder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = [pytest.mark.engine, pytest.mark.slow]


def test_benchmark_measures_every_setup_both_ways_and_writes_its_files(
    encoder_dir: Path, tmp_path: Path
) -> None:
    from benchmarks.encoder_threads import main

    texts = tmp_path / "test.csv"
    texts.write_text("text,category\n" + "".join(f"where is card {i},x\n" for i in range(6)))
    out = tmp_path / "out"

    encoders = ["--encoder", str(encoder_dir)] * 2
    args = ["--texts", str(texts), *encoders, "--rounds", "2", "--threads", "1", "--out", str(out)]
    assert main(args) == 0

    result = json.loads((out / "encoder_threads.json").read_text())
    name = encoder_dir.name
    setups = {(r["encoders"], r["allow_spinning"]) for r in result["rows"]}
    assert setups == {(s, b) for s in (name, f"{name} then {name}") for b in (True, False)}
    assert all(r["n"] == 6 and 0 < r["p50_ms"] <= r["p95_ms"] for r in result["rows"])
    table = (out / "encoder_threads.md").read_text()
    assert f"| {name} then {name} |" in table
    assert (out / "encoder_threads.png").stat().st_size > 0


def test_benchmark_refuses_a_csv_without_texts(tmp_path: Path) -> None:
    from benchmarks.encoder_threads import main

    empty = tmp_path / "empty.csv"
    empty.write_text("text,category\n")
    with pytest.raises(SystemExit):
        main(["--texts", str(empty), "--out", str(tmp_path)])
