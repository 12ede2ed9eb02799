"""The servers' own validation (pydantic, FastAPI routes) is built from the contract."""

from __future__ import annotations

import json

from bot import actionserver
from bot.contract import handoff as handoff_contract
from bot.contract import paths
from bot.contract import rephrase as rephrase_contract
from bot.handoff import api
from bot.handoff.estimate import estimate
from generators.rephrase import Turn


def test_the_handoff_service_routes_are_the_contract_paths() -> None:
    routes = {getattr(route, "path", None) for route in api.router.routes}
    assert {paths.HANDOFFS_PATH, paths.TICKETS_PATH, paths.NOTIFY_PATH} <= routes


def test_the_handoff_service_accepts_what_the_client_sends() -> None:
    body = handoff_contract.HandoffRequest(
        conversation_id="slack:T1:C1:1700000000.1",
        channel="slack",
        reason="complaint",
        priority=9,
        customer_name="Ada",
        client_ip="203.0.113.5",
        form=handoff_contract.InterruptedForm("credit_form", "Carry on", "/ask_credit_check"),
        language="zh",
    ).to_dict()
    assert api.HandoffRequest.model_validate(body).model_dump() == body
    ticket = handoff_contract.TicketRequest("c1", "ada@example.com", "call back").to_dict()
    assert api.TicketRequest.model_validate(ticket).model_dump() == ticket


def test_unavailable_reasons_and_queue_status_keys_match() -> None:
    assert set(api.UNAVAILABLE_MESSAGES) == set(handoff_contract.UNAVAILABLE_REASONS)
    status = estimate(2, [60.0], 1).as_json()
    assert tuple(status) == handoff_contract.QUEUE_STATUS_KEYS


def test_the_rephrase_route_has_the_contract_limits() -> None:
    fields = actionserver.RephraseRequest.model_fields
    assert actionserver.MAX_TEXT_CHARS == rephrase_contract.MAX_TEXT_CHARS
    assert actionserver.MAX_DEADLINE_S == rephrase_contract.MAX_DEADLINE_S
    assert set(fields) == set(rephrase_contract.RephraseRequest.__dataclass_fields__)
    assert Turn.model_fields["text"].metadata[0].max_length == rephrase_contract.MAX_TURN_CHARS
    request = rephrase_contract.RephraseRequest(
        text="Hi!", turns=(rephrase_contract.RephraseTurn("user", "hello"),), deadline_s=1.5
    )
    parsed = actionserver.parse_rephrase_request(json.dumps(request.to_dict()).encode())
    assert parsed.model_dump() == request.to_dict()
