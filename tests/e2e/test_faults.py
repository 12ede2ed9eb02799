"""Faults under load, the short version of ``python -m benchmarks.faults``.

The production profile runs two Rasa replicas behind HAProxy (one replica
when HAProxy is not installed) on private Redis, PostgreSQL and RabbitMQ servers
(tests/support/services.py; the machine's shared ones are never touched) while
two customers talk over REST; each test breaks one part and checks that the
customers got answers again, that every message answered is in the tracker
exactly once and in order, that every tracker event reached the analytics
store through RabbitMQ, and that none of our processes died. The handoff
service's restart while a conversation is handed over is
tests/e2e/test_handoff.py::test_a_handoff_service_restart_loses_nothing.
Skipped when a service's binaries are not installed.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from benchmarks import faults
from tests.support.services import missing

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(600),
    pytest.mark.skipif(
        bool(missing("redis", "postgres", "rabbitmq")),
        reason=f"private services need {', '.join(missing('redis', 'postgres', 'rabbitmq'))}",
    ),
]


@pytest.fixture(scope="module")
def services() -> Iterator[dict]:
    with faults.private_services() as running:
        # The analytics consumer looks for events no broker carried every 5 s, not 60.
        running["env"]["TANDEM_ANALYTICS_RECONCILE_EVERY_S"] = "5"
        yield running


def haproxy_missing() -> str | None:
    from bot.cluster import find_haproxy
    from bot.errors import SetupError

    try:
        find_haproxy()
    except SetupError as e:
        return str(e)
    return None


@pytest.fixture(scope="module")
def deployment(
    services: dict, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[faults.Deployment]:
    """Two replicas behind HAProxy (``bot run --replicas 2``); one replica without
    HAProxy, where only the replica kill is skipped."""
    state = tmp_path_factory.mktemp("faults")
    if haproxy_missing():
        with faults.single_node(services, state) as running:
            yield running
    else:
        with faults.cluster(services, state, 2) as running:
            yield running


def survive(deployment: faults.Deployment, services: dict, name: str) -> faults.FaultResult:
    result = faults.run_fault(
        deployment,
        name,
        customers=2,
        warm_s=2,
        down_s=2,
        settle_s=2,
        postgres_url=services["postgres_url"],
    )
    assert result.tried, result.note
    assert (result.lost, result.duplicated, result.out_of_order) == (0, 0, 0), result
    assert result.analytics_lost == 0, result
    assert result.dead_processes == [], result
    assert result.survived, result
    return result


def test_the_action_server_killed_and_restarted_costs_an_apology_at_most(
    deployment: faults.Deployment, services: dict
) -> None:
    result = survive(deployment, services, "action_server_kill")
    assert result.errors == 0, "the engine apologises; the customer never gets an HTTP error"


def test_a_redis_restart_is_waited_out(deployment: faults.Deployment, services: dict) -> None:
    survive(deployment, services, "redis_restart")


def test_a_postgres_restart_loses_no_message(deployment: faults.Deployment, services: dict) -> None:
    survive(deployment, services, "postgres_restart")


def test_a_rabbitmq_restart_loses_no_analytics_event(
    deployment: faults.Deployment, services: dict
) -> None:
    survive(deployment, services, "rabbitmq_restart")


def test_a_handoff_service_restart_under_load(
    deployment: faults.Deployment, services: dict
) -> None:
    survive(deployment, services, "handoff_restart")


def test_a_killed_rasa_replica_moves_its_customers(
    deployment: faults.Deployment, services: dict
) -> None:
    if deployment.fault("rasa_replica_kill") is None:
        pytest.skip(f"one replica only: {haproxy_missing()}")
    survive(deployment, services, "rasa_replica_kill")
