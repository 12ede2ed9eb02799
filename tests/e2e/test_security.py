"""The security review's method, kept running: its attacks against the real servers.

One server set for the module (tests/security/target.py: Rasa, the action
server and the handoff service under the supervisor, with REST, web chat with a
visitor key, and Slack against a loopback stand-in). Each attack in
tests/security/attacks.py is one test that passes when the defence holds; the
fuzzers in tests/security/fuzz.py run a short budget here and a long one in
``python -m benchmarks.security``. The contract is docs/security.md.

Stored XSS in both directions is checked in a real browser elsewhere:
tests/e2e/test_handoff_browser.py and tests/e2e/test_widget_browser.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.security.attacks import ATTACKS, Attack
from tests.security.fuzz import Fuzzer
from tests.security.target import Target, start_target

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

# cases per surface in `make test`; the benchmark runs thousands
FUZZ_CASES = {"rest": 60, "webchat": 60, "console": 80, "handoff_api": 60, "handoff_schema": 80}


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    with start_target(tmp_path_factory.mktemp("security")) as running:
        yield running


def test_legitimate_clients_still_get_in(target: Target) -> None:
    """The controls: what the attacks are refused, the real clients are given."""
    assert target.api("GET", "/status").status_code == 200
    assert target.say("control-" + "a1", "hello")
    visitor = target.visitor()
    try:
        assert visitor.say("hello")
        session = visitor.session_id
    finally:
        visitor.close()
    history = target.api(
        "GET",
        f"/webhooks/webchat/history/{session}",
        headers={"Authorization": f"Bearer {target.visitor_token(session)}"},
    )
    assert history.status_code == 200 and history.json()["messages"], history.text
    assert target.console().get("/me")["email"]


@pytest.mark.parametrize("attack", ATTACKS, ids=[a.name for a in ATTACKS])
def test_attack_is_refused(target: Target, attack: Attack) -> None:
    outcome = attack.run(target)
    assert outcome.held, f"{attack.what} (finding {attack.finding}) succeeded: {outcome.detail}"


@pytest.mark.parametrize("surface", list(FUZZ_CASES))
def test_fuzzing_finds_no_server_error(target: Target, surface: str) -> None:
    report = Fuzzer(target, budget_s=45, derandomize=True).run(surface, FUZZ_CASES[surface])
    if surface in report.skipped:
        pytest.skip(report.skipped[surface])
    assert report.cases.get(surface, 0) > 0
    assert not report.problems, "\n".join(report.problems[:10])
