from __future__ import annotations

import json
from typing import Any

import pytest

from bot.channels.inbound import (
    IDENTITY_KEY,
    MAX_METADATA_BYTES,
    Rejected,
    check_metadata,
    check_text,
    client_ip,
    loads_json,
    with_identity,
)


def test_json_that_would_crash_the_parser_is_a_400() -> None:
    with pytest.raises(Rejected, match="nested too deeply") as caught:
        loads_json(b"[" * 100_000 + b"]" * 100_000)
    assert caught.value.status == 400
    assert loads_json('{"a": [1]}') == {"a": [1]}


@pytest.mark.parametrize(("raw", "match"), [(b"\xff", "not UTF-8"), (b"{x", "not valid JSON")])
def test_unreadable_json_says_what_to_send(raw: bytes, match: str) -> None:
    with pytest.raises(Rejected, match=match):
        loads_json(raw, hint="send an object.")


def test_a_lone_surrogate_is_not_text() -> None:
    with pytest.raises(Rejected, match=r"unpaired surrogate \('\\ud800' at position 2\)") as e:
        check_text("hi\ud800")
    assert (e.value.code, e.value.status) == ("bad_text", 400)
    assert check_text("Привет 👋") == "Привет 👋"


@pytest.mark.parametrize(
    ("value", "code", "status"),
    [
        ([1], "bad_metadata", 400),
        ("x", "bad_metadata", 400),
        ({"a": json.loads("[" * 40 + "]" * 40)}, "bad_metadata", 400),
        ({"a": "\udfff"}, "bad_metadata", 400),
        ({"a": b"bytes"}, "bad_metadata", 400),
        ({"k": "v" * MAX_METADATA_BYTES}, "metadata_too_large", 413),
        ({"k": "é" * (MAX_METADATA_BYTES // 2)}, "metadata_too_large", 413),  # bytes, not chars
    ],
)
def test_bad_metadata_is_refused(value: Any, code: str, status: int) -> None:
    with pytest.raises(Rejected) as caught:
        check_metadata(value)
    assert (caught.value.code, caught.value.status) == (code, status)


def test_metadata_loses_the_reserved_identity_key() -> None:
    sent = {"page": "/plans", IDENTITY_KEY: {"customer_id": "c0001"}}
    assert check_metadata(sent) == {"page": "/plans"}
    assert check_metadata(None) is None
    assert check_metadata({"a": {"b": [1, 2, {"c": None}]}}) == {"a": {"b": [1, 2, {"c": None}]}}


def test_identity_is_set_only_from_what_the_channel_knows() -> None:
    forged = {"x": 1, IDENTITY_KEY: {"customer_id": "c0001"}}
    assert with_identity(forged) == {"x": 1}
    assert with_identity(forged, customer_id="c0042") == {
        "x": 1,
        IDENTITY_KEY: {"customer_id": "c0042"},
    }
    assert with_identity(None, customer_id="c7", client_ip="203.0.113.5") == {
        IDENTITY_KEY: {"customer_id": "c7", "client_ip": "203.0.113.5"}
    }
    assert with_identity(None, client_ip="::1") == {IDENTITY_KEY: {"client_ip": "::1"}}
    assert with_identity(None) is None


def test_the_client_address_is_the_connections() -> None:
    class Request:
        remote_addr = ""
        ip = "198.51.100.7"

    assert client_ip(Request()) == "198.51.100.7"
    Request.remote_addr = "203.0.113.5"  # Sanic set it from a trusted proxy's header
    assert client_ip(Request()) == "203.0.113.5"
    assert client_ip(None) is None


def test_a_role_is_set_only_by_the_channel() -> None:
    forged = {IDENTITY_KEY: {"role": "staff"}, "page": "/"}
    assert check_metadata(forged) == {"page": "/"}
    assert with_identity(check_metadata(forged)) == {"page": "/"}
    assert with_identity(None, role="staff", client_ip="::1") == {
        IDENTITY_KEY: {"client_ip": "::1", "role": "staff"}
    }
