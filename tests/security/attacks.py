"""The security review's attacks, each a function that tries it on a running :class:`Target`.

An attack returns an :class:`Outcome`: ``held`` is true when the defence held
(the attack failed) and ``detail`` says what was seen. The same list runs in
`make test` (tests/e2e/test_security.py, which asserts every defence holds) and
in ``python -m benchmarks.security`` (which counts them into
benchmarks/results/security.json). The expected answers are the contract in
docs/security.md.

Order matters only at the end: the secret and PII sweeps read the logs and
databases the earlier attacks filled.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import sqlite3
import stat
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from bot.settings import Settings
from tests.e2e.console_client import wait_for
from tests.security.target import (
    AGENT_EMAIL,
    ERROR_EVENT,
    SLACK_BOT_USER,
    SLACK_TEAM,
    Target,
    WebChatRefused,
    WebChatVisitor,
    jwt_hs256,
)

EVIL_ORIGIN = "https://evil.example"
HANDOFF_WAIT_S = 20
SLOW_BODY_LIMIT_S = 30  # the contract: read/body timeouts of about 15 s


@dataclass(frozen=True)
class Outcome:
    held: bool
    detail: str


@dataclass(frozen=True)
class Attack:
    name: str
    finding: str  # the review's finding number(s), issue 19
    what: str
    run: Callable[[Target], Outcome]


ATTACKS: list[Attack] = []


def attack(name: str, finding: str, what: str) -> Callable[[Callable[[Target], Outcome]], Any]:
    def register(run: Callable[[Target], Outcome]) -> Callable[[Target], Outcome]:
        ATTACKS.append(Attack(name, finding, what, run))
        return run

    return register


def status_is(response: httpx.Response, wanted: set[int], what: str) -> Outcome:
    got = response.status_code
    return Outcome(
        got in wanted, f"{what}: HTTP {got} (want {sorted(wanted)}) {response.text[:120]!r}"
    )


def _tracker_url(conversation_id: str) -> str:
    return f"/conversations/{quote(conversation_id, safe='')}/tracker"


# Rasa's HTTP API (findings 5, 6, 7)


@attack("api_token_by_default", "5", "`make run` without TANDEM_RASA_TOKEN leaves the API open")
def api_token_by_default(t: Target) -> Outcome:
    env = {k: v for k, v in os.environ.items() if k != "TANDEM_RASA_TOKEN"}
    token = Settings.from_env(env).rasa_token
    return Outcome(len(token) >= 32, f"default token has {len(token)} characters")


@attack("api_without_token", "5", "Rasa API call without Authorization: Bearer")
def api_without_token(t: Target) -> Outcome:
    response = httpx.get(f"{t.rasa}{_tracker_url('anyone')}", timeout=30)
    return status_is(response, {401}, "GET tracker, no token")


@attack("api_token_in_query", "5", "Rasa API call with the token in ?token=")
def api_token_in_query(t: Target) -> Outcome:
    token = t.settings.rasa_token or "guess"
    response = httpx.get(f"{t.rasa}{_tracker_url('anyone')}", params={"token": token}, timeout=30)
    return status_is(response, {401}, "GET tracker?token=<the real token>")


@attack("api_wrong_host", "5", "DNS rebinding: the right token, a foreign Host header")
def api_wrong_host(t: Target) -> Outcome:
    response = t.api("GET", "/status", headers={"Host": "rebind.evil.example"})
    return status_is(response, {403}, "GET /status with Host: rebind.evil.example")


@attack(
    "api_cross_site_text_plain",
    "5",
    "a web page's cross-site text/plain POST to /conversations/<id>/tracker/events",
)
def api_cross_site_text_plain(t: Target) -> Outcome:
    sender = "csrf-victim-" + secrets.token_hex(4)
    t.say(sender, "my name is ada")
    victim = quote(conversation_of(t, sender), safe="")
    body = json.dumps([{"event": "slot", "name": "customer_name", "value": "CSRF"}])
    statuses = []
    for headers in (
        {"Content-Type": "text/plain", "Origin": EVIL_ORIGIN},  # what a browser can send
        {**t.api_headers(), "Content-Type": "text/plain", "Origin": EVIL_ORIGIN},
    ):
        response = httpx.post(
            f"{t.rasa}/conversations/{victim}/tracker/events",
            content=body,
            headers=headers,
            timeout=30,
        )
        statuses.append(response.status_code)
    slot = t.tracker(conversation_of(t, sender))["slots"].get("customer_name")
    refused = all(s >= 400 for s in statuses)
    return Outcome(refused and slot != "CSRF", f"HTTP {statuses}; slot afterwards {slot!r}")


def conversation_of(t: Target, sender: str) -> str:
    """The conversation a REST sender's messages went to: ``rest:<sender>`` by contract,
    the bare sender where the channels are not namespaced."""
    for conversation_id in (f"rest:{sender}", sender):
        response = t.api("GET", _tracker_url(conversation_id))
        events = response.json().get("events") or [] if response.status_code == 200 else []
        if any(e.get("event") == "user" for e in events):
            return conversation_id
    return f"rest:{sender}"


@attack("api_put_model", "5", "PUT /model (remote model loading, CVE-2024-49375)")
def api_put_model(t: Target) -> Outcome:
    response = t.api("PUT", "/model", json={"model_file": "/nonexistent/evil.tar.gz"})
    return status_is(response, {403}, "PUT /model with the token")


@attack("api_train_model", "5", "POST /model/train")
def api_train_model(t: Target) -> Outcome:
    # an empty YAML body: where the route is open Rasa refuses it without training
    response = t.api(
        "POST", "/model/train", content=b"", headers={"Content-Type": "application/x-yaml"}
    )
    return status_is(response, {403}, "POST /model/train with the token")


@attack(
    "api_token_from_visitor_key", "6", "an API admin JWT minted with the web chat's visitor key"
)
def api_token_from_visitor_key(t: Target) -> Outcome:
    forged = jwt_hs256({"user": {"username": "mallory", "role": "admin"}}, t.visitor_key)
    response = httpx.get(
        f"{t.rasa}{_tracker_url('anyone')}",
        headers={"Authorization": f"Bearer {forged}"},
        timeout=30,
    )
    return status_is(response, {401, 403}, "GET tracker with a visitor-key admin JWT")


# Channels: namespaces and visitor tokens (findings 3, 6)


@attack("rest_reads_webchat_session", "3", "REST sender = a web-chat visitor's session id")
def rest_reads_webchat_session(t: Target) -> Outcome:
    visitor = t.visitor()
    try:
        visitor.say("my name is alice")
        session = visitor.session_id
    finally:
        visitor.close()
    reply = " ".join(t.say(session, "what's my name?"))
    return Outcome("alice" not in reply.lower(), f"REST as {session}: {reply!r}")


@attack("rest_reads_slack_conversation", "3", "REST sender = a Slack conversation id")
def rest_reads_slack_conversation(t: Target) -> Outcome:
    channel = "C1"
    event = {
        "type": "message",
        "channel_type": "im",
        "channel": channel,
        "user": "U0ALICE",
        "text": "my name is alice",
        "ts": f"{time.time():.6f}",
    }
    status = t.slack_event(event)
    if not eventually(lambda: t.slack.posts_to(channel), 60):
        return Outcome(False, f"the Slack message got no reply (event HTTP {status})")
    reply = " ".join(t.say(f"slack:{SLACK_TEAM}:{channel}", "what's my name?"))
    return Outcome("alice" not in reply.lower(), f"Slack event HTTP {status}; REST reply {reply!r}")


def _history(t: Target, session_id: str, token: str) -> httpx.Response:
    return httpx.get(
        f"{t.rasa}/webhooks/webchat/history/{session_id}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def _visitor_with_history(t: Target) -> str:
    visitor = t.visitor()
    try:
        visitor.say("my name is alice")
        return visitor.session_id
    finally:
        visitor.close()


def _jwt_attack(name: str, what: str, claims: Callable[[str], dict[str, Any]]) -> None:
    @attack(name, "6", what)
    def run(t: Target) -> Outcome:
        session = _visitor_with_history(t)
        token = jwt_hs256(claims(session), t.visitor_key)
        history = status_is(_history(t, session, token), {401, 403}, "GET history")
        socket = _socket_joins(t, token, session)
        return Outcome(history.held and socket.held, f"{history.detail}; socket: {socket.detail}")


def _socket_joins(t: Target, token: str, session: str) -> Outcome:
    """A visitor with ``token`` tries to join ``session`` and read the name told there."""
    try:
        visitor = WebChatVisitor(t.rasa, token, session)
    except WebChatRefused as e:
        return Outcome(True, f"refused ({str(e)[:80]})")
    try:
        reply = " ".join(visitor.say("what's my name?"))
    finally:
        visitor.close()
    return Outcome("alice" not in reply.lower(), f"joined; asked the name: {reply!r}")


_jwt_attack(
    "webchat_jwt_other_sub",
    "a visitor token for another session's sub",
    lambda session: {"sub": str(uuid.uuid4()), "exp": int(time.time()) + 600},
)
_jwt_attack("webchat_jwt_empty_claims", "a visitor token with claims {}", lambda session: {})
_jwt_attack(
    "webchat_jwt_without_exp", "a visitor token without exp", lambda session: {"sub": session}
)


# Sizes and malformed input (findings 8, 11, 12)


def _raw_rest(t: Target, body: bytes) -> httpx.Response:
    return httpx.post(
        f"{t.rasa}/webhooks/rest/webhook",
        content=body,
        headers={"Content-Type": "application/json", **t.rest_headers()},
        timeout=60,
    )


@attack("rest_without_credentials", "3", "a REST turn with no token where a visitor key is set")
def rest_without_credentials(t: Target) -> Outcome:
    response = httpx.post(
        f"{t.rasa}/webhooks/rest/webhook",
        json={"sender": "anonymous", "message": "hi"},
        timeout=60,
    )
    return status_is(response, {401}, "REST without Authorization")


@attack("rest_visitor_token_for_another_sender", "3", "a visitor JWT whose sub is another sender")
def rest_visitor_token_for_another_sender(t: Target) -> Outcome:
    token = jwt_hs256({"sub": "mallory", "exp": int(time.time()) + 600}, t.visitor_key)
    response = httpx.post(
        f"{t.rasa}/webhooks/rest/webhook",
        json={"sender": "alice", "message": "what's my name?"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    return status_is(response, {401, 403}, "REST as alice with mallory's token")


@attack("rest_body_over_1mib", "8", "a REST body of 1.1 MiB")
def rest_body_over_1mib(t: Target) -> Outcome:
    body = json.dumps({"sender": "big", "message": "hi", "pad": "x" * (1_100 * 1024)}).encode()
    return status_is(_raw_rest(t, body), {413}, "1.1 MiB body")


@attack("rest_metadata_over_8kib", "8", "REST metadata of 9 KiB")
def rest_metadata_over_8kib(t: Target) -> Outcome:
    sender = "meta-" + secrets.token_hex(4)
    body = json.dumps({"sender": sender, "message": "hi", "metadata": {"blob": "x" * 9216}})
    return status_is(_raw_rest(t, body.encode()), {413}, "9 KiB metadata")


@attack("rest_nested_json", "11", "REST body nested 10,000 deep")
def rest_nested_json(t: Target) -> Outcome:
    nested = "[" * 10_000 + "]" * 10_000
    body = f'{{"sender": "deep", "message": "hi", "metadata": {{"a": {nested}}}}}'.encode()
    return status_is(_raw_rest(t, body), {400}, "10,000-deep metadata")


@attack("rest_lone_surrogate", "12", "a REST message with a lone surrogate \\ud800")
def rest_lone_surrogate(t: Target) -> Outcome:
    body = b'{"sender": "surrogate", "message": "hi \\ud800 there"}'
    return status_is(_raw_rest(t, body), {400}, "lone surrogate")


@attack(
    "webchat_nested_metadata_string", "12", "web chat metadata as a JSON string nested 10,000 deep"
)
def webchat_nested_metadata_string(t: Target) -> Outcome:
    visitor = t.visitor()
    try:
        nested = '{"a": ' + "[" * 10_000 + "]" * 10_000 + "}"
        visitor.emit("user_uttered", {"message": "hi", "metadata": nested})
        answer = visitor.next_event("bot_uttered", ERROR_EVENT, timeout_s=20)
    finally:
        visitor.close()
    if answer is None:
        return Outcome(False, "neither a reply nor an error within 20 s")
    return Outcome(
        answer[0] == ERROR_EVENT, f"answered with {answer[0]}: {json.dumps(answer[1])[:100]}"
    )


@attack("rest_half_sent_body", "13", "a REST body that never arrives holds its connection")
def rest_half_sent_body(t: Target) -> Outcome:
    host, port = t.settings.rasa_url.removeprefix("http://").rsplit(":", 1)
    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=SLOW_BODY_LIMIT_S + 10) as conn:
        conn.sendall(
            b"POST /webhooks/rest/webhook HTTP/1.1\r\nHost: " + host.encode() + b"\r\n"
            b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
            b'{"sender": "slow", '
        )
        try:
            while conn.recv(4096):
                pass
        except TimeoutError:
            return Outcome(False, f"still open after {time.monotonic() - started:.0f} s")
        except OSError:
            pass
    held_s = time.monotonic() - started
    return Outcome(held_s <= SLOW_BODY_LIMIT_S, f"closed after {held_s:.0f} s")


# Other customers' data (finding 4)


@attack("recommendations_of_customer_c0001", "4", "REST sender c0001 asks for recommendations")
def recommendations_of_customer_c0001(t: Target) -> Outcome:
    reply = " ".join(t.say("c0001", "what do you recommend?"))
    leaked = re.findall(r"[Bb]ecause you [^:;.\n]*", reply)
    return Outcome(not leaked, f"history-based reasons: {leaked[:3]}" if leaked else "none")


# Handoff round trips for every channel's id shape (finding 1)


def _handoff_round_trip(
    t: Target,
    conversation_id: str,
    ask: Callable[[], str],
    again: Callable[[], tuple[bool, str]],
) -> Outcome:
    """Ask for a person, the agent claims, replies and returns; both sides see it all."""
    asked = ask()
    if "colleague" not in asked:
        return Outcome(False, f"no handoff offered: {asked[:120]!r}")
    console = t.console()
    try:
        handoff = console.handoff_for(conversation_id, timeout_s=HANDOFF_WAIT_S)
    except AssertionError:
        queued = [h["conversation_id"] for h in console.get("/queue")]
        return Outcome(False, f"{conversation_id!r} not in the console queue {queued[-5:]}")
    hid = handoff["id"]
    transcript = [m["text"] for m in console.messages(hid)]
    # The transcript starts at the event that asked for a person: the customer's
    # words, or (a turn handed over through the API) the triggered intent.
    if not any("person" in text or "ask_human" in text for text in transcript):
        return Outcome(False, f"console transcript lacks the request: {transcript[-3:]}")
    console.post(f"/handoffs/{hid}/claim")
    text = f"Agent reply {secrets.token_hex(3)}"
    console.post(f"/handoffs/{hid}/reply", {"text": text})
    if not _agent_text_reached(t, conversation_id, text):
        return Outcome(False, "the agent's reply is not in the customer's conversation")
    console.post(f"/handoffs/{hid}/return")
    state = t.tracker(conversation_id)
    if state.get("paused"):
        return Outcome(False, "the conversation stayed paused after the return to the bot")
    answered, seen = again()
    if not answered:
        return Outcome(False, f"the bot did not answer after the return: {seen[:160]!r}")
    return Outcome(True, "request, claim, reply, return, bot again")


def eventually(check: Callable[[], Any], timeout_s: float) -> Any:
    """``check()``'s first truthy value within ``timeout_s``, else ``None``."""
    try:
        return wait_for(check, timeout_s=timeout_s, what="")
    except AssertionError:
        return None


def _slack_posts_with(t: Target, channel: str, words: str, since: int) -> str | None:
    posts = json.dumps(t.slack.posts_to(channel)[since:])
    return posts if words in posts else None


def _agent_text_reached(t: Target, conversation_id: str, text: str) -> bool:
    if conversation_id.startswith("slack:"):
        channel = conversation_id.split(":")[2]
        return eventually(lambda: _slack_posts_with(t, channel, text, 0), 10) is not None

    def in_tracker() -> bool:
        events = t.tracker(conversation_id).get("events") or []
        return any(e.get("event") == "bot" and e.get("text") == text for e in events)

    return eventually(in_tracker, 10) is not None


def _contains(replies: list[str], words: str) -> tuple[bool, str]:
    seen = " ".join(replies)
    return words in seen, seen


def _rest_round_trip(sender: str) -> Callable[[Target], Outcome]:
    def run(t: Target) -> Outcome:
        return _handoff_round_trip(
            t,
            f"rest:{sender}",
            lambda: " ".join(t.say(sender, "I want to talk to a person")),
            lambda: _contains(t.say(sender, "when does the downtown store open?"), "Downtown"),
        )

    return run


def _slack_round_trip(t: Target) -> Outcome:
    channel, ts = "C2", "1700000000.000100"

    def mention(text: str) -> dict[str, Any]:
        return {
            "type": "app_mention",
            "channel": channel,
            "user": "U0CUSTOMER",
            "text": f"<@{SLACK_BOT_USER}> {text}",
            "ts": f"{time.time():.6f}",
            "thread_ts": ts,
        }

    def ask() -> str:
        before = len(t.slack.posts_to(channel))
        status = t.slack_event(mention("I want to talk to a person"))
        posts = eventually(lambda: _slack_posts_with(t, channel, "colleague", before), 60)
        return posts or f"Slack event HTTP {status}; posts {t.slack.posts_to(channel)[before:]}"

    def again() -> tuple[bool, str]:
        before = len(t.slack.posts_to(channel))
        t.slack_event(mention("when does the downtown store open?"))
        posts = eventually(lambda: _slack_posts_with(t, channel, "Downtown", before), 60)
        return posts is not None, json.dumps(t.slack.posts_to(channel)[before:])

    return _handoff_round_trip(t, f"slack:{SLACK_TEAM}:{channel}:{ts}", ask, again)


def _api_round_trip(conversation_id: str) -> Callable[[Target], Outcome]:
    """A channel whose stand-in this suite does not run (Teams): the turn goes through
    Rasa's API as the channel would hand it over, with the collector as output."""

    path = f"/conversations/{quote(conversation_id, safe='')}"

    def turn(t: Target, text: str | None, intent: str) -> str:
        if text is not None:
            said = t.api("POST", f"{path}/messages", json={"text": text, "sender": "user"})
            if said.status_code != 200:
                return f"HTTP {said.status_code} {said.text[:80]}"
        response = t.api(
            "POST",
            f"{path}/trigger_intent",
            params={"output_channel": "collector"},
            json={"name": intent},
        )
        if response.status_code != 200:
            return f"HTTP {response.status_code} {response.text[:80]}"
        return json.dumps(response.json().get("messages") or [])

    def run(t: Target) -> Outcome:
        return _handoff_round_trip(
            t,
            conversation_id,
            lambda: turn(t, "I want to talk to a person", "ask_human"),
            lambda: _contains([turn(t, None, "bot_challenge")], "[{"),
        )

    return run


attack("handoff_rest_colon_id", "1", "handoff round trip for rest:x:y")(_rest_round_trip("x:y"))
attack("handoff_slack_thread_id", "1", "handoff round trip for slack:T1:C2:<thread ts>")(
    _slack_round_trip
)
attack("handoff_teams_id", "1", "handoff round trip for teams:19:abc@thread.tacv2;messageid=1")(
    _api_round_trip("teams:19:abc@thread.tacv2;messageid=1")
)
attack("handoff_non_ascii_id", "1", "handoff round trip for rest:ünï")(_rest_round_trip("ünï"))


# Console API edge cases (findings 11, 14)


@attack("console_huge_ids", "11", "console handoff id 2**63 and reassign to agent 2**63")
def console_huge_ids(t: Target) -> Outcome:
    console = t.console()
    huge = 2**63
    try:
        got = [console.http.get(f"/console/api/handoffs/{huge}").status_code]
        response = console.http.post(
            "/console/api/handoffs/1/reassign",
            json={"agent_id": huge},
            headers={"X-CSRF-Token": console.csrf, "Origin": console.base},
        )
        got.append(response.status_code)
    except httpx.TransportError as e:
        return Outcome(False, f"the connection dropped: {e!r}")
    return Outcome(all(400 <= s < 500 for s in got), f"HTTP {got}")


@attack("console_acts_on_unclaimed", "14", "an agent adds a note to a handoff nobody claimed")
def console_acts_on_unclaimed(t: Target) -> Outcome:
    sender = "unclaimed-" + secrets.token_hex(4)
    t.say(sender, "I want to talk to a person")
    console = t.console()
    handoff = eventually(
        lambda: next(
            (
                h
                for h in console.get("/queue")
                if h["conversation_id"] in (sender, f"rest:{sender}")
            ),
            None,
        ),
        HANDOFF_WAIT_S,
    )
    if handoff is None:
        return Outcome(False, "the handoff never reached the queue")
    headers = {"X-CSRF-Token": console.csrf, "Origin": console.base}
    noted = console.http.post(
        f"/console/api/handoffs/{handoff['id']}/notes", json={"text": "note"}, headers=headers
    )
    missing = console.http.post(
        "/console/api/handoffs/1000000000/notes", json={"text": "note"}, headers=headers
    )
    # A waiting handoff is in every agent's queue, so refusing it with 403 tells nothing
    # new; what must not happen is the note being added. Handoffs an agent cannot see
    # answer like missing ones (tests/integration/bot/handoff/test_console_security.py).
    return Outcome(
        noted.status_code in (403, 404) and missing.status_code == 404,
        f"note on the unclaimed handoff: HTTP {noted.status_code} (want 403/404); "
        f"on a missing one: HTTP {missing.status_code} (want 404)",
    )


def _login_status(t: Target, password: str, *, source: str) -> int:
    """One console sign-in from the loopback address ``source``; its HTTP status."""
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(base_url=t.handoff, timeout=60, transport=transport) as http:
        page = http.get("/console/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        response = http.post(
            "/console/login",
            data={
                "email": AGENT_EMAIL,
                "password": password,
                "csrf_token": token.group(1) if token else "",
            },
            headers={"Origin": t.handoff},
        )
        return response.status_code


@attack("console_login_lockout", "10", "wrong passwords from one address lock the agent out")
def console_login_lockout(t: Target) -> Outcome:
    t.console()  # the suite's own session first: a lock must not end it
    wrong = [_login_status(t, "not-the-password", source="127.0.0.2") for _ in range(6)]
    right = _login_status(t, t.agent_password, source="127.0.0.1")
    return Outcome(right == 303, f"wrong from 127.0.0.2: {wrong}; right from 127.0.0.1: {right}")


# Secrets and state files (findings 2, 7, 9)


@attack("secrets_in_logs_or_cmdline", "2,7", "secrets in state-dir logs or /proc/<pid>/cmdline")
def secrets_in_logs_or_cmdline(t: Target) -> Outcome:
    secrets_ = t.secrets()
    found = []
    for path in sorted((t.settings.state_dir / "logs").rglob("*")):
        if path.is_file():
            text = path.read_bytes()
            found += [f"{n} in {path.name}" for n, v in secrets_.items() if v.encode() in text]
    for pid in t.child_pids():
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        found += [f"{n} in cmdline of {pid}" for n, v in secrets_.items() if v.encode() in cmdline]
    return Outcome(not found, ", ".join(found) or f"{len(secrets_)} secrets checked")


@attack("state_files_readable_by_others", "9", "state files not owner-only (0600 / 0700)")
def state_files_readable_by_others(t: Target) -> Outcome:
    root = t.settings.state_dir
    loose = [
        f"{p.relative_to(root.parent)} {stat.filemode(p.stat().st_mode)}"
        for p in [root, *sorted(root.rglob("*"))]
        if p.stat().st_mode & 0o077
    ]
    return Outcome(not loose, "; ".join(loose[:6]) or "all owner-only")


CARD = "4111 1111 1111 1111"
EMAIL = "ada.pii-check@example.com"
PHONE = "+44 20 7946 0958"


def pii_needles() -> dict[str, list[bytes]]:
    digits = CARD.replace(" ", "")
    return {
        "card": [digits.encode(), CARD.encode(), "-".join(CARD.split()).encode()],
        "email": [EMAIL.encode()],
        "phone": [PHONE.encode(), PHONE.replace(" ", "").encode()],
    }


def pii_conversation(t: Target) -> str:
    sender = "pii-" + secrets.token_hex(4)
    for text in (
        "hello",
        f"my card number is {CARD}",
        f"you can e-mail me at {EMAIL}",
        f"or call me on {PHONE}",
        "I want to talk to a person",
        f"again, the card is {CARD}",
    ):
        t.say(sender, text)
    return sender


def pii_in_stores(t: Target) -> list[str]:
    """Each (store, kind) pair where typed personal data was found outside a ticket."""
    needles = pii_needles()
    found = []
    for path in t.state_files():
        raw = path.read_bytes()
        for kind, forms in needles.items():
            if any(form in raw for form in forms):
                if (
                    kind != "card"
                    and path.name.startswith("handoff.db")
                    and _only_in_tickets(path, forms)
                ):
                    continue
                found.append(f"{kind} in {path.relative_to(t.settings.state_dir)}")
    return found


def _only_in_tickets(db: Path, forms: list[bytes]) -> bool:
    """E-mail and phone may stay in a ticket's contact field, nowhere else in handoff.db."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            tables = [
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            ]
            for table in tables:
                columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
                for column in columns:
                    if table == "tickets" and column == "contact":
                        continue
                    for form in forms:
                        query = f'SELECT 1 FROM "{table}" WHERE CAST("{column}" AS TEXT) LIKE ?'
                        hit = conn.execute(
                            query,
                            (f"%{form.decode()}%",),
                        ).fetchone()
                        if hit:
                            return False
    except sqlite3.Error:
        return False
    return True


@attack("pii_in_stores", "9", "card, e-mail and phone typed by a customer, grepped in every store")
def pii_in_stores_attack(t: Target) -> Outcome:
    sender = pii_conversation(t)
    time.sleep(3)  # the handoff service syncs the transcript every few seconds
    found = pii_in_stores(t)
    console = t.console()
    for handoff in console.get("/queue"):
        if handoff["conversation_id"] in (sender, f"rest:{sender}"):
            shown = json.dumps(console.get(f"/handoffs/{handoff['id']}"))
            found += [
                f"card in the console's view ({form.decode()})"
                for form in pii_needles()["card"]
                if form.decode() in shown
            ]
    return Outcome(not found, "; ".join(found) or "none found")
