"""Security benchmark: the review's attacks and a long fuzz against a real server set.

    python -m benchmarks.security [--fuzz-cases 2000] [--budget-s 300]

Runs every attack of tests/security/attacks.py (the list `make test` runs in
tests/e2e/test_security.py) and fuzzes each surface of tests/security/fuzz.py
with ``--fuzz-cases`` cases (at most ``--budget-s`` seconds each). Writes
benchmarks/results/security.{json,md,png}; the contract is
``attacks_succeeded == 0``, ``pii_found_in_stores == 0`` and ``fuzz_5xx == 0``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from benchmarks.serving import machine
from tests.security.attacks import ATTACKS, Outcome, pii_in_stores
from tests.security.fuzz import SURFACES, Fuzzer
from tests.security.target import Target, start_target

RESULTS = Path(__file__).resolve().parent / "results"


def run_attacks(target: Target) -> list[dict[str, Any]]:
    rows = []
    for attack in ATTACKS:
        started = time.perf_counter()
        try:
            outcome = attack.run(target)
        except Exception as e:  # an attack that crashes the harness is not a held defence
            outcome = Outcome(False, f"harness error: {type(e).__name__}: {e}")
            traceback.print_exc()
        rows.append(
            {
                "attack": attack.name,
                "finding": attack.finding,
                "what": attack.what,
                "succeeded": not outcome.held,
                "detail": outcome.detail,
                "seconds": round(time.perf_counter() - started, 2),
            }
        )
        print(f"{'HELD ' if outcome.held else 'BROKE'} {attack.name}: {outcome.detail}")
    return rows


def write_report(result: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "security.json").write_text(json.dumps(result, indent=2) + "\n")
    m = result["machine"]
    lines = [
        "# Security benchmark",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB. "
        "Command: `python -m benchmarks.security "
        f"--fuzz-cases {result['fuzz_cases_per_surface']}`.",
        "",
        "| measure | value | must be |",
        "|---|---|---|",
        f"| attacks tried | {result['attacks_tried']} | |",
        f"| attacks succeeded | {result['attacks_succeeded']} | 0 |",
        f"| PII found in stores | {result['pii_found_in_stores']} | 0 |",
        f"| fuzz cases | {result['fuzz_cases']} | |",
        f"| fuzz 5xx (and dropped connections) | {result['fuzz_5xx']} | 0 |",
        f"| fuzz 4xx without a JSON body | {result['fuzz_4xx_not_json']} | 0 |",
        "",
        "| attack | finding | result | detail |",
        "|---|---|---|---|",
    ]
    for row in result["attacks"]:
        verdict = "**succeeded**" if row["succeeded"] else "refused"
        detail = row["detail"].replace("|", "\\|").replace("\n", " ")[:160]
        lines.append(f"| {row['attack']} | {row['finding']} | {verdict} | {detail} |")
    lines += ["", "| fuzzed surface | cases |", "|---|---|"]
    lines += [f"| {surface} | {n} |" for surface, n in result["fuzz_cases_by_surface"].items()]
    if result["fuzz_examples"]:
        lines += ["", "First fuzz findings:", ""]
        lines += [f"- `{e}`" for e in result["fuzz_examples"]]
    (RESULTS / "security.md").write_text("\n".join(lines) + "\n")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    rows = result["attacks"]
    fig, ax = plt.subplots(figsize=(8, 0.28 * len(rows) + 1.4))
    ax.barh(
        [r["attack"] for r in rows],
        [max(r["seconds"], 0.05) for r in rows],
        color=["#c0392b" if r["succeeded"] else "#27ae60" for r in rows],
    )
    ax.invert_yaxis()
    ax.set_xlabel("seconds per attack (green: refused, red: the attack succeeded)")
    ax.set_title(
        f"Tandem security: {result['attacks_succeeded']} of {result['attacks_tried']} attacks "
        f"succeeded\n{result['fuzz_5xx']} server errors in {result['fuzz_cases']} fuzz cases",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(RESULTS / "security.png", dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fuzz-cases", type=int, default=2000, help="cases per surface")
    parser.add_argument("--budget-s", type=float, default=300, help="seconds per surface at most")
    args = parser.parse_args()

    with (
        tempfile.TemporaryDirectory(prefix="tandem-security-") as tmp,
        start_target(Path(tmp)) as target,
    ):
        rows = run_attacks(target)
        pii = pii_in_stores(target)
        fuzzer = Fuzzer(target, budget_s=args.budget_s)
        for surface in SURFACES:
            started = time.perf_counter()
            fuzzer.run(surface, args.fuzz_cases)
            print(
                f"fuzzed {surface}: {fuzzer.report.cases.get(surface, 0)} cases "
                f"in {time.perf_counter() - started:.0f} s"
            )
    report = fuzzer.report
    result = {
        "attacks_tried": len(rows),
        "attacks_succeeded": sum(r["succeeded"] for r in rows),
        "pii_found_in_stores": len(pii),
        "pii_found": pii,
        "fuzz_cases": report.total,
        "fuzz_5xx": len(report.server_errors) + len(report.transport_errors),
        "fuzz_4xx_not_json": len(report.non_json_errors),
        "fuzz_cases_by_surface": report.cases,
        "fuzz_cases_per_surface": args.fuzz_cases,
        "fuzz_skipped": report.skipped,
        "fuzz_examples": report.problems[:10],
        "attacks": rows,
        "machine": machine(),
    }
    write_report(result)
    print(
        json.dumps({k: v for k, v in result.items() if k not in ("attacks", "machine")}, indent=2)
    )


if __name__ == "__main__":
    main()
